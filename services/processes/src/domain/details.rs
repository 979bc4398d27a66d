//! The descriptive record of a process (what the reporting form holds) and its ONE mapping
//! to and from the contract's `ProcessDetails`: `From` for what the domain decided,
//! `TryFrom` with every rule of the form for what comes in, a command's input and a stored
//! event alike. A submission is the contract message itself; an update is a message and a
//! field mask, merged onto the current details and then validated as a whole.

use chrono::NaiveDate;
use innohub_proto::innohub::processes::v1 as pb;
pub(crate) use innohub_runtime::field::{visibility, visibility_of};
use innohub_runtime::{DepartmentId, Visibility, reflect};
use prost_types::FieldMask;

use super::values::{
    Classification, Label, LongText, ShortText, Title, Volume, count, labels, strings, text_of,
};
use crate::ProcessError;

/// The validated description of a process.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessDetails {
    /// At most 80 characters.
    pub title: Title,
    /// At most 200 characters.
    pub short_description: ShortText,
    /// The full story.
    pub long_description: Option<LongText>,
    /// What hurts today.
    pub pain_points: Option<LongText>,
    /// What the department wishes for.
    pub wished_solution: Option<LongText>,
    /// One or more departments.
    pub departments: Vec<DepartmentId>,
    /// The process expert.
    pub owner: Option<Label>,
    /// Who to ask.
    pub contact: Option<Label>,
    /// e.g. KLE 27.24.00.
    pub classification: Option<Classification>,
    /// The legal basis, as text.
    pub legal_basis: Option<LongText>,
    /// When the legal basis was last verified.
    pub legal_basis_verified_on: Option<NaiveDate>,
    /// Administration, employment, family, …
    pub domains: Vec<Label>,
    /// IT systems involved.
    pub it_systems: Vec<Label>,
    /// Technologies (RPA, integration, AI, self-service, …).
    pub technologies: Vec<Label>,
    /// Vendor, if any.
    pub vendor: Option<Label>,
    /// Citizens are affected.
    pub targets_citizens: bool,
    /// Companies are affected.
    pub targets_companies: bool,
    /// Cases, minutes, employees, automation share.
    pub volume: Volume,
    /// Expected development effort in hours.
    pub development_effort_hours: Option<u32>,
    /// Planned or actual go-live.
    pub go_live_date: Option<NaiveDate>,
    /// Notes for the municipality only; never shown to partners.
    pub internal_notes: Option<LongText>,
    /// Who may read it.
    pub visibility: Visibility,
    /// How often it runs, if known.
    pub run_period: Option<pb::RunPeriod>,
}

const MAX_LIST: usize = 30;

impl ProcessDetails {
    /// The details of a new process, as reported: an unspecified visibility is the default,
    /// MUNICIPALITY.
    pub fn reported(mut details: pb::ProcessDetails) -> Result<Self, ProcessError> {
        if details.visibility == pb::Visibility::Unspecified as i32 {
            details.visibility = visibility_of(Visibility::default()) as i32;
        }
        details.try_into()
    }

    /// These details with the fields `mask` names taken from `patch`.
    pub fn updated(
        &self,
        patch: &pb::ProcessDetails,
        mask: &FieldMask,
    ) -> Result<Self, ProcessError> {
        reflect::apply_mask(&pb::ProcessDetails::from(self), patch, mask)
            .map_err(|e| ProcessError::invalid("updateMask", e))?
            .try_into()
    }
}

impl TryFrom<pb::ProcessDetails> for ProcessDetails {
    type Error = ProcessError;

    fn try_from(d: pb::ProcessDetails) -> Result<Self, ProcessError> {
        let long = |field, raw: &str| LongText::parse_optional(field, raw);
        let label = |field, raw: &str| Label::parse_optional(field, raw);
        let list = |field, raw: &[String]| labels(field, raw, MAX_LIST);
        Ok(Self {
            title: Title::parse("title", &d.title)?,
            short_description: ShortText::parse("shortDescription", &d.short_description)?,
            long_description: long("longDescription", &d.long_description)?,
            pain_points: long("painPoints", &d.pain_points)?,
            wished_solution: long("wishedSolution", &d.wished_solution)?,
            departments: departments(&d.departments)?,
            owner: label("owner", &d.owner)?,
            contact: label("contact", &d.contact)?,
            classification: Classification::parse(d.classification)?,
            legal_basis: long("legalBasis", &d.legal_basis)?,
            legal_basis_verified_on: date("legalBasisVerifiedOn", &d.legal_basis_verified_on)?,
            domains: list("domains", &d.domains)?,
            it_systems: list("itSystems", &d.it_systems)?,
            technologies: list("technologies", &d.technologies)?,
            vendor: label("vendor", &d.vendor)?,
            targets_citizens: d.targets_citizens,
            targets_companies: d.targets_companies,
            volume: d
                .volume
                .ok_or_else(|| ProcessError::invalid("volume", "is required"))?
                .try_into()?,
            development_effort_hours: d
                .development_effort_hours
                .map(|h| count("developmentEffortHours", h, 1_000_000))
                .transpose()?,
            go_live_date: date("goLiveDate", &d.go_live_date)?,
            internal_notes: long("internalNotes", &d.internal_notes)?,
            visibility: visibility(d.visibility)?,
            run_period: match pb::RunPeriod::try_from(d.run_period) {
                Ok(pb::RunPeriod::Unspecified) => None,
                Ok(period) => Some(period),
                Err(_) => return Err(ProcessError::invalid("runPeriod", "must be a known period")),
            },
        })
    }
}

impl From<&ProcessDetails> for pb::ProcessDetails {
    fn from(d: &ProcessDetails) -> Self {
        Self {
            title: d.title.as_str().to_owned(),
            short_description: d.short_description.as_str().to_owned(),
            long_description: text_of(d.long_description.as_ref()),
            pain_points: text_of(d.pain_points.as_ref()),
            wished_solution: text_of(d.wished_solution.as_ref()),
            departments: d.departments.iter().map(ToString::to_string).collect(),
            owner: text_of(d.owner.as_ref()),
            contact: text_of(d.contact.as_ref()),
            classification: d.classification.as_ref().map(Into::into),
            legal_basis: text_of(d.legal_basis.as_ref()),
            legal_basis_verified_on: text_of(d.legal_basis_verified_on.map(|v| v.to_string())),
            domains: strings(&d.domains),
            it_systems: strings(&d.it_systems),
            technologies: strings(&d.technologies),
            vendor: text_of(d.vendor.as_ref()),
            targets_citizens: d.targets_citizens,
            targets_companies: d.targets_companies,
            volume: Some((&d.volume).into()),
            development_effort_hours: d.development_effort_hours,
            go_live_date: d.go_live_date.map(|g| g.to_string()).unwrap_or_default(),
            internal_notes: text_of(d.internal_notes.as_ref()),
            visibility: visibility_of(d.visibility) as i32,
            run_period: d.run_period.unwrap_or_default() as i32,
        }
    }
}

fn departments(raw: &[String]) -> Result<Vec<DepartmentId>, ProcessError> {
    if raw.is_empty() {
        return Err(ProcessError::invalid(
            "departments",
            "name at least one department",
        ));
    }
    if raw.len() > MAX_LIST {
        return Err(ProcessError::invalid(
            "departments",
            format!("at most {MAX_LIST} entries"),
        ));
    }
    let mut out: Vec<DepartmentId> = Vec::with_capacity(raw.len());
    for d in raw {
        let d = DepartmentId::parse(d).map_err(|e| ProcessError::invalid("departments", e))?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// An ISO 8601 date; blank means none.
pub(crate) fn date(field: &'static str, raw: &str) -> Result<Option<NaiveDate>, ProcessError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ProcessError::invalid(field, "must be a date like 2027-03-31"))
}
