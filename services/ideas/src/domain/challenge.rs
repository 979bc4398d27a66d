//! The `Challenge` aggregate: a question the municipality poses, created as a draft or open
//! for ideas, opened, and closed; ideas answer it while it is OPEN and within its open dates
//! ([`ChallengeRecord::takes_ideas`]). Its details are the contract's `ChallengeDetails`
//! once checked, and its events map to and from the contract's messages in
//! [`ChallengeEvent`]'s `DomainEvent`.

use chrono::NaiveDate;
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_runtime::aggregate::{message, required};
use innohub_runtime::{
    Aggregate, DecodeError, DepartmentId, DomainEvent, EncodedEvent, MunicipalityId, Principal,
    Role, UserId,
};
use prost::Name as _;
use uuid::Uuid;

use super::values::{
    self, ChallengeStatus, LINE, TEXT, TITLE, challenge_status, date, list, optional, require_role,
    status_name,
};
use crate::IdeasError;

/// What a challenge asks: the contract's message, checked and trimmed, with its open dates.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeDetails {
    details: pb::ChallengeDetails,
    open_from: NaiveDate,
    open_to: NaiveDate,
}

impl ChallengeDetails {
    /// The first day ideas may answer it.
    pub fn open_from(&self) -> NaiveDate {
        self.open_from
    }

    /// The last day ideas may answer it.
    pub fn open_to(&self) -> NaiveDate {
        self.open_to
    }
}

impl TryFrom<pb::ChallengeDetails> for ChallengeDetails {
    type Error = IdeasError;

    fn try_from(d: pb::ChallengeDetails) -> Result<Self, IdeasError> {
        let open_from = date("openFrom", &d.open_from)?;
        let open_to = date("openTo", &d.open_to)?;
        if open_to < open_from {
            return Err(IdeasError::invalid(
                "openTo",
                format!("must not be before openFrom ({open_from}), got {open_to}"),
            ));
        }
        let departments = list("departments", &d.departments, 30, DepartmentId::parse)?;
        Ok(Self {
            details: pb::ChallengeDetails {
                title: values::required(TITLE, "title", &d.title)?,
                description: values::required(TEXT, "description", &d.description)?,
                owner: optional(LINE, "owner", &d.owner)?,
                departments: departments.iter().map(ToString::to_string).collect(),
                open_from: open_from.to_string(),
                open_to: open_to.to_string(),
            },
            open_from,
            open_to,
        })
    }
}

impl From<&ChallengeDetails> for pb::ChallengeDetails {
    fn from(d: &ChallengeDetails) -> Self {
        d.details.clone()
    }
}

/// What can be asked of a challenge.
#[derive(Debug, Clone)]
pub enum ChallengeCommand {
    /// Create it, open now or as a draft. `id` is chosen by the caller (UUIDv7).
    Create {
        /// New id.
        id: Uuid,
        /// An innovation lead.
        by: Principal,
        /// What it asks, as requested.
        details: pb::ChallengeDetails,
        /// Create it as a DRAFT.
        draft: bool,
    },
    /// Open a draft.
    Open {
        /// An innovation lead.
        by: Principal,
    },
    /// Close a draft or an open challenge.
    Close {
        /// An innovation lead.
        by: Principal,
        /// Why; `""` if not said.
        reason: String,
    },
}

/// What happened to a challenge.
#[derive(Debug, Clone, PartialEq)]
pub enum ChallengeEvent {
    /// It was created.
    ChallengeCreated {
        /// Its id.
        id: Uuid,
        /// The municipality that owns it.
        municipality: MunicipalityId,
        /// What it asks.
        details: ChallengeDetails,
        /// DRAFT or OPEN.
        status: ChallengeStatus,
        /// The innovation lead who created it.
        created_by: UserId,
    },
    /// A draft was opened.
    ChallengeOpened,
    /// It was closed.
    ChallengeClosed {
        /// Why; `""` if not said.
        reason: String,
    },
}

impl DomainEvent for ChallengeEvent {
    fn encode(&self) -> EncodedEvent {
        match self {
            ChallengeEvent::ChallengeCreated {
                id,
                municipality,
                details,
                status,
                created_by,
            } => EncodedEvent::of(&pb::ChallengeCreated {
                challenge_id: id.to_string(),
                municipality: municipality.to_string(),
                details: Some(details.into()),
                status: *status as i32,
                created_by: created_by.to_string(),
            }),
            ChallengeEvent::ChallengeOpened => EncodedEvent::of(&pb::ChallengeOpened {}),
            ChallengeEvent::ChallengeClosed { reason } => EncodedEvent::of(&pb::ChallengeClosed {
                reason: reason.clone(),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(match event_type {
            pb::ChallengeCreated::NAME => {
                let m: pb::ChallengeCreated = message(payload)?;
                let status = challenge_status(m.status)?;
                if status == ChallengeStatus::Closed {
                    return Err(DecodeError::new("a challenge is created DRAFT or OPEN"));
                }
                ChallengeEvent::ChallengeCreated {
                    id: Uuid::parse_str(&m.challenge_id).map_err(DecodeError::new)?,
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    details: required(m.details, "details")?.try_into()?,
                    status,
                    created_by: values::user("createdBy", &m.created_by)?,
                }
            }
            pb::ChallengeOpened::NAME => {
                message::<pb::ChallengeOpened>(payload)?;
                ChallengeEvent::ChallengeOpened
            }
            pb::ChallengeClosed::NAME => {
                let m: pb::ChallengeClosed = message(payload)?;
                ChallengeEvent::ChallengeClosed {
                    reason: optional(TEXT, "reason", &m.reason)?,
                }
            }
            other => return Err(DecodeError(format!("no challenge event {other}"))),
        })
    }
}

/// A challenge as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeRecord {
    /// Its id.
    pub id: Uuid,
    /// The municipality that owns it.
    pub municipality: MunicipalityId,
    /// What it asks.
    pub details: ChallengeDetails,
    /// DRAFT, OPEN or CLOSED.
    pub status: ChallengeStatus,
}

impl ChallengeRecord {
    /// Whether an idea may answer it on `today`: it is OPEN and `today` is within its open
    /// dates; if not, why.
    pub fn takes_ideas(&self, today: NaiveDate) -> Result<(), String> {
        let (from, to) = (self.details.open_from, self.details.open_to);
        if self.status != ChallengeStatus::Open {
            Err(format!(
                "the challenge is {}: it takes no ideas",
                status_name(self.status)
            ))
        } else if !(from..=to).contains(&today) {
            Err(format!(
                "the challenge takes ideas from {from} to {to}; today is {today}"
            ))
        } else {
            Ok(())
        }
    }
}

/// The aggregate: `None` until created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Challenge(pub Option<ChallengeRecord>);

impl Aggregate for Challenge {
    type Command = ChallengeCommand;
    type Event = ChallengeEvent;
    type Error = IdeasError;
    const TYPE: &'static str = "challenge";

    fn decide(&self, command: ChallengeCommand) -> Result<Vec<ChallengeEvent>, IdeasError> {
        use ChallengeCommand as C;
        use ChallengeEvent as E;
        let lead = |by: &Principal, what| require_role(by, &[Role::InnovationLead], what);
        match command {
            C::Create {
                id,
                by,
                details,
                draft,
            } => {
                if self.0.is_some() {
                    return Err(IdeasError::Rule(format!("challenge {id} already exists")));
                }
                lead(&by, "creating a challenge")?;
                Ok(vec![E::ChallengeCreated {
                    id,
                    municipality: by.municipality,
                    details: details.try_into()?,
                    status: if draft {
                        ChallengeStatus::Draft
                    } else {
                        ChallengeStatus::Open
                    },
                    created_by: by.user,
                }])
            }
            C::Open { by } => {
                let record = self.0.as_ref().ok_or(IdeasError::NotFound)?;
                lead(&by, "opening a challenge")?;
                if record.status != ChallengeStatus::Draft {
                    return Err(IdeasError::Rule(format!(
                        "only a draft is opened; the challenge is {}",
                        status_name(record.status)
                    )));
                }
                Ok(vec![E::ChallengeOpened])
            }
            C::Close { by, reason } => {
                let record = self.0.as_ref().ok_or(IdeasError::NotFound)?;
                lead(&by, "closing a challenge")?;
                if record.status == ChallengeStatus::Closed {
                    return Err(IdeasError::Rule("the challenge is already CLOSED".into()));
                }
                Ok(vec![E::ChallengeClosed {
                    reason: optional(TEXT, "reason", &reason)?,
                }])
            }
        }
    }

    fn evolve(self, event: &ChallengeEvent) -> Self {
        use ChallengeEvent as E;
        match (self.0, event) {
            (
                _,
                E::ChallengeCreated {
                    id,
                    municipality,
                    details,
                    status,
                    ..
                },
            ) => Challenge(Some(ChallengeRecord {
                id: *id,
                municipality: municipality.clone(),
                details: details.clone(),
                status: *status,
            })),
            (Some(mut r), E::ChallengeOpened) => {
                r.status = ChallengeStatus::Open;
                Challenge(Some(r))
            }
            (Some(mut r), E::ChallengeClosed { .. }) => {
                r.status = ChallengeStatus::Closed;
                Challenge(Some(r))
            }
            (None, _) => Challenge(None),
        }
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}
