//! innohub-processes: automation-candidate processes (DOMAIN.md §1).
//!
//! - [`domain`]: the aggregates with pure `decide`/`evolve`, values and scoring; no I/O.
//! - [`app`]: command handling (load → decide → append) over the event store.
//! - [`error`]: why a command was refused, with its stable code.

pub mod app;
pub mod domain;
pub mod error;

pub use app::ProcessesApp;
pub use error::ProcessError;
