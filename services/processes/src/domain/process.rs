//! The `Process` aggregate: an automation candidate from submission through assessment,
//! phases and statuses to operation and the experience captured there. Its commands carry the
//! contract's messages as they came in; `decide` validates them with the domain's rules. Its
//! events map to and from the contract's messages in [`ProcessEvent`]'s `DomainEvent`.

use std::collections::BTreeSet;

use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::aggregate::{message, required};
use innohub_runtime::field::{require_member, require_role};
use innohub_runtime::link;
use innohub_runtime::readable::Readable;
use innohub_runtime::{
    Access, Aggregate, Audience, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal,
    RecordLink, Role, UserId, Viewer, Visibility,
};
use prost::Name as _;
use prost_types::FieldMask;
use uuid::Uuid;

use super::assessment::Assessment;
use super::details::visibility_of;
use super::details::{ProcessDetails, date};
use super::lifecycle::{Phase, PhaseRules, Status, StatusRules, phase, status};
use super::values::{Label, LongText, text_of};
use crate::ProcessError;

/// What a municipality learned running the automation: what others should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Experience {
    /// What was built.
    pub what_was_built: Option<LongText>,
    /// Technical notes.
    pub technical_notes: Option<LongText>,
    /// Organisational notes: what others should know.
    pub organisational_notes: Option<LongText>,
    /// How often it runs, e.g. "daily".
    pub run_frequency: Option<Label>,
    /// Realised benefit, 0 (none) to 3 (as expected or better).
    pub realised_benefit: Option<u8>,
    /// Why that rating.
    pub realised_benefit_comment: Option<LongText>,
    /// Where the code lives.
    pub repository_url: Option<Label>,
    /// When it was or will be switched off.
    pub decommission_date: Option<chrono::NaiveDate>,
}

impl TryFrom<pb::Experience> for Experience {
    type Error = ProcessError;

    fn try_from(f: pb::Experience) -> Result<Self, ProcessError> {
        let long = |field, raw: &str| LongText::parse_optional(field, raw);
        let repository_url = match f.repository_url.trim() {
            "" => None,
            url => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(ProcessError::invalid(
                        "repositoryUrl",
                        "must be an http(s) link",
                    ));
                }
                Some(Label::parse("repositoryUrl", url)?)
            }
        };
        Ok(Self {
            what_was_built: long("whatWasBuilt", &f.what_was_built)?,
            technical_notes: long("technicalNotes", &f.technical_notes)?,
            organisational_notes: long("organisationalNotes", &f.organisational_notes)?,
            run_frequency: Label::parse_optional("runFrequency", &f.run_frequency)?,
            realised_benefit: f
                .realised_benefit
                .map(|b| {
                    u8::try_from(b).ok().filter(|b| *b <= 3).ok_or_else(|| {
                        ProcessError::invalid("realisedBenefit", "must be a rating from 0 to 3")
                    })
                })
                .transpose()?,
            realised_benefit_comment: long("realisedBenefitComment", &f.realised_benefit_comment)?,
            repository_url,
            decommission_date: date("decommissionDate", &f.decommission_date)?,
        })
    }
}

impl From<&Experience> for pb::Experience {
    fn from(e: &Experience) -> Self {
        Self {
            what_was_built: text_of(e.what_was_built.as_ref()),
            technical_notes: text_of(e.technical_notes.as_ref()),
            organisational_notes: text_of(e.organisational_notes.as_ref()),
            run_frequency: text_of(e.run_frequency.as_ref()),
            realised_benefit: e.realised_benefit.map(u32::from),
            realised_benefit_comment: text_of(e.realised_benefit_comment.as_ref()),
            repository_url: text_of(e.repository_url.as_ref()),
            decommission_date: e
                .decommission_date
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }
    }
}

/// Someone following a process, possibly from a partner municipality.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Follower {
    /// Their municipality.
    pub municipality: MunicipalityId,
    /// Who.
    pub user: UserId,
}

impl Follower {
    fn of(p: &Principal) -> Self {
        Self {
            municipality: p.municipality.clone(),
            user: p.user.clone(),
        }
    }
}

/// Where an adopted process was copied from: the permanent link to its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptionOrigin {
    /// The adopted (origin) process.
    pub process: Uuid,
    /// Its municipality.
    pub municipality: MunicipalityId,
}

/// What can be asked of a process.
#[derive(Debug, Clone)]
pub enum ProcessCommand {
    /// Report a new candidate. `id` is chosen by the caller (UUIDv7).
    Submit {
        /// New id.
        id: Uuid,
        /// Reporter.
        by: Principal,
        /// The form, as reported.
        details: pb::ProcessDetails,
        /// The record of another context it is spawned from (an idea), as requested.
        origin: Option<RecordRef>,
    },
    /// Adopt another municipality's process shared with the caller: a new process `id`
    /// in the caller's municipality with the origin's shareable fields.
    Adopt {
        /// New id.
        id: Uuid,
        /// The adopter, who becomes the reporter.
        by: Principal,
        /// The origin as it stands.
        origin: Box<ProcessRecord>,
        /// What the adopter may see of the origin, by the read rule.
        access: Access,
        /// The adopter's departments; empty = the adopter's own department.
        departments: Vec<String>,
    },
    /// Change the descriptive fields that `mask` names.
    Update {
        /// Caller.
        by: Principal,
        /// The new values of the named fields.
        details: pb::ProcessDetails,
        /// The fields to change.
        mask: FieldMask,
    },
    /// Record IT's assessment.
    Assess {
        /// Caller.
        by: Principal,
        /// Ratings.
        assessment: pb::Assessment,
    },
    /// Move to another phase.
    ChangePhase {
        /// Caller.
        by: Principal,
        /// Target phase.
        to: Phase,
        /// Required when moving back.
        reason: Option<String>,
    },
    /// Change the status.
    ChangeStatus {
        /// Caller.
        by: Principal,
        /// Target status.
        to: Status,
        /// Required for ON_HOLD, REJECTED, FAILED, NOT_RELEVANT.
        reason: Option<String>,
    },
    /// Comment (anyone who can read it).
    Comment {
        /// Caller.
        by: Principal,
        /// New id.
        comment_id: Uuid,
        /// The comment.
        text: String,
    },
    /// Follow (anyone who can read it).
    Follow {
        /// Caller.
        by: Principal,
    },
    /// Stop following.
    Unfollow {
        /// Caller.
        by: Principal,
    },
    /// Capture what was learned (OPERATION or later).
    RecordExperience {
        /// Caller.
        by: Principal,
        /// The experience.
        experience: pb::Experience,
    },
}

/// What happened to a process.
#[derive(Debug, Clone, PartialEq)]
pub enum ProcessEvent {
    /// A department reported a candidate.
    ProcessSubmitted {
        /// Its id.
        id: Uuid,
        /// Owning municipality.
        municipality: MunicipalityId,
        /// Who reported it.
        reporter: UserId,
        /// The form.
        details: ProcessDetails,
        /// Set when it was adopted from another municipality's process.
        adopted_from: Option<AdoptionOrigin>,
        /// Set when it was spawned from a record of another context (an idea).
        origin: Option<RecordLink>,
    },
    /// Descriptive fields changed; holds the full new details.
    ProcessDetailsChanged {
        /// The details after the change.
        details: ProcessDetails,
    },
    /// IT assessed it.
    ProcessAssessed {
        /// The ratings.
        assessment: Assessment,
    },
    /// Moved between phases.
    ProcessPhaseChanged {
        /// Before.
        from: Phase,
        /// After.
        to: Phase,
        /// Why (required backwards).
        reason: Option<LongText>,
    },
    /// Status changed.
    ProcessStatusChanged {
        /// Before.
        from: Status,
        /// After.
        to: Status,
        /// Why (required for stopping statuses).
        reason: Option<LongText>,
    },
    /// Someone commented.
    ProcessCommented {
        /// Comment id.
        comment_id: Uuid,
        /// Who.
        author: UserId,
        /// Their municipality.
        author_municipality: MunicipalityId,
        /// What.
        text: LongText,
    },
    /// Someone follows it.
    ProcessFollowed {
        /// Who.
        follower: Follower,
    },
    /// Someone stopped following.
    ProcessUnfollowed {
        /// Who.
        follower: Follower,
    },
    /// Experience captured.
    ProcessExperienceRecorded {
        /// What was learned.
        experience: Experience,
    },
}

impl DomainEvent for ProcessEvent {
    fn encode(&self) -> EncodedEvent {
        use ProcessEvent as E;
        match self {
            E::ProcessSubmitted {
                id,
                municipality,
                reporter,
                details,
                adopted_from,
                origin,
            } => EncodedEvent::of(&pb::ProcessSubmitted {
                process_id: id.to_string(),
                municipality: municipality.to_string(),
                reporter: reporter.to_string(),
                details: Some(details.into()),
                adopted_from: adopted_from.as_ref().map(|o| pb::AdoptionOrigin {
                    process_id: o.process.to_string(),
                    municipality: o.municipality.to_string(),
                }),
                origin: origin.as_ref().map(RecordRef::from),
            }),
            E::ProcessDetailsChanged { details } => EncodedEvent::of(&pb::ProcessDetailsChanged {
                details: Some(details.into()),
            }),
            E::ProcessAssessed { assessment } => EncodedEvent::of(&pb::ProcessAssessed {
                assessment: Some(assessment.into()),
            }),
            E::ProcessPhaseChanged { from, to, reason } => {
                EncodedEvent::of(&pb::ProcessPhaseChanged {
                    from: *from as i32,
                    to: *to as i32,
                    reason: text_of(reason.as_ref()),
                })
            }
            E::ProcessStatusChanged { from, to, reason } => {
                EncodedEvent::of(&pb::ProcessStatusChanged {
                    from: *from as i32,
                    to: *to as i32,
                    reason: text_of(reason.as_ref()),
                })
            }
            E::ProcessCommented {
                comment_id,
                author,
                author_municipality,
                text,
            } => EncodedEvent::of(&pb::ProcessCommented {
                comment_id: comment_id.to_string(),
                author: author.to_string(),
                author_municipality: author_municipality.to_string(),
                text: text.as_str().to_owned(),
            }),
            E::ProcessFollowed { follower } => EncodedEvent::of(&pb::ProcessFollowed {
                user: follower.user.to_string(),
                municipality: follower.municipality.to_string(),
            }),
            E::ProcessUnfollowed { follower } => EncodedEvent::of(&pb::ProcessUnfollowed {
                user: follower.user.to_string(),
                municipality: follower.municipality.to_string(),
            }),
            E::ProcessExperienceRecorded { experience } => {
                EncodedEvent::of(&pb::ProcessExperienceRecorded {
                    experience: Some(experience.into()),
                })
            }
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use ProcessEvent as E;
        let id = |raw: &str| Uuid::parse_str(raw).map_err(DecodeError::new);
        let municipality = |raw: &str| MunicipalityId::parse(raw).map_err(DecodeError);
        let user = |raw: &str| UserId::parse(raw).map_err(DecodeError);
        let reason = |raw: &str| LongText::parse_optional("reason", raw);
        let follower = |user_id: &str, of: &str| -> Result<Follower, DecodeError> {
            Ok(Follower {
                municipality: municipality(of)?,
                user: user(user_id)?,
            })
        };
        Ok(match event_type {
            pb::ProcessSubmitted::NAME => {
                let m: pb::ProcessSubmitted = message(payload)?;
                E::ProcessSubmitted {
                    id: id(&m.process_id)?,
                    municipality: municipality(&m.municipality)?,
                    reporter: user(&m.reporter)?,
                    details: required(m.details, "details")?.try_into()?,
                    adopted_from: m
                        .adopted_from
                        .map(|o| -> Result<AdoptionOrigin, DecodeError> {
                            Ok(AdoptionOrigin {
                                process: id(&o.process_id)?,
                                municipality: municipality(&o.municipality)?,
                            })
                        })
                        .transpose()?,
                    origin: link::stored_origin(m.origin.as_ref())?,
                }
            }
            pb::ProcessDetailsChanged::NAME => {
                let m: pb::ProcessDetailsChanged = message(payload)?;
                E::ProcessDetailsChanged {
                    details: required(m.details, "details")?.try_into()?,
                }
            }
            pb::ProcessAssessed::NAME => {
                let m: pb::ProcessAssessed = message(payload)?;
                E::ProcessAssessed {
                    assessment: required(m.assessment, "assessment")?.try_into()?,
                }
            }
            pb::ProcessPhaseChanged::NAME => {
                let m: pb::ProcessPhaseChanged = message(payload)?;
                E::ProcessPhaseChanged {
                    from: phase(m.from)?,
                    to: phase(m.to)?,
                    reason: reason(&m.reason)?,
                }
            }
            pb::ProcessStatusChanged::NAME => {
                let m: pb::ProcessStatusChanged = message(payload)?;
                E::ProcessStatusChanged {
                    from: status(m.from)?,
                    to: status(m.to)?,
                    reason: reason(&m.reason)?,
                }
            }
            pb::ProcessCommented::NAME => {
                let m: pb::ProcessCommented = message(payload)?;
                E::ProcessCommented {
                    comment_id: id(&m.comment_id)?,
                    author: user(&m.author)?,
                    author_municipality: municipality(&m.author_municipality)?,
                    text: LongText::parse("text", &m.text)?,
                }
            }
            pb::ProcessFollowed::NAME => {
                let m: pb::ProcessFollowed = message(payload)?;
                E::ProcessFollowed {
                    follower: follower(&m.user, &m.municipality)?,
                }
            }
            pb::ProcessUnfollowed::NAME => {
                let m: pb::ProcessUnfollowed = message(payload)?;
                E::ProcessUnfollowed {
                    follower: follower(&m.user, &m.municipality)?,
                }
            }
            pb::ProcessExperienceRecorded::NAME => {
                let m: pb::ProcessExperienceRecorded = message(payload)?;
                E::ProcessExperienceRecorded {
                    experience: required(m.experience, "experience")?.try_into()?,
                }
            }
            other => return Err(DecodeError(format!("no process event {other}"))),
        })
    }
}

/// A process as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessRecord {
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// Who reported it.
    pub reporter: UserId,
    /// The form.
    pub details: ProcessDetails,
    /// IT's assessment, once made.
    pub assessment: Option<Assessment>,
    /// Phase.
    pub phase: Phase,
    /// Status.
    pub status: Status,
    /// Why the status is what it is, when a reason was given.
    pub status_reason: Option<LongText>,
    /// Lessons from operation.
    pub experience: Option<Experience>,
    /// Who follows it.
    pub followers: BTreeSet<Follower>,
    /// How many comments it has.
    pub comment_count: u32,
    /// Where it was adopted from, if it was.
    pub adopted_from: Option<AdoptionOrigin>,
}

impl ProcessRecord {
    /// Who may read it, for the read rule.
    pub fn access(&self, viewer: &Viewer) -> Access {
        let reporter = &self.reporter;
        let owner = self
            .details
            .owner
            .as_ref()
            .and_then(|o| UserId::parse(o.as_str()).ok());
        let mut people = vec![reporter];
        people.extend(owner.as_ref());
        innohub_runtime::access::access(
            viewer,
            Audience {
                municipality: &self.municipality,
                visibility: self.details.visibility,
                departments: &self.details.departments,
                people: &people,
            },
        )
    }

    fn is_owner_or_reporter(&self, p: &Principal) -> bool {
        self.reporter == p.user
            || self
                .details
                .owner
                .as_ref()
                .is_some_and(|o| o.as_str() == p.user.as_str())
    }

    fn may_edit(&self, p: &Principal) -> bool {
        self.is_owner_or_reporter(p)
            || p.has(Role::ItPortfolio)
            || (p.has(Role::DepartmentLead)
                && p.department
                    .as_ref()
                    .is_some_and(|d| self.details.departments.contains(d)))
    }

    /// The first field the phase requires that is missing.
    fn missing_for(
        phase: Phase,
        details: &ProcessDetails,
        assessment: Option<&Assessment>,
    ) -> Option<ProcessError> {
        let missing = |field, from: Phase| {
            ProcessError::invalid(field, format!("is required from phase {}", from.name()))
        };
        if phase >= Phase::PreAnalysis && assessment.is_none_or(Assessment::is_empty) {
            return Some(missing("assessment", Phase::PreAnalysis));
        }
        if phase >= Phase::Development && details.technologies.is_empty() {
            return Some(missing("technologies", Phase::Development));
        }
        if phase >= Phase::Operation && details.go_live_date.is_none() {
            return Some(missing("goLiveDate", Phase::Operation));
        }
        None
    }
}

/// The aggregate: `None` until submitted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Process(pub Option<ProcessRecord>);

fn reason(field: &'static str, raw: Option<&str>) -> Result<Option<LongText>, ProcessError> {
    raw.map_or(Ok(None), |r| LongText::parse_optional(field, r))
}

impl Process {
    fn existing(&self) -> Result<&ProcessRecord, ProcessError> {
        self.0.as_ref().ok_or(ProcessError::NotFound)
    }

    /// The record, if the caller's municipality owns it; partners are read-only.
    fn owned_by(&self, p: &Principal) -> Result<&ProcessRecord, ProcessError> {
        let record = self.existing()?;
        require_member(p, &record.municipality, "processes")?;
        Ok(record)
    }
}

impl Aggregate for Process {
    type Command = ProcessCommand;
    type Event = ProcessEvent;
    type Error = ProcessError;
    const TYPE: &'static str = "process";

    fn decide(&self, command: ProcessCommand) -> Result<Vec<ProcessEvent>, ProcessError> {
        use ProcessCommand as C;
        use ProcessEvent as E;
        match command {
            C::Submit {
                id,
                by,
                details,
                origin,
            } => {
                if self.0.is_some() {
                    return Err(ProcessError::Rule(format!("process {id} already exists")));
                }
                if by.roles.is_empty() {
                    return Err(ProcessError::Forbidden(
                        "submitting a process needs a role in the municipality".into(),
                    ));
                }
                let details = ProcessDetails::reported(details)?;
                let origin = link::origin(
                    origin.as_ref(),
                    &by.municipality,
                    "a process is spawned from",
                )?;
                Ok(vec![E::ProcessSubmitted {
                    id,
                    municipality: by.municipality,
                    reporter: by.user,
                    details,
                    adopted_from: None,
                    origin,
                }])
            }
            C::Adopt {
                id,
                by,
                origin,
                access,
                departments,
            } => {
                if self.0.is_some() {
                    return Err(ProcessError::Rule(format!("process {id} already exists")));
                }
                adopt(id, by, &origin, access, departments).map(|e| vec![e])
            }
            C::Update { by, details, mask } => {
                let record = self.owned_by(&by)?;
                if !record.may_edit(&by) {
                    return Err(ProcessError::Forbidden(
                        "only the reporter, the owner, a lead of its department or IT portfolio may edit it"
                            .into(),
                    ));
                }
                let details = record.details.updated(&details, &mask)?;
                if let Some(missing) =
                    ProcessRecord::missing_for(record.phase, &details, record.assessment.as_ref())
                {
                    return Err(missing);
                }
                Ok(if details == record.details {
                    vec![]
                } else {
                    vec![E::ProcessDetailsChanged { details }]
                })
            }
            C::Assess { by, assessment } => {
                let record = self.owned_by(&by)?;
                require_role(&by, &[Role::ItPortfolio], "assessing")?;
                let assessment = Assessment::try_from(assessment)?;
                if record.phase >= Phase::PreAnalysis && assessment.is_empty() {
                    return Err(ProcessError::invalid(
                        "assessment",
                        "is required from phase PRE_ANALYSIS: rate at least one criterion",
                    ));
                }
                let mut events = vec![E::ProcessAssessed { assessment }];
                if record.status == Status::NotAssessed {
                    events.push(E::ProcessStatusChanged {
                        from: Status::NotAssessed,
                        to: Status::InProgress,
                        reason: None,
                    });
                }
                Ok(events)
            }
            C::ChangePhase {
                by,
                to,
                reason: why,
            } => {
                let record = self.owned_by(&by)?;
                require_role(&by, &[Role::ItPortfolio], "moving a process between phases")?;
                let from = record.phase;
                let why = reason("reason", why.as_deref())?;
                if to == from {
                    return Err(ProcessError::Rule(format!(
                        "the process is already in phase {}",
                        to.name()
                    )));
                }
                if to > from {
                    if from.next() != Some(to) {
                        return Err(ProcessError::Rule(format!(
                            "phases move forward one step at a time: from {} the next phase is {}",
                            from.name(),
                            from.next().map_or("none", PhaseRules::name)
                        )));
                    }
                    if record.status.halts_progress() {
                        return Err(ProcessError::Rule(format!(
                            "a process with status {} does not move forward; change its status first",
                            record.status.name()
                        )));
                    }
                    if let Some(missing) =
                        ProcessRecord::missing_for(to, &record.details, record.assessment.as_ref())
                    {
                        return Err(missing);
                    }
                } else if why.is_none() {
                    return Err(ProcessError::invalid(
                        "reason",
                        "is required when moving a process back",
                    ));
                }
                Ok(vec![E::ProcessPhaseChanged {
                    from,
                    to,
                    reason: why,
                }])
            }
            C::ChangeStatus {
                by,
                to,
                reason: why,
            } => {
                let record = self.owned_by(&by)?;
                require_role(&by, &[Role::ItPortfolio], "changing a process's status")?;
                let why = reason("reason", why.as_deref())?;
                if to == record.status {
                    return Err(ProcessError::Rule(format!(
                        "the status is already {}",
                        to.name()
                    )));
                }
                if to.requires_reason() && why.is_none() {
                    return Err(ProcessError::invalid(
                        "reason",
                        format!("is required for status {}", to.name()),
                    ));
                }
                Ok(vec![E::ProcessStatusChanged {
                    from: record.status,
                    to,
                    reason: why,
                }])
            }
            C::Comment {
                by,
                comment_id,
                text,
            } => {
                self.existing()?;
                let text = LongText::parse("text", &text)?;
                Ok(vec![E::ProcessCommented {
                    comment_id,
                    author: by.user,
                    author_municipality: by.municipality,
                    text,
                }])
            }
            C::Follow { by } => {
                let record = self.existing()?;
                let follower = Follower::of(&by);
                Ok(if record.followers.contains(&follower) {
                    vec![]
                } else {
                    vec![E::ProcessFollowed { follower }]
                })
            }
            C::Unfollow { by } => {
                let record = self.existing()?;
                let follower = Follower::of(&by);
                Ok(if record.followers.contains(&follower) {
                    vec![E::ProcessUnfollowed { follower }]
                } else {
                    vec![]
                })
            }
            C::RecordExperience { by, experience } => {
                let record = self.owned_by(&by)?;
                if !(record.is_owner_or_reporter(&by) || by.has(Role::ItPortfolio)) {
                    return Err(ProcessError::Forbidden(
                        "only the reporter, the owner or IT portfolio may record experience".into(),
                    ));
                }
                if record.phase < Phase::Operation {
                    return Err(ProcessError::Rule(format!(
                        "experience is captured from phase OPERATION; the process is in {}",
                        record.phase.name()
                    )));
                }
                Ok(vec![E::ProcessExperienceRecorded {
                    experience: experience.try_into()?,
                }])
            }
        }
    }

    fn evolve(self, event: &ProcessEvent) -> Self {
        use ProcessEvent as E;
        if let E::ProcessSubmitted {
            id,
            municipality,
            reporter,
            details,
            adopted_from,
            ..
        } = event
        {
            return Process(Some(ProcessRecord {
                id: *id,
                municipality: municipality.clone(),
                reporter: reporter.clone(),
                details: details.clone(),
                assessment: None,
                phase: Phase::Idea,
                status: Status::NotAssessed,
                status_reason: None,
                experience: None,
                followers: BTreeSet::new(),
                comment_count: 0,
                adopted_from: adopted_from.clone(),
            }));
        }
        let Some(mut r) = self.0 else {
            return self;
        };
        match event {
            E::ProcessSubmitted { .. } => {}
            E::ProcessDetailsChanged { details } => r.details = details.clone(),
            E::ProcessAssessed { assessment } => r.assessment = Some(*assessment),
            E::ProcessPhaseChanged { to, .. } => r.phase = *to,
            E::ProcessStatusChanged { to, reason, .. } => {
                r.status = *to;
                r.status_reason = reason.clone();
            }
            E::ProcessCommented { .. } => r.comment_count += 1,
            E::ProcessFollowed { follower } => {
                r.followers.insert(follower.clone());
            }
            E::ProcessUnfollowed { follower } => {
                r.followers.remove(follower);
            }
            E::ProcessExperienceRecorded { experience } => r.experience = Some(experience.clone()),
        }
        Process(Some(r))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}

/// A process is read by the read rule of its details ([`ProcessRecord::access`]).
impl Readable for Process {
    fn visibility(&self) -> Option<Visibility> {
        self.0.as_ref().map(|r| r.details.visibility)
    }

    fn access(&self, viewer: &Viewer) -> Access {
        self.0.as_ref().map_or(Access::None, |r| r.access(viewer))
    }
}

/// The decision of an adoption: `by` copies `origin`, which they see with `access`, into
/// their municipality as process `id`.
///
/// The copy holds what the contract's privacy marks let a reader from the adopter's
/// municipality see of the origin (`reflect::redact`: never people, internal notes or
/// departments), then the adopter's own: their departments, visibility MUNICIPALITY, and no
/// go-live date (the origin's date is not the adopter's plan). It starts as every process
/// does, in IDEA and NOT_ASSESSED, reported by the adopter.
fn adopt(
    id: Uuid,
    by: Principal,
    origin: &ProcessRecord,
    access: Access,
    departments: Vec<String>,
) -> Result<ProcessEvent, ProcessError> {
    if access == Access::None {
        return Err(ProcessError::NotFound);
    }
    if by.is_member_of(&origin.municipality) {
        return Err(ProcessError::invalid(
            "id",
            "adopt copies another municipality's process; this one is your own",
        ));
    }
    if !(by.has(Role::Employee) || by.has(Role::ItPortfolio)) {
        return Err(ProcessError::Forbidden(
            "adopting a process needs the employee or it_portfolio role".into(),
        ));
    }
    let departments = if departments.is_empty() {
        by.department.iter().map(ToString::to_string).collect()
    } else {
        departments
    };
    if departments.is_empty() {
        return Err(ProcessError::invalid(
            "departments",
            "name at least one of your departments (your sign-in names none)",
        ));
    }
    let mut copy = innohub_runtime::reflect::redact(
        &pb::ProcessDetails::from(&origin.details),
        origin.municipality.as_str(),
        by.municipality.as_str(),
    )
    .map_err(|e| ProcessError::Internal(format!("redacting the origin: {e}")))?;
    copy.departments = departments;
    copy.visibility = visibility_of(innohub_runtime::Visibility::Municipality) as i32;
    copy.go_live_date = String::new();
    Ok(ProcessEvent::ProcessSubmitted {
        id,
        municipality: by.municipality,
        reporter: by.user,
        details: ProcessDetails::reported(copy)?,
        adopted_from: Some(AdoptionOrigin {
            process: origin.id,
            municipality: origin.municipality.clone(),
        }),
        origin: None,
    })
}
