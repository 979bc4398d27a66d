//! Validated domain values of a pilot and the checks they are built with, each the ONE
//! mapping of a contract message: `TryFrom<message>` with the domain's rules, naming the
//! input field it refuses (`"title: must be at most 80 characters, got 81"`), and `From<&value>`
//! back. The same checks validate commands' input and stored events on load, so no rule is
//! written twice. The contract's enums (`Status`, `Decision`, `PilotTopic`) are the domain's
//! too: [`decision`] refuses what an event may not hold.

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1 as common;
use innohub_proto::innohub::pilots::v1 as pb;
pub use innohub_proto::innohub::pilots::v1::{Decision, PilotTopic, Status};
use innohub_proto::innohub::processes::v1 as processes;
use innohub_proto::short_name;
pub use innohub_runtime::field::{
    date, list, optional, require_role, required, texts, user, visibility, visibility_of,
};
use innohub_runtime::text::TextRule;
use innohub_runtime::{DepartmentId, UserId, Visibility, reflect};
use prost_types::FieldMask;

use crate::PilotsError;

/// A title: one line, at most 80 characters.
pub const TITLE: TextRule = TextRule::new(80, false);
/// Free text (a goal, a routine, a note, an answer): at most 10,000 characters.
pub const TEXT: TextRule = TextRule::new(10_000, true);
/// One line: a touchpoint, a beneficiary, a unit, a person as written. At most 200
/// characters.
pub const LINE: TextRule = TextRule::new(200, false);

/// The most departments, participant kinds or scope entries a plan names.
const MAX_LIST: usize = 20;
/// The most links an observation carries.
const MAX_LINKS: usize = 10;
/// The longest link.
const MAX_LINK: usize = 2_000;

/// A list of one-line texts (see [`list`]).
fn lines(field: &'static str, raw: &[String]) -> Result<Vec<String>, PilotsError> {
    texts(LINE, field, raw, MAX_LIST)
}

/// An ISO 8601 date if given; blank is none.
fn optional_date(field: &'static str, raw: &str) -> Result<Option<NaiveDate>, PilotsError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        date(field, raw).map(Some)
    }
}

/// A link to a photo or a video: an http or https address, one line without spaces.
fn link(raw: &str) -> Result<String, String> {
    let link = raw.trim();
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| {
            link.get(..scheme.len())
                .filter(|s| s.eq_ignore_ascii_case(scheme))
                .map(|_| &link[scheme.len()..])
        })
        .ok_or_else(|| format!("must be an http or https address, got {raw:?}"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("must name a host, got {raw:?}"));
    }
    if link.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "must not contain spaces or control characters, got {raw:?}"
        ));
    }
    if link.chars().count() > MAX_LINK {
        return Err(format!("must be at most {MAX_LINK} characters"));
    }
    Ok(link.to_owned())
}

/// A decision from the contract's wire value: unspecified or unknown is refused.
pub fn decision(raw: i32) -> Result<Decision, PilotsError> {
    Decision::try_from(raw)
        .ok()
        .filter(|d| *d != Decision::Unspecified)
        .ok_or_else(|| PilotsError::invalid("decision", DECISIONS))
}

/// What a decision may be.
const DECISIONS: &str = "must be TO_OPERATION, EXTEND, STOP or BACK_TO_IDEATION";

/// The name users see of a status, e.g. `IN_OPERATION`.
pub fn status_name(status: Status) -> &'static str {
    short_name(status.as_str_name())
}

/// The name users see of a decision, e.g. `TO_OPERATION`.
pub fn decision_name(decision: Decision) -> &'static str {
    short_name(decision.as_str_name())
}

/// A value of a finite number, named by `field`.
fn finite(field: &'static str, value: f64) -> Result<f64, PilotsError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(PilotsError::invalid(field, "must be a finite number"))
    }
}

// ---------------------------------------------------------------------------------------
// The plan
// ---------------------------------------------------------------------------------------

/// A pilot's plan: the contract's message, checked and trimmed, with what the rules read
/// from it parsed. It may be incomplete ([`Self::missing`]); what is set is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct PilotPlan {
    plan: pb::PilotPlan,
    departments: Vec<DepartmentId>,
    responsible: Option<UserId>,
    visibility: Visibility,
    end: Option<NaiveDate>,
}

impl PilotPlan {
    /// A plan as a request gives it: an unspecified visibility is MUNICIPALITY.
    pub fn requested(mut plan: pb::PilotPlan) -> Result<Self, PilotsError> {
        if plan.visibility == processes::Visibility::Unspecified as i32 {
            plan.visibility = visibility_of(Visibility::default()) as i32;
        }
        plan.try_into()
    }

    /// This plan with the fields `mask` names taken from `patch`.
    pub fn updated(&self, patch: &pb::PilotPlan, mask: &FieldMask) -> Result<Self, PilotsError> {
        let merged = reflect::apply_mask(&self.plan, patch, mask)
            .map_err(|e| PilotsError::invalid("updateMask", e))?;
        Self::requested(merged)
    }

    /// This plan running until `end` (an extension).
    pub fn extended(&self, end: NaiveDate) -> Self {
        let mut extended = self.clone();
        extended.plan.end_date = end.to_string();
        extended.end = Some(end);
        extended
    }

    /// The topics of the roadmap it has not filled, in the roadmap's order.
    pub fn missing(&self) -> Vec<PilotTopic> {
        innohub_pilot_rules::missing_topics(&self.plan)
    }

    /// Its short name.
    pub fn title(&self) -> &str {
        &self.plan.title
    }

    /// Who may read it.
    pub fn visibility(&self) -> Visibility {
        self.visibility
    }

    /// The departments that run the pilot.
    pub fn departments(&self) -> &[DepartmentId] {
        &self.departments
    }

    /// The person responsible, once named.
    pub fn responsible(&self) -> Option<&UserId> {
        self.responsible.as_ref()
    }

    /// The first day of the run, as written (`""`: not set).
    pub fn start_date(&self) -> &str {
        &self.plan.start_date
    }

    /// The last planned day of the run, once set.
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }
}

impl TryFrom<pb::PilotPlan> for PilotPlan {
    type Error = PilotsError;

    fn try_from(p: pb::PilotPlan) -> Result<Self, PilotsError> {
        let departments = list("departments", &p.departments, MAX_LIST, DepartmentId::parse)?;
        if departments.is_empty() {
            return Err(PilotsError::invalid(
                "departments",
                "name at least one department",
            ));
        }
        let anchoring = list("anchoring", &p.anchoring, MAX_LIST, DepartmentId::parse)?;
        let visibility = visibility(p.visibility)?;
        let responsible = match p.responsible.trim() {
            "" => None,
            raw => Some(user("responsible", raw)?),
        };
        let start = optional_date("startDate", &p.start_date)?;
        let end = optional_date("endDate", &p.end_date)?;
        if let (Some(start), Some(end)) = (start, end)
            && end < start
        {
            return Err(PilotsError::invalid(
                "endDate",
                format!("must not be before the start date {start}"),
            ));
        }
        if p.participants.len() > MAX_LIST {
            return Err(PilotsError::invalid(
                "participants",
                format!("at most {MAX_LIST} kinds, got {}", p.participants.len()),
            ));
        }
        let participants = p
            .participants
            .iter()
            .map(participants)
            .collect::<Result<_, _>>()?;
        let scope = p.scope.as_ref().map(scope).transpose()?;
        Ok(Self {
            plan: pb::PilotPlan {
                title: required(TITLE, "title", &p.title)?,
                departments: departments.iter().map(ToString::to_string).collect(),
                visibility: visibility_of(visibility) as i32,
                goals: optional(TEXT, "goals", &p.goals)?,
                learning_goals: optional(TEXT, "learningGoals", &p.learning_goals)?,
                scope: scope.filter(|s| *s != pb::Scope::default()),
                start_date: start.map(|d| d.to_string()).unwrap_or_default(),
                end_date: end.map(|d| d.to_string()).unwrap_or_default(),
                participants,
                information: optional(TEXT, "information", &p.information)?,
                training: optional(TEXT, "training", &p.training)?,
                error_handling: optional(TEXT, "errorHandling", &p.error_handling)?,
                measurement: optional(TEXT, "measurement", &p.measurement)?,
                observation: optional(TEXT, "observation", &p.observation)?,
                documentation: optional(TEXT, "documentation", &p.documentation)?,
                responsible: responsible
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                anchoring: anchoring.iter().map(ToString::to_string).collect(),
            },
            departments,
            responsible,
            visibility,
            end,
        })
    }
}

impl From<&PilotPlan> for pb::PilotPlan {
    fn from(p: &PilotPlan) -> Self {
        p.plan.clone()
    }
}

/// A plan's scope, checked: the growth may be unstated (the topic is not filled yet), not
/// unknown.
fn scope(s: &pb::Scope) -> Result<pb::Scope, PilotsError> {
    let growth = pb::ScopeGrowth::try_from(s.growth)
        .map_err(|_| PilotsError::invalid("scope.growth", "must be FIXED or GROWS"))?;
    Ok(pb::Scope {
        touchpoints: lines("scope.touchpoints", &s.touchpoints)?,
        work_processes: lines("scope.workProcesses", &s.work_processes)?,
        routines: lines("scope.routines", &s.routines)?,
        growth: growth as i32,
    })
}

/// One kind of participant, checked: the kind is always stated; who they are and how they
/// are recruited may follow before the start.
fn participants(p: &pb::Participants) -> Result<pb::Participants, PilotsError> {
    let kind = pb::ParticipantKind::try_from(p.kind)
        .ok()
        .filter(|k| *k != pb::ParticipantKind::Unspecified)
        .ok_or_else(|| {
            PilotsError::invalid(
                "participants",
                "each kind must be USERS, STAFF or THIRD_PARTIES",
            )
        })?;
    Ok(pb::Participants {
        kind: kind as i32,
        description: optional(LINE, "participants", &p.description)?,
        count: p.count,
        recruitment: optional(TEXT, "participants", &p.recruitment)?,
    })
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

/// What someone observed during the run: the contract's message, checked and trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation(pb::Observation);

impl TryFrom<pb::Observation> for Observation {
    type Error = PilotsError;

    fn try_from(o: pb::Observation) -> Result<Self, PilotsError> {
        let observation = pb::Observation {
            observer: optional(LINE, "observer", &o.observer)?,
            touchpoint: required(LINE, "touchpoint", &o.touchpoint)?,
            worked: optional(TEXT, "worked", &o.worked)?,
            stuck: optional(TEXT, "stuck", &o.stuck)?,
            joy: optional(TEXT, "joy", &o.joy)?,
            links: list("links", &o.links, MAX_LINKS, link)?,
            date: date("date", &o.date)?.to_string(),
        };
        if [&observation.worked, &observation.stuck, &observation.joy]
            .iter()
            .all(|t| t.is_empty())
        {
            return Err(PilotsError::invalid(
                "worked",
                "tell what worked, where people got stuck or what brought joy",
            ));
        }
        Ok(Self(observation))
    }
}

impl From<&Observation> for pb::Observation {
    fn from(o: &Observation) -> Self {
        o.0.clone()
    }
}

/// An incident of the run and how it was handled: the contract's message, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident(pb::Incident);

impl TryFrom<pb::Incident> for Incident {
    type Error = PilotsError;

    fn try_from(i: pb::Incident) -> Result<Self, PilotsError> {
        Ok(Self(pb::Incident {
            what: required(TEXT, "what", &i.what)?,
            handling: required(TEXT, "handling", &i.handling)?,
            date: date("date", &i.date)?.to_string(),
        }))
    }
}

impl From<&Incident> for pb::Incident {
    fn from(i: &Incident) -> Self {
        i.0.clone()
    }
}

// ---------------------------------------------------------------------------------------
// Benefits
// ---------------------------------------------------------------------------------------

/// A value of an indicator on a day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// The value (finite).
    pub value: f64,
    /// The day.
    pub date: NaiveDate,
}

impl Reading {
    /// `r`, its parts named `value` and `date` in refusals.
    fn checked(
        r: &common::Reading,
        value: &'static str,
        date_field: &'static str,
    ) -> Result<Self, PilotsError> {
        Ok(Self {
            value: finite(value, r.value)?,
            date: date(date_field, &r.date)?,
        })
    }
}

impl TryFrom<common::Reading> for Reading {
    type Error = PilotsError;

    fn try_from(r: common::Reading) -> Result<Self, PilotsError> {
        Self::checked(&r, "reading.value", "reading.date")
    }
}

impl From<&Reading> for common::Reading {
    fn from(r: &Reading) -> Self {
        common::Reading {
            value: r.value,
            date: r.date.to_string(),
        }
    }
}

/// A benefit the pilot is expected to bring: the contract's message, checked and trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Benefit {
    benefit: common::Benefit,
    baseline: Reading,
}

impl Benefit {
    /// Its short name.
    pub fn title(&self) -> &str {
        &self.benefit.title
    }

    /// Where its indicator stood before the change.
    pub fn baseline(&self) -> Reading {
        self.baseline
    }
}

impl TryFrom<common::Benefit> for Benefit {
    type Error = PilotsError;

    fn try_from(b: common::Benefit) -> Result<Self, PilotsError> {
        let kind = common::BenefitKind::try_from(b.kind)
            .ok()
            .filter(|k| *k != common::BenefitKind::Unspecified)
            .ok_or_else(|| {
                PilotsError::invalid("kind", "must be EFFICIENCY, QUALITY or BENEFIT_TO_OTHERS")
            })?;
        let category = common::BenefitCategory::try_from(b.category)
            .ok()
            .filter(|c| *c != common::BenefitCategory::Unspecified)
            .ok_or_else(|| {
                PilotsError::invalid(
                    "category",
                    "must be TIME_SAVED, COST_AVOIDED, COST_SAVED, REVENUE or QUALITY",
                )
            })?;
        let owner = match b.owner.trim() {
            "" => None,
            raw => Some(user("owner", raw)?),
        };
        let indicator = b
            .indicator
            .as_ref()
            .ok_or_else(|| PilotsError::invalid("indicator", "is required"))?;
        let indicator = common::Indicator {
            unit: required(LINE, "indicator.unit", &indicator.unit)?,
            method: required(LINE, "indicator.method", &indicator.method)?,
            frequency: required(LINE, "indicator.frequency", &indicator.frequency)?,
        };
        let baseline = b
            .baseline
            .as_ref()
            .ok_or_else(|| PilotsError::invalid("baseline", "is required"))?;
        let baseline = Reading::checked(baseline, "baseline.value", "baseline.date")?;
        let target = b
            .target
            .as_ref()
            .ok_or_else(|| PilotsError::invalid("target", "is required"))?;
        let target = Reading::checked(target, "target.value", "target.date")?;
        if target.date < baseline.date {
            return Err(PilotsError::invalid(
                "target.date",
                format!("must not be before the baseline's date {}", baseline.date),
            ));
        }
        if target.value == baseline.value {
            return Err(PilotsError::invalid(
                "target.value",
                format!("must differ from the baseline's value {}", baseline.value),
            ));
        }
        Ok(Self {
            benefit: common::Benefit {
                title: required(TITLE, "title", &b.title)?,
                kind: kind as i32,
                category: category as i32,
                priced: b.priced,
                beneficiary: required(LINE, "beneficiary", &b.beneficiary)?,
                owner: owner.map(|o| o.to_string()).unwrap_or_default(),
                indicator: Some(indicator),
                baseline: Some((&baseline).into()),
                target: Some((&target).into()),
            },
            baseline,
        })
    }
}

impl From<&Benefit> for common::Benefit {
    fn from(b: &Benefit) -> Self {
        b.benefit.clone()
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation and decision
// ---------------------------------------------------------------------------------------

/// An evaluation with all eleven ratings (1–5) and a complete benefit review: the contract's
/// message, checked and trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation(pb::Evaluation);

/// One rating, required, scored 1 to 5, named by `field`.
fn rating(field: &'static str, r: Option<&pb::Rating>) -> Result<Option<pb::Rating>, PilotsError> {
    let r = r.ok_or_else(|| PilotsError::invalid(field, "is required"))?;
    if !(1..=5).contains(&r.score) {
        return Err(PilotsError::invalid(
            field,
            format!("must be a rating from 1 to 5, got {}", r.score),
        ));
    }
    let notes = TEXT
        .optional(&r.notes)
        .map_err(|e| PilotsError::invalid(field, format!("notes {e}")))?;
    Ok(Some(pb::Rating {
        score: r.score,
        notes: notes.unwrap_or_default().to_owned(),
    }))
}

impl TryFrom<pb::Evaluation> for Evaluation {
    type Error = PilotsError;

    fn try_from(e: pb::Evaluation) -> Result<Self, PilotsError> {
        let review = e
            .benefit_review
            .as_ref()
            .ok_or_else(|| PilotsError::invalid("benefitReview", "is required"))?;
        Ok(Self(pb::Evaluation {
            users_experience: rating("usersExperience", e.users_experience.as_ref())?,
            staff_experience: rating("staffExperience", e.staff_experience.as_ref())?,
            touchpoints: rating("touchpoints", e.touchpoints.as_ref())?,
            flow_of_work: rating("flowOfWork", e.flow_of_work.as_ref())?,
            value_of_steps: rating("valueOfSteps", e.value_of_steps.as_ref())?,
            routines: rating("routines", e.routines.as_ref())?,
            roles: rating("roles", e.roles.as_ref())?,
            works_as_intended: rating("worksAsIntended", e.works_as_intended.as_ref())?,
            meets_needs: rating("meetsNeeds", e.meets_needs.as_ref())?,
            stable_and_secure: rating("stableAndSecure", e.stable_and_secure.as_ref())?,
            integrates: rating("integrates", e.integrates.as_ref())?,
            benefit_review: Some(pb::BenefitReview {
                expected_realised: required(
                    TEXT,
                    "benefitReview.expectedRealised",
                    &review.expected_realised,
                )?,
                new_benefits: required(TEXT, "benefitReview.newBenefits", &review.new_benefits)?,
                cost_estimate: required(TEXT, "benefitReview.costEstimate", &review.cost_estimate)?,
                follow_up: required(TEXT, "benefitReview.followUp", &review.follow_up)?,
            }),
        }))
    }
}

impl From<&Evaluation> for pb::Evaluation {
    fn from(e: &Evaluation) -> Self {
        e.0.clone()
    }
}

/// What a decision rests on, every part given: the contract's message, checked and trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionBasis(pb::DecisionBasis);

impl TryFrom<pb::DecisionBasis> for DecisionBasis {
    type Error = PilotsError;

    fn try_from(b: pb::DecisionBasis) -> Result<Self, PilotsError> {
        Ok(Self(pb::DecisionBasis {
            final_design: required(TEXT, "basis.finalDesign", &b.final_design)?,
            benefit_assessment: required(TEXT, "basis.benefitAssessment", &b.benefit_assessment)?,
            recommendation: required(TEXT, "basis.recommendation", &b.recommendation)?,
        }))
    }
}

impl From<&DecisionBasis> for pb::DecisionBasis {
    fn from(b: &DecisionBasis) -> Self {
        b.0.clone()
    }
}

/// A decision with what it needs: EXTEND its new end date, STOP why it did not work.
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    /// The service goes into operation.
    ToOperation,
    /// More trials, until `until`.
    Extend {
        /// The new end date.
        until: NaiveDate,
    },
    /// Stopped.
    Stop {
        /// Why it did not work.
        why: String,
    },
    /// Back to ideation.
    BackToIdeation,
}

impl Decided {
    /// `decision` with its `new_end_date` and `why_stopped` as the contract carries them:
    /// each is required for its decision and empty for the others.
    pub fn new(
        decision: Decision,
        new_end_date: &str,
        why_stopped: &str,
    ) -> Result<Self, PilotsError> {
        let name = decision_name(decision);
        if decision != Decision::Extend && !new_end_date.trim().is_empty() {
            return Err(PilotsError::invalid(
                "newEndDate",
                format!("only EXTEND takes a new end date, not {name}"),
            ));
        }
        if decision != Decision::Stop && !why_stopped.trim().is_empty() {
            return Err(PilotsError::invalid(
                "whyStopped",
                format!("only STOP says why it did not work, not {name}"),
            ));
        }
        Ok(match decision {
            Decision::ToOperation => Self::ToOperation,
            Decision::BackToIdeation => Self::BackToIdeation,
            Decision::Extend if new_end_date.trim().is_empty() => {
                return Err(PilotsError::invalid(
                    "newEndDate",
                    "EXTEND needs the new end date",
                ));
            }
            Decision::Extend => Self::Extend {
                until: date("newEndDate", new_end_date)?,
            },
            Decision::Stop => Self::Stop {
                why: TEXT
                    .required(why_stopped)
                    .map_err(|_| {
                        PilotsError::invalid("whyStopped", "STOP needs why it did not work")
                    })?
                    .to_owned(),
            },
            Decision::Unspecified => return Err(PilotsError::invalid("decision", DECISIONS)),
        })
    }

    /// The decision in the contract's spelling.
    pub fn decision(&self) -> Decision {
        match self {
            Self::ToOperation => Decision::ToOperation,
            Self::Extend { .. } => Decision::Extend,
            Self::Stop { .. } => Decision::Stop,
            Self::BackToIdeation => Decision::BackToIdeation,
        }
    }

    /// Where it leaves the pilot.
    pub fn status(&self) -> Status {
        match self {
            Self::ToOperation => Status::InOperation,
            Self::Extend { .. } => Status::Running,
            Self::Stop { .. } => Status::Stopped,
            Self::BackToIdeation => Status::BackToIdeation,
        }
    }

    /// The new end date as the contract carries it (`""` but for EXTEND).
    pub fn new_end_date(&self) -> String {
        match self {
            Self::Extend { until } => until.to_string(),
            _ => String::new(),
        }
    }

    /// Why it stopped as the contract carries it (`""` but for STOP).
    pub fn why_stopped(&self) -> String {
        match self {
            Self::Stop { why } => why.clone(),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_refuse_unspecified_and_unknown_values() {
        assert_eq!(decision(Decision::Stop as i32), Ok(Decision::Stop));
        assert_eq!(decision(0).unwrap_err().field(), Some("decision"));
        assert_eq!(decision(99).unwrap_err().field(), Some("decision"));
        assert_eq!(visibility(0).unwrap_err().field(), Some("visibility"));
    }

    #[test]
    fn names_drop_the_enum_prefix() {
        assert_eq!(status_name(Status::InOperation), "IN_OPERATION");
        assert_eq!(decision_name(Decision::BackToIdeation), "BACK_TO_IDEATION");
    }

    #[test]
    fn links_are_web_addresses_with_a_host() {
        assert_eq!(
            link(" https://a.no/b.jpg "),
            Ok("https://a.no/b.jpg".to_owned())
        );
        assert!(link("Http://a.no").is_ok());
        for bad in [
            "a.no/b.jpg",
            "javascript:alert(1)",
            "https://",
            "http://a.no/\tx",
        ] {
            assert!(link(bad).is_err(), "{bad}");
        }
        assert!(link(&format!("https://a.no/{}", "x".repeat(MAX_LINK))).is_err());
    }
}
