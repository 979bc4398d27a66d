//! Phases and statuses of an automation candidate and the rules for moving between them.

use serde::{Deserialize, Serialize};

/// Where the process is on its way to automation. Ordered: forward is one step at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

/// How the work on the process stands, orthogonal to its phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_step_forward_in_order() {
        assert_eq!(Phase::Idea.next(), Some(Phase::PreAnalysis));
        assert_eq!(Phase::Operation.next(), Some(Phase::Decommissioned));
        assert_eq!(Phase::Decommissioned.next(), None);
    }
}
