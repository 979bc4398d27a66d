//! innohub-ideas: staff ideas and municipality-wide challenges, worked from idea to a
//! decision through gates, with their support, discussion and evaluation, the workshops that
//! work on them and their action items (DOMAIN.md §2), in the rooms every domain service has
//! (see `services/README.md`):
//!
//! - [`domain`]: the aggregates `Challenge`, `Idea`, `IdeaCriteria`, `Workshop` and
//!   `ActionItem` with pure `decide`/`evolve`, their values, and the ONE mapping between
//!   their events and the contract's messages (`proto/innohub/ideas/v1/events.proto`); no
//!   I/O.
//! - [`app`]: command handling (load → decide → append) over the event store, the read
//!   rule first.
//! - [`grpc`]: the server adapter of `IdeasService`: protobuf request → command, nothing
//!   else; served over HTTP/2, or in-process as the channel of the generated client.
//! - [`links`]: what an idea became (a process), recorded on both sides, and the follower
//!   of the processes' events that completes a link a crash left one-sided.
//! - [`error`]: why a command was refused, with its stable code.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod links;

pub use app::IdeasApp;
pub use error::IdeasError;

/// The service's name: its store in consistency tokens and its topic
/// `innohub.ideas.events.v1`.
pub const SERVICE: &str = "ideas";
