//! The `Idea` aggregate: an idea from its submission through the gates of its stages
//! (`SUBMITTED → EXPLORING → DESIGNING → PILOTING → SCALING → IMPLEMENTED`, or `PARKED` /
//! `STOPPED`), its support, comments and reviewers' scores, and what it became in another
//! context ([`RecordLink`]). Its commands carry the contract's messages as they came in;
//! `decide` validates them with the domain's rules ([`IdeaDetails`]). Its events map to and
//! from the contract's messages in [`IdeaEvent`]'s `DomainEvent`.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility as ContractVisibility;
use innohub_runtime::aggregate::{message, required};
use innohub_runtime::field::require_member;
use innohub_runtime::readable::Readable;
use innohub_runtime::{
    Access, Aggregate, Audience, DecodeError, DepartmentId, DomainEvent, EncodedEvent,
    MunicipalityId, Principal, RecordLink, Role, UserId, Viewer, Visibility, reflect,
};
use prost::Name as _;
use prost_types::FieldMask;
use uuid::Uuid;

use super::challenge::Challenge;
use super::criteria::{IdeaCriteria, Scores};
use super::values::{
    self, Outcome, Stage, TAG, TEXT, TITLE, driver, list, no_such, optional, outcome, reference,
    require_role, stage, stage_name, texts, visibility, visibility_of,
};
use crate::IdeasError;

/// The most departments, tags or reviewers an idea names.
const MAX_LIST: usize = 20;

/// Everything the submitter tells about an idea: the contract's message, checked and
/// trimmed, with what the rules read from it parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct IdeaDetails {
    details: pb::IdeaDetails,
    departments: Vec<DepartmentId>,
    reviewers: Vec<UserId>,
    challenge: Option<Uuid>,
    visibility: Visibility,
}

impl IdeaDetails {
    /// Details as a request gives them: an unspecified visibility is MUNICIPALITY.
    pub fn requested(mut details: pb::IdeaDetails) -> Result<Self, IdeasError> {
        if details.visibility == ContractVisibility::Unspecified as i32 {
            details.visibility = visibility_of(Visibility::default()) as i32;
        }
        details.try_into()
    }

    /// These details with the fields `mask` names taken from `patch`.
    pub fn updated(&self, patch: &pb::IdeaDetails, mask: &FieldMask) -> Result<Self, IdeasError> {
        let merged = reflect::apply_mask(&self.details, patch, mask)
            .map_err(|e| IdeasError::invalid("updateMask", e))?;
        Self::requested(merged)
    }

    /// Who may read it.
    pub fn visibility(&self) -> Visibility {
        self.visibility
    }

    /// The departments it concerns.
    pub fn departments(&self) -> &[DepartmentId] {
        &self.departments
    }

    /// The users named to score it besides the innovation leads.
    pub fn reviewers(&self) -> &[UserId] {
        &self.reviewers
    }

    /// The challenge it answers, if any.
    pub fn challenge(&self) -> Option<Uuid> {
        self.challenge
    }
}

impl TryFrom<pb::IdeaDetails> for IdeaDetails {
    type Error = IdeasError;

    fn try_from(d: pb::IdeaDetails) -> Result<Self, IdeasError> {
        let departments = list("departments", &d.departments, MAX_LIST, DepartmentId::parse)?;
        if departments.is_empty() {
            return Err(IdeasError::invalid(
                "departments",
                "name at least one department",
            ));
        }
        let reviewers = list("reviewers", &d.reviewers, MAX_LIST, UserId::parse)?;
        let challenge = reference("challengeId", "challenge", &d.challenge_id)?;
        let visibility = visibility(d.visibility)?;
        Ok(Self {
            details: pb::IdeaDetails {
                title: values::required(TITLE, "title", &d.title)?,
                need: values::required(TEXT, "need", &d.need)?,
                proposed_solution: optional(TEXT, "proposedSolution", &d.proposed_solution)?,
                expected_value: optional(TEXT, "expectedValue", &d.expected_value)?,
                departments: departments.iter().map(ToString::to_string).collect(),
                tags: texts(TAG, "tags", &d.tags, MAX_LIST)?,
                challenge_id: challenge.map(|c| c.to_string()).unwrap_or_default(),
                driver: driver(d.driver)? as i32,
                visibility: visibility_of(visibility) as i32,
                reviewers: reviewers.iter().map(ToString::to_string).collect(),
            },
            departments,
            reviewers,
            challenge,
            visibility,
        })
    }
}

impl From<&IdeaDetails> for pb::IdeaDetails {
    fn from(d: &IdeaDetails) -> Self {
        d.details.clone()
    }
}

/// Someone who supports or comments, possibly from a partner municipality.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Person {
    /// Their municipality.
    pub municipality: MunicipalityId,
    /// Who.
    pub user: UserId,
}

impl Person {
    fn of(p: &Principal) -> Self {
        Self {
            municipality: p.municipality.clone(),
            user: p.user.clone(),
        }
    }

    fn parse(user: &str, municipality: &str) -> Result<Self, DecodeError> {
        Ok(Self {
            municipality: MunicipalityId::parse(municipality).map_err(DecodeError)?,
            user: UserId::parse(user).map_err(DecodeError)?,
        })
    }
}

/// What can be asked of an idea.
#[derive(Debug, Clone)]
pub enum IdeaCommand {
    /// Submit a new idea. `id` is chosen by the caller (UUIDv7).
    Submit {
        /// New id.
        id: Uuid,
        /// An employee.
        by: Principal,
        /// The idea, as requested.
        details: pb::IdeaDetails,
        /// The challenge `details` names as the app found it (none: the default).
        challenge: Challenge,
        /// The day it is submitted on, for the challenge's open dates.
        today: NaiveDate,
    },
    /// Change the details that `mask` names.
    Update {
        /// The submitter or an innovation lead.
        by: Principal,
        /// The new values of the named fields.
        details: pb::IdeaDetails,
        /// The fields to change.
        mask: FieldMask,
        /// The challenge the changed details name, as the app found it.
        challenge: Challenge,
        /// Today, for the challenge's open dates.
        today: NaiveDate,
    },
    /// Move the idea to another stage.
    DecideGate {
        /// An innovation lead.
        by: Principal,
        /// The stage it moves to.
        to: Stage,
        /// Why.
        rationale: String,
        /// The likely outcome as judged now, if judged.
        likely_outcome: Option<Outcome>,
    },
    /// Support it (anyone who can read it).
    Support {
        /// The supporter.
        by: Principal,
    },
    /// Withdraw one's support.
    Withdraw {
        /// The supporter.
        by: Principal,
    },
    /// Comment on it (anyone who can read it).
    Comment {
        /// The author.
        by: Principal,
        /// New id.
        comment_id: Uuid,
        /// The comment.
        text: String,
    },
    /// Score it against the criteria in force.
    Score {
        /// An innovation lead or a reviewer named on the idea.
        by: Principal,
        /// One value per criterion, as requested.
        scores: Vec<pb::CriterionScore>,
        /// The idea's municipality's criteria, as the app found them.
        criteria: IdeaCriteria,
    },
    /// Record what the idea became; linking the same record again changes nothing.
    LinkOutcome {
        /// The record, of the idea's municipality.
        outcome: RecordRef,
    },
}

/// What happened to an idea.
#[derive(Debug, Clone, PartialEq)]
pub enum IdeaEvent {
    /// It was submitted.
    IdeaSubmitted {
        /// Its id.
        id: Uuid,
        /// The municipality that owns it.
        municipality: MunicipalityId,
        /// The employee who submitted it.
        submitter: UserId,
        /// The idea.
        details: IdeaDetails,
    },
    /// Its details changed; holds them all.
    IdeaDetailsChanged {
        /// The details after the change.
        details: IdeaDetails,
    },
    /// A gate was decided.
    IdeaGateDecided {
        /// Before.
        from: Stage,
        /// After.
        to: Stage,
        /// Why.
        rationale: String,
        /// The innovation lead who decided.
        decider: UserId,
        /// The likely outcome as judged at this gate; none = unchanged.
        likely_outcome: Option<Outcome>,
    },
    /// Someone supported it.
    IdeaSupported {
        /// Who.
        supporter: Person,
    },
    /// Someone withdrew their support.
    IdeaSupportWithdrawn {
        /// Who.
        supporter: Person,
    },
    /// Someone commented.
    IdeaCommented {
        /// The comment's id.
        comment_id: Uuid,
        /// Who.
        author: Person,
        /// What.
        text: String,
    },
    /// A reviewer scored it, replacing their earlier scores.
    IdeaScored {
        /// Who.
        reviewer: UserId,
        /// A value per criterion in force.
        scores: Scores,
    },
    /// It became the record `outcome`.
    IdeaOutcomeLinked {
        /// What it became.
        outcome: RecordLink,
    },
}

impl DomainEvent for IdeaEvent {
    fn encode(&self) -> EncodedEvent {
        use IdeaEvent as E;
        match self {
            E::IdeaSubmitted {
                id,
                municipality,
                submitter,
                details,
            } => EncodedEvent::of(&pb::IdeaSubmitted {
                idea_id: id.to_string(),
                municipality: municipality.to_string(),
                submitter: submitter.to_string(),
                details: Some(details.into()),
            }),
            E::IdeaDetailsChanged { details } => EncodedEvent::of(&pb::IdeaDetailsChanged {
                details: Some(details.into()),
            }),
            E::IdeaGateDecided {
                from,
                to,
                rationale,
                decider,
                likely_outcome,
            } => EncodedEvent::of(&pb::IdeaGateDecided {
                from: *from as i32,
                to: *to as i32,
                rationale: rationale.clone(),
                decider: decider.to_string(),
                likely_outcome: likely_outcome.unwrap_or_default() as i32,
            }),
            E::IdeaSupported { supporter } => EncodedEvent::of(&pb::IdeaSupported {
                user: supporter.user.to_string(),
                municipality: supporter.municipality.to_string(),
            }),
            E::IdeaSupportWithdrawn { supporter } => EncodedEvent::of(&pb::IdeaSupportWithdrawn {
                user: supporter.user.to_string(),
                municipality: supporter.municipality.to_string(),
            }),
            E::IdeaCommented {
                comment_id,
                author,
                text,
            } => EncodedEvent::of(&pb::IdeaCommented {
                comment_id: comment_id.to_string(),
                author: author.user.to_string(),
                author_municipality: author.municipality.to_string(),
                text: text.clone(),
            }),
            E::IdeaScored { reviewer, scores } => EncodedEvent::of(&pb::IdeaScored {
                reviewer: reviewer.to_string(),
                scores: scores.into(),
            }),
            E::IdeaOutcomeLinked { outcome } => EncodedEvent::of(&pb::IdeaOutcomeLinked {
                outcome: Some(outcome.into()),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use IdeaEvent as E;
        let id = |raw: &str| Uuid::parse_str(raw).map_err(DecodeError::new);
        Ok(match event_type {
            pb::IdeaSubmitted::NAME => {
                let m: pb::IdeaSubmitted = message(payload)?;
                E::IdeaSubmitted {
                    id: id(&m.idea_id)?,
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    submitter: values::user("submitter", &m.submitter)?,
                    details: required(m.details, "details")?.try_into()?,
                }
            }
            pb::IdeaDetailsChanged::NAME => {
                let m: pb::IdeaDetailsChanged = message(payload)?;
                E::IdeaDetailsChanged {
                    details: required(m.details, "details")?.try_into()?,
                }
            }
            pb::IdeaGateDecided::NAME => {
                let m: pb::IdeaGateDecided = message(payload)?;
                E::IdeaGateDecided {
                    from: stage(m.from)?,
                    to: stage(m.to)?,
                    rationale: values::required(TEXT, "rationale", &m.rationale)?,
                    decider: values::user("decider", &m.decider)?,
                    likely_outcome: outcome(m.likely_outcome)?,
                }
            }
            pb::IdeaSupported::NAME => {
                let m: pb::IdeaSupported = message(payload)?;
                E::IdeaSupported {
                    supporter: Person::parse(&m.user, &m.municipality)?,
                }
            }
            pb::IdeaSupportWithdrawn::NAME => {
                let m: pb::IdeaSupportWithdrawn = message(payload)?;
                E::IdeaSupportWithdrawn {
                    supporter: Person::parse(&m.user, &m.municipality)?,
                }
            }
            pb::IdeaCommented::NAME => {
                let m: pb::IdeaCommented = message(payload)?;
                E::IdeaCommented {
                    comment_id: id(&m.comment_id)?,
                    author: Person::parse(&m.author, &m.author_municipality)?,
                    text: values::required(TEXT, "text", &m.text)?,
                }
            }
            pb::IdeaScored::NAME => {
                let m: pb::IdeaScored = message(payload)?;
                E::IdeaScored {
                    reviewer: values::user("reviewer", &m.reviewer)?,
                    scores: m.scores.try_into()?,
                }
            }
            pb::IdeaOutcomeLinked::NAME => {
                let m: pb::IdeaOutcomeLinked = message(payload)?;
                E::IdeaOutcomeLinked {
                    outcome: RecordLink::try_from(&required(m.outcome, "outcome")?)
                        .map_err(DecodeError)?,
                }
            }
            other => return Err(DecodeError(format!("no idea event {other}"))),
        })
    }
}

/// An idea as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct IdeaRecord {
    id: Uuid,
    municipality: MunicipalityId,
    submitter: UserId,
    details: IdeaDetails,
    stage: Stage,
    /// While PARKED: the stage it was parked in, the only one it resumes to.
    parked_in: Option<Stage>,
    likely_outcome: Option<Outcome>,
    supporters: BTreeSet<Person>,
    outcomes: Vec<RecordLink>,
}

impl IdeaRecord {
    /// Its id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The municipality that owns it.
    pub fn municipality(&self) -> &MunicipalityId {
        &self.municipality
    }

    /// Who submitted it.
    pub fn submitter(&self) -> &UserId {
        &self.submitter
    }

    /// The idea as it reads now.
    pub fn details(&self) -> &IdeaDetails {
        &self.details
    }

    /// Where it stands.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The likely outcome, once judged at a gate.
    pub fn likely_outcome(&self) -> Option<Outcome> {
        self.likely_outcome
    }

    /// Who supports it.
    pub fn supporters(&self) -> &BTreeSet<Person> {
        &self.supporters
    }

    /// What it became, in the order linked.
    pub fn outcomes(&self) -> &[RecordLink] {
        &self.outcomes
    }

    /// What `viewer` may see of it, by the one read rule: its submitter and reviewers
    /// always see it.
    pub fn access(&self, viewer: &Viewer) -> Access {
        let mut people = vec![&self.submitter];
        people.extend(self.details.reviewers());
        innohub_runtime::access::access(
            viewer,
            Audience {
                municipality: &self.municipality,
                visibility: self.details.visibility(),
                departments: self.details.departments(),
                people: &people,
            },
        )
    }

    /// The record, if `by` is a member of its municipality; partners change nothing but
    /// their own support and comments.
    fn owned_by(&self, by: &Principal) -> Result<&Self, IdeasError> {
        require_member(by, &self.municipality, "ideas")?;
        Ok(self)
    }

    /// Whether a gate may move the idea to `to`, with `likely_outcome` judged at it.
    fn gate(&self, to: Stage, likely_outcome: Option<Outcome>) -> Result<(), IdeasError> {
        let from = self.stage;
        if matches!(from, Stage::Stopped | Stage::Implemented) {
            return Err(IdeasError::Rule(format!(
                "the idea is {}: that is final",
                stage_name(from)
            )));
        }
        if to == from {
            return Err(IdeasError::Rule(format!(
                "the idea is already {}",
                stage_name(to)
            )));
        }
        match (from, self.parked_in) {
            _ if matches!(to, Stage::Parked | Stage::Stopped) => {}
            (Stage::Parked, Some(parked_in)) if to != parked_in => {
                return Err(IdeasError::Rule(format!(
                    "a parked idea resumes to {}, the stage it was parked in",
                    stage_name(parked_in)
                )));
            }
            (Stage::Parked, _) => {}
            _ if next(from) != Some(to) => {
                return Err(IdeasError::Rule(format!(
                    "stages move forward one at a time: from {} the next is {}",
                    stage_name(from),
                    next(from).map_or("none", stage_name)
                )));
            }
            _ => {}
        }
        let needs_outcome = matches!(
            to,
            Stage::Designing | Stage::Piloting | Stage::Scaling | Stage::Implemented
        );
        if needs_outcome && likely_outcome.or(self.likely_outcome).is_none() {
            return Err(IdeasError::invalid(
                "likelyOutcome",
                format!("is required for a move to {}", stage_name(to)),
            ));
        }
        Ok(())
    }
}

/// The stage after `stage` on the way forward.
fn next(stage: Stage) -> Option<Stage> {
    use Stage as S;
    match stage {
        S::Submitted => Some(S::Exploring),
        S::Exploring => Some(S::Designing),
        S::Designing => Some(S::Piloting),
        S::Piloting => Some(S::Scaling),
        S::Scaling => Some(S::Implemented),
        S::Unspecified | S::Implemented | S::Parked | S::Stopped => None,
    }
}

/// Whether the challenge `details` name (found by the app as `challenge`) takes ideas of
/// `municipality` on `today`: one of another municipality is as unknown as none.
fn answers(
    details: &IdeaDetails,
    municipality: &MunicipalityId,
    challenge: &Challenge,
    today: NaiveDate,
) -> Result<(), IdeasError> {
    let Some(id) = details.challenge() else {
        return Ok(());
    };
    match &challenge.0 {
        Some(c) if c.id == id && &c.municipality == municipality => c
            .takes_ideas(today)
            .map_err(|why| IdeasError::invalid("challengeId", why)),
        _ => Err(no_such("challengeId", "challenge")),
    }
}

/// The aggregate: `None` until submitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Idea(pub Option<IdeaRecord>);

impl Idea {
    fn existing(&self) -> Result<&IdeaRecord, IdeasError> {
        self.0.as_ref().ok_or(IdeasError::NotFound)
    }
}

impl Aggregate for Idea {
    type Command = IdeaCommand;
    type Event = IdeaEvent;
    type Error = IdeasError;
    const TYPE: &'static str = "idea";

    fn decide(&self, command: IdeaCommand) -> Result<Vec<IdeaEvent>, IdeasError> {
        use IdeaCommand as C;
        use IdeaEvent as E;
        match command {
            C::Submit {
                id,
                by,
                details,
                challenge,
                today,
            } => {
                if self.0.is_some() {
                    return Err(IdeasError::Rule(format!("idea {id} already exists")));
                }
                require_role(&by, &[Role::Employee], "submitting an idea")?;
                let details = IdeaDetails::requested(details)?;
                answers(&details, &by.municipality, &challenge, today)?;
                Ok(vec![E::IdeaSubmitted {
                    id,
                    municipality: by.municipality,
                    submitter: by.user,
                    details,
                }])
            }
            C::Update {
                by,
                details,
                mask,
                challenge,
                today,
            } => {
                let record = self.existing()?.owned_by(&by)?;
                if record.submitter != by.user && !by.has(Role::InnovationLead) {
                    return Err(IdeasError::Forbidden(
                        "only the submitter or an innovation lead may edit an idea".into(),
                    ));
                }
                let details = record.details.updated(&details, &mask)?;
                if details.challenge() != record.details.challenge() {
                    answers(&details, &record.municipality, &challenge, today)?;
                }
                Ok(if details == record.details {
                    vec![]
                } else {
                    vec![E::IdeaDetailsChanged { details }]
                })
            }
            C::DecideGate {
                by,
                to,
                rationale,
                likely_outcome,
            } => {
                let record = self.existing()?.owned_by(&by)?;
                require_role(&by, &[Role::InnovationLead], "deciding a gate")?;
                let rationale = values::required(TEXT, "rationale", &rationale)?;
                record.gate(to, likely_outcome)?;
                Ok(vec![E::IdeaGateDecided {
                    from: record.stage,
                    to,
                    rationale,
                    decider: by.user,
                    likely_outcome,
                }])
            }
            C::Support { by } => {
                let record = self.existing()?;
                let supporter = Person::of(&by);
                if record.supporters.contains(&supporter) {
                    return Err(IdeasError::Rule(format!(
                        "{} already supports this idea",
                        by.user
                    )));
                }
                Ok(vec![E::IdeaSupported { supporter }])
            }
            C::Withdraw { by } => {
                let record = self.existing()?;
                let supporter = Person::of(&by);
                if !record.supporters.contains(&supporter) {
                    return Err(IdeasError::Rule(format!(
                        "{} does not support this idea",
                        by.user
                    )));
                }
                Ok(vec![E::IdeaSupportWithdrawn { supporter }])
            }
            C::Comment {
                by,
                comment_id,
                text,
            } => {
                self.existing()?;
                Ok(vec![E::IdeaCommented {
                    comment_id,
                    author: Person::of(&by),
                    text: values::required(TEXT, "text", &text)?,
                }])
            }
            C::Score {
                by,
                scores,
                criteria,
            } => {
                let record = self.existing()?.owned_by(&by)?;
                if !by.has(Role::InnovationLead) && !record.details.reviewers().contains(&by.user) {
                    return Err(IdeasError::Forbidden(
                        "only an innovation lead or a reviewer named on the idea may score it"
                            .into(),
                    ));
                }
                let scores = Scores::try_from(scores)?;
                criteria
                    .criteria
                    .as_ref()
                    .ok_or_else(|| IdeasError::Rule("no criteria are set".into()))?
                    .check(&scores)?;
                Ok(vec![E::IdeaScored {
                    reviewer: by.user,
                    scores,
                }])
            }
            C::LinkOutcome { outcome } => {
                let record = self.existing()?;
                let outcome = RecordLink::try_from(&outcome)
                    .map_err(|e| IdeasError::invalid("outcome", e))?;
                if outcome.municipality() != &record.municipality {
                    return Err(IdeasError::invalid(
                        "outcome",
                        format!(
                            "a link joins records of one municipality: the idea is {}'s, {outcome} is {}'s",
                            record.municipality,
                            outcome.municipality()
                        ),
                    ));
                }
                Ok(if record.outcomes.contains(&outcome) {
                    vec![]
                } else {
                    vec![E::IdeaOutcomeLinked { outcome }]
                })
            }
        }
    }

    fn evolve(self, event: &IdeaEvent) -> Self {
        use IdeaEvent as E;
        if let E::IdeaSubmitted {
            id,
            municipality,
            submitter,
            details,
        } = event
        {
            return Idea(Some(IdeaRecord {
                id: *id,
                municipality: municipality.clone(),
                submitter: submitter.clone(),
                details: details.clone(),
                stage: Stage::Submitted,
                parked_in: None,
                likely_outcome: None,
                supporters: BTreeSet::new(),
                outcomes: Vec::new(),
            }));
        }
        let Some(mut r) = self.0 else {
            return self;
        };
        match event {
            E::IdeaSubmitted { .. } | E::IdeaCommented { .. } | E::IdeaScored { .. } => {}
            E::IdeaDetailsChanged { details } => r.details = details.clone(),
            E::IdeaGateDecided {
                from,
                to,
                likely_outcome,
                ..
            } => {
                r.parked_in = (*to == Stage::Parked).then_some(*from);
                r.stage = *to;
                r.likely_outcome = likely_outcome.or(r.likely_outcome);
            }
            E::IdeaSupported { supporter } => {
                r.supporters.insert(supporter.clone());
            }
            E::IdeaSupportWithdrawn { supporter } => {
                r.supporters.remove(supporter);
            }
            E::IdeaOutcomeLinked { outcome } => r.outcomes.push(outcome.clone()),
        }
        Idea(Some(r))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}

/// An idea is read by the read rule of its details ([`IdeaRecord::access`]).
impl Readable for Idea {
    fn visibility(&self) -> Option<Visibility> {
        self.0.as_ref().map(|r| r.details().visibility())
    }

    fn access(&self, viewer: &Viewer) -> Access {
        self.0.as_ref().map_or(Access::None, |r| r.access(viewer))
    }
}
