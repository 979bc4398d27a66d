//! innohub-directory: who the tenants are and who shares with whom (DOMAIN.md, "The people
//! and the places"), in the rooms every domain service has (see `services/README.md`):
//!
//! - [`domain`]: the aggregates `Municipality` (its profile and department tree) and
//!   `Network` (municipalities that share with each other) with pure `decide`/`evolve`, their
//!   values, and the ONE mapping between their events and the contract's messages
//!   (`proto/innohub/directory/v1/events.proto`); no I/O.
//! - [`app`]: command handling (load → decide → append) over the event store, and the
//!   network partners folded from it.
//! - [`grpc`]: the server adapter of `DirectoryService`: protobuf request → command, nothing
//!   else; served over HTTP/2, or in-process as the channel of the generated client.
//! - [`error`]: why a command was refused, with its stable code.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;

pub use app::DirectoryApp;
pub use error::DirectoryError;

/// The service's name: its store in consistency tokens and its topic
/// `innohub.directory.events.v1`.
pub const SERVICE: &str = "directory";
