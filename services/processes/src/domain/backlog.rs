//! The `Backlog` aggregate, one per municipality: IT's explicit ranking of processes.
//! Ranked items come first in this order; unranked ones follow by priority score.

use innohub_runtime::{Aggregate, DomainEvent, MunicipalityId, Principal, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ProcessError;

/// Where to put a process in the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Directly before this ranked process.
    Before(Uuid),
    /// Directly after this ranked process.
    After(Uuid),
    /// First.
    Top,
    /// Last among the ranked.
    Bottom,
}

/// What can be asked of a backlog.
#[derive(Debug, Clone)]
pub enum BacklogCommand {
    /// Rank a process of the caller's municipality (the caller checks it exists there).
    Rank {
        /// Caller.
        by: Principal,
        /// The process to move.
        process: Uuid,
        /// Where.
        placement: Placement,
    },
    /// Take a process out of the ranking.
    Unrank {
        /// Caller.
        by: Principal,
        /// The process.
        process: Uuid,
    },
}

/// What happened to a backlog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum BacklogEvent {
    /// A process was (re)placed in the ranking.
    ProcessRanked {
        /// Whose backlog.
        municipality: MunicipalityId,
        /// The process.
        process_id: Uuid,
        /// Placed right after this one; `None`: first.
        after: Option<Uuid>,
    },
    /// A process left the ranking.
    ProcessUnranked {
        /// Whose backlog.
        municipality: MunicipalityId,
        /// The process.
        process_id: Uuid,
    },
}

impl DomainEvent for BacklogEvent {
    fn event_type(&self) -> &'static str {
        match self {
            BacklogEvent::ProcessRanked { .. } => "ProcessRanked",
            BacklogEvent::ProcessUnranked { .. } => "ProcessUnranked",
        }
    }
}

/// The ranking of one municipality.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlog {
    /// Whose.
    pub municipality: Option<MunicipalityId>,
    /// Ranked processes, first first.
    pub order: Vec<Uuid>,
}

impl Backlog {
    /// The stream id of a municipality's backlog.
    pub fn stream_id(municipality: &MunicipalityId) -> String {
        format!("backlog:{municipality}")
    }

    /// Apply a move to an order: the one rule both `evolve` and the read model use.
    pub fn place(order: &mut Vec<Uuid>, process: Uuid, after: Option<Uuid>) {
        order.retain(|p| *p != process);
        let at = after
            .and_then(|a| order.iter().position(|p| *p == a).map(|i| i + 1))
            .unwrap_or(0);
        order.insert(at, process);
    }
}

impl Aggregate for Backlog {
    type Command = BacklogCommand;
    type Event = BacklogEvent;
    type Error = ProcessError;
    const TYPE: &'static str = "backlog";

    fn decide(&self, command: BacklogCommand) -> Result<Vec<BacklogEvent>, ProcessError> {
        match command {
            BacklogCommand::Rank {
                by,
                process,
                placement,
            } => {
                if !by.has(Role::ItPortfolio) {
                    return Err(ProcessError::Forbidden(
                        "ranking the backlog needs the it_portfolio role".into(),
                    ));
                }
                let mut order = self.order.clone();
                order.retain(|p| *p != process);
                let position_of = |target: Uuid| {
                    if target == process {
                        return Err(ProcessError::invalid(
                            "placement",
                            "a process cannot be placed relative to itself",
                        ));
                    }
                    order.iter().position(|p| *p == target).ok_or_else(|| {
                        ProcessError::invalid(
                            "placement",
                            format!("process {target} is not ranked; rank it first"),
                        )
                    })
                };
                let after = match placement {
                    Placement::Top => None,
                    Placement::Bottom => order.last().copied(),
                    Placement::After(target) => Some(order[position_of(target)?]),
                    Placement::Before(target) => {
                        let i = position_of(target)?;
                        i.checked_sub(1).map(|j| order[j])
                    }
                };
                let unchanged = self
                    .order
                    .iter()
                    .position(|p| *p == process)
                    .is_some_and(|i| {
                        (i == 0 && after.is_none()) || (i > 0 && after == Some(self.order[i - 1]))
                    });
                Ok(if unchanged {
                    vec![]
                } else {
                    vec![BacklogEvent::ProcessRanked {
                        municipality: by.municipality,
                        process_id: process,
                        after,
                    }]
                })
            }
            BacklogCommand::Unrank { by, process } => {
                if !by.has(Role::ItPortfolio) {
                    return Err(ProcessError::Forbidden(
                        "ranking the backlog needs the it_portfolio role".into(),
                    ));
                }
                Ok(if self.order.contains(&process) {
                    vec![BacklogEvent::ProcessUnranked {
                        municipality: by.municipality,
                        process_id: process,
                    }]
                } else {
                    vec![]
                })
            }
        }
    }

    fn evolve(mut self, event: &BacklogEvent) -> Self {
        match event {
            BacklogEvent::ProcessRanked {
                municipality,
                process_id,
                after,
            } => {
                self.municipality = Some(municipality.clone());
                Backlog::place(&mut self.order, *process_id, *after);
            }
            BacklogEvent::ProcessUnranked { process_id, .. } => {
                self.order.retain(|p| p != process_id)
            }
        }
        self
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.municipality.as_ref()
    }
}
