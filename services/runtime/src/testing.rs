//! given/when/then for aggregates: `given(events).when(command).then_events(expected)`.
//! Every domain rule is tested as such a sentence, without I/O.

use std::fmt::Debug;

use crate::{Aggregate, ErrorCode, HasErrorCode};

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
