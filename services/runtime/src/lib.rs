//! innohub-runtime: what every innohub service stands on.
//!
//! - [`aggregate`]: the contract of an event-sourced aggregate (pure `decide` / `evolve`)
//!   and, under [`testing`], the given/when/then helper every domain test is written with
//!   (and the harness every service's gRPC test is written with).
//! - [`store`]: the event store (SQLite for embedded mode, PostgreSQL for distributed mode)
//!   with optimistic concurrency, idempotency keys and the transactional outbox.
//! - [`command`]: load → decide → append with bounded retries on a lost race.
//! - [`projection`]: the runner that tails the store into read models, checkpointed.
//! - [`changes`]: what a read model has just committed, announced to the gateway's live
//!   subscriptions (in process, or by PostgreSQL `NOTIFY`).
//! - [`kafka`]: distributed mode's transport: the outbox relay, the Kafka event source and
//!   the rebuild of a read model from a topic.
//! - [`grpc`]: what every service's gRPC side shares: metadata, errors, the handler
//!   skeleton, and the channel a generated client runs over in either mode.
//! - [`link`]: the one general link between records of different services (an idea and the
//!   process it became), validated.
//! - [`reflect`]: what works on any contract message through its descriptor: redaction by
//!   the privacy marks, field-mask updates, JSON rendering.
//! - [`sql`]: statements built at run time with numbered parameters for both backends, and
//!   multi-row writes.
//! - [`access`]: visibility and the one read rule (full, partner, none).
//! - [`partners`]: a caller's network partners, asked of the directory when the read rule
//!   needs them.
//! - [`readable`]: records read by the read rule, partners included: commands on them,
//!   reads and histories, `NOT_FOUND` for what the caller may not read.
//! - [`principal`]: who is calling (user, municipality, department, roles).
//! - [`field`]: the checks every domain's values are built with (texts, lists, dates,
//!   roles, visibility), refusing with the input field's name.
//! - [`text`]: the rules every free text keeps: visible, no bidi overrides, no control
//!   characters, limited length; the domains' text values are built on it.
//! - [`trail`]: what a partner's history of a shared record shows them (one rule for every
//!   service's `GetHistory`).
//! - [`auth`]: bearer tokens into principals: development tokens and the identity
//!   provider's (OIDC/JWKS), one verifier for the gateway and every service.
//! - [`clock`]: today, as every date rule reads it (fixed by `INNOHUB_TODAY` in tests).
//! - [`error`]: the stable error codes every edge maps to.
//! - [`failpoint`]: named places where the tests stop a process, to show that it heals.
//! - [`db`], [`telemetry`], [`metrics`], [`ops`]: connections and migrations, tracing,
//!   Prometheus metrics and the `/healthz` `/readyz` `/metrics` endpoints.

pub mod access;
pub mod aggregate;
pub mod auth;
pub mod changes;
pub mod clock;
pub mod command;
pub mod db;
pub mod error;
pub mod failpoint;
pub mod field;
pub mod grpc;
pub mod kafka;
pub mod link;
pub mod metrics;
pub mod ops;
pub mod partners;
pub mod principal;
pub mod projection;
pub mod readable;
pub mod reflect;
pub mod sql;
pub mod store;
pub mod telemetry;
pub mod testing;
pub mod text;
pub mod trail;

pub use access::{Access, Audience, Viewer, Visibility};
pub use aggregate::{Aggregate, DecodeError, DomainEvent, EncodedEvent};
pub use auth::{AuthError, Verifier};
pub use db::{Backend, Database};
pub use error::{DomainError, ErrorCode, HasErrorCode};
pub use link::RecordLink;
pub use principal::{DepartmentId, MunicipalityId, Principal, Role, UserId};
pub use store::{AppendOutcome, AppendResult, EventStore, StoreError, StoredEvent, StreamAppend};
