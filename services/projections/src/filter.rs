//! How a list of processes is narrowed: [`ProcessFilter`], the facets a process is filed
//! under ([`facets`], written by the projection), and the SQL that matches them
//! ([`ProcessFilter::push`]), and whether `process_counts` can count what it matches
//! ([`ProcessFilter::counted`]). A new filter is a field, a facet and a clause, all here.

use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::projections::v1::ProcessRecord;
use innohub_runtime::{MunicipalityId, Viewer};

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
        for (facet, value) in faceted {
            let Some(value) = value else { continue };
            // Partners cannot filter by what they cannot see.
            if facet == "department" {
                sql.push(" AND pv.municipality = ")
                    .bind(viewer.principal.municipality.as_str());
            }
            sql.push(" AND EXISTS (SELECT 1 FROM process_facet ff WHERE ff.process_id = pv.id AND ff.facet = ")
                .bind(facet)
                .push(" AND ff.value = ")
                .bind(value)
                .push(")");
        }
    }
}
