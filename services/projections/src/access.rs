//! The read path's one gate. [`visible`] is the read rule of [`innohub_runtime::access`]
//! written as SQL over a read model's row (`process_view`, `idea_view`, `pilot_view`: a
//! [`ReadModel`] says where the rule finds the people and departments; a test checks the two
//! agree; `fund_view` and `application_view` add the roles that see a PRIVATE fund or
//! application, the funding service's rule), in two parts that counting uses apart
//! ([`shared`] rows are added up from `process_counts`, [`private_to`] rows are counted one
//! by one), and [`ProcessView::new`] is the only way a process record leaves this crate
//! (`idea_queries::IdeaView::new` an idea's, `pilot_queries::PilotView::new` a pilot's,
//! `funding_queries::FundView::new` and `ApplicationView::new` a fund's and an
//! application's): for partners it is redacted by the contract's privacy marks
//! (`innohub_runtime::reflect::redact`), without people, internal notes and departments.
//! What a list reveals besides its items (order, cursors, counts) is held to the same rule:
//! [`sees_ranking`] decides who may see a backlog's explicit ranking, in a field or in the
//! order of a list.

use chrono::{DateTime, Utc};
use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::projections::v1::ProcessRecord;
use innohub_runtime::reflect::redact;
use innohub_runtime::{Access, DecodeError, MunicipalityId, Role, UserId, Viewer};
use uuid::Uuid;

use innohub_runtime::sql::Sql;

/// Where the read rule finds a record's audience in a read model whose row is aliased `pv`
/// and has the columns `id`, `municipality` and `visibility` (the contract's names without
/// their prefix, `'PRIVATE'`): the people who always see a PRIVATE record (in columns of
/// `pv`, or as facets), and the facet table that files it under its departments (facet
/// `'department'`).
#[derive(Debug, Clone, Copy)]
pub struct ReadModel {
    /// Columns of `pv` holding a person who always sees the record; a NULL names nobody.
    people: &'static [&'static str],
    /// Facets naming people who always see the record, one a value.
    people_facets: &'static [&'static str],
    /// Roles whose holders in the record's municipality always see it, each with the
    /// condition on `pv` under which they do (`None`: always).
    roles: &'static [(Role, Option<&'static str>)],
    /// Whether the members of the departments it is filed under see it.
    departments: bool,
    /// The facet table, with columns `facet` and `value` (the filters match it too).
    pub(crate) facets: &'static str,
    /// Its column holding the record's id.
    pub(crate) facet_key: &'static str,
}

/// `process_view`: the reporter and the owner always see a PRIVATE process.
pub const PROCESSES: ReadModel = ReadModel {
    people: &["pv.reporter", "pv.owner"],
    people_facets: &[],
    roles: &[],
    departments: true,
    facets: "process_facet",
    facet_key: "process_id",
};

/// `idea_view`: the submitter and the reviewers named on it always see a PRIVATE idea.
pub const IDEAS: ReadModel = ReadModel {
    people: &["pv.submitter"],
    people_facets: &[crate::filter::REVIEWER],
    roles: &[],
    departments: true,
    facets: "idea_facet",
    facet_key: "idea_id",
};

/// `pilot_view`: the innovation lead who planned it and the plan's responsible person always
/// see a PRIVATE pilot.
pub const PILOTS: ReadModel = ReadModel {
    people: &["pv.planned_by", "pv.responsible"],
    people_facets: &[],
    roles: &[],
    departments: true,
    facets: "pilot_facet",
    facet_key: "pilot_id",
};

/// `fund_view`: a PRIVATE fund is its municipality's fund managers' and fund reviewers'
/// only; nobody else, whatever their department.
pub const FUNDS: ReadModel = ReadModel {
    people: &[],
    people_facets: &[],
    roles: &[(Role::FundManager, None), (Role::FundReviewer, None)],
    departments: false,
    facets: "funding_facet",
    facet_key: "record_id",
};

/// `application_view`: the drafter, the applicants and the fund managers always see an
/// application (a DRAFT is stored as PRIVATE: they alone see it), the fund reviewers once it
/// is submitted; departments do not.
pub const APPLICATIONS: ReadModel = ReadModel {
    people: &["pv.drafted_by"],
    people_facets: &[crate::filter::APPLICANT],
    roles: &[
        (Role::FundManager, None),
        (Role::FundReviewer, Some("pv.status <> 'DRAFT'")),
    ],
    departments: false,
    facets: "funding_facet",
    facet_key: "record_id",
};

/// Append the condition "`viewer` may read the row of `model` aliased `pv`": what is
/// [`shared`] with the viewer, or one of their municipality's PRIVATE records that is
/// [`private_to`] them. The two never overlap.
pub fn visible(sql: &mut Sql, viewer: &Viewer, model: &ReadModel) {
    sql.push("(");
    shared(sql, viewer);
    sql.push(" OR ");
    private_to(sql, viewer, model);
    sql.push(")");
}

/// Append the condition "every row of `pv`'s municipality and visibility is visible to
/// `viewer`": their own municipality's records that are not PRIVATE, and another's that
/// it shares with them. It reads only `pv.municipality` and `pv.visibility`, so it also
/// selects the rows of `process_counts` to add up.
pub fn shared(sql: &mut Sql, viewer: &Viewer) {
    let me = &viewer.principal;
    sql.push("((pv.municipality = ")
        .bind(me.municipality.as_str())
        .push(" AND pv.visibility <> 'PRIVATE') OR (pv.municipality <> ")
        .bind(me.municipality.as_str())
        .push(" AND (pv.visibility = 'PUBLIC'");
    if !viewer.network_partners.is_empty() {
        sql.push(" OR (pv.visibility = 'NETWORK' AND pv.municipality IN ")
            .bind_list(viewer.network_partners.iter().map(|m| m.as_str()))
            .push(")");
    }
    sql.push(")))");
}

/// Append the condition "`pv` is a PRIVATE record of `model` of the viewer's municipality
/// that names the viewer among its people (reporter, owner; submitter, reviewers;
/// applicants), is seen by one of their roles (fund manager) or shares a department with
/// them".
pub fn private_to(sql: &mut Sql, viewer: &Viewer, model: &ReadModel) {
    let me = &viewer.principal;
    sql.push("(pv.municipality = ")
        .bind(me.municipality.as_str())
        .push(" AND pv.visibility = 'PRIVATE' AND (");
    // Every alternative after the first is joined with OR; a model may name no one.
    let mut first = true;
    let mut or = |sql: &mut Sql| {
        sql.push(if first { "" } else { " OR " });
        first = false;
    };
    for person in model.people {
        or(sql);
        sql.push(person).push(" = ").bind(me.user.as_str());
    }
    let filed_under = |sql: &mut Sql, facet: &str, value: &str| {
        sql.push(&format!(
            "EXISTS (SELECT 1 FROM {} f WHERE f.{} = pv.id \
             AND f.facet = '{facet}' AND f.value = ",
            model.facets, model.facet_key
        ))
        .bind(value)
        .push(")");
    };
    for facet in model.people_facets {
        or(sql);
        filed_under(sql, facet, me.user.as_str());
    }
    for (role, when) in model.roles {
        if me.has(*role) {
            or(sql);
            sql.push(when.unwrap_or("1 = 1"));
        }
    }
    if let Some(department) = me.department.as_ref().filter(|_| model.departments) {
        or(sql);
        filed_under(sql, "department", department.as_str());
    }
    if first {
        sql.push("1 = 0");
    }
    sql.push("))");
}

/// Whether `viewer` may see `municipality`'s explicit backlog ranking: only its members. A
/// partner reads neither the rank ([`ProcessView::new`]) nor an order, cursor or page built
/// on it (the backlog's partner order in `queries`).
pub fn sees_ranking(viewer: &Viewer, municipality: &MunicipalityId) -> bool {
    viewer.principal.is_member_of(municipality)
}

/// A process as one viewer may see it: the contract's messages, redacted for partners.
#[derive(Debug, Clone)]
pub struct ProcessView {
    /// Full (own municipality) or partner (redacted).
    pub access: Access,
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// The reporter; `None` for partners.
    pub reporter: Option<String>,
    /// The details; for partners without owner, contact, departments and internal notes.
    pub details: pb::ProcessDetails,
    /// IT's assessment.
    pub assessment: Option<pb::Assessment>,
    /// Phase.
    pub phase: pb::Phase,
    /// Status.
    pub status: pb::Status,
    /// Why the status is what it is; empty if no reason was given.
    pub status_reason: String,
    /// Lessons from operation (shared with partners).
    pub experience: Option<pb::Experience>,
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
    /// When it last changed: for partners, when it last changed in a way they can see.
    pub updated_at: DateTime<Utc>,
    /// The record of another context it was spawned from (an idea); `None` if reported
    /// directly. Whether the viewer may read that record is the origin's read rule.
    pub origin: Option<RecordRef>,
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
    /// Last change partners can see (not one of people, internal notes or departments
    /// alone): what they read as [`ProcessView::updated_at`].
    pub shared_updated_at: DateTime<Utc>,
}

impl ProcessView {
    /// The view of a record whose row passed [`visible`] for `viewer`: full for members of
    /// the owning municipality, redacted for partners.
    pub fn new(
        viewer: &Viewer,
        record: ProcessRecord,
        facts: RowFacts,
    ) -> Result<Self, DecodeError> {
        let me = &viewer.principal;
        let municipality = MunicipalityId::parse(&record.municipality).map_err(DecodeError)?;
        let full = me.is_member_of(&municipality);
        let viewer_follows = record
            .followers
            .iter()
            .any(|f| f.user == me.user.as_str() && f.municipality == me.municipality.as_str());
        let follower_count = record.followers.len();
        let backlog_rank = facts
            .backlog_rank
            .filter(|_| sees_ranking(viewer, &municipality));
        // Members see all of their own record that a view shows (its followers are only
        // counted): only partners' views need the privacy marks applied.
        let record = if full {
            record
        } else {
            redact(&record, &record.municipality, me.municipality.as_str())?
        };
        Ok(Self {
            access: if full { Access::Full } else { Access::Partner },
            id: Uuid::parse_str(&record.process_id).map_err(DecodeError::new)?,
            municipality,
            reporter: (!record.reporter.is_empty()).then_some(record.reporter),
            details: record.details.unwrap_or_default(),
            assessment: record.assessment,
            phase: pb::Phase::try_from(record.phase).map_err(DecodeError::new)?,
            status: pb::Status::try_from(record.status).map_err(DecodeError::new)?,
            status_reason: record.status_reason,
            experience: record.experience,
            follower_count,
            viewer_follows,
            comment_count: record.comment_count,
            score: facts.score,
            backlog_rank,
            submitted_at: facts.submitted_at,
            updated_at: if full {
                facts.updated_at
            } else {
                facts.shared_updated_at
            },
            origin: record.origin,
        })
    }

    /// The visibility it is shared with.
    pub fn visibility(&self) -> pb::Visibility {
        pb::Visibility::try_from(self.details.visibility).unwrap_or(pb::Visibility::Private)
    }

    /// Whether the owning municipality should consider sharing it: in operation and not public.
    pub fn suggests_public(&self) -> bool {
        self.phase == pb::Phase::Operation && self.visibility() != pb::Visibility::Public
    }
}

/// Who wrote something, as one viewer may see it: people only within their own municipality.
pub fn person_for(viewer: &Viewer, user: UserId, municipality: &MunicipalityId) -> Option<UserId> {
    viewer.principal.is_member_of(municipality).then_some(user)
}
