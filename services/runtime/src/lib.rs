//! innohub-runtime: what every innohub service stands on.
//!
//! - [`aggregate`]: the contract of an event-sourced aggregate (pure `decide` / `evolve`)
//!   and, under [`testing`], the given/when/then helper every domain test is written with.
//! - [`store`]: the event store (SQLite for embedded mode, PostgreSQL for distributed mode)
//!   with optimistic concurrency, idempotency keys and the transactional outbox.
//! - [`command`]: load → decide → append with bounded retries on a lost race.
//! - [`projection`]: the runner that tails the store into read models, checkpointed.
//! - [`access`]: visibility and the one read rule (full, partner, none).
//! - [`principal`]: who is calling (user, municipality, department, roles).
//! - [`error`]: the stable error codes every edge maps to.

pub mod access;
pub mod aggregate;
pub mod command;
pub mod db;
pub mod error;
pub mod kafka;
pub mod metrics;
pub mod ops;
pub mod principal;
pub mod projection;
pub mod store;
pub mod telemetry;
pub mod testing;

pub use access::{Access, Audience, Viewer, Visibility};
pub use aggregate::{Aggregate, DomainEvent};
pub use db::{Backend, Database};
pub use error::{ErrorCode, HasErrorCode};
pub use principal::{DepartmentId, MunicipalityId, Principal, Role, UserId};
pub use store::{AppendOutcome, AppendResult, EventStore, StoreError, StoredEvent};
