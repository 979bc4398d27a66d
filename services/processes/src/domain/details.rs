//! The descriptive record of a process (what the reporting form holds) and how raw input,
//! new or partial, becomes a validated one.

use chrono::NaiveDate;
use innohub_runtime::{DepartmentId, Visibility};
use serde::{Deserialize, Serialize};

use super::values::{Classification, Label, LongText, ShortText, Title, Volume, count, labels};
use crate::ProcessError;

/// Raw process fields as a client sends them. On submit, absent optional fields stay empty;
/// on update, absent fields keep their value and an empty text or list clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // each field is the same-named field of [`ProcessDetails`]
pub struct ProcessFields {
    pub title: Option<String>,
    pub short_description: Option<String>,
    pub long_description: Option<String>,
    pub pain_points: Option<String>,
    pub wished_solution: Option<String>,
    pub departments: Option<Vec<String>>,
    pub owner: Option<String>,
    pub contact: Option<String>,
    /// `(scheme, code)`; an empty scheme clears it.
    pub classification: Option<(String, String)>,
    pub legal_basis: Option<String>,
    pub domains: Option<Vec<String>>,
    pub it_systems: Option<Vec<String>>,
    pub technologies: Option<Vec<String>>,
    pub vendor: Option<String>,
    pub targets_citizens: Option<bool>,
    pub targets_companies: Option<bool>,
    pub cases_per_year: Option<i64>,
    pub minutes_per_case: Option<f64>,
    pub employees: Option<i64>,
    pub automation_share: Option<i64>,
    pub development_effort_hours: Option<i64>,
    /// ISO 8601 date; empty clears it.
    pub go_live_date: Option<String>,
    pub internal_notes: Option<String>,
    pub visibility: Option<Visibility>,
}

/// The validated description of a process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

const MAX_LIST: usize = 30;

impl ProcessDetails {
    /// Validate `fields` on top of `base` (an update) or from nothing (a submission, where
    /// title, short description, departments and the volume figures are required).
    pub fn apply(base: Option<&ProcessDetails>, f: &ProcessFields) -> Result<Self, ProcessError> {
        let required = |field: &'static str| ProcessError::invalid(field, "is required");
        let title = match (&f.title, base) {
            (Some(t), _) => Title::parse("title", t)?,
            (None, Some(b)) => b.title.clone(),
            (None, None) => return Err(required("title")),
        };
        let short_description = match (&f.short_description, base) {
            (Some(t), _) => ShortText::parse("shortDescription", t)?,
            (None, Some(b)) => b.short_description.clone(),
            (None, None) => return Err(required("shortDescription")),
        };
        let departments = match (&f.departments, base) {
            (Some(d), _) => departments(d)?,
            (None, Some(b)) => b.departments.clone(),
            (None, None) => return Err(required("departments")),
        };
        let volume = {
            let old = base.map(|b| &b.volume);
            let cases = f
                .cases_per_year
                .or(old.map(|v| i64::from(v.cases_per_year)))
                .ok_or_else(|| required("casesPerYear"))?;
            let minutes = f
                .minutes_per_case
                .or(old.map(|v| v.minutes_per_case))
                .ok_or_else(|| required("minutesPerCase"))?;
            let share = f
                .automation_share
                .or(old.map(|v| i64::from(v.automation_share)))
                .ok_or_else(|| required("automationShare"))?;
            let employees = f.employees.or(old.and_then(|v| v.employees.map(i64::from)));
            Volume::parse(cases, minutes, employees, share)?
        };
        let long = |field, new: &Option<String>, old: Option<&Option<LongText>>| match new {
            Some(raw) => LongText::parse_optional(field, raw),
            None => Ok(old.cloned().flatten()),
        };
        let label = |field, new: &Option<String>, old: Option<&Option<Label>>| match new {
            Some(raw) => Label::parse_optional(field, raw),
            None => Ok(old.cloned().flatten()),
        };
        let list = |field, new: &Option<Vec<String>>, old: Option<&Vec<Label>>| match new {
            Some(raw) => labels(field, raw, MAX_LIST),
            None => Ok(old.cloned().unwrap_or_default()),
        };
        Ok(Self {
            title,
            short_description,
            long_description: long(
                "longDescription",
                &f.long_description,
                base.map(|b| &b.long_description),
            )?,
            pain_points: long("painPoints", &f.pain_points, base.map(|b| &b.pain_points))?,
            wished_solution: long(
                "wishedSolution",
                &f.wished_solution,
                base.map(|b| &b.wished_solution),
            )?,
            departments,
            owner: label("owner", &f.owner, base.map(|b| &b.owner))?,
            contact: label("contact", &f.contact, base.map(|b| &b.contact))?,
            classification: match &f.classification {
                Some((scheme, _)) if scheme.trim().is_empty() => None,
                Some((scheme, code)) => Some(Classification {
                    scheme: Label::parse("classification.scheme", scheme)?,
                    code: Label::parse("classification.code", code)?,
                }),
                None => base.and_then(|b| b.classification.clone()),
            },
            legal_basis: long("legalBasis", &f.legal_basis, base.map(|b| &b.legal_basis))?,
            domains: list("domains", &f.domains, base.map(|b| &b.domains))?,
            it_systems: list("itSystems", &f.it_systems, base.map(|b| &b.it_systems))?,
            technologies: list(
                "technologies",
                &f.technologies,
                base.map(|b| &b.technologies),
            )?,
            vendor: label("vendor", &f.vendor, base.map(|b| &b.vendor))?,
            targets_citizens: f
                .targets_citizens
                .or(base.map(|b| b.targets_citizens))
                .unwrap_or(false),
            targets_companies: f
                .targets_companies
                .or(base.map(|b| b.targets_companies))
                .unwrap_or(false),
            volume,
            development_effort_hours: match f.development_effort_hours {
                Some(h) => Some(count("developmentEffortHours", h, 1_000_000)?),
                None => base.and_then(|b| b.development_effort_hours),
            },
            go_live_date: match &f.go_live_date {
                Some(raw) => date("goLiveDate", raw)?,
                None => base.and_then(|b| b.go_live_date),
            },
            internal_notes: long(
                "internalNotes",
                &f.internal_notes,
                base.map(|b| &b.internal_notes),
            )?,
            visibility: f
                .visibility
                .or(base.map(|b| b.visibility))
                .unwrap_or_default(),
        })
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
