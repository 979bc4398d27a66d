//! innohub-processes: automation-candidate processes (DOMAIN.md §1).
//!
//! - [`domain`]: the aggregates with pure `decide`/`evolve`, values and scoring; no I/O.
//! - [`app`]: command handling (load → decide → append) over the event store.
//! - [`error`]: why a command was refused, with its stable code.
//! - [`codec`]: the stored JSON events ⇄ the protobuf messages of `events.proto` (Kafka).
//! - [`grpc`]: the gRPC server adapter (`ProcessesService`), its metadata, error mapping
//!   and the domain ⇄ protobuf conversions of its requests.
//! - [`client`]: [`Processes`], the one handle callers use in both modes (in-process or
//!   over gRPC).

pub mod app;
pub mod client;
pub mod codec;
pub mod domain;
pub mod error;
pub mod grpc;

pub use app::ProcessesApp;
pub use client::{HistoryEvent, Processes, Reply, ServiceError};
pub use codec::ProcessesCodec;
pub use error::ProcessError;
