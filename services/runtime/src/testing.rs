//! What the services' tests are written with:
//!
//! - given/when/then for aggregates: `given(events).when(command).then_events(expected)`.
//!   Every domain rule is tested as such a sentence, without I/O.
//! - [`Breaks`] and [`day`]: the cases and the days rule tests are written with.
//! - [`golden`], [`golden_event`]: the contract's golden samples (`proto/tests/golden`) as
//!   a domain test reads them; [`round_trip`]: an event through its contract message and
//!   back.
//! - [`grpc`]: the harness of every service's gRPC test: the service served over the network
//!   and in-process on one fresh store ([`Served`]), test principals and their tokens, and a
//!   call made for one ([`send`]).
//! - [`network`]: network partners in a service's gRPC test, asked of a real directory
//!   served beside it.

use std::fmt::Debug;

use innohub_proto::innohub::common::v1::EventEnvelope;
use prost::Message as _;

use crate::{Aggregate, DomainEvent, ErrorCode, HasErrorCode};

pub mod grpc;
pub mod network;

pub use grpc::{Served, Server, forged_request, person, send, test_keys, test_verifier, token_for};

/// A way to break a valid request (a rule test's case), and the input field the refusal
/// names.
pub type Breaks<M> = (fn(&mut M), &'static str);

/// The day `raw` (ISO 8601) names.
///
/// # Panics
/// If `raw` is no such day: a broken test.
#[allow(clippy::expect_used)]
pub fn day(raw: &str) -> chrono::NaiveDate {
    raw.parse().expect("an ISO 8601 day")
}

/// A golden sample's bytes (`proto/tests/golden`), hex, 64 digits a line.
///
/// # Panics
/// If `hex` is not hex digits in pairs: a broken sample.
#[allow(clippy::expect_used)]
pub fn golden(hex: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).expect("hex digits are ASCII");
            u8::from_str_radix(pair, 16).expect("a pair of hex digits")
        })
        .collect()
}

/// The aggregate id and the event of a golden sample's envelope, decoded into the domain.
///
/// # Panics
/// If the sample is no envelope, or its event is not one of `E`.
#[allow(clippy::expect_used)]
pub fn golden_event<E: DomainEvent>(hex: &str) -> (String, E) {
    let envelope = EventEnvelope::decode(golden(hex).as_slice()).expect("an event envelope");
    let event = E::decode(&envelope.event_type, &envelope.payload).expect("an event of E");
    (envelope.aggregate_id, event)
}

/// Encode `event`, then decode it as the store and the consumers do: the ONE mapping between
/// a domain event and its contract message gives the same event back.
///
/// # Panics
/// If it does not: a broken mapping.
pub fn round_trip<E: DomainEvent + PartialEq + Debug>(event: E) {
    let encoded = event.encode();
    assert_eq!(
        E::decode(encoded.event_type, &encoded.payload),
        Ok(event),
        "{}",
        encoded.event_type
    );
}

/// Start a scenario from a history of events.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let events: Vec<_> = events.into_iter().collect();
    Given {
        state: A::from_events(&events),
    }
}

/// A scenario with its history folded into state.
pub struct Given<A: Aggregate> {
    state: A,
}

impl<A: Aggregate> Given<A> {
    /// Run a command against the state.
    pub fn when(self, command: A::Command) -> Then<A> {
        let outcome = self.state.decide(command);
        Then {
            state: self.state,
            outcome,
        }
    }
}

/// The outcome of a scenario, to be asserted on.
pub struct Then<A: Aggregate> {
    state: A,
    outcome: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> Then<A>
where
    A::Event: PartialEq + Debug,
    A::Error: Debug,
{
    /// The command produced exactly these events.
    #[track_caller]
    pub fn then_events(self, expected: impl IntoIterator<Item = A::Event>) {
        let expected: Vec<_> = expected.into_iter().collect();
        match self.outcome {
            Ok(events) => assert_eq!(events, expected),
            Err(e) => panic!("expected events {expected:?}, got error {e:?}"),
        }
    }

    /// The command was refused with this code; returns the error for finer checks.
    #[track_caller]
    pub fn then_error(self, code: ErrorCode) -> A::Error {
        match self.outcome {
            Ok(events) => panic!("expected {code} error, got events {events:?}"),
            Err(e) => {
                assert_eq!(e.code(), code, "unexpected error {e:?}");
                e
            }
        }
    }

    /// The command succeeded; returns the state after its events, for assertions on it.
    #[track_caller]
    pub fn then_state(self) -> A {
        match self.outcome {
            Ok(events) => events.iter().fold(self.state, A::evolve),
            Err(e) => panic!("expected success, got error {e:?}"),
        }
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::{DecodeError, DomainEvent, EncodedEvent, MunicipalityId};

    /// A lamp: the smallest aggregate with a rule to break.
    #[derive(Debug, Clone, Default)]
    struct Lamp {
        on: bool,
    }

    #[derive(Debug, Clone, Copy)]
    enum Switch {
        On,
        Off,
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Flipped {
        On,
        Off,
    }

    /// The lamp's events carry nothing but their type.
    impl DomainEvent for Flipped {
        fn encode(&self) -> EncodedEvent {
            let event_type = match self {
                Flipped::On => "SwitchedOn",
                Flipped::Off => "SwitchedOff",
            };
            EncodedEvent {
                event_type,
                payload: Vec::new(),
            }
        }

        fn decode(event_type: &str, _: &[u8]) -> Result<Self, DecodeError> {
            match event_type {
                "SwitchedOn" => Ok(Flipped::On),
                "SwitchedOff" => Ok(Flipped::Off),
                other => Err(DecodeError(format!("no lamp event {other}"))),
            }
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("the lamp is already in that state")]
    struct Unchanged;

    impl HasErrorCode for Unchanged {
        fn code(&self) -> ErrorCode {
            ErrorCode::BadUserInput
        }
    }

    impl Aggregate for Lamp {
        type Command = Switch;
        type Event = Flipped;
        type Error = Unchanged;
        const TYPE: &'static str = "lamp";

        fn decide(&self, command: Switch) -> Result<Vec<Flipped>, Unchanged> {
            match (self.on, command) {
                (false, Switch::On) => Ok(vec![Flipped::On]),
                (true, Switch::Off) => Ok(vec![Flipped::Off]),
                _ => Err(Unchanged),
            }
        }

        fn evolve(mut self, event: &Flipped) -> Self {
            self.on = *event == Flipped::On;
            self
        }

        fn municipality(&self) -> Option<&MunicipalityId> {
            None
        }
    }

    #[test]
    fn then_events_compares_the_decided_events() {
        given::<Lamp>([])
            .when(Switch::On)
            .then_events([Flipped::On]);
        given::<Lamp>([Flipped::On])
            .when(Switch::Off)
            .then_events([Flipped::Off]);
    }

    #[test]
    fn then_error_checks_the_code_and_returns_the_error() {
        let error = given::<Lamp>([Flipped::On, Flipped::Off, Flipped::On])
            .when(Switch::On)
            .then_error(ErrorCode::BadUserInput);
        assert_eq!(error.to_string(), "the lamp is already in that state");
    }

    #[test]
    fn then_state_folds_the_new_events() {
        assert!(given::<Lamp>([]).when(Switch::On).then_state().on);
        assert!(
            !given::<Lamp>([Flipped::On])
                .when(Switch::Off)
                .then_state()
                .on
        );
    }

    #[test]
    #[should_panic(expected = "assertion `left == right` failed")]
    fn then_events_fails_on_other_events() {
        given::<Lamp>([])
            .when(Switch::On)
            .then_events([Flipped::Off]);
    }

    #[test]
    #[should_panic(expected = "got error")]
    fn then_events_fails_on_an_error() {
        given::<Lamp>([Flipped::On])
            .when(Switch::On)
            .then_events([Flipped::Off]);
    }

    #[test]
    #[should_panic(expected = "unexpected error")]
    fn then_error_fails_on_another_code() {
        given::<Lamp>([Flipped::On])
            .when(Switch::On)
            .then_error(ErrorCode::Conflict);
    }

    #[test]
    #[should_panic(expected = "expected CONFLICT error, got events")]
    fn then_error_fails_on_success() {
        given::<Lamp>([])
            .when(Switch::On)
            .then_error(ErrorCode::Conflict);
    }
}
