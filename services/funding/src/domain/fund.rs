//! The `Fund` aggregate: a fund of a municipality with its terms (currency, min/max grant,
//! minimum departments, criteria with weights, visibility), created by a fund manager, and
//! the decision rounds scheduled on it. Its budgets and money are its periods'
//! ([`super::period`]). Its commands carry the contract's messages as they came in;
//! `decide` validates them with the domain's values ([`super::values`]). Its events map to
//! and from the contract's messages in [`FundEvent`]'s `DomainEvent`.

use innohub_proto::innohub::funding::v1 as pb;
use innohub_runtime::aggregate::{message, required as present};
use innohub_runtime::readable::Readable;
use innohub_runtime::{
    Access, Aggregate, Audience, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal,
    Role, UserId, Viewer, Visibility,
};
use prost::Name as _;
use uuid::Uuid;

use super::values::{self, DecisionRound, FundTerms, require_member, require_role};
use crate::FundingError;

/// What can be asked of a fund.
#[derive(Debug, Clone)]
pub enum FundCommand {
    /// Create a fund. `id` is chosen by the caller (UUIDv7).
    Create {
        /// New id.
        id: Uuid,
        /// A fund manager.
        by: Principal,
        /// The terms, as requested.
        terms: pb::FundTerms,
    },
    /// Schedule a decision round.
    ScheduleRound {
        /// A fund manager.
        by: Principal,
        /// The new round's id (UUIDv7).
        round_id: Uuid,
        /// The round, as requested.
        round: pb::DecisionRound,
    },
}

/// What happened to a fund.
#[derive(Debug, Clone, PartialEq)]
pub enum FundEvent {
    /// It was created.
    FundCreated {
        /// Its id.
        id: Uuid,
        /// The municipality that owns it.
        municipality: MunicipalityId,
        /// Its terms.
        terms: FundTerms,
        /// The fund manager who created it.
        created_by: UserId,
    },
    /// A decision round was scheduled.
    DecisionRoundScheduled {
        /// The round's id.
        round_id: Uuid,
        /// The round.
        round: DecisionRound,
    },
}

impl DomainEvent for FundEvent {
    fn encode(&self) -> EncodedEvent {
        match self {
            FundEvent::FundCreated {
                id,
                municipality,
                terms,
                created_by,
            } => EncodedEvent::of(&pb::FundCreated {
                fund_id: id.to_string(),
                municipality: municipality.to_string(),
                terms: Some(terms.into()),
                created_by: created_by.to_string(),
            }),
            FundEvent::DecisionRoundScheduled { round_id, round } => {
                EncodedEvent::of(&pb::DecisionRoundScheduled {
                    round_id: round_id.to_string(),
                    round: Some(round.into()),
                })
            }
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(match event_type {
            pb::FundCreated::NAME => {
                let m: pb::FundCreated = message(payload)?;
                FundEvent::FundCreated {
                    id: values::id("fundId", &m.fund_id)?,
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    terms: present(m.terms, "terms")?.try_into()?,
                    created_by: values::user("createdBy", &m.created_by)?,
                }
            }
            pb::DecisionRoundScheduled::NAME => {
                let m: pb::DecisionRoundScheduled = message(payload)?;
                FundEvent::DecisionRoundScheduled {
                    round_id: values::id("roundId", &m.round_id)?,
                    round: present(m.round, "round")?.try_into()?,
                }
            }
            other => return Err(DecodeError(format!("no fund event {other}"))),
        })
    }
}

/// A decision round of a fund with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledRound {
    /// Its id within the fund.
    pub id: Uuid,
    /// The round.
    pub round: DecisionRound,
}

/// A fund as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct FundRecord {
    id: Uuid,
    municipality: MunicipalityId,
    terms: FundTerms,
    created_by: UserId,
    rounds: Vec<ScheduledRound>,
}

impl FundRecord {
    /// Its id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The municipality that owns it.
    pub fn municipality(&self) -> &MunicipalityId {
        &self.municipality
    }

    /// Its terms.
    pub fn terms(&self) -> &FundTerms {
        &self.terms
    }

    /// The fund manager who created it.
    pub fn created_by(&self) -> &UserId {
        &self.created_by
    }

    /// Its decision rounds, in the order scheduled.
    pub fn rounds(&self) -> &[ScheduledRound] {
        &self.rounds
    }

    /// Round `id` of the fund, if it has one.
    pub fn round(&self, id: Uuid) -> Option<&DecisionRound> {
        self.rounds.iter().find(|r| r.id == id).map(|r| &r.round)
    }

    /// The round the input field `field` names as `raw`, or why none.
    pub fn named_round(
        &self,
        field: &'static str,
        raw: &str,
    ) -> Result<(Uuid, &DecisionRound), FundingError> {
        let no_such = || FundingError::invalid(field, "no such round of the fund");
        let id = Uuid::parse_str(raw.trim()).map_err(|_| no_such())?;
        self.round(id).map(|r| (id, r)).ok_or_else(no_such)
    }

    /// What `viewer` may see of it: its fund managers and reviewers always (a PRIVATE fund
    /// is theirs only); else by its visibility, partners (redacted) when it is shared with
    /// their network. Its periods and their ledgers follow the same rule.
    pub fn access(&self, viewer: &Viewer) -> Access {
        let me = &viewer.principal;
        if me.is_member_of(&self.municipality)
            && (me.has(Role::FundManager) || me.has(Role::FundReviewer))
        {
            return Access::Full;
        }
        innohub_runtime::access::access(
            viewer,
            Audience {
                municipality: &self.municipality,
                visibility: self.terms.visibility(),
                departments: &[],
                people: &[],
            },
        )
    }

    /// The record, if `by` is a fund manager of its municipality who may do `what`.
    pub fn managed_by(&self, by: &Principal, what: &str) -> Result<&Self, FundingError> {
        require_member(by, &self.municipality, "funds")?;
        require_role(by, &[Role::FundManager], what)?;
        Ok(self)
    }
}

/// The aggregate: `None` until created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fund(pub Option<FundRecord>);

impl Aggregate for Fund {
    type Command = FundCommand;
    type Event = FundEvent;
    type Error = FundingError;
    const TYPE: &'static str = "fund";

    fn decide(&self, command: FundCommand) -> Result<Vec<FundEvent>, FundingError> {
        match command {
            FundCommand::Create { id, by, terms } => {
                if self.0.is_some() {
                    return Err(FundingError::Rule(format!("fund {id} already exists")));
                }
                require_role(&by, &[Role::FundManager], "creating a fund")?;
                Ok(vec![FundEvent::FundCreated {
                    id,
                    municipality: by.municipality,
                    terms: FundTerms::requested(terms)?,
                    created_by: by.user,
                }])
            }
            FundCommand::ScheduleRound {
                by,
                round_id,
                round,
            } => {
                let record = self.0.as_ref().ok_or(FundingError::NotFound)?;
                record.managed_by(&by, "scheduling a decision round")?;
                Ok(vec![FundEvent::DecisionRoundScheduled {
                    round_id,
                    round: round.try_into()?,
                }])
            }
        }
    }

    fn evolve(self, event: &FundEvent) -> Self {
        match event {
            FundEvent::FundCreated {
                id,
                municipality,
                terms,
                created_by,
            } => Fund(Some(FundRecord {
                id: *id,
                municipality: municipality.clone(),
                terms: terms.clone(),
                created_by: created_by.clone(),
                rounds: Vec::new(),
            })),
            FundEvent::DecisionRoundScheduled { round_id, round } => Fund(self.0.map(|mut r| {
                r.rounds.push(ScheduledRound {
                    id: *round_id,
                    round: round.clone(),
                });
                r
            })),
        }
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}

/// A fund is read by the read rule of its terms ([`FundRecord::access`]).
impl Readable for Fund {
    fn visibility(&self) -> Option<Visibility> {
        self.0.as_ref().map(|r| r.terms.visibility())
    }

    fn access(&self, viewer: &Viewer) -> Access {
        self.0.as_ref().map_or(Access::None, |r| r.access(viewer))
    }
}
