//! innohub-pilots: pilots, time-boxed trials of a new or changed service planned, run,
//! evaluated and decided after the Norwegian municipal service-innovation roadmap, with the
//! benefits they are expected to bring measured against their baseline (DOMAIN.md §3), in
//! the rooms every domain service has (see `services/README.md`):
//!
//! - [`domain`]: the aggregate `Pilot` with pure `decide`/`evolve`, its values, and the ONE
//!   mapping between its events and the contract's messages
//!   (`proto/innohub/pilots/v1/events.proto`); no I/O.
//! - [`app`]: command handling (load → decide → append) over the event store, the read
//!   rule first.
//! - [`grpc`]: the server adapter of `PilotsService`: protobuf request → command, nothing
//!   else; served over HTTP/2, or in-process as the channel of the generated client.
//! - [`error`]: why a command was refused, with its stable code.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;

pub use app::PilotsApp;
pub use error::PilotsError;

/// The service's name: its store in consistency tokens and its topic
/// `innohub.pilots.events.v1`.
pub const SERVICE: &str = "pilots";
