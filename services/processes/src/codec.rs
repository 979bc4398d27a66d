//! The processes service's event codec for distributed mode: turns the JSON its aggregates
//! store (`Process`, `Backlog`, `MunicipalitySettings` events) into the protobuf messages
//! of `proto/innohub/processes/v1/events.proto` for Kafka, and those messages back into the
//! same JSON, so projections read the same events in both modes.
//!
//! Both directions go through the domain types: JSON ⇄ domain event (serde) ⇄ prost
//! message (field by field). Decoding checks what the wire cannot guarantee and the
//! domain needs: required fields are present (`""` and absent messages mean "not set"),
//! UUIDs, dates, municipality / user / department ids parse, enums are specified (phase and
//! status), numbers are within the ranges the contract states. Text is taken as sent
//! (length limits are input rules, applied when the event was decided). An unknown
//! non-zero `Visibility` reads as PRIVATE, as the contract says; a zero one is malformed.

use chrono::NaiveDate;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::kafka::{CodecError, EventCodec};
use innohub_runtime::{DepartmentId, DomainEvent, MunicipalityId, UserId, Visibility};
use prost::Message;
use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer};
use uuid::Uuid;

use crate::domain::assessment::{Assessment, Rating};
use crate::domain::backlog::BacklogEvent;
use crate::domain::details::ProcessDetails;
use crate::domain::lifecycle::{Phase, Status};
use crate::domain::process::{Experience, Follower, ProcessEvent};
use crate::domain::scoring::ScoringWeights;
use crate::domain::settings::SettingsEvent;
use crate::domain::values::{Classification, Label, Volume};

/// The [`EventCodec`] of the processes service: every event type its three aggregates
/// store, as the messages of `innohub.processes.v1`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessesCodec;

impl ProcessesCodec {
    /// Every event type this codec translates (the `Process`, `Backlog` and
    /// `MunicipalitySettings` events), which is also the protobuf message name.
    pub const EVENT_TYPES: [&'static str; 12] = [
        "ProcessSubmitted",
        "ProcessDetailsChanged",
        "ProcessAssessed",
        "ProcessPhaseChanged",
        "ProcessStatusChanged",
        "ProcessCommented",
        "ProcessFollowed",
        "ProcessUnfollowed",
        "ProcessExperienceRecorded",
        "ProcessRanked",
        "ProcessUnranked",
        "ScoringWeightsSet",
    ];
}

impl EventCodec for ProcessesCodec {
    fn service(&self) -> &'static str {
        "processes"
    }

    fn encode(&self, event_type: &str, payload: &str) -> Result<Vec<u8>, CodecError> {
        let stream = stream_of(event_type)?;
        let malformed = |reason: String| CodecError::Malformed {
            event_type: event_type.to_owned(),
            reason,
        };
        let bytes = match stream {
            Stream::Process => {
                let event: ProcessEvent = from_json(event_type, payload).map_err(malformed)?;
                encode_process(&event)
            }
            Stream::Backlog => {
                let event: BacklogEvent = from_json(event_type, payload).map_err(malformed)?;
                encode_backlog(&event)
            }
            Stream::Settings => {
                let event: SettingsEvent = from_json(event_type, payload).map_err(malformed)?;
                encode_settings(&event)
            }
        };
        Ok(bytes)
    }

    fn decode(&self, event_type: &str, payload: &[u8]) -> Result<String, CodecError> {
        let stream = stream_of(event_type)?;
        let malformed = |reason: String| CodecError::Malformed {
            event_type: event_type.to_owned(),
            reason,
        };
        match stream {
            Stream::Process => to_json(&decode_process(event_type, payload).map_err(malformed)?),
            Stream::Backlog => to_json(&decode_backlog(event_type, payload).map_err(malformed)?),
            Stream::Settings => to_json(&decode_settings(event_type, payload).map_err(malformed)?),
        }
        .map_err(malformed)
    }
}

/// Which aggregate's event enum holds an event type.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Process,
    Backlog,
    Settings,
}

fn stream_of(event_type: &str) -> Result<Stream, CodecError> {
    match event_type {
        "ProcessSubmitted"
        | "ProcessDetailsChanged"
        | "ProcessAssessed"
        | "ProcessPhaseChanged"
        | "ProcessStatusChanged"
        | "ProcessCommented"
        | "ProcessFollowed"
        | "ProcessUnfollowed"
        | "ProcessExperienceRecorded" => Ok(Stream::Process),
        "ProcessRanked" | "ProcessUnranked" => Ok(Stream::Backlog),
        "ScoringWeightsSet" => Ok(Stream::Settings),
        other => Err(CodecError::UnknownEventType(other.to_owned())),
    }
}

/// The stored JSON as a domain event, which must be of `event_type`.
fn from_json<E: DomainEvent + DeserializeOwned>(event_type: &str, json: &str) -> Result<E, String> {
    let event: E =
        serde_json::from_str(json).map_err(|e| format!("stored JSON is not a valid event: {e}"))?;
    if event.event_type() == event_type {
        Ok(event)
    } else {
        Err(format!(
            "stored JSON holds a {}, not a {event_type}",
            event.event_type()
        ))
    }
}

fn to_json<E: Serialize>(event: &E) -> Result<String, String> {
    serde_json::to_string(event).map_err(|e| format!("cannot serialise the event: {e}"))
}

/// Decode the prost message `M` from `bytes`.
fn message<M: Message + Default>(bytes: &[u8]) -> Result<M, String> {
    M::decode(bytes).map_err(|e| format!("invalid protobuf: {e}"))
}

// ----------------------------------------------------------------------------------------
// Domain → protobuf (infallible: every domain value has a wire form)
// ----------------------------------------------------------------------------------------

fn encode_process(event: &ProcessEvent) -> Vec<u8> {
    use ProcessEvent as E;
    match event {
        E::ProcessSubmitted {
            id,
            municipality,
            reporter,
            details,
        } => pb::ProcessSubmitted {
            process_id: id.to_string(),
            municipality: municipality.to_string(),
            reporter: reporter.to_string(),
            details: Some(details_to_pb(details)),
        }
        .encode_to_vec(),
        E::ProcessDetailsChanged { details } => pb::ProcessDetailsChanged {
            details: Some(details_to_pb(details)),
        }
        .encode_to_vec(),
        E::ProcessAssessed { assessment } => pb::ProcessAssessed {
            assessment: Some(assessment_to_pb(assessment)),
        }
        .encode_to_vec(),
        E::ProcessPhaseChanged { from, to, reason } => pb::ProcessPhaseChanged {
            from: phase_to_pb(*from) as i32,
            to: phase_to_pb(*to) as i32,
            reason: opt_str(reason.as_ref().map(|r| r.as_str())),
        }
        .encode_to_vec(),
        E::ProcessStatusChanged { from, to, reason } => pb::ProcessStatusChanged {
            from: status_to_pb(*from) as i32,
            to: status_to_pb(*to) as i32,
            reason: opt_str(reason.as_ref().map(|r| r.as_str())),
        }
        .encode_to_vec(),
        E::ProcessCommented {
            comment_id,
            author,
            author_municipality,
            text,
        } => pb::ProcessCommented {
            comment_id: comment_id.to_string(),
            author: author.to_string(),
            author_municipality: author_municipality.to_string(),
            text: text.as_str().to_owned(),
        }
        .encode_to_vec(),
        E::ProcessFollowed { follower } => pb::ProcessFollowed {
            user: follower.user.to_string(),
            municipality: follower.municipality.to_string(),
        }
        .encode_to_vec(),
        E::ProcessUnfollowed { follower } => pb::ProcessUnfollowed {
            user: follower.user.to_string(),
            municipality: follower.municipality.to_string(),
        }
        .encode_to_vec(),
        E::ProcessExperienceRecorded { experience } => pb::ProcessExperienceRecorded {
            experience: Some(experience_to_pb(experience)),
        }
        .encode_to_vec(),
    }
}

fn encode_backlog(event: &BacklogEvent) -> Vec<u8> {
    match event {
        BacklogEvent::ProcessRanked {
            municipality,
            process_id,
            after,
        } => pb::ProcessRanked {
            municipality: municipality.to_string(),
            process_id: process_id.to_string(),
            after_process_id: after.map(|a| a.to_string()).unwrap_or_default(),
        }
        .encode_to_vec(),
        BacklogEvent::ProcessUnranked {
            municipality,
            process_id,
        } => pb::ProcessUnranked {
            municipality: municipality.to_string(),
            process_id: process_id.to_string(),
        }
        .encode_to_vec(),
    }
}

fn encode_settings(event: &SettingsEvent) -> Vec<u8> {
    match event {
        SettingsEvent::ScoringWeightsSet {
            municipality,
            weights,
        } => pb::ScoringWeightsSet {
            municipality: municipality.to_string(),
            weights: Some(pb::ScoringWeights {
                hours_saved: weights.hours_saved,
                automation_potential: weights.automation_potential,
                ease: weights.ease,
                strategic_fit: weights.strategic_fit,
                risk: weights.risk,
            }),
        }
        .encode_to_vec(),
    }
}

/// An optional text on the wire: `""` means not set.
fn opt_str(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

fn details_to_pb(d: &ProcessDetails) -> pb::ProcessDetails {
    let labels = |l: &[Label]| -> Vec<String> { l.iter().map(|x| x.as_str().to_owned()).collect() };
    pb::ProcessDetails {
        title: d.title.as_str().to_owned(),
        short_description: d.short_description.as_str().to_owned(),
        long_description: opt_str(d.long_description.as_ref().map(|t| t.as_str())),
        pain_points: opt_str(d.pain_points.as_ref().map(|t| t.as_str())),
        wished_solution: opt_str(d.wished_solution.as_ref().map(|t| t.as_str())),
        departments: d
            .departments
            .iter()
            .map(|x| x.as_str().to_owned())
            .collect(),
        owner: opt_str(d.owner.as_ref().map(|t| t.as_str())),
        contact: opt_str(d.contact.as_ref().map(|t| t.as_str())),
        classification: d.classification.as_ref().map(|c| pb::Classification {
            scheme: c.scheme.as_str().to_owned(),
            code: c.code.as_str().to_owned(),
        }),
        legal_basis: opt_str(d.legal_basis.as_ref().map(|t| t.as_str())),
        domains: labels(&d.domains),
        it_systems: labels(&d.it_systems),
        technologies: labels(&d.technologies),
        vendor: opt_str(d.vendor.as_ref().map(|t| t.as_str())),
        targets_citizens: d.targets_citizens,
        targets_companies: d.targets_companies,
        volume: Some(pb::Volume {
            cases_per_year: d.volume.cases_per_year,
            minutes_per_case: d.volume.minutes_per_case,
            employees: d.volume.employees,
            automation_share: u32::from(d.volume.automation_share),
        }),
        development_effort_hours: d.development_effort_hours,
        go_live_date: d.go_live_date.map(|x| x.to_string()).unwrap_or_default(),
        internal_notes: opt_str(d.internal_notes.as_ref().map(|t| t.as_str())),
        visibility: visibility_to_pb(d.visibility) as i32,
    }
}

fn assessment_to_pb(a: &Assessment) -> pb::Assessment {
    let r = |rating: Option<Rating>| rating.map(|x| u32::from(x.value()));
    pb::Assessment {
        rules_based: r(a.rules_based),
        structured_input: r(a.structured_input),
        input_quality: r(a.input_quality),
        process_stability: r(a.process_stability),
        case_variation: r(a.case_variation),
        documentation: r(a.documentation),
        data_sensitivity: r(a.data_sensitivity),
        quality_gain: r(a.quality_gain),
        speed_gain: r(a.speed_gain),
        routine_relief: r(a.routine_relief),
        strategic_fit: r(a.strategic_fit),
        risk: r(a.risk),
    }
}

fn experience_to_pb(e: &Experience) -> pb::Experience {
    pb::Experience {
        what_was_built: opt_str(e.what_was_built.as_ref().map(|t| t.as_str())),
        technical_notes: opt_str(e.technical_notes.as_ref().map(|t| t.as_str())),
        organisational_notes: opt_str(e.organisational_notes.as_ref().map(|t| t.as_str())),
        run_frequency: opt_str(e.run_frequency.as_ref().map(|t| t.as_str())),
        realised_benefit: e.realised_benefit.map(u32::from),
        realised_benefit_comment: opt_str(e.realised_benefit_comment.as_ref().map(|t| t.as_str())),
        repository_url: opt_str(e.repository_url.as_ref().map(|t| t.as_str())),
        decommission_date: e
            .decommission_date
            .map(|x| x.to_string())
            .unwrap_or_default(),
    }
}

fn phase_to_pb(phase: Phase) -> pb::Phase {
    match phase {
        Phase::Idea => pb::Phase::Idea,
        Phase::PreAnalysis => pb::Phase::PreAnalysis,
        Phase::Specification => pb::Phase::Specification,
        Phase::Development => pb::Phase::Development,
        Phase::Implementation => pb::Phase::Implementation,
        Phase::Operation => pb::Phase::Operation,
        Phase::Decommissioned => pb::Phase::Decommissioned,
    }
}

fn status_to_pb(status: Status) -> pb::Status {
    match status {
        Status::NotAssessed => pb::Status::NotAssessed,
        Status::InProgress => pb::Status::InProgress,
        Status::OnHold => pb::Status::OnHold,
        Status::Rejected => pb::Status::Rejected,
        Status::Failed => pb::Status::Failed,
        Status::NotRelevant => pb::Status::NotRelevant,
    }
}

fn visibility_to_pb(visibility: Visibility) -> pb::Visibility {
    match visibility {
        Visibility::Private => pb::Visibility::Private,
        Visibility::Municipality => pb::Visibility::Municipality,
        Visibility::Network => pb::Visibility::Network,
        Visibility::Public => pb::Visibility::Public,
    }
}

// ----------------------------------------------------------------------------------------
// Protobuf → domain (validating: the bytes come from outside this process)
// ----------------------------------------------------------------------------------------

fn decode_process(event_type: &str, bytes: &[u8]) -> Result<ProcessEvent, String> {
    use ProcessEvent as E;
    Ok(match event_type {
        "ProcessSubmitted" => {
            let m: pb::ProcessSubmitted = message(bytes)?;
            E::ProcessSubmitted {
                id: uuid("process_id", &m.process_id)?,
                municipality: municipality("municipality", &m.municipality)?,
                reporter: user("reporter", &m.reporter)?,
                details: details_from_pb(m.details)?,
            }
        }
        "ProcessDetailsChanged" => {
            let m: pb::ProcessDetailsChanged = message(bytes)?;
            E::ProcessDetailsChanged {
                details: details_from_pb(m.details)?,
            }
        }
        "ProcessAssessed" => {
            let m: pb::ProcessAssessed = message(bytes)?;
            E::ProcessAssessed {
                assessment: assessment_from_pb(&present("assessment", m.assessment)?)?,
            }
        }
        "ProcessPhaseChanged" => {
            let m: pb::ProcessPhaseChanged = message(bytes)?;
            E::ProcessPhaseChanged {
                from: phase_from_pb("from", m.from)?,
                to: phase_from_pb("to", m.to)?,
                reason: opt_text("reason", &m.reason)?,
            }
        }
        "ProcessStatusChanged" => {
            let m: pb::ProcessStatusChanged = message(bytes)?;
            E::ProcessStatusChanged {
                from: status_from_pb("from", m.from)?,
                to: status_from_pb("to", m.to)?,
                reason: opt_text("reason", &m.reason)?,
            }
        }
        "ProcessCommented" => {
            let m: pb::ProcessCommented = message(bytes)?;
            E::ProcessCommented {
                comment_id: uuid("comment_id", &m.comment_id)?,
                author: user("author", &m.author)?,
                author_municipality: municipality("author_municipality", &m.author_municipality)?,
                text: text("text", &m.text)?,
            }
        }
        "ProcessFollowed" => {
            let m: pb::ProcessFollowed = message(bytes)?;
            E::ProcessFollowed {
                follower: follower(&m.user, &m.municipality)?,
            }
        }
        "ProcessUnfollowed" => {
            let m: pb::ProcessUnfollowed = message(bytes)?;
            E::ProcessUnfollowed {
                follower: follower(&m.user, &m.municipality)?,
            }
        }
        "ProcessExperienceRecorded" => {
            let m: pb::ProcessExperienceRecorded = message(bytes)?;
            E::ProcessExperienceRecorded {
                experience: experience_from_pb(&present("experience", m.experience)?)?,
            }
        }
        other => return Err(format!("{other} is not a process event")),
    })
}

fn decode_backlog(event_type: &str, bytes: &[u8]) -> Result<BacklogEvent, String> {
    Ok(match event_type {
        "ProcessRanked" => {
            let m: pb::ProcessRanked = message(bytes)?;
            BacklogEvent::ProcessRanked {
                municipality: municipality("municipality", &m.municipality)?,
                process_id: uuid("process_id", &m.process_id)?,
                after: opt_uuid("after_process_id", &m.after_process_id)?,
            }
        }
        "ProcessUnranked" => {
            let m: pb::ProcessUnranked = message(bytes)?;
            BacklogEvent::ProcessUnranked {
                municipality: municipality("municipality", &m.municipality)?,
                process_id: uuid("process_id", &m.process_id)?,
            }
        }
        other => return Err(format!("{other} is not a backlog event")),
    })
}

fn decode_settings(event_type: &str, bytes: &[u8]) -> Result<SettingsEvent, String> {
    Ok(match event_type {
        "ScoringWeightsSet" => {
            let m: pb::ScoringWeightsSet = message(bytes)?;
            let w = present("weights", m.weights)?;
            let weight = |field: &str, v: f64| {
                if v.is_finite() && (0.0..=10.0).contains(&v) {
                    Ok(v)
                } else {
                    Err(format!("weights.{field}: {v} is not a weight from 0 to 10"))
                }
            };
            let weights = ScoringWeights {
                hours_saved: weight("hours_saved", w.hours_saved)?,
                automation_potential: weight("automation_potential", w.automation_potential)?,
                ease: weight("ease", w.ease)?,
                strategic_fit: weight("strategic_fit", w.strategic_fit)?,
                risk: weight("risk", w.risk)?,
            };
            if [
                weights.hours_saved,
                weights.automation_potential,
                weights.ease,
                weights.strategic_fit,
                weights.risk,
            ]
            .iter()
            .all(|v| *v <= 0.0)
            {
                return Err("weights: all are zero; at least one must be above 0".to_owned());
            }
            SettingsEvent::ScoringWeightsSet {
                municipality: municipality("municipality", &m.municipality)?,
                weights,
            }
        }
        other => return Err(format!("{other} is not a settings event")),
    })
}

fn details_from_pb(details: Option<pb::ProcessDetails>) -> Result<ProcessDetails, String> {
    let d = present("details", details)?;
    let labels = |field: &str, raw: &[String]| {
        raw.iter()
            .enumerate()
            .map(|(i, l)| text(&format!("details.{field}[{i}]"), l))
            .collect::<Result<Vec<_>, _>>()
    };
    if d.departments.is_empty() {
        return Err("details.departments is missing: at least one department is required".into());
    }
    let departments = d
        .departments
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            DepartmentId::parse(raw).map_err(|e| format!("details.departments[{i}]: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let classification = match &d.classification {
        None => None,
        Some(c) => Some(Classification {
            scheme: text("details.classification.scheme", &c.scheme)?,
            code: text("details.classification.code", &c.code)?,
        }),
    };
    let volume = present("details.volume", d.volume)?;
    if !(volume.minutes_per_case.is_finite() && volume.minutes_per_case >= 0.0) {
        return Err(format!(
            "details.volume.minutes_per_case: {} is not a non-negative number",
            volume.minutes_per_case
        ));
    }
    let automation_share = u8::try_from(volume.automation_share)
        .ok()
        .filter(|s| *s <= 100)
        .ok_or_else(|| {
            format!(
                "details.volume.automation_share: {} is not a percentage from 0 to 100",
                volume.automation_share
            )
        })?;
    Ok(ProcessDetails {
        title: text("details.title", &d.title)?,
        short_description: text("details.short_description", &d.short_description)?,
        long_description: opt_text("details.long_description", &d.long_description)?,
        pain_points: opt_text("details.pain_points", &d.pain_points)?,
        wished_solution: opt_text("details.wished_solution", &d.wished_solution)?,
        departments,
        owner: opt_text("details.owner", &d.owner)?,
        contact: opt_text("details.contact", &d.contact)?,
        classification,
        legal_basis: opt_text("details.legal_basis", &d.legal_basis)?,
        domains: labels("domains", &d.domains)?,
        it_systems: labels("it_systems", &d.it_systems)?,
        technologies: labels("technologies", &d.technologies)?,
        vendor: opt_text("details.vendor", &d.vendor)?,
        targets_citizens: d.targets_citizens,
        targets_companies: d.targets_companies,
        volume: Volume {
            cases_per_year: volume.cases_per_year,
            minutes_per_case: volume.minutes_per_case,
            employees: volume.employees,
            automation_share,
        },
        development_effort_hours: d.development_effort_hours,
        go_live_date: opt_date("details.go_live_date", &d.go_live_date)?,
        internal_notes: opt_text("details.internal_notes", &d.internal_notes)?,
        visibility: visibility_from_pb(d.visibility)?,
    })
}

fn assessment_from_pb(a: &pb::Assessment) -> Result<Assessment, String> {
    let r = |field: &str, raw: Option<u32>| -> Result<Option<Rating>, String> {
        raw.map(|v| {
            u8::try_from(v)
                .ok()
                .and_then(|v| Rating::try_from(v).ok())
                .ok_or_else(|| format!("assessment.{field}: {v} is not a rating from 1 to 5"))
        })
        .transpose()
    };
    Ok(Assessment {
        rules_based: r("rules_based", a.rules_based)?,
        structured_input: r("structured_input", a.structured_input)?,
        input_quality: r("input_quality", a.input_quality)?,
        process_stability: r("process_stability", a.process_stability)?,
        case_variation: r("case_variation", a.case_variation)?,
        documentation: r("documentation", a.documentation)?,
        data_sensitivity: r("data_sensitivity", a.data_sensitivity)?,
        quality_gain: r("quality_gain", a.quality_gain)?,
        speed_gain: r("speed_gain", a.speed_gain)?,
        routine_relief: r("routine_relief", a.routine_relief)?,
        strategic_fit: r("strategic_fit", a.strategic_fit)?,
        risk: r("risk", a.risk)?,
    })
}

fn experience_from_pb(e: &pb::Experience) -> Result<Experience, String> {
    Ok(Experience {
        what_was_built: opt_text("experience.what_was_built", &e.what_was_built)?,
        technical_notes: opt_text("experience.technical_notes", &e.technical_notes)?,
        organisational_notes: opt_text("experience.organisational_notes", &e.organisational_notes)?,
        run_frequency: opt_text("experience.run_frequency", &e.run_frequency)?,
        realised_benefit: e
            .realised_benefit
            .map(|b| {
                u8::try_from(b).ok().filter(|b| *b <= 3).ok_or_else(|| {
                    format!("experience.realised_benefit: {b} is not a rating from 0 to 3")
                })
            })
            .transpose()?,
        realised_benefit_comment: opt_text(
            "experience.realised_benefit_comment",
            &e.realised_benefit_comment,
        )?,
        repository_url: opt_text("experience.repository_url", &e.repository_url)?,
        decommission_date: opt_date("experience.decommission_date", &e.decommission_date)?,
    })
}

fn follower(user_id: &str, municipality_id: &str) -> Result<Follower, String> {
    let user = user("user", user_id)?;
    Ok(Follower {
        municipality: municipality("municipality", municipality_id)?,
        user,
    })
}

fn phase_from_pb(field: &str, raw: i32) -> Result<Phase, String> {
    match pb::Phase::try_from(raw) {
        Ok(pb::Phase::Idea) => Ok(Phase::Idea),
        Ok(pb::Phase::PreAnalysis) => Ok(Phase::PreAnalysis),
        Ok(pb::Phase::Specification) => Ok(Phase::Specification),
        Ok(pb::Phase::Development) => Ok(Phase::Development),
        Ok(pb::Phase::Implementation) => Ok(Phase::Implementation),
        Ok(pb::Phase::Operation) => Ok(Phase::Operation),
        Ok(pb::Phase::Decommissioned) => Ok(Phase::Decommissioned),
        Ok(pb::Phase::Unspecified) => Err(format!("{field}: the phase is unspecified")),
        Err(_) => Err(format!("{field}: {raw} is not a known phase")),
    }
}

fn status_from_pb(field: &str, raw: i32) -> Result<Status, String> {
    match pb::Status::try_from(raw) {
        Ok(pb::Status::NotAssessed) => Ok(Status::NotAssessed),
        Ok(pb::Status::InProgress) => Ok(Status::InProgress),
        Ok(pb::Status::OnHold) => Ok(Status::OnHold),
        Ok(pb::Status::Rejected) => Ok(Status::Rejected),
        Ok(pb::Status::Failed) => Ok(Status::Failed),
        Ok(pb::Status::NotRelevant) => Ok(Status::NotRelevant),
        Ok(pb::Status::Unspecified) => Err(format!("{field}: the status is unspecified")),
        Err(_) => Err(format!("{field}: {raw} is not a known status")),
    }
}

/// Unspecified (0) is malformed; a value newer than this build reads as PRIVATE, the
/// narrowest, as the contract prescribes.
fn visibility_from_pb(raw: i32) -> Result<Visibility, String> {
    match pb::Visibility::try_from(raw) {
        Ok(pb::Visibility::Private) | Err(_) => Ok(Visibility::Private),
        Ok(pb::Visibility::Municipality) => Ok(Visibility::Municipality),
        Ok(pb::Visibility::Network) => Ok(Visibility::Network),
        Ok(pb::Visibility::Public) => Ok(Visibility::Public),
        Ok(pb::Visibility::Unspecified) => {
            Err("details.visibility: the visibility is unspecified".to_owned())
        }
    }
}

/// A sub-message that must be present.
fn present<T>(field: &str, value: Option<T>) -> Result<T, String> {
    value.ok_or_else(|| format!("{field} is missing"))
}

/// A required string: not empty or blank.
fn required<'a>(field: &str, raw: &'a str) -> Result<&'a str, String> {
    if raw.trim().is_empty() {
        Err(format!("{field} is missing"))
    } else {
        Ok(raw)
    }
}

/// A required domain text (`Title`, `LongText`, `Label`, …), taken as sent: the same
/// acceptance as reading the stored JSON.
fn text<T: DeserializeOwned>(field: &str, raw: &str) -> Result<T, String> {
    let raw = required(field, raw)?;
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(raw))
        .map_err(|e| format!("{field}: {e}"))
}

/// An optional domain text: empty or blank means not set.
fn opt_text<T: DeserializeOwned>(field: &str, raw: &str) -> Result<Option<T>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        text(field, raw).map(Some)
    }
}

fn uuid(field: &str, raw: &str) -> Result<Uuid, String> {
    let raw = required(field, raw)?;
    Uuid::parse_str(raw).map_err(|e| format!("{field}: {raw:?} is not a UUID ({e})"))
}

fn opt_uuid(field: &str, raw: &str) -> Result<Option<Uuid>, String> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        uuid(field, raw).map(Some)
    }
}

fn opt_date(field: &str, raw: &str) -> Result<Option<NaiveDate>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<NaiveDate>()
        .map(Some)
        .map_err(|e| format!("{field}: {raw:?} is not an ISO 8601 date like 2025-03-31 ({e})"))
}

fn municipality(field: &str, raw: &str) -> Result<MunicipalityId, String> {
    let raw = required(field, raw)?;
    MunicipalityId::parse(raw).map_err(|e| format!("{field}: {e}"))
}

fn user(field: &str, raw: &str) -> Result<UserId, String> {
    let raw = required(field, raw)?;
    UserId::parse(raw).map_err(|e| format!("{field}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fmt::Debug;
    use std::path::PathBuf;

    use innohub_proto::innohub::common::v1::EventEnvelope;
    use innohub_runtime::{Aggregate, Principal, Role};
    use serde_json::Value;

    use super::*;
    use crate::domain::assessment::AssessmentInput;
    use crate::domain::backlog::{Backlog, BacklogCommand, Placement};
    use crate::domain::details::ProcessFields;
    use crate::domain::process::{ExperienceFields, Process, ProcessCommand as C};
    use crate::domain::settings::{MunicipalitySettings, SettingsCommand};
    use crate::domain::values::LongText;

    const ID: Uuid = Uuid::from_u128(0x0195_d2c4_7a10_7b3e_9f21_3c4d_5e6f_7a8b);
    const OTHER: Uuid = Uuid::from_u128(0x0195_d2c4_7a10_7b3e_9f21_3c4d_5e6f_7a8c);
    const COMMENT: Uuid = Uuid::from_u128(0x0195_d2c5_0000_7000_8000_0000_0000_0042);

    fn person(
        user: &str,
        municipality: &str,
        department: Option<&str>,
        roles: &[Role],
    ) -> Principal {
        Principal {
            user: UserId::parse(user).unwrap(),
            municipality: MunicipalityId::parse(municipality).unwrap(),
            department: department.map(|d| DepartmentId::parse(d).unwrap()),
            roles: roles.iter().copied().collect::<BTreeSet<_>>(),
        }
    }

    fn reporter() -> Principal {
        person(
            "anne.jensen@syddjurs.dk",
            "DK-0706",
            Some("jobcenter"),
            &[Role::Employee],
        )
    }

    fn it() -> Principal {
        person("ivan", "DK-0706", Some("it"), &[Role::ItPortfolio])
    }

    fn partner() -> Principal {
        person("pia", "SE-1283", Some("it"), &[Role::ItPortfolio])
    }

    fn admin() -> Principal {
        person("maja", "DK-0706", None, &[Role::MunicipalityAdmin])
    }

    /// Every field of the form filled in.
    fn full_fields() -> ProcessFields {
        ProcessFields {
            title: Some("Udbetaling af sygedagpenge".into()),
            short_description: Some("Automatisk kontrol og udbetaling af sygedagpenge".into()),
            long_description: Some(
                "Anmodninger kommer via NemRefusion.\nDe tjekkes manuelt.".into(),
            ),
            pain_points: Some("Manuel indtastning; ventetid for borgere".into()),
            wished_solution: Some("Robot henter anmodninger og opretter udbetalinger".into()),
            departments: Some(vec!["jobcenter".into(), "ydelse".into()]),
            owner: Some("Mette Sørensen".into()),
            contact: Some("mette@syddjurs.dk".into()),
            classification: Some(("KLE".into(), "15.00.00".into())),
            legal_basis: Some("Sygedagpengeloven § 7".into()),
            domains: Some(vec!["employment".into(), "economy".into()]),
            it_systems: Some(vec!["KMD Sygedagpenge".into(), "NemRefusion".into()]),
            technologies: Some(vec!["RPA".into(), "API integration".into()]),
            vendor: Some("Netcompany".into()),
            targets_citizens: Some(true),
            targets_companies: Some(true),
            cases_per_year: Some(4_200),
            minutes_per_case: Some(12.5),
            employees: Some(3),
            automation_share: Some(70),
            development_effort_hours: Some(0),
            go_live_date: Some("2025-09-01".into()),
            internal_notes: Some("Afventer afklaring med IT-sikkerhed".into()),
            visibility: Some(Visibility::Network),
        }
    }

    /// Only what a submission requires.
    fn minimal_fields() -> ProcessFields {
        ProcessFields {
            title: Some("Journalisering af post".into()),
            short_description: Some("Indgående post journaliseres i hånden".into()),
            departments: Some(vec!["administration".into()]),
            cases_per_year: Some(0),
            minutes_per_case: Some(0.0),
            automation_share: Some(0),
            ..Default::default()
        }
    }

    /// The events `command` produces after `history`.
    fn decide<A: Aggregate>(history: &[A::Event], command: A::Command) -> Vec<A::Event> {
        match A::from_events(history).decide(command) {
            Ok(events) => events,
            Err(e) => panic!("command refused: {e}"),
        }
    }

    /// A process taken through its whole life by commands: every process event type, with
    /// optional fields set and unset and enum values beyond the first.
    fn process_history() -> Vec<ProcessEvent> {
        let mut h: Vec<ProcessEvent> = Vec::new();
        let run = |h: &mut Vec<ProcessEvent>, command| {
            let events = decide::<Process>(h, command);
            assert!(!events.is_empty(), "the command produced no event");
            h.extend(events);
        };
        run(
            &mut h,
            C::Submit {
                id: ID,
                by: reporter(),
                fields: full_fields(),
            },
        );
        run(
            &mut h,
            C::Update {
                by: reporter(),
                fields: ProcessFields {
                    title: Some("Udbetaling af sygedagpenge (ny)".into()),
                    long_description: Some(String::new()),
                    contact: Some(String::new()),
                    classification: Some((String::new(), String::new())),
                    vendor: Some(String::new()),
                    employees: Some(4),
                    development_effort_hours: Some(320),
                    visibility: Some(Visibility::Public),
                    ..Default::default()
                },
            },
        );
        run(
            &mut h,
            C::Assess {
                by: it(),
                assessment: AssessmentInput {
                    rules_based: Some(5),
                    structured_input: Some(4),
                    input_quality: Some(3),
                    process_stability: Some(2),
                    case_variation: Some(1),
                    documentation: Some(5),
                    data_sensitivity: Some(4),
                    quality_gain: Some(3),
                    speed_gain: Some(2),
                    routine_relief: Some(1),
                    strategic_fit: Some(5),
                    risk: Some(2),
                },
            },
        );
        run(
            &mut h,
            C::Assess {
                by: it(),
                assessment: AssessmentInput {
                    risk: Some(4),
                    ..Default::default()
                },
            },
        );
        for to in [
            Phase::PreAnalysis,
            Phase::Specification,
            Phase::Development,
            Phase::Implementation,
            Phase::Operation,
        ] {
            run(
                &mut h,
                C::ChangePhase {
                    by: it(),
                    to,
                    reason: None,
                },
            );
        }
        run(
            &mut h,
            C::ChangePhase {
                by: it(),
                to: Phase::Implementation,
                reason: Some("Fejl i integrationen; tilbage til implementering".into()),
            },
        );
        run(
            &mut h,
            C::ChangeStatus {
                by: it(),
                to: Status::OnHold,
                reason: Some("Venter på ny version af KMD".into()),
            },
        );
        run(
            &mut h,
            C::ChangeStatus {
                by: it(),
                to: Status::InProgress,
                reason: None,
            },
        );
        run(
            &mut h,
            C::ChangePhase {
                by: it(),
                to: Phase::Operation,
                reason: None,
            },
        );
        run(
            &mut h,
            C::Comment {
                by: partner(),
                comment_id: COMMENT,
                text: "Vi har bygget det samme i Gävle – ring gerne!".into(),
            },
        );
        run(&mut h, C::Follow { by: partner() });
        run(&mut h, C::Unfollow { by: partner() });
        run(
            &mut h,
            C::RecordExperience {
                by: reporter(),
                experience: ExperienceFields {
                    what_was_built: Some("En robot i UiPath".into()),
                    technical_notes: Some("Kører på egen VM; login via FullFlex".into()),
                    organisational_notes: Some("Involver sagsbehandlerne tidligt".into()),
                    run_frequency: Some("dagligt".into()),
                    realised_benefit: Some(3),
                    realised_benefit_comment: Some("Sparer ca. 600 timer om året".into()),
                    repository_url: Some("https://github.com/syddjurs/sygedagpenge-robot".into()),
                    decommission_date: Some("2030-12-31".into()),
                },
            },
        );
        run(
            &mut h,
            C::RecordExperience {
                by: it(),
                experience: ExperienceFields::default(),
            },
        );
        run(
            &mut h,
            C::ChangePhase {
                by: it(),
                to: Phase::Decommissioned,
                reason: None,
            },
        );
        h
    }

    fn backlog_history() -> Vec<BacklogEvent> {
        let mut h = Vec::new();
        for command in [
            BacklogCommand::Rank {
                by: it(),
                process: ID,
                placement: Placement::Top,
            },
            BacklogCommand::Rank {
                by: it(),
                process: OTHER,
                placement: Placement::Bottom,
            },
            BacklogCommand::Unrank {
                by: it(),
                process: ID,
            },
        ] {
            let events = decide::<Backlog>(&h, command);
            assert!(!events.is_empty(), "the command produced no event");
            h.extend(events);
        }
        h
    }

    fn settings_history() -> Vec<SettingsEvent> {
        let weights = ScoringWeights::parse(0.0, 2.5, 10.0, 1.0, 0.5).unwrap();
        decide::<MunicipalitySettings>(
            &[],
            SettingsCommand::SetScoringWeights {
                by: admin(),
                weights,
            },
        )
    }

    /// Stored JSON → protobuf → JSON, which must read back as the same domain event.
    #[track_caller]
    fn assert_round_trips<E: DomainEvent + PartialEq + Debug>(event: &E) {
        let event_type = event.event_type();
        let stored = serde_json::to_string(event).unwrap();
        let bytes = ProcessesCodec.encode(event_type, &stored).unwrap();
        let json = ProcessesCodec.decode(event_type, &bytes).unwrap();
        let back: E = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, event, "{event_type} changed on the way");
        assert_eq!(
            serde_json::from_str::<Value>(&json).unwrap(),
            serde_json::to_value(event).unwrap(),
            "{event_type}: the JSON differs"
        );
        // And the wire form is stable: decoding and encoding again gives the same bytes.
        assert_eq!(ProcessesCodec.encode(event_type, &json).unwrap(), bytes);
    }

    #[track_caller]
    fn assert_malformed<T: Debug>(result: Result<T, CodecError>, event_type: &str, reason: &str) {
        match result {
            Err(CodecError::Malformed {
                event_type: t,
                reason: r,
            }) => {
                assert_eq!(t, event_type);
                assert!(
                    r.contains(reason),
                    "reason {r:?} does not mention {reason:?}"
                );
            }
            other => panic!("expected Malformed({reason}), got {other:?}"),
        }
    }

    fn decode_to<E: DomainEvent>(event_type: &str, bytes: &[u8]) -> E {
        serde_json::from_str(&ProcessesCodec.decode(event_type, bytes).unwrap()).unwrap()
    }

    fn details_pb() -> pb::ProcessDetails {
        let event = &decide::<Process>(
            &[],
            C::Submit {
                id: ID,
                by: reporter(),
                fields: full_fields(),
            },
        )[0];
        match event {
            ProcessEvent::ProcessSubmitted { details, .. } => details_to_pb(details),
            other => panic!("unexpected {other:?}"),
        }
    }

    fn submitted_pb(details: pb::ProcessDetails) -> pb::ProcessSubmitted {
        pb::ProcessSubmitted {
            process_id: ID.to_string(),
            municipality: "DK-0706".into(),
            reporter: "anne.jensen@syddjurs.dk".into(),
            details: Some(details),
        }
    }

    #[test]
    fn the_service_is_processes() {
        assert_eq!(ProcessesCodec.service(), "processes");
    }

    #[test]
    fn every_process_event_round_trips() {
        let history = process_history();
        for event in &history {
            assert_round_trips(event);
        }
        let types: BTreeSet<&str> = history.iter().map(DomainEvent::event_type).collect();
        assert_eq!(
            types.len(),
            9,
            "not every process event type was produced: {types:?}"
        );
    }

    #[test]
    fn submissions_round_trip_with_every_optional_field_set_and_unset() {
        for fields in [full_fields(), minimal_fields()] {
            let events = decide::<Process>(
                &[],
                C::Submit {
                    id: ID,
                    by: reporter(),
                    fields,
                },
            );
            assert_round_trips(&events[0]);
        }
        let minimal = decide::<Process>(
            &[],
            C::Submit {
                id: ID,
                by: reporter(),
                fields: minimal_fields(),
            },
        );
        let ProcessEvent::ProcessSubmitted { details, .. } = &minimal[0] else {
            panic!("unexpected {minimal:?}");
        };
        // The minimal form really leaves the optionals unset.
        assert!(details.long_description.is_none() && details.classification.is_none());
        assert!(details.volume.employees.is_none() && details.development_effort_hours.is_none());
        assert!(details.go_live_date.is_none() && details.domains.is_empty());
    }

    #[test]
    fn every_phase_status_and_visibility_round_trips() {
        let reason = Some(LongText::parse("reason", "Fordi").unwrap());
        for (i, phase) in Phase::ALL.into_iter().enumerate() {
            let to = Phase::ALL[(i + 1) % Phase::ALL.len()];
            for reason in [None, reason.clone()] {
                assert_round_trips(&ProcessEvent::ProcessPhaseChanged {
                    from: phase,
                    to,
                    reason,
                });
            }
        }
        for (i, status) in Status::ALL.into_iter().enumerate() {
            let to = Status::ALL[(i + 1) % Status::ALL.len()];
            for reason in [None, reason.clone()] {
                assert_round_trips(&ProcessEvent::ProcessStatusChanged {
                    from: status,
                    to,
                    reason,
                });
            }
        }
        for visibility in Visibility::ALL {
            let fields = ProcessFields {
                visibility: Some(visibility),
                ..minimal_fields()
            };
            let events = decide::<Process>(
                &[],
                C::Submit {
                    id: ID,
                    by: reporter(),
                    fields,
                },
            );
            assert_round_trips(&events[0]);
        }
    }

    #[test]
    fn backlog_events_round_trip() {
        let history = backlog_history();
        assert!(matches!(
            history[0],
            BacklogEvent::ProcessRanked { after: None, .. }
        ));
        assert!(matches!(
            history[1],
            BacklogEvent::ProcessRanked {
                after: Some(ID),
                ..
            }
        ));
        assert!(matches!(history[2], BacklogEvent::ProcessUnranked { .. }));
        for event in &history {
            assert_round_trips(event);
        }
    }

    #[test]
    fn scoring_weights_round_trip() {
        let history = settings_history();
        assert_eq!(history.len(), 1);
        assert_round_trips(&history[0]);
        let defaults = SettingsEvent::ScoringWeightsSet {
            municipality: MunicipalityId::parse("SE-1283").unwrap(),
            weights: ScoringWeights::default(),
        };
        assert_round_trips(&defaults);
    }

    #[test]
    fn every_event_type_of_the_service_is_covered() {
        let mut produced: BTreeSet<&str> = BTreeSet::new();
        produced.extend(process_history().iter().map(DomainEvent::event_type));
        produced.extend(backlog_history().iter().map(DomainEvent::event_type));
        produced.extend(settings_history().iter().map(DomainEvent::event_type));
        let known: BTreeSet<&str> = ProcessesCodec::EVENT_TYPES.into_iter().collect();
        assert_eq!(produced, known);
        // Each event type is also the name of its protobuf message.
        use prost::Name;
        for name in [
            pb::ProcessSubmitted::NAME,
            pb::ProcessDetailsChanged::NAME,
            pb::ProcessAssessed::NAME,
            pb::ProcessPhaseChanged::NAME,
            pb::ProcessStatusChanged::NAME,
            pb::ProcessCommented::NAME,
            pb::ProcessFollowed::NAME,
            pb::ProcessUnfollowed::NAME,
            pb::ProcessExperienceRecorded::NAME,
            pb::ProcessRanked::NAME,
            pb::ProcessUnranked::NAME,
            pb::ScoringWeightsSet::NAME,
        ] {
            assert!(known.contains(name), "{name} is not translated");
        }
    }

    #[test]
    fn unknown_event_types_are_refused() {
        assert_eq!(
            ProcessesCodec.encode("ProcessDeleted", "{}"),
            Err(CodecError::UnknownEventType("ProcessDeleted".into()))
        );
        assert_eq!(
            ProcessesCodec.decode("ProcessDeleted", &[]),
            Err(CodecError::UnknownEventType("ProcessDeleted".into()))
        );
        // Names are exact: no case folding, no package prefix.
        assert!(matches!(
            ProcessesCodec.decode("innohub.processes.v1.ProcessSubmitted", &[]),
            Err(CodecError::UnknownEventType(_))
        ));
    }

    #[test]
    fn garbage_bytes_are_malformed() {
        for event_type in ProcessesCodec::EVENT_TYPES {
            // A truncated varint tag, and a field whose length runs past the end.
            for garbage in [&[0xff_u8, 0xff, 0xff][..], &[0x0a, 0x40, 0x41][..]] {
                assert_malformed(
                    ProcessesCodec.decode(event_type, garbage),
                    event_type,
                    "invalid protobuf",
                );
            }
        }
    }

    #[test]
    fn stored_json_that_is_not_the_event_type_is_malformed() {
        assert_malformed(
            ProcessesCodec.encode("ProcessSubmitted", "not json"),
            "ProcessSubmitted",
            "stored JSON is not a valid event",
        );
        let followed = serde_json::to_string(&ProcessEvent::ProcessFollowed {
            follower: Follower {
                municipality: MunicipalityId::parse("DK-0706").unwrap(),
                user: UserId::parse("anna").unwrap(),
            },
        })
        .unwrap();
        assert_malformed(
            ProcessesCodec.encode("ProcessUnfollowed", &followed),
            "ProcessUnfollowed",
            "holds a ProcessFollowed",
        );
        assert_malformed(
            ProcessesCodec.encode("ProcessRanked", &followed),
            "ProcessRanked",
            "stored JSON is not a valid event",
        );
    }

    #[test]
    fn missing_required_fields_are_malformed() {
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "ProcessSubmitted",
                pb::ProcessSubmitted {
                    details: None,
                    ..submitted_pb(details_pb())
                }
                .encode_to_vec(),
                "details is missing",
            ),
            (
                "ProcessSubmitted",
                pb::ProcessSubmitted {
                    process_id: String::new(),
                    ..submitted_pb(details_pb())
                }
                .encode_to_vec(),
                "process_id is missing",
            ),
            (
                "ProcessSubmitted",
                pb::ProcessSubmitted {
                    reporter: " ".into(),
                    ..submitted_pb(details_pb())
                }
                .encode_to_vec(),
                "reporter is missing",
            ),
            (
                "ProcessSubmitted",
                submitted_pb(pb::ProcessDetails {
                    volume: None,
                    ..details_pb()
                })
                .encode_to_vec(),
                "details.volume is missing",
            ),
            (
                "ProcessDetailsChanged",
                pb::ProcessDetailsChanged {
                    details: Some(pb::ProcessDetails {
                        title: String::new(),
                        ..details_pb()
                    }),
                }
                .encode_to_vec(),
                "details.title is missing",
            ),
            (
                "ProcessDetailsChanged",
                pb::ProcessDetailsChanged {
                    details: Some(pb::ProcessDetails {
                        departments: vec![],
                        ..details_pb()
                    }),
                }
                .encode_to_vec(),
                "details.departments is missing",
            ),
            (
                "ProcessDetailsChanged",
                pb::ProcessDetailsChanged {
                    details: Some(pb::ProcessDetails {
                        classification: Some(pb::Classification {
                            scheme: "KLE".into(),
                            code: String::new(),
                        }),
                        ..details_pb()
                    }),
                }
                .encode_to_vec(),
                "details.classification.code is missing",
            ),
            ("ProcessDetailsChanged", vec![], "details is missing"),
            ("ProcessAssessed", vec![], "assessment is missing"),
            ("ProcessExperienceRecorded", vec![], "experience is missing"),
            ("ProcessFollowed", vec![], "user is missing"),
            (
                "ProcessUnfollowed",
                pb::ProcessUnfollowed {
                    user: "anna".into(),
                    municipality: String::new(),
                }
                .encode_to_vec(),
                "municipality is missing",
            ),
            (
                "ProcessCommented",
                pb::ProcessCommented {
                    comment_id: COMMENT.to_string(),
                    author: "pia".into(),
                    author_municipality: "SE-1283".into(),
                    text: String::new(),
                }
                .encode_to_vec(),
                "text is missing",
            ),
            (
                "ProcessRanked",
                pb::ProcessRanked {
                    municipality: "DK-0706".into(),
                    process_id: String::new(),
                    after_process_id: String::new(),
                }
                .encode_to_vec(),
                "process_id is missing",
            ),
            ("ProcessUnranked", vec![], "municipality is missing"),
            (
                "ScoringWeightsSet",
                pb::ScoringWeightsSet {
                    municipality: "DK-0706".into(),
                    weights: None,
                }
                .encode_to_vec(),
                "weights is missing",
            ),
        ];
        for (event_type, bytes, reason) in cases {
            assert_malformed(
                ProcessesCodec.decode(event_type, &bytes),
                event_type,
                reason,
            );
        }
    }

    #[test]
    fn unspecified_and_unknown_enum_values_are_malformed() {
        let phase = |from, to| pb::ProcessPhaseChanged {
            from,
            to,
            reason: String::new(),
        };
        let status = |from, to| pb::ProcessStatusChanged {
            from,
            to,
            reason: String::new(),
        };
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "ProcessPhaseChanged",
                phase(0, 2).encode_to_vec(),
                "from: the phase is unspecified",
            ),
            (
                "ProcessPhaseChanged",
                phase(1, 99).encode_to_vec(),
                "to: 99 is not a known phase",
            ),
            (
                "ProcessPhaseChanged",
                vec![],
                "from: the phase is unspecified",
            ),
            (
                "ProcessStatusChanged",
                status(1, 0).encode_to_vec(),
                "to: the status is unspecified",
            ),
            (
                "ProcessStatusChanged",
                status(-3, 2).encode_to_vec(),
                "from: -3 is not a known status",
            ),
            (
                "ProcessSubmitted",
                submitted_pb(pb::ProcessDetails {
                    visibility: 0,
                    ..details_pb()
                })
                .encode_to_vec(),
                "details.visibility: the visibility is unspecified",
            ),
        ];
        for (event_type, bytes, reason) in cases {
            assert_malformed(
                ProcessesCodec.decode(event_type, &bytes),
                event_type,
                reason,
            );
        }
    }

    #[test]
    fn a_visibility_newer_than_this_build_reads_as_private() {
        let bytes = submitted_pb(pb::ProcessDetails {
            visibility: 42,
            ..details_pb()
        })
        .encode_to_vec();
        match decode_to::<ProcessEvent>("ProcessSubmitted", &bytes) {
            ProcessEvent::ProcessSubmitted { details, .. } => {
                assert_eq!(details.visibility, Visibility::Private);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_ids_dates_and_numbers_are_malformed() {
        let details = |d: pb::ProcessDetails| submitted_pb(d).encode_to_vec();
        let assessed = |a: pb::Assessment| {
            pb::ProcessAssessed {
                assessment: Some(a),
            }
            .encode_to_vec()
        };
        let weights = |w: pb::ScoringWeights| {
            pb::ScoringWeightsSet {
                municipality: "DK-0706".into(),
                weights: Some(w),
            }
            .encode_to_vec()
        };
        let good_weights = pb::ScoringWeights {
            hours_saved: 1.0,
            automation_potential: 1.0,
            ease: 1.0,
            strategic_fit: 1.0,
            risk: 1.0,
        };
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "ProcessSubmitted",
                pb::ProcessSubmitted {
                    process_id: "not-a-uuid".into(),
                    ..submitted_pb(details_pb())
                }
                .encode_to_vec(),
                "process_id: \"not-a-uuid\" is not a UUID",
            ),
            (
                "ProcessSubmitted",
                pb::ProcessSubmitted {
                    municipality: "dk-706".into(),
                    ..submitted_pb(details_pb())
                }
                .encode_to_vec(),
                "municipality: municipality must look like DK-0706",
            ),
            (
                "ProcessSubmitted",
                details(pb::ProcessDetails {
                    go_live_date: "31/03/2025".into(),
                    ..details_pb()
                }),
                "details.go_live_date: \"31/03/2025\" is not an ISO 8601 date",
            ),
            (
                "ProcessSubmitted",
                details(pb::ProcessDetails {
                    go_live_date: "2025-02-30".into(),
                    ..details_pb()
                }),
                "details.go_live_date",
            ),
            (
                "ProcessSubmitted",
                details(pb::ProcessDetails {
                    volume: Some(pb::Volume {
                        cases_per_year: 1,
                        minutes_per_case: 1.0,
                        employees: None,
                        automation_share: 150,
                    }),
                    ..details_pb()
                }),
                "details.volume.automation_share: 150",
            ),
            (
                "ProcessSubmitted",
                details(pb::ProcessDetails {
                    volume: Some(pb::Volume {
                        cases_per_year: 1,
                        minutes_per_case: f64::NAN,
                        employees: None,
                        automation_share: 50,
                    }),
                    ..details_pb()
                }),
                "details.volume.minutes_per_case",
            ),
            (
                "ProcessSubmitted",
                details(pb::ProcessDetails {
                    departments: vec!["it".into(), "".into()],
                    ..details_pb()
                }),
                "details.departments[1]",
            ),
            (
                "ProcessSubmitted",
                details(pb::ProcessDetails {
                    technologies: vec!["".into()],
                    ..details_pb()
                }),
                "details.technologies[0] is missing",
            ),
            (
                "ProcessAssessed",
                assessed(pb::Assessment {
                    risk: Some(0),
                    ..Default::default()
                }),
                "assessment.risk: 0 is not a rating from 1 to 5",
            ),
            (
                "ProcessAssessed",
                assessed(pb::Assessment {
                    rules_based: Some(300),
                    ..Default::default()
                }),
                "assessment.rules_based: 300",
            ),
            (
                "ProcessExperienceRecorded",
                pb::ProcessExperienceRecorded {
                    experience: Some(pb::Experience {
                        realised_benefit: Some(4),
                        ..Default::default()
                    }),
                }
                .encode_to_vec(),
                "experience.realised_benefit: 4",
            ),
            (
                "ProcessExperienceRecorded",
                pb::ProcessExperienceRecorded {
                    experience: Some(pb::Experience {
                        decommission_date: "soon".into(),
                        ..Default::default()
                    }),
                }
                .encode_to_vec(),
                "experience.decommission_date",
            ),
            (
                "ProcessRanked",
                pb::ProcessRanked {
                    municipality: "DK-0706".into(),
                    process_id: ID.to_string(),
                    after_process_id: "top".into(),
                }
                .encode_to_vec(),
                "after_process_id: \"top\" is not a UUID",
            ),
            (
                "ProcessCommented",
                pb::ProcessCommented {
                    comment_id: "42".into(),
                    author: "pia".into(),
                    author_municipality: "SE-1283".into(),
                    text: "Hej".into(),
                }
                .encode_to_vec(),
                "comment_id",
            ),
            (
                "ScoringWeightsSet",
                weights(pb::ScoringWeights {
                    ease: 11.0,
                    ..good_weights
                }),
                "weights.ease: 11",
            ),
            (
                "ScoringWeightsSet",
                weights(pb::ScoringWeights {
                    risk: f64::INFINITY,
                    ..good_weights
                }),
                "weights.risk",
            ),
            (
                "ScoringWeightsSet",
                weights(pb::ScoringWeights::default()),
                "all are zero",
            ),
        ];
        for (event_type, bytes, reason) in cases {
            assert_malformed(
                ProcessesCodec.decode(event_type, &bytes),
                event_type,
                reason,
            );
        }
    }

    #[test]
    fn an_empty_experience_is_a_valid_experience() {
        let bytes = pb::ProcessExperienceRecorded {
            experience: Some(pb::Experience::default()),
        }
        .encode_to_vec();
        match decode_to::<ProcessEvent>("ProcessExperienceRecorded", &bytes) {
            ProcessEvent::ProcessExperienceRecorded { experience } => {
                assert_eq!(
                    experience,
                    Experience::parse(&ExperienceFields::default()).unwrap()
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    fn golden_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto/tests/golden")
    }

    fn from_hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    /// The golden envelopes, by file name.
    fn golden_envelopes() -> Vec<(String, EventEnvelope)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(golden_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "hex") {
                let bytes = from_hex(&std::fs::read_to_string(&path).unwrap());
                let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                out.push((name, EventEnvelope::decode(bytes.as_slice()).unwrap()));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The decoded JSON of an envelope, read as its aggregate's domain event and written
    /// again (a `Value`, to compare and inspect).
    fn domain_value(event_type: &str, json: &str) -> Value {
        match stream_of(event_type).unwrap() {
            Stream::Process => {
                serde_json::to_value(serde_json::from_str::<ProcessEvent>(json).unwrap())
            }
            Stream::Backlog => {
                serde_json::to_value(serde_json::from_str::<BacklogEvent>(json).unwrap())
            }
            Stream::Settings => {
                serde_json::to_value(serde_json::from_str::<SettingsEvent>(json).unwrap())
            }
        }
        .unwrap()
    }

    #[test]
    fn golden_samples_decode_into_domain_events() {
        let envelopes = golden_envelopes();
        let names: Vec<&str> = envelopes.iter().map(|(n, _)| n.as_str()).collect();
        assert!(
            names.contains(&"process_submitted") && names.contains(&"process_phase_changed"),
            "golden samples missing: {names:?}"
        );
        for (name, env) in &envelopes {
            let json = ProcessesCodec
                .decode(&env.event_type, &env.payload)
                .unwrap_or_else(|e| panic!("golden {name}: {e}"));
            let value = domain_value(&env.event_type, &json);
            assert_eq!(value["type"], env.event_type.as_str(), "golden {name}");
            // The codec writes the very bytes the golden sample holds.
            assert_eq!(
                ProcessesCodec.encode(&env.event_type, &json).unwrap(),
                env.payload,
                "golden {name}: re-encoding changed the payload"
            );
        }
    }

    #[test]
    fn golden_process_submitted_means_what_it_says() {
        let (_, env) = golden_envelopes()
            .into_iter()
            .find(|(n, _)| n == "process_submitted")
            .unwrap();
        let ProcessEvent::ProcessSubmitted {
            id,
            municipality,
            reporter,
            details,
        } = decode_to::<ProcessEvent>(&env.event_type, &env.payload)
        else {
            panic!("not a ProcessSubmitted");
        };
        assert_eq!(id.to_string(), env.aggregate_id);
        assert_eq!(municipality.as_str(), "DK-0706");
        assert_eq!(reporter.as_str(), "anne.jensen@syddjurs.dk");
        assert_eq!(details.title.as_str(), "Udbetaling af sygedagpenge");
        assert!(details.long_description.is_none() && details.contact.is_none());
        assert!(details.vendor.is_none() && details.go_live_date.is_none());
        assert_eq!(
            details
                .departments
                .iter()
                .map(DepartmentId::as_str)
                .collect::<Vec<_>>(),
            ["jobcenter", "ydelse"]
        );
        let classification = details.classification.unwrap();
        assert_eq!(
            (classification.scheme.as_str(), classification.code.as_str()),
            ("KLE", "15.00.00")
        );
        assert_eq!(details.owner.unwrap().as_str(), "Mette Sørensen");
        assert_eq!(details.technologies.len(), 1);
        assert!(details.targets_citizens && !details.targets_companies);
        assert_eq!(details.volume.cases_per_year, 4_200);
        assert_eq!(details.volume.minutes_per_case, 12.5);
        assert_eq!(details.volume.employees, Some(3));
        assert_eq!(details.volume.automation_share, 70);
        // An explicit zero stays apart from "not estimated".
        assert_eq!(details.development_effort_hours, Some(0));
        assert_eq!(details.visibility, Visibility::Network);
        assert!(details.internal_notes.is_some());
    }

    #[test]
    fn golden_process_phase_changed_means_what_it_says() {
        let (_, env) = golden_envelopes()
            .into_iter()
            .find(|(n, _)| n == "process_phase_changed")
            .unwrap();
        assert_eq!(
            decode_to::<ProcessEvent>(&env.event_type, &env.payload),
            ProcessEvent::ProcessPhaseChanged {
                from: Phase::Operation,
                to: Phase::Implementation,
                reason: Some(
                    LongText::parse("reason", "Fejl i integrationen; tilbage til implementering")
                        .unwrap()
                ),
            }
        );
    }
}
