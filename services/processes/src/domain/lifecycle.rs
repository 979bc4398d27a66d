//! Phases and statuses of an automation candidate, the rules for moving between them, and
//! their mapping to the contract's `Phase` and `Status` (whose UNSPECIFIED the domain never
//! holds).

use innohub_proto::innohub::processes::v1 as pb;

use crate::ProcessError;

/// Maps a domain enum to the contract's enum of the same variants: `From` towards the
/// contract, `TryFrom<i32>` from it (unspecified and unknown values are refused, naming
/// `$field`).
macro_rules! contract_enum {
    ($domain:ident => $contract:ident, $field:literal, $message:literal { $($variant:ident),* $(,)? }) => {
        impl From<$domain> for pb::$contract {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$variant => pb::$contract::$variant,)*
                }
            }
        }

        impl TryFrom<i32> for $domain {
            type Error = ProcessError;

            fn try_from(raw: i32) -> Result<Self, ProcessError> {
                match pb::$contract::try_from(raw) {
                    $(Ok(pb::$contract::$variant) => Ok($domain::$variant),)*
                    _ => Err(ProcessError::invalid($field, $message)),
                }
            }
        }
    };
}

/// Where the process is on its way to automation. Ordered: forward is one step at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)] // the names are the domain's
pub enum Phase {
    Idea,
    PreAnalysis,
    Specification,
    Development,
    Implementation,
    Operation,
    Decommissioned,
}

impl Phase {
    /// Every phase in order.
    pub const ALL: [Phase; 7] = [
        Phase::Idea,
        Phase::PreAnalysis,
        Phase::Specification,
        Phase::Development,
        Phase::Implementation,
        Phase::Operation,
        Phase::Decommissioned,
    ];

    /// The phase after this one.
    pub fn next(self) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| *p > self)
    }

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Idea => "IDEA",
            Phase::PreAnalysis => "PRE_ANALYSIS",
            Phase::Specification => "SPECIFICATION",
            Phase::Development => "DEVELOPMENT",
            Phase::Implementation => "IMPLEMENTATION",
            Phase::Operation => "OPERATION",
            Phase::Decommissioned => "DECOMMISSIONED",
        }
    }
}

contract_enum!(Phase => Phase, "phase", "must be a known phase" {
    Idea, PreAnalysis, Specification, Development, Implementation, Operation, Decommissioned,
});

/// How the work on the process stands, orthogonal to its phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the names are the domain's
pub enum Status {
    NotAssessed,
    InProgress,
    OnHold,
    Rejected,
    Failed,
    NotRelevant,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 6] = [
        Status::NotAssessed,
        Status::InProgress,
        Status::OnHold,
        Status::Rejected,
        Status::Failed,
        Status::NotRelevant,
    ];

    /// Moving to this status must be explained.
    pub fn requires_reason(self) -> bool {
        matches!(
            self,
            Status::OnHold | Status::Rejected | Status::Failed | Status::NotRelevant
        )
    }

    /// Work is stopped or paused: the process does not move forward until reopened.
    pub fn halts_progress(self) -> bool {
        self.requires_reason()
    }

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAssessed => "NOT_ASSESSED",
            Status::InProgress => "IN_PROGRESS",
            Status::OnHold => "ON_HOLD",
            Status::Rejected => "REJECTED",
            Status::Failed => "FAILED",
            Status::NotRelevant => "NOT_RELEVANT",
        }
    }
}

contract_enum!(Status => Status, "status", "must be a known status" {
    NotAssessed, InProgress, OnHold, Rejected, Failed, NotRelevant,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contracts_unspecified_phase_is_refused() {
        for phase in Phase::ALL {
            assert_eq!(Phase::try_from(pb::Phase::from(phase) as i32), Ok(phase));
        }
        let refused = Err(ProcessError::invalid("phase", "must be a known phase"));
        assert_eq!(Phase::try_from(0), refused);
        assert_eq!(Phase::try_from(99), refused);
    }

    #[test]
    fn phases_step_forward_in_order() {
        assert_eq!(Phase::Idea.next(), Some(Phase::PreAnalysis));
        assert_eq!(Phase::Operation.next(), Some(Phase::Decommissioned));
        assert_eq!(Phase::Decommissioned.next(), None);
    }
}
