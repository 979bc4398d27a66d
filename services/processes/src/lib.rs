//! innohub-processes: automation-candidate processes (DOMAIN.md §1), in the rooms every
//! domain service has (see `services/README.md`):
//!
//! - [`domain`]: the aggregates with pure `decide`/`evolve`, their values, and the ONE
//!   mapping between their events and the contract's messages (`proto/innohub/processes/
//!   v1/events.proto`); no I/O.
//! - [`app`]: command handling (load → decide → append) over the event store.
//! - [`grpc`]: the server adapter of `ProcessesService`: protobuf request → command, nothing
//!   else; served over HTTP/2, or in-process as the channel of the generated client.
//! - [`error`]: why a command was refused, with its stable code.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;

pub use app::ProcessesApp;
pub use error::ProcessError;

/// The service's name: its store in consistency tokens and its topic
/// `innohub.processes.events.v1`.
pub const SERVICE: &str = "processes";
