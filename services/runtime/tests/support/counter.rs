//! A counter: the smallest aggregate whose every command appends exactly one event.

use innohub_runtime::{Aggregate, DomainEvent, ErrorCode, HasErrorCode, MunicipalityId};
use serde::{Deserialize, Serialize};

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

/// The only event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CounterEvent {
    Incremented {
        municipality: MunicipalityId,
        writer: u32,
        command: u32,
    },
}

impl DomainEvent for CounterEvent {
    fn event_type(&self) -> &'static str {
        match self {
            CounterEvent::Incremented { .. } => "Incremented",
        }
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
