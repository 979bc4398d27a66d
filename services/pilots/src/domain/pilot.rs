//! The `Pilot` aggregate: a pilot from its plan (`PLANNING`, the plan may be incomplete)
//! through its run (`RUNNING`: observations, incidents and measurements) and evaluation
//! (`EVALUATING`) to its decision (`IN_OPERATION`, `STOPPED`, `BACK_TO_IDEATION`, or EXTEND
//! back to `RUNNING` until a later end date), with the benefits it is expected to bring. Its
//! commands carry the contract's messages as they came in; `decide` validates them with the
//! domain's values ([`super::values`]). Its events map to and from the contract's messages
//! in [`PilotEvent`]'s `DomainEvent`.

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::{self as common, RecordRef};
use innohub_proto::innohub::pilots::v1 as pb;
use innohub_runtime::aggregate::{message, required};
use innohub_runtime::field::{only_while, require_member};
use innohub_runtime::link;
use innohub_runtime::readable::Readable;
use innohub_runtime::{
    Access, Aggregate, Audience, DecodeError, DomainEvent, EncodedEvent, MunicipalityId, Principal,
    RecordLink, Role, UserId, Viewer, Visibility,
};
use prost::Name as _;
use prost_types::FieldMask;
use uuid::Uuid;

use super::values::{
    self, Benefit, Decided, Decision, DecisionBasis, Evaluation, Incident, Observation, PilotPlan,
    Reading, Status, require_role, status_name,
};
use crate::PilotsError;

/// What can be asked of a pilot.
#[derive(Debug, Clone)]
pub enum PilotCommand {
    /// Plan a new pilot. `id` is chosen by the caller (UUIDv7).
    Plan {
        /// New id.
        id: Uuid,
        /// An innovation lead.
        by: Principal,
        /// The plan as far as it is known, as requested.
        plan: pb::PilotPlan,
        /// The record it is born from, if any (of the caller's municipality).
        origin: Option<RecordRef>,
    },
    /// Change the topics of the plan that `mask` names.
    UpdatePlan {
        /// An innovation lead.
        by: Principal,
        /// The new values of the named fields.
        plan: pb::PilotPlan,
        /// The fields to change.
        mask: FieldMask,
    },
    /// Start the run; the plan must be complete.
    Start {
        /// An innovation lead.
        by: Principal,
        /// The day it starts on.
        today: NaiveDate,
    },
    /// Record an observation.
    RecordObservation {
        /// An innovation lead or the responsible person.
        by: Principal,
        /// New id.
        observation_id: Uuid,
        /// What was observed, as requested.
        observation: pb::Observation,
    },
    /// Record an incident.
    RecordIncident {
        /// An innovation lead or the responsible person.
        by: Principal,
        /// New id.
        incident_id: Uuid,
        /// What happened, as requested.
        incident: pb::Incident,
    },
    /// Define a benefit, or redefine one.
    DefineBenefit {
        /// An innovation lead.
        by: Principal,
        /// The benefit to redefine as requested; `""` is a new one.
        benefit_id: String,
        /// The id of a new benefit (UUIDv7).
        new_id: Uuid,
        /// The benefit, as requested.
        benefit: common::Benefit,
    },
    /// Record a measurement of a benefit's indicator.
    RecordMeasurement {
        /// An innovation lead or the responsible person.
        by: Principal,
        /// The benefit, as requested.
        benefit_id: String,
        /// The value and its day, as requested.
        reading: common::Reading,
        /// The day it is recorded on: no reading is of a later day.
        today: NaiveDate,
    },
    /// Evaluate it (again).
    Evaluate {
        /// An innovation lead.
        by: Principal,
        /// The evaluation, as requested.
        evaluation: pb::Evaluation,
    },
    /// Decide it.
    Decide {
        /// An innovation lead.
        by: Principal,
        /// The decision (never UNSPECIFIED: the adapter refuses that).
        decision: Decision,
        /// For EXTEND: the new end date, as requested.
        new_end_date: String,
        /// For STOP: why it did not work, as requested.
        why_stopped: String,
        /// What the decision rests on, as requested.
        basis: pb::DecisionBasis,
    },
}

/// What happened to a pilot.
#[derive(Debug, Clone, PartialEq)]
pub enum PilotEvent {
    /// It was planned.
    PilotPlanned {
        /// Its id.
        id: Uuid,
        /// The municipality that owns it.
        municipality: MunicipalityId,
        /// The innovation lead who planned it.
        planned_by: UserId,
        /// The plan as far as it is known.
        plan: PilotPlan,
        /// The record it was born from.
        origin: Option<RecordLink>,
    },
    /// The plan changed; holds it all.
    PilotPlanChanged {
        /// The plan after the change.
        plan: PilotPlan,
    },
    /// The run started.
    PilotStarted {
        /// Who started it.
        started_by: UserId,
        /// The day.
        date: NaiveDate,
    },
    /// Someone observed the pilot at work.
    PilotObservationRecorded {
        /// The observation's id.
        observation_id: Uuid,
        /// What was observed.
        observation: Observation,
    },
    /// Something went wrong, and how it was handled.
    PilotIncidentRecorded {
        /// The incident's id.
        incident_id: Uuid,
        /// What happened.
        incident: Incident,
        /// Who recorded it.
        recorded_by: UserId,
    },
    /// A benefit was defined, or redefined as a whole.
    PilotBenefitDefined {
        /// The benefit's id.
        benefit_id: Uuid,
        /// The benefit.
        benefit: Benefit,
    },
    /// A benefit's indicator was measured.
    PilotMeasurementRecorded {
        /// The benefit.
        benefit_id: Uuid,
        /// The value and its day.
        reading: Reading,
        /// Who recorded it.
        recorded_by: UserId,
    },
    /// It was evaluated, replacing an earlier evaluation.
    PilotEvaluated {
        /// The evaluation.
        evaluation: Evaluation,
        /// Who evaluated.
        evaluated_by: UserId,
    },
    /// It was decided.
    PilotDecided {
        /// The decision with what it needs.
        decided: Decided,
        /// What it rests on.
        basis: DecisionBasis,
        /// The innovation lead who decided.
        decider: UserId,
    },
}

impl DomainEvent for PilotEvent {
    fn encode(&self) -> EncodedEvent {
        use PilotEvent as E;
        match self {
            E::PilotPlanned {
                id,
                municipality,
                planned_by,
                plan,
                origin,
            } => EncodedEvent::of(&pb::PilotPlanned {
                pilot_id: id.to_string(),
                municipality: municipality.to_string(),
                plan: Some(plan.into()),
                planned_by: planned_by.to_string(),
                origin: origin.as_ref().map(RecordRef::from),
            }),
            E::PilotPlanChanged { plan } => EncodedEvent::of(&pb::PilotPlanChanged {
                plan: Some(plan.into()),
            }),
            E::PilotStarted { started_by, date } => EncodedEvent::of(&pb::PilotStarted {
                started_by: started_by.to_string(),
                date: date.to_string(),
            }),
            E::PilotObservationRecorded {
                observation_id,
                observation,
            } => EncodedEvent::of(&pb::PilotObservationRecorded {
                observation_id: observation_id.to_string(),
                observation: Some(observation.into()),
            }),
            E::PilotIncidentRecorded {
                incident_id,
                incident,
                recorded_by,
            } => EncodedEvent::of(&pb::PilotIncidentRecorded {
                incident_id: incident_id.to_string(),
                incident: Some(incident.into()),
                recorded_by: recorded_by.to_string(),
            }),
            E::PilotBenefitDefined {
                benefit_id,
                benefit,
            } => EncodedEvent::of(&pb::PilotBenefitDefined {
                benefit_id: benefit_id.to_string(),
                benefit: Some(benefit.into()),
            }),
            E::PilotMeasurementRecorded {
                benefit_id,
                reading,
                recorded_by,
            } => EncodedEvent::of(&pb::PilotMeasurementRecorded {
                benefit_id: benefit_id.to_string(),
                reading: Some(reading.into()),
                recorded_by: recorded_by.to_string(),
            }),
            E::PilotEvaluated {
                evaluation,
                evaluated_by,
            } => EncodedEvent::of(&pb::PilotEvaluated {
                evaluation: Some(evaluation.into()),
                evaluated_by: evaluated_by.to_string(),
            }),
            E::PilotDecided {
                decided,
                basis,
                decider,
            } => EncodedEvent::of(&pb::PilotDecided {
                decision: decided.decision() as i32,
                new_end_date: decided.new_end_date(),
                why_stopped: decided.why_stopped(),
                basis: Some(basis.into()),
                decider: decider.to_string(),
            }),
        }
    }

    fn decode(event_type: &str, payload: &[u8]) -> Result<Self, DecodeError> {
        use PilotEvent as E;
        let id = |raw: &str| Uuid::parse_str(raw).map_err(DecodeError::new);
        Ok(match event_type {
            pb::PilotPlanned::NAME => {
                let m: pb::PilotPlanned = message(payload)?;
                E::PilotPlanned {
                    id: id(&m.pilot_id)?,
                    municipality: MunicipalityId::parse(&m.municipality).map_err(DecodeError)?,
                    planned_by: values::user("plannedBy", &m.planned_by)?,
                    plan: required(m.plan, "plan")?.try_into()?,
                    origin: link::stored_origin(m.origin.as_ref())?,
                }
            }
            pb::PilotPlanChanged::NAME => {
                let m: pb::PilotPlanChanged = message(payload)?;
                E::PilotPlanChanged {
                    plan: required(m.plan, "plan")?.try_into()?,
                }
            }
            pb::PilotStarted::NAME => {
                let m: pb::PilotStarted = message(payload)?;
                E::PilotStarted {
                    started_by: values::user("startedBy", &m.started_by)?,
                    date: values::date("date", &m.date)?,
                }
            }
            pb::PilotObservationRecorded::NAME => {
                let m: pb::PilotObservationRecorded = message(payload)?;
                E::PilotObservationRecorded {
                    observation_id: id(&m.observation_id)?,
                    observation: required(m.observation, "observation")?.try_into()?,
                }
            }
            pb::PilotIncidentRecorded::NAME => {
                let m: pb::PilotIncidentRecorded = message(payload)?;
                E::PilotIncidentRecorded {
                    incident_id: id(&m.incident_id)?,
                    incident: required(m.incident, "incident")?.try_into()?,
                    recorded_by: values::user("recordedBy", &m.recorded_by)?,
                }
            }
            pb::PilotBenefitDefined::NAME => {
                let m: pb::PilotBenefitDefined = message(payload)?;
                E::PilotBenefitDefined {
                    benefit_id: id(&m.benefit_id)?,
                    benefit: required(m.benefit, "benefit")?.try_into()?,
                }
            }
            pb::PilotMeasurementRecorded::NAME => {
                let m: pb::PilotMeasurementRecorded = message(payload)?;
                E::PilotMeasurementRecorded {
                    benefit_id: id(&m.benefit_id)?,
                    reading: required(m.reading, "reading")?.try_into()?,
                    recorded_by: values::user("recordedBy", &m.recorded_by)?,
                }
            }
            pb::PilotEvaluated::NAME => {
                let m: pb::PilotEvaluated = message(payload)?;
                E::PilotEvaluated {
                    evaluation: required(m.evaluation, "evaluation")?.try_into()?,
                    evaluated_by: values::user("evaluatedBy", &m.evaluated_by)?,
                }
            }
            pb::PilotDecided::NAME => {
                let m: pb::PilotDecided = message(payload)?;
                E::PilotDecided {
                    decided: Decided::new(
                        values::decision(m.decision)?,
                        &m.new_end_date,
                        &m.why_stopped,
                    )?,
                    basis: required(m.basis, "basis")?.try_into()?,
                    decider: values::user("decider", &m.decider)?,
                }
            }
            other => return Err(DecodeError(format!("no pilot event {other}"))),
        })
    }
}

/// A benefit of a pilot with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct DefinedBenefit {
    /// Its id within the pilot.
    pub id: Uuid,
    /// The benefit.
    pub benefit: Benefit,
}

/// A pilot as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct PilotRecord {
    id: Uuid,
    municipality: MunicipalityId,
    planned_by: UserId,
    plan: PilotPlan,
    origin: Option<RecordLink>,
    status: Status,
    benefits: Vec<DefinedBenefit>,
}

impl PilotRecord {
    /// Its id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// The municipality that owns it.
    pub fn municipality(&self) -> &MunicipalityId {
        &self.municipality
    }

    /// The innovation lead who planned it.
    pub fn planned_by(&self) -> &UserId {
        &self.planned_by
    }

    /// The plan as it reads now.
    pub fn plan(&self) -> &PilotPlan {
        &self.plan
    }

    /// The record it was born from, if any.
    pub fn origin(&self) -> Option<&RecordLink> {
        self.origin.as_ref()
    }

    /// Where it stands.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Its benefits, in the order first defined.
    pub fn benefits(&self) -> &[DefinedBenefit] {
        &self.benefits
    }

    /// What `viewer` may see of it, by the one read rule of its plan's visibility and
    /// departments: the innovation lead who planned it and the responsible person always
    /// see it.
    pub fn access(&self, viewer: &Viewer) -> Access {
        let mut people = vec![&self.planned_by];
        people.extend(self.plan.responsible());
        innohub_runtime::access::access(
            viewer,
            Audience {
                municipality: &self.municipality,
                visibility: self.plan.visibility(),
                departments: self.plan.departments(),
                people: &people,
            },
        )
    }

    /// The record, if `by` is a member of its municipality: partners only read pilots.
    fn owned_by(&self, by: &Principal) -> Result<&Self, PilotsError> {
        require_member(by, &self.municipality, "pilots")?;
        Ok(self)
    }

    /// `what` (e.g. "an observation is recorded") may happen in one of `statuses` only.
    fn only_while(&self, statuses: &[Status], what: &str) -> Result<(), PilotsError> {
        only_while("the pilot", self.status, statuses, status_name, what)
    }

    /// `by` may record what the run shows: an innovation lead, or the responsible person.
    fn may_record(&self, by: &Principal, what: &str) -> Result<(), PilotsError> {
        if by.has(Role::InnovationLead) || self.plan.responsible() == Some(&by.user) {
            Ok(())
        } else {
            Err(PilotsError::Forbidden(format!(
                "{what} needs the innovation_lead role or being the pilot's responsible person"
            )))
        }
    }

    /// The benefit `raw` names, or why none.
    fn benefit(&self, raw: &str) -> Result<&DefinedBenefit, PilotsError> {
        let no_such = || PilotsError::invalid("benefitId", "no such benefit");
        let id = Uuid::parse_str(raw.trim()).map_err(|_| no_such())?;
        self.benefits
            .iter()
            .find(|b| b.id == id)
            .ok_or_else(no_such)
    }
}

/// Why a plan that misses `missing` topics cannot start.
fn incomplete(missing: &[pb::PilotTopic]) -> PilotsError {
    let names: Vec<_> = missing
        .iter()
        .map(|t| innohub_pilot_rules::topic_name(*t))
        .collect();
    PilotsError::Rule(format!(
        "the plan is incomplete; missing: {}",
        names.join(", ")
    ))
}

/// The aggregate: `None` until planned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pilot(pub Option<PilotRecord>);

impl Pilot {
    fn existing(&self) -> Result<&PilotRecord, PilotsError> {
        self.0.as_ref().ok_or(PilotsError::NotFound)
    }
}

impl Aggregate for Pilot {
    type Command = PilotCommand;
    type Event = PilotEvent;
    type Error = PilotsError;
    const TYPE: &'static str = "pilot";

    fn decide(&self, command: PilotCommand) -> Result<Vec<PilotEvent>, PilotsError> {
        use PilotCommand as C;
        use PilotEvent as E;
        use Status as S;
        match command {
            C::Plan {
                id,
                by,
                plan,
                origin,
            } => {
                if self.0.is_some() {
                    return Err(PilotsError::Rule(format!("pilot {id} already exists")));
                }
                require_role(&by, &[Role::InnovationLead], "planning a pilot")?;
                let plan = PilotPlan::requested(plan)?;
                let origin =
                    link::origin(origin.as_ref(), &by.municipality, "a pilot is born from")?;
                Ok(vec![E::PilotPlanned {
                    id,
                    municipality: by.municipality,
                    planned_by: by.user,
                    plan,
                    origin,
                }])
            }
            C::UpdatePlan { by, plan, mask } => {
                let record = self.existing()?.owned_by(&by)?;
                require_role(&by, &[Role::InnovationLead], "changing a pilot's plan")?;
                record.only_while(&[S::Planning, S::Running], "the plan is changed")?;
                let plan = record.plan.updated(&plan, &mask)?;
                if record.status == S::Running {
                    let missing = plan.missing();
                    if !missing.is_empty() {
                        return Err(incomplete(&missing));
                    }
                    if plan.start_date() != record.plan.start_date()
                        || plan.end() != record.plan.end()
                    {
                        return Err(PilotsError::Rule(
                            "a running pilot's dates stay as planned; EXTEND moves its end date"
                                .into(),
                        ));
                    }
                }
                Ok(if plan == record.plan {
                    vec![]
                } else {
                    vec![E::PilotPlanChanged { plan }]
                })
            }
            C::Start { by, today } => {
                let record = self.existing()?.owned_by(&by)?;
                require_role(&by, &[Role::InnovationLead], "starting a pilot")?;
                record.only_while(&[S::Planning], "a pilot is started")?;
                let missing = record.plan.missing();
                if !missing.is_empty() {
                    return Err(incomplete(&missing));
                }
                Ok(vec![E::PilotStarted {
                    started_by: by.user,
                    date: today,
                }])
            }
            C::RecordObservation {
                by,
                observation_id,
                observation,
            } => {
                let record = self.existing()?.owned_by(&by)?;
                record.may_record(&by, "recording an observation")?;
                record.only_while(&[S::Running], "an observation is recorded")?;
                Ok(vec![E::PilotObservationRecorded {
                    observation_id,
                    observation: observation.try_into()?,
                }])
            }
            C::RecordIncident {
                by,
                incident_id,
                incident,
            } => {
                let record = self.existing()?.owned_by(&by)?;
                record.may_record(&by, "recording an incident")?;
                record.only_while(&[S::Running], "an incident is recorded")?;
                Ok(vec![E::PilotIncidentRecorded {
                    incident_id,
                    incident: incident.try_into()?,
                    recorded_by: by.user,
                }])
            }
            C::DefineBenefit {
                by,
                benefit_id,
                new_id,
                benefit,
            } => {
                let record = self.existing()?.owned_by(&by)?;
                require_role(&by, &[Role::InnovationLead], "defining a benefit")?;
                record.only_while(
                    &[S::Planning, S::Running, S::Evaluating],
                    "a benefit is defined",
                )?;
                let benefit_id = match benefit_id.trim() {
                    "" => new_id,
                    raw => record.benefit(raw)?.id,
                };
                let benefit = Benefit::try_from(benefit)?;
                let title = benefit.title().to_lowercase();
                if record
                    .benefits
                    .iter()
                    .any(|b| b.id != benefit_id && b.benefit.title().to_lowercase() == title)
                {
                    return Err(PilotsError::invalid(
                        "title",
                        format!("the pilot already has a benefit {:?}", benefit.title()),
                    ));
                }
                let unchanged = record
                    .benefits
                    .iter()
                    .any(|b| b.id == benefit_id && b.benefit == benefit);
                Ok(if unchanged {
                    vec![]
                } else {
                    vec![E::PilotBenefitDefined {
                        benefit_id,
                        benefit,
                    }]
                })
            }
            C::RecordMeasurement {
                by,
                benefit_id,
                reading,
                today,
            } => {
                let record = self.existing()?.owned_by(&by)?;
                record.may_record(&by, "recording a measurement")?;
                record.only_while(&[S::Running], "a measurement is recorded")?;
                let benefit = record.benefit(&benefit_id)?;
                let reading = Reading::try_from(reading)?;
                let baseline = benefit.benefit.baseline().date;
                if reading.date < baseline {
                    return Err(PilotsError::invalid(
                        "reading.date",
                        format!("must not be before the benefit's baseline date {baseline}"),
                    ));
                }
                if reading.date > today {
                    return Err(PilotsError::invalid(
                        "reading.date",
                        format!("must not be after today, {today}"),
                    ));
                }
                Ok(vec![E::PilotMeasurementRecorded {
                    benefit_id: benefit.id,
                    reading,
                    recorded_by: by.user,
                }])
            }
            C::Evaluate { by, evaluation } => {
                let record = self.existing()?.owned_by(&by)?;
                require_role(&by, &[Role::InnovationLead], "evaluating a pilot")?;
                record.only_while(&[S::Running, S::Evaluating], "a pilot is evaluated")?;
                Ok(vec![E::PilotEvaluated {
                    evaluation: evaluation.try_into()?,
                    evaluated_by: by.user,
                }])
            }
            C::Decide {
                by,
                decision,
                new_end_date,
                why_stopped,
                basis,
            } => {
                let record = self.existing()?.owned_by(&by)?;
                require_role(&by, &[Role::InnovationLead], "deciding a pilot")?;
                record.only_while(&[S::Evaluating], "a pilot is decided")?;
                let decided = Decided::new(decision, &new_end_date, &why_stopped)?;
                if let (Decided::Extend { until }, Some(end)) = (&decided, record.plan.end())
                    && *until <= end
                {
                    return Err(PilotsError::invalid(
                        "newEndDate",
                        format!("must be after the current end date {end}"),
                    ));
                }
                Ok(vec![E::PilotDecided {
                    decided,
                    basis: basis.try_into()?,
                    decider: by.user,
                }])
            }
        }
    }

    fn evolve(self, event: &PilotEvent) -> Self {
        use PilotEvent as E;
        if let E::PilotPlanned {
            id,
            municipality,
            planned_by,
            plan,
            origin,
        } = event
        {
            return Pilot(Some(PilotRecord {
                id: *id,
                municipality: municipality.clone(),
                planned_by: planned_by.clone(),
                plan: plan.clone(),
                origin: origin.clone(),
                status: Status::Planning,
                benefits: Vec::new(),
            }));
        }
        let Some(mut r) = self.0 else {
            return self;
        };
        match event {
            E::PilotPlanned { .. }
            | E::PilotObservationRecorded { .. }
            | E::PilotIncidentRecorded { .. }
            | E::PilotMeasurementRecorded { .. } => {}
            E::PilotPlanChanged { plan } => r.plan = plan.clone(),
            E::PilotStarted { .. } => r.status = Status::Running,
            E::PilotBenefitDefined {
                benefit_id,
                benefit,
            } => match r.benefits.iter_mut().find(|b| b.id == *benefit_id) {
                Some(defined) => defined.benefit = benefit.clone(),
                None => r.benefits.push(DefinedBenefit {
                    id: *benefit_id,
                    benefit: benefit.clone(),
                }),
            },
            E::PilotEvaluated { .. } => r.status = Status::Evaluating,
            E::PilotDecided { decided, .. } => {
                if let Decided::Extend { until } = decided {
                    r.plan = r.plan.extended(*until);
                }
                r.status = decided.status();
            }
        }
        Pilot(Some(r))
    }

    fn municipality(&self) -> Option<&MunicipalityId> {
        self.0.as_ref().map(|r| &r.municipality)
    }
}

/// A pilot is read by the read rule of its plan ([`PilotRecord::access`]).
impl Readable for Pilot {
    fn visibility(&self) -> Option<Visibility> {
        self.0.as_ref().map(|r| r.plan.visibility())
    }

    fn access(&self, viewer: &Viewer) -> Access {
        self.0.as_ref().map_or(Access::None, |r| r.access(viewer))
    }
}
