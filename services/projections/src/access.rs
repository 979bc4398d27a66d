//! The read path's one gate. [`visible`] is the read rule of [`innohub_runtime::access`]
//! written as SQL over `process_view` (tests check the two agree), and [`ProcessView::new`]
//! is the only way a record leaves this crate: partners get it without people, internal
//! notes and departments.

use chrono::{DateTime, Utc};
use innohub_processes::domain::assessment::Assessment;
use innohub_processes::domain::details::ProcessDetails;
use innohub_processes::domain::lifecycle::{Phase, Status};
use innohub_processes::domain::process::{Experience, ProcessRecord};
use innohub_processes::domain::values::LongText;
use innohub_runtime::{Access, MunicipalityId, UserId, Viewer, Visibility};
use uuid::Uuid;

use crate::sql::Sql;

/// Append the condition "`viewer` may read the `process_view` row aliased `pv`".
pub fn visible(sql: &mut Sql, viewer: &Viewer) {
    let me = &viewer.principal;
    sql.push("((pv.municipality = ")
        .bind(me.municipality.as_str())
        .push(" AND (pv.visibility <> 'PRIVATE' OR pv.reporter = ")
        .bind(me.user.as_str())
        .push(" OR pv.owner = ")
        .bind(me.user.as_str());
    if let Some(department) = &me.department {
        sql.push(
            " OR EXISTS (SELECT 1 FROM process_facet f WHERE f.process_id = pv.id \
             AND f.facet = 'department' AND f.value = ",
        )
        .bind(department.as_str())
        .push(")");
    }
    sql.push(")) OR (pv.municipality <> ")
        .bind(me.municipality.as_str())
        .push(" AND (pv.visibility = 'PUBLIC'");
    if !viewer.network_partners.is_empty() {
        sql.push(" OR (pv.visibility = 'NETWORK' AND pv.municipality IN ")
            .bind_list(viewer.network_partners.iter().map(|m| m.as_str()))
            .push(")");
    }
    sql.push(")))");
}

/// A process as one viewer may see it.
#[derive(Debug, Clone)]
pub struct ProcessView {
    /// Full (own municipality) or partner (redacted).
    pub access: Access,
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// The reporter; `None` for partners.
    pub reporter: Option<UserId>,
    /// The details; for partners without owner, contact, departments and internal notes.
    pub details: ProcessDetails,
    /// IT's assessment.
    pub assessment: Option<Assessment>,
    /// Phase.
    pub phase: Phase,
    /// Status.
    pub status: Status,
    /// Why the status is what it is.
    pub status_reason: Option<LongText>,
    /// Lessons from operation (shared with partners).
    pub experience: Option<Experience>,
    /// How many follow it.
    pub follower_count: usize,
    /// Whether the viewer follows it.
    pub viewer_follows: bool,
    /// How many comments it has.
    pub comment_count: u32,
    /// Priority score with the owner's weights.
    pub score: f64,
    /// Explicit backlog rank (1 = first), if ranked; `None` for partners.
    pub backlog_rank: Option<i64>,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Read-model columns that are not part of the record.
#[derive(Debug, Clone, Copy)]
pub struct RowFacts {
    /// Priority score.
    pub score: f64,
    /// Backlog rank.
    pub backlog_rank: Option<i64>,
    /// Submission time.
    pub submitted_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl ProcessView {
    /// Apply the read rule and redaction; `None` if the viewer may not see it.
    pub fn new(viewer: &Viewer, record: ProcessRecord, facts: RowFacts) -> Option<Self> {
        let access = record.access(viewer);
        if access == Access::None {
            return None;
        }
        let me = &viewer.principal;
        let viewer_follows = record
            .followers
            .iter()
            .any(|f| f.user == me.user && f.municipality == me.municipality);
        let mut details = record.details;
        let full = access == Access::Full;
        if !full {
            details.owner = None;
            details.contact = None;
            details.internal_notes = None;
            details.departments.clear();
        }
        Some(Self {
            access,
            id: record.id,
            municipality: record.municipality,
            reporter: full.then_some(record.reporter),
            details,
            assessment: record.assessment,
            phase: record.phase,
            status: record.status,
            status_reason: record.status_reason,
            experience: record.experience,
            follower_count: record.followers.len(),
            viewer_follows,
            comment_count: record.comment_count,
            score: facts.score,
            backlog_rank: facts.backlog_rank.filter(|_| full),
            submitted_at: facts.submitted_at,
            updated_at: facts.updated_at,
        })
    }

    /// Whether the owning municipality should consider sharing it: in operation and not public.
    pub fn suggests_public(&self) -> bool {
        self.phase == Phase::Operation && self.details.visibility != Visibility::Public
    }
}

/// Who wrote something, as one viewer may see it: people only within their own municipality.
pub fn person_for(viewer: &Viewer, user: UserId, municipality: &MunicipalityId) -> Option<UserId> {
    viewer.principal.is_member_of(municipality).then_some(user)
}
