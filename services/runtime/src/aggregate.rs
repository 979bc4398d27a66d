//! The aggregate contract: `decide` turns a command into events without I/O, `evolve`
//! folds an event into state. Everything a service persists is an event produced here.

use serde::{Serialize, de::DeserializeOwned};

use crate::{HasErrorCode, MunicipalityId};

/// An event of an aggregate. Stored as JSON; the type name is stored beside it.
pub trait DomainEvent: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The stable name of this event type, e.g. `ProcessSubmitted`.
    fn event_type(&self) -> &'static str;
}

/// An event-sourced aggregate: state plus the pure functions that change it.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    /// What a caller asks for.
    type Command;
    /// What happened.
    type Event: DomainEvent;
    /// Why a command was refused.
    type Error: std::error::Error + HasErrorCode + Send + Sync + 'static;

    /// The stream's aggregate type, e.g. `process`.
    const TYPE: &'static str;

    /// Decide which events a command produces in this state. Pure: no I/O, no clock.
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// Fold one event into the state.
    fn evolve(self, event: &Self::Event) -> Self;

    /// The municipality that owns this aggregate, once it exists.
    fn municipality(&self) -> Option<&MunicipalityId>;

    /// Fold a whole history.
    fn from_events<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self {
        events.into_iter().fold(Self::default(), Self::evolve)
    }
}
