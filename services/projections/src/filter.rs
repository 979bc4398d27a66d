//! How a list is narrowed: [`ProcessFilter`], the facets a process is filed under
//! ([`facets`], written by the projection), and the SQL that matches them
//! ([`ProcessFilter::push`]), and whether `process_counts` can count what it matches
//! ([`ProcessFilter::counted`]); the same for ideas ([`IdeaFilter`], [`idea_facets`]),
//! pilots ([`PilotFilter`], [`pilot_facets`]) and fund applications ([`ApplicationFilter`],
//! [`application_facets`]). A new filter is a field, a facet and a clause, all here.

use innohub_proto::innohub::funding::v1 as funding;
use innohub_proto::innohub::ideas::v1 as ideas;
use innohub_proto::innohub::pilots::v1 as pilots;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::projections::v1::{
    ApplicationRecord, IdeaRecord, PilotRecord, ProcessRecord,
};
use innohub_runtime::{MunicipalityId, Viewer};
use uuid::Uuid;

use crate::access::{IDEAS, PILOTS, PROCESSES, ReadModel};
use innohub_proto::short_name as short;
use innohub_runtime::sql::Sql;

/// Narrows a list of processes.
#[derive(Debug, Clone, Default)]
pub struct ProcessFilter {
    /// Owning municipality (the backlog defaults to the viewer's).
    pub municipality: Option<MunicipalityId>,
    /// Named as one of its departments.
    pub department: Option<String>,
    /// In this phase.
    pub phase: Option<pb::Phase>,
    /// With this status.
    pub status: Option<pb::Status>,
    /// In this domain.
    pub domain: Option<String>,
    /// Classified so: `KLE 27.24.00`, or a prefix such as `KLE 27`.
    pub classification: Option<String>,
    /// Using this technology.
    pub technology: Option<String>,
    /// Title contains this text (case-insensitive).
    pub title_contains: Option<String>,
    /// Runs this often.
    pub run_period: Option<pb::RunPeriod>,
    /// Backlog only: also rejected, failed, not relevant and operational processes.
    pub include_closed: bool,
}

/// The facets of a process, `(facet, value)`: what the facet filters match.
pub fn facets(record: &ProcessRecord) -> Vec<(&'static str, String)> {
    let Some(d) = &record.details else {
        return Vec::new();
    };
    let each = |facet: &'static str, values: &[String]| {
        values
            .iter()
            .map(move |v| (facet, v.clone()))
            .collect::<Vec<_>>()
    };
    let run_period = pb::RunPeriod::try_from(d.run_period)
        .ok()
        .filter(|p| *p != pb::RunPeriod::Unspecified)
        .map(|p| p.as_str_name().to_owned());
    [
        each("department", &d.departments),
        each("domain", &d.domains),
        each("technology", &d.technologies),
        each("it_system", &d.it_systems),
        each("run_period", run_period.as_slice()),
    ]
    .concat()
}

impl ProcessFilter {
    /// Whether [`ProcessFilter::push`] narrows by nothing but the municipality and whether
    /// closed processes are left out: the columns `process_counts` keeps, so that its rows
    /// answer how many match.
    pub fn counted(&self) -> bool {
        let Self {
            municipality: _,
            department,
            phase,
            status,
            domain,
            classification,
            technology,
            title_contains,
            run_period,
            include_closed: _,
        } = self;
        department.is_none()
            && phase.is_none()
            && status.is_none()
            && domain.is_none()
            && classification.is_none()
            && technology.is_none()
            && title_contains.is_none()
            && run_period.is_none()
    }

    /// Append ` AND …` for every condition of the filter to a query over `process_view pv`.
    /// `backlog`: the list leaves closed processes out unless asked.
    pub fn push(&self, sql: &mut Sql, viewer: &Viewer, backlog: bool) {
        if let Some(m) = &self.municipality {
            sql.push(" AND pv.municipality = ").bind(m.as_str());
        }
        if backlog && !self.include_closed {
            sql.push(" AND pv.closed = 0");
        }
        if let Some(p) = self.phase {
            sql.push(" AND pv.phase = ").bind(short(p.as_str_name()));
        }
        if let Some(s) = self.status {
            sql.push(" AND pv.status = ").bind(short(s.as_str_name()));
        }
        if let Some(c) = &self.classification {
            sql.push(" AND pv.classification LIKE ")
                .bind(format!("{}%", c.replace(['%', '_'], "")));
        }
        if let Some(t) = &self.title_contains {
            sql.push(" AND LOWER(pv.title) LIKE ")
                .bind(format!("%{}%", t.to_lowercase().replace(['%', '_'], "")));
        }
        let faceted = [
            ("department", self.department.clone()),
            ("domain", self.domain.clone()),
            ("technology", self.technology.clone()),
            (
                "run_period",
                self.run_period.map(|p| p.as_str_name().to_owned()),
            ),
        ];
        push_facets(sql, viewer, &PROCESSES, faceted);
    }
}

/// Append ` AND …` for every facet given a value, over the rows of `model` aliased `pv`.
fn push_facets<const N: usize>(
    sql: &mut Sql,
    viewer: &Viewer,
    model: &ReadModel,
    faceted: [(&str, Option<String>); N],
) {
    for (facet, value) in faceted {
        let Some(value) = value else { continue };
        // Partners cannot filter by what they cannot see.
        if facet == "department" {
            sql.push(" AND pv.municipality = ")
                .bind(viewer.principal.municipality.as_str());
        }
        sql.push(&format!(
            " AND EXISTS (SELECT 1 FROM {} ff WHERE ff.{} = pv.id AND ff.facet = ",
            model.facets, model.facet_key
        ))
        .bind(facet)
        .push(" AND ff.value = ")
        .bind(value)
        .push(")");
    }
}

/// The facet of each context an idea became something in (`'processes'`): the funnel counts
/// the ideas that became processes by it.
pub const BECAME: &str = "became";

/// The facet of each reviewer named on an idea: the read rule lets them see it when PRIVATE.
pub const REVIEWER: &str = "reviewer";

/// The facets of an idea, `(facet, value)`: what [`IdeaFilter`], the read rule and the
/// funnel match.
pub fn idea_facets(record: &IdeaRecord) -> Vec<(&'static str, String)> {
    let d = record.details.clone().unwrap_or_default();
    let mut facets: Vec<(&'static str, String)> = d
        .departments
        .into_iter()
        .map(|v| ("department", v))
        .chain(d.tags.into_iter().map(|v| ("tag", v)))
        .chain(d.reviewers.into_iter().map(|v| (REVIEWER, v)))
        .chain(record.outcomes.iter().map(|o| (BECAME, o.context.clone())))
        .collect();
    facets.sort();
    facets.dedup();
    facets
}

/// Narrows a list of ideas.
#[derive(Debug, Clone, Default)]
pub struct IdeaFilter {
    /// Owning municipality.
    pub municipality: Option<MunicipalityId>,
    /// In this stage.
    pub stage: Option<ideas::Stage>,
    /// Answering this challenge.
    pub challenge: Option<Uuid>,
    /// Named as one of its departments (the viewer's own municipality's ideas only).
    pub department: Option<String>,
    /// Tagged so.
    pub tag: Option<String>,
    /// With this likely outcome.
    pub outcome: Option<ideas::Outcome>,
}

impl IdeaFilter {
    /// Append ` AND …` for every condition of the filter to a query over `idea_view pv`.
    pub fn push(&self, sql: &mut Sql, viewer: &Viewer) {
        if let Some(m) = &self.municipality {
            sql.push(" AND pv.municipality = ").bind(m.as_str());
        }
        if let Some(s) = self.stage {
            sql.push(" AND pv.stage = ").bind(short(s.as_str_name()));
        }
        if let Some(c) = self.challenge {
            // Challenges are their municipality's own: a partner's filter by one selects
            // nothing, exactly as an unknown id does, never the shared ideas answering it.
            sql.push(" AND pv.municipality = ")
                .bind(viewer.principal.municipality.as_str())
                .push(" AND pv.challenge_id = ")
                .bind(c.to_string());
        }
        if let Some(o) = self.outcome {
            sql.push(" AND pv.likely_outcome = ")
                .bind(short(o.as_str_name()));
        }
        push_facets(
            sql,
            viewer,
            &IDEAS,
            [
                ("department", self.department.clone()),
                ("tag", self.tag.clone()),
            ],
        );
    }
}

/// The facets of a pilot, `(facet, value)`: what [`PilotFilter`] and the read rule match
/// (the plan's departments).
pub fn pilot_facets(record: &PilotRecord) -> Vec<(&'static str, String)> {
    let mut facets: Vec<(&'static str, String)> = record
        .plan
        .iter()
        .flat_map(|p| p.departments.iter().map(|d| ("department", d.clone())))
        .collect();
    facets.sort();
    facets.dedup();
    facets
}

/// Narrows a list of pilots.
#[derive(Debug, Clone, Default)]
pub struct PilotFilter {
    /// With this status.
    pub status: Option<pilots::Status>,
    /// Named as one of its departments (the viewer's own municipality's pilots only).
    pub department: Option<String>,
    /// Born from this idea (the viewer's own municipality's pilots only: a pilot's origin is
    /// internal).
    pub idea: Option<Uuid>,
}

impl PilotFilter {
    /// Append ` AND …` for every condition of the filter to a query over `pilot_view pv`.
    pub fn push(&self, sql: &mut Sql, viewer: &Viewer) {
        if let Some(s) = self.status {
            sql.push(" AND pv.status = ").bind(short(s.as_str_name()));
        }
        if let Some(idea) = self.idea {
            // Partners cannot filter by what they cannot see.
            sql.push(" AND pv.municipality = ")
                .bind(viewer.principal.municipality.as_str())
                .push(" AND pv.origin_idea = ")
                .bind(idea.to_string());
        }
        push_facets(
            sql,
            viewer,
            &PILOTS,
            [("department", self.department.clone())],
        );
    }
}

/// The facet of each applicant of a fund application: the read rule lets them see it when
/// PRIVATE (and while it is a DRAFT).
pub const APPLICANT: &str = "applicant";

/// The facets of a fund application, `(facet, value)`: what the read rule matches (its
/// applicants).
pub fn application_facets(record: &ApplicationRecord) -> Vec<(&'static str, String)> {
    let mut facets: Vec<(&'static str, String)> = record
        .details
        .iter()
        .flat_map(|d| d.applicants.iter().map(|a| (APPLICANT, a.clone())))
        .collect();
    facets.sort();
    facets.dedup();
    facets
}

/// Narrows the fund applications of a pipeline.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    /// Of this fund.
    pub fund: Option<Uuid>,
    /// Of this decision round.
    pub round: Option<Uuid>,
    /// With this status.
    pub status: Option<funding::ApplicationStatus>,
}

impl ApplicationFilter {
    /// Append ` AND …` for every condition of the filter to a query over
    /// `application_view pv`.
    pub fn push(&self, sql: &mut Sql) {
        if let Some(fund) = self.fund {
            sql.push(" AND pv.fund_id = ").bind(fund.to_string());
        }
        if let Some(round) = self.round {
            sql.push(" AND pv.round_id = ").bind(round.to_string());
        }
        if let Some(s) = self.status {
            sql.push(" AND pv.status = ")
                .bind(innohub_funding_rules::status_name(s));
        }
    }
}

/// Narrows a municipality's action items.
#[derive(Debug, Clone, Default)]
pub struct ActionItemFilter {
    /// Owned by this user.
    pub owner: Option<String>,
    /// Only overdue items (`true`) or only the others (`false`); whether an item is overdue
    /// depends on the day asked, so the query decides it (`ActionItemView::overdue`).
    pub overdue: Option<bool>,
    /// Out of this workshop.
    pub workshop: Option<Uuid>,
    /// Belonging to this idea.
    pub idea: Option<Uuid>,
}

impl ActionItemFilter {
    /// Append ` AND …` for every condition but `overdue` to a query over
    /// `idea_action_item a`.
    pub fn push(&self, sql: &mut Sql) {
        if let Some(owner) = &self.owner {
            sql.push(" AND a.owner = ").bind(owner.as_str());
        }
        if let Some(workshop) = self.workshop {
            sql.push(" AND a.workshop_id = ").bind(workshop.to_string());
        }
        if let Some(idea) = self.idea {
            sql.push(" AND a.idea_id = ").bind(idea.to_string());
        }
    }
}
