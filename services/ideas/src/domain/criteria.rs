//! The `IdeaCriteria` aggregate, one per municipality (stream
//! `idea-criteria:<municipality>`): the criteria ideas are scored against, set as a whole
//! by a municipality administrator. [`Criteria`] is the contract's list once checked, and
//! checks a reviewer's [`Scores`] against itself; the scores' 0–100 mean is computed in the
//! read model from the raw values and the criteria in force.

use innohub_proto::innohub::ideas::v1 as pb;
use innohub_runtime::aggregate::message;
use innohub_runtime::field::criteria;
use innohub_runtime::{
    Aggregate, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal, Role,
};
use prost::Name as _;

use super::values::{TITLE, require_role, required};
use crate::IdeasError;

/// The most criteria a municipality sets.
pub const MAX_CRITERIA: usize = 20;

/// A municipality's criteria, the contract's list once checked as every list of weighted
/// criteria is ([`innohub_runtime::field::criteria`]: 1 to [`MAX_CRITERIA`], names unique
/// ignoring case and at most 80 characters, weights 1–100), each scale's minimum below its
/// maximum.
#[derive(Debug, Clone, PartialEq)]
pub struct Criteria(Vec<pb::Criterion>);

impl TryFrom<Vec<pb::Criterion>> for Criteria {
    type Error = IdeasError;

    fn try_from(raw: Vec<pb::Criterion>) -> Result<Self, IdeasError> {
        let checked = criteria(
            raw,
            MAX_CRITERIA,
            TITLE,
            |c| (c.name.as_str(), c.weight),
            |name, c| {
                if c.scale_min >= c.scale_max {
                    return Err(IdeasError::invalid(
                        "criteria.scaleMax",
                        format!(
                            "{name:?} needs a scale whose maximum is above its minimum, got {} \
                             to {}",
                            c.scale_min, c.scale_max
                        ),
                    ));
                }
                Ok(pb::Criterion { name, ..c })
            },
        )?;
        Ok(Self(checked))
    }
}

impl From<&Criteria> for Vec<pb::Criterion> {
    fn from(c: &Criteria) -> Self {
        c.0.clone()
    }
}

impl Criteria {
    /// Check `scores` against these criteria: a value for every criterion, each within its
    /// scale, and none for a criterion there is not.
    pub fn check(&self, scores: &Scores) -> Result<(), IdeasError> {
        for s in &scores.0 {
            let Some(c) = self.0.iter().find(|c| c.name == s.criterion) else {
                return Err(IdeasError::invalid(
                    "scores",
                    format!("there is no criterion {:?}", s.criterion),
                ));
            };
            if !(c.scale_min..=c.scale_max).contains(&s.value) {
                return Err(IdeasError::invalid(
                    "scores",
                    format!(
                        "{:?} is scored {} to {}, got {}",
                        c.name, c.scale_min, c.scale_max, s.value
                    ),
                ));
            }
        }
        match self
            .0
            .iter()
            .find(|c| !scores.0.iter().any(|s| s.criterion == c.name))
        {
            Some(c) => Err(IdeasError::invalid(
                "scores",
                format!("{:?} has no value", c.name),
            )),
            None => Ok(()),
        }
    }
}

/// A reviewer's values, the contract's list once checked on its own: criteria named, each
/// once. Whether they fit the criteria in force is [`Criteria::check`]'s.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores(Vec<pb::CriterionScore>);

impl TryFrom<Vec<pb::CriterionScore>> for Scores {
    type Error = IdeasError;

    fn try_from(raw: Vec<pb::CriterionScore>) -> Result<Self, IdeasError> {
        let mut out: Vec<pb::CriterionScore> = Vec::with_capacity(raw.len());
        for s in raw {
            let criterion = required(TITLE, "scores", &s.criterion)?;
            if out.iter().any(|o| o.criterion == criterion) {
                return Err(IdeasError::invalid(
                    "scores",
                    format!("{criterion:?} is scored twice"),
                ));
            }
            out.push(pb::CriterionScore { criterion, ..s });
        }
        Ok(Self(out))
    }
}

impl From<&Scores> for Vec<pb::CriterionScore> {
    fn from(s: &Scores) -> Self {
        s.0.clone()
    }
}

/// What can be asked of a municipality's criteria.
#[derive(Debug, Clone)]
pub enum CriteriaCommand {
    /// Replace them as a whole; every idea is scored again with them.
    Set {
        /// A municipality admin of their own municipality.
        by: Principal,
        /// The criteria, complete, as requested.
        criteria: Vec<pb::Criterion>,
    },
}

/// What happened to a municipality's criteria.
#[derive(Debug, Clone, PartialEq)]
pub enum CriteriaEvent {
    /// They were set.
    IdeaCriteriaSet {
        /// Whose.
        municipality: MunicipalityId,
        /// The criteria.
        criteria: Criteria,
    },
}

impl DomainEvent for CriteriaEvent {
    fn encode(&self) -> EncodedEvent {
        let CriteriaEvent::IdeaCriteriaSet {
            municipality,
            criteria,
        } = self;
        EncodedEvent::of(&pb::IdeaCriteriaSet {
            municipality: municipality.to_string(),
            criteria: criteria.into(),
        })
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        match event_type {
            pb::IdeaCriteriaSet::NAME => {
                let m: pb::IdeaCriteriaSet = message(payload)?;
                Ok(CriteriaEvent::IdeaCriteriaSet {
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    criteria: m.criteria.try_into()?,
                })
            }
            other => Err(DecodeError(format!("no idea criteria event {other}"))),
        }
    }
}

/// A municipality's criteria: none until set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdeaCriteria {
    /// Whose, once set.
    pub municipality: Option<MunicipalityId>,
    /// The criteria in force, once set.
    pub criteria: Option<Criteria>,
}

impl IdeaCriteria {
    /// The stream id of a municipality's criteria.
    pub fn stream_id(municipality: &MunicipalityId) -> String {
        format!("idea-criteria:{municipality}")
    }
}

impl Aggregate for IdeaCriteria {
    type Command = CriteriaCommand;
    type Event = CriteriaEvent;
    type Error = IdeasError;
    const TYPE: &'static str = "idea_criteria";

    fn decide(&self, command: CriteriaCommand) -> Result<Vec<CriteriaEvent>, IdeasError> {
        let CriteriaCommand::Set { by, criteria } = command;
        require_role(&by, &[Role::MunicipalityAdmin], "setting idea criteria")?;
        let criteria = Criteria::try_from(criteria)?;
        Ok(if self.criteria.as_ref() == Some(&criteria) {
            vec![]
        } else {
            vec![CriteriaEvent::IdeaCriteriaSet {
                municipality: by.municipality,
                criteria,
            }]
        })
    }

    fn evolve(self, event: &CriteriaEvent) -> Self {
        let CriteriaEvent::IdeaCriteriaSet {
            municipality,
            criteria,
        } = event;
        Self {
            municipality: Some(municipality.clone()),
            criteria: Some(criteria.clone()),
        }
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.municipality.as_ref()
    }
}
