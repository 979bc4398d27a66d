//! The aggregate contract: `decide` turns a command into events without I/O, `evolve`
//! folds an event into state. Everything a service persists is an event produced here, and
//! every event is a message of the service's contract (`proto/innohub/<context>/v1/
//! events.proto`): [`DomainEvent`] is the ONE mapping between the two, next to the
//! aggregate: `encode` for decided events, `decode` on load with the domain's own checks.

use prost::{Message, Name};

use crate::{HasErrorCode, MunicipalityId};

/// An event, as stored and as published: the contract message's simple name (the envelope's
/// `event_type`) and its protobuf encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEvent {
    /// e.g. `ProcessSubmitted`.
    pub event_type: &'static str,
    /// The encoded message.
    pub payload: Vec<u8>,
}

impl EncodedEvent {
    /// The encoding of contract message `message`.
    pub fn of<M: Message + Name>(message: &M) -> Self {
        Self {
            event_type: M::NAME,
            payload: message.encode_to_vec(),
        }
    }
}

/// Why stored bytes are not an event of the aggregate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(pub String);

impl DecodeError {
    /// An error saying `why`.
    pub fn new(why: impl std::fmt::Display) -> Self {
        Self(why.to_string())
    }
}

impl From<prost::DecodeError> for DecodeError {
    fn from(e: prost::DecodeError) -> Self {
        Self(format!("invalid protobuf: {e}"))
    }
}

/// Decode contract message `M` from its stored bytes.
pub fn message<M: Message + Default>(payload: &[u8]) -> Result<M, DecodeError> {
    Ok(M::decode(payload)?)
}

/// A required sub-message: absent is malformed.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, DecodeError> {
    value.ok_or_else(|| DecodeError(format!("{field} is missing")))
}

/// An event of an aggregate, mapped to and from the contract's messages.
pub trait DomainEvent: Clone + Send + Sync + 'static {
    /// The contract message of this event, encoded.
    fn encode(&self) -> EncodedEvent;

    /// The event stored as `payload` under `event_type`, checked as the domain checks
    /// input: stored bytes that break a rule are refused, never misread.
    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError>;
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
