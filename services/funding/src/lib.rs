//! innohub-funding: innovation funds that employees pitch to with an innovation lead, their
//! budgets per year and decision rounds; the applications, their reviews, the innovation
//! council's decisions and the money that follows them (DOMAIN.md §4), in the rooms every
//! domain service has (see `services/README.md`):
//!
//! - [`domain`]: the aggregates `Fund`, `FundPeriod` (a fund's year: its budget and every
//!   movement of its money, one stream) and `Application`, with pure `decide`/`evolve`, their
//!   values, and the ONE mapping between their events and the contract's messages
//!   (`proto/innohub/funding/v1/events.proto`); no I/O.
//! - [`app`]: command handling (load → decide → append) over the event store, the read
//!   rule first; a decision appends to the application and its period in one transaction.
//! - [`grpc`]: the server adapter of `FundingService`: protobuf request → command, nothing
//!   else; served over HTTP/2, or in-process as the channel of the generated client.
//! - [`error`]: why a command was refused, with its stable code.

pub mod app;
pub mod domain;
pub mod error;
pub mod grpc;

pub use app::FundingApp;
pub use error::FundingError;

/// The service's name: its store in consistency tokens and its topic
/// `innohub.funding.events.v1`.
pub const SERVICE: &str = "funding";

/// The prefix of the stream id of a fund's year, `fund-period:<fund id>:<year>`
/// ([`domain::period::FundPeriod::stream_id`]): what tells such an id from a record's UUID.
pub const PERIOD_PREFIX: &str = "fund-period:";
