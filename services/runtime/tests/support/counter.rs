//! A counter: the smallest aggregate whose every command appends exactly one event, with
//! its event's contract message and the one mapping to it, as every service writes them.

use innohub_runtime::aggregate::message;
use innohub_runtime::{
    Aggregate, DecodeError, DomainEvent, EncodedEvent, ErrorCode, HasErrorCode, MunicipalityId,
};

/// How often it was incremented, and by whom it is owned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counter {
    pub municipality: Option<MunicipalityId>,
    pub count: i64,
}

/// Count one more; `writer` and `command` make every increment recognisable in the stream.
#[derive(Debug, Clone)]
pub struct Increment {
    pub municipality: MunicipalityId,
    pub writer: u32,
    pub command: u32,
}

/// The contract message of the counter's event (a service's would be generated from its
/// events.proto).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Incremented {
    #[prost(string, tag = "1")]
    pub municipality: String,
    #[prost(uint32, tag = "2")]
    pub writer: u32,
    #[prost(uint32, tag = "3")]
    pub command: u32,
}

impl prost::Name for Incremented {
    const NAME: &'static str = "Incremented";
    const PACKAGE: &'static str = "innohub.conformance.v1";
}

/// The only event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CounterEvent {
    Incremented {
        municipality: MunicipalityId,
        writer: u32,
        command: u32,
    },
}

impl DomainEvent for CounterEvent {
    fn encode(&self) -> EncodedEvent {
        let CounterEvent::Incremented {
            municipality,
            writer,
            command,
        } = self;
        EncodedEvent::of(&Incremented {
            municipality: municipality.to_string(),
            writer: *writer,
            command: *command,
        })
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        if event_type != <Incremented as prost::Name>::NAME {
            return Err(DecodeError(format!("no counter event {event_type}")));
        }
        let m: Incremented = message(payload)?;
        Ok(CounterEvent::Incremented {
            municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
            writer: m.writer,
            command: m.command,
        })
    }
}

/// A counter belongs to the municipality that first incremented it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the counter belongs to another municipality")]
pub struct ForeignCounter;

impl HasErrorCode for ForeignCounter {
    fn code(&self) -> ErrorCode {
        ErrorCode::Forbidden
    }
}

impl Aggregate for Counter {
    type Command = Increment;
    type Event = CounterEvent;
    type Error = ForeignCounter;

    const TYPE: &'static str = "counter";

    fn decide(&self, command: Increment) -> Result<Vec<CounterEvent>, ForeignCounter> {
        if self
            .municipality
            .as_ref()
            .is_some_and(|m| *m != command.municipality)
        {
            return Err(ForeignCounter);
        }
        Ok(vec![CounterEvent::Incremented {
            municipality: command.municipality,
            writer: command.writer,
            command: command.command,
        }])
    }

    fn evolve(mut self, event: &CounterEvent) -> Self {
        match event {
            CounterEvent::Incremented { municipality, .. } => {
                self.municipality = Some(municipality.clone());
                self.count += 1;
            }
        }
        self
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.municipality.as_ref()
    }
}
