//! Phases and statuses of an automation candidate: the contract's `Phase` and `Status`, and
//! the domain's rules for moving between them. The domain never holds their UNSPECIFIED:
//! [`phase`] and [`status`] refuse it, and unknown values, wherever a value comes in.

pub use innohub_proto::innohub::processes::v1::{Phase, Status};
use innohub_proto::short_name;

use crate::ProcessError;

/// The rules of the phases: forward is one step at a time, in the contract's order.
pub trait PhaseRules: Sized {
    /// The phase after this one.
    fn next(self) -> Option<Self>;
    /// The name users see, e.g. `PRE_ANALYSIS`.
    fn name(self) -> &'static str;
}

impl PhaseRules for Phase {
    fn next(self) -> Option<Phase> {
        Phase::try_from(self as i32 + 1).ok()
    }

    fn name(self) -> &'static str {
        short_name(self.as_str_name())
    }
}

/// The rules of the statuses.
pub trait StatusRules {
    /// Moving to this status must be explained.
    fn requires_reason(self) -> bool;
    /// Work is stopped or paused: the process does not move forward until reopened.
    fn halts_progress(self) -> bool;
    /// The name users see, e.g. `ON_HOLD`.
    fn name(self) -> &'static str;
}

impl StatusRules for Status {
    fn requires_reason(self) -> bool {
        matches!(
            self,
            Status::OnHold | Status::Rejected | Status::Failed | Status::NotRelevant
        )
    }

    fn halts_progress(self) -> bool {
        self.requires_reason()
    }

    fn name(self) -> &'static str {
        short_name(self.as_str_name())
    }
}

/// A phase from the contract's wire value: unspecified or unknown is refused.
pub fn phase(raw: i32) -> Result<Phase, ProcessError> {
    Phase::try_from(raw)
        .ok()
        .filter(|p| *p != Phase::Unspecified)
        .ok_or_else(|| ProcessError::invalid("phase", "must be a known phase"))
}

/// A status from the contract's wire value: unspecified or unknown is refused.
pub fn status(raw: i32) -> Result<Status, ProcessError> {
    Status::try_from(raw)
        .ok()
        .filter(|s| *s != Status::Unspecified)
        .ok_or_else(|| ProcessError::invalid("status", "must be a known status"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contracts_unspecified_phase_is_refused() {
        assert_eq!(phase(Phase::Operation as i32), Ok(Phase::Operation));
        let refused = Err(ProcessError::invalid("phase", "must be a known phase"));
        assert_eq!(phase(0), refused);
        assert_eq!(phase(99), refused);
        assert_eq!(
            status(Status::Unspecified as i32).unwrap_err().field(),
            Some("status")
        );
    }

    #[test]
    fn phases_step_forward_in_order() {
        assert_eq!(Phase::Idea.next(), Some(Phase::PreAnalysis));
        assert_eq!(Phase::Operation.next(), Some(Phase::Decommissioned));
        assert_eq!(Phase::Decommissioned.next(), None);
        assert_eq!(Phase::PreAnalysis.name(), "PRE_ANALYSIS");
    }
}
