//! The `Backlog` aggregate, one per municipality: IT's explicit ranking of processes.
//! Ranked items come first in this order; unranked ones follow by priority score. Its events
//! map to the contract's `ProcessRanked` and `ProcessUnranked`, a placement comes from
//! `RankProcessRequest`'s.

use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::aggregate::message;
use innohub_runtime::{
    Aggregate, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal, Role,
};
use pb::rank_process_request::Placement as Requested;
use prost::Name as _;
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

impl TryFrom<Option<Requested>> for Placement {
    type Error = ProcessError;

    /// Exactly one placement; a neighbour that is not a UUID names no process.
    fn try_from(requested: Option<Requested>) -> Result<Self, ProcessError> {
        let id = |raw: &str| Uuid::parse_str(raw).map_err(|_| ProcessError::NotFound);
        match requested {
            Some(Requested::BeforeProcessId(raw)) => Ok(Placement::Before(id(&raw)?)),
            Some(Requested::AfterProcessId(raw)) => Ok(Placement::After(id(&raw)?)),
            Some(Requested::Top(true)) => Ok(Placement::Top),
            Some(Requested::Bottom(true)) => Ok(Placement::Bottom),
            _ => Err(ProcessError::invalid(
                "placement",
                "give exactly one of before, after, top or bottom",
            )),
        }
    }
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    fn encode(&self) -> EncodedEvent {
        match self {
            BacklogEvent::ProcessRanked {
                municipality,
                process_id,
                after,
            } => EncodedEvent::of(&pb::ProcessRanked {
                municipality: municipality.to_string(),
                process_id: process_id.to_string(),
                after_process_id: after.map(|a| a.to_string()).unwrap_or_default(),
            }),
            BacklogEvent::ProcessUnranked {
                municipality,
                process_id,
            } => EncodedEvent::of(&pb::ProcessUnranked {
                municipality: municipality.to_string(),
                process_id: process_id.to_string(),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        let municipality = |raw: &str| MunicipalityId::parse(raw).map_err(DecodeError);
        let id = |raw: &str| Uuid::parse_str(raw).map_err(DecodeError::new);
        match event_type {
            pb::ProcessRanked::NAME => {
                let m: pb::ProcessRanked = message(payload)?;
                Ok(BacklogEvent::ProcessRanked {
                    municipality: municipality(&m.municipality)?,
                    process_id: id(&m.process_id)?,
                    after: match m.after_process_id.as_str() {
                        "" => None,
                        after => Some(id(after)?),
                    },
                })
            }
            pb::ProcessUnranked::NAME => {
                let m: pb::ProcessUnranked = message(payload)?;
                Ok(BacklogEvent::ProcessUnranked {
                    municipality: municipality(&m.municipality)?,
                    process_id: id(&m.process_id)?,
                })
            }
            other => Err(DecodeError(format!("no backlog event {other}"))),
        }
    }
}

/// The ranking of one municipality.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
                innohub_priority::place(&mut self.order, *process_id, after.as_ref());
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
