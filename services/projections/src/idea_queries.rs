//! Queries on the ideas read models ([`IdeaQueries`]). Ideas are read by the one read rule of
//! processes: [`access::visible`] in SQL over `idea_view` ([`IDEAS`] says where it finds the
//! submitter and the departments), and [`IdeaView::new`] in Rust, the only way an idea
//! leaves this crate, redacted for partners by the contract's privacy marks
//! (`innohub_runtime::reflect::redact`). Another municipality's idea that is not shared
//! with the viewer is not found, exactly like an id that names nothing.
//!
//! Challenges, workshops, action items (`challenge_views`) and the criteria are the
//! municipality's own: they are answered to its members only. The funnel is in
//! `idea_funnel`. Lists of ideas are newest first, paged by keyset ([`IdeaCursor`],
//! `crate::keyset`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::projections::v1::IdeaRecord;
use innohub_runtime::sql::Sql;
use innohub_runtime::{Access, Database, MunicipalityId, RecordLink, UserId, Viewer};
use prost::Message as _;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::access::{self, IDEAS};
use crate::filter::IdeaFilter;
use crate::idea_score::{idea_score, reviewer_score};
use crate::keyset::{self, Cursor, Listed};
use crate::queries::{
    CommentView, Page, QueryError, corrupt, link, non_empty as person, parse_time, record, seen_by,
    time,
};

/// The query side of the ideas read models.
#[derive(Debug, Clone)]
pub struct IdeaQueries {
    pub(crate) db: Database,
}

/// An idea as one viewer may see it: the contract's messages, redacted for partners.
#[derive(Debug, Clone)]
pub struct IdeaView {
    /// Full (own municipality) or partner (redacted).
    pub access: Access,
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// Who submitted it; `None` for partners.
    pub submitter: Option<String>,
    /// The details; for partners without departments and reviewers.
    pub details: pb::IdeaDetails,
    /// Its stage.
    pub stage: pb::Stage,
    /// The likely outcome, once a gate judged it.
    pub likely_outcome: Option<pb::Outcome>,
    /// Every gate decided, oldest first.
    pub gates: Vec<GateView>,
    /// How many support it.
    pub support_count: usize,
    /// Whether the viewer supports it.
    pub supported_by_me: bool,
    /// Its comments, oldest first; authors only within their own municipality.
    pub comments: Vec<CommentView>,
    /// 0–100 from the reviewers' values with the owner's criteria in force; `None` while
    /// nobody has scored it under them.
    pub score: Option<f64>,
    /// Each reviewer's values and score; `None` for partners.
    pub reviews: Option<Vec<ReviewView>>,
    /// What it became, in the order linked.
    pub outcomes: Vec<RecordLink>,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// When it last changed; `None` for partners (an edit of what they cannot see would
    /// show as a change).
    pub updated_at: Option<DateTime<Utc>>,
}

/// A gate decision as one viewer may see it.
#[derive(Debug, Clone)]
pub struct GateView {
    /// Stage before.
    pub from: pb::Stage,
    /// Stage after.
    pub to: pb::Stage,
    /// Why.
    pub rationale: String,
    /// Who decided; `None` for partners.
    pub decider: Option<String>,
    /// The likely outcome judged at this gate, if it judged one.
    pub likely_outcome: Option<pb::Outcome>,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// One reviewer's values for an idea (members only).
#[derive(Debug, Clone)]
pub struct ReviewView {
    /// The reviewer.
    pub reviewer: String,
    /// A value per criterion, as given.
    pub values: Vec<pb::CriterionScore>,
    /// Their score with the criteria in force; `None` if none of their values counts.
    pub score: Option<f64>,
}

/// Read-model columns that are not part of the record.
#[derive(Debug, Clone, Copy)]
pub struct IdeaFacts {
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A stage or outcome value: `None` for UNSPECIFIED.
fn specified<E: TryFrom<i32> + PartialEq>(raw: i32, unspecified: E) -> Option<E> {
    E::try_from(raw).ok().filter(|e| *e != unspecified)
}

fn stage(raw: i32) -> Result<pb::Stage, QueryError> {
    specified(raw, pb::Stage::Unspecified).ok_or_else(|| corrupt(format!("no stage {raw}")))
}

impl IdeaView {
    /// The view of a record whose row passed [`access::visible`] for `viewer`: full for
    /// members of the owning municipality, redacted for partners; people of another
    /// municipality than the viewer's (a partner's comment) are left out for everyone. The
    /// score is computed with `criteria`, the owner's in force, before anything is redacted.
    pub fn new(
        viewer: &Viewer,
        record: IdeaRecord,
        criteria: &[pb::Criterion],
        facts: IdeaFacts,
    ) -> Result<Self, QueryError> {
        let me = &viewer.principal;
        let (municipality, access, seen) = seen_by(viewer, &record, &record.municipality)?;
        let full = access == Access::Full;
        let supported_by_me = record
            .supporters
            .iter()
            .any(|s| s.user == me.user.as_str() && s.municipality == me.municipality.as_str());
        let support_count = record.supporters.len();
        let score = idea_score(criteria, &record.reviews);
        let reviews = full.then(|| {
            record
                .reviews
                .iter()
                .map(|r| ReviewView {
                    reviewer: r.reviewer.clone(),
                    values: r.scores.clone(),
                    score: reviewer_score(criteria, &r.scores),
                })
                .collect()
        });
        // Redacted for members too: a partner who commented is a person of another
        // municipality.
        let record = seen;
        let gates = record
            .gates
            .into_iter()
            .map(|g| {
                let d = g.decision.unwrap_or_default();
                Ok(GateView {
                    from: stage(d.from)?,
                    to: stage(d.to)?,
                    rationale: d.rationale,
                    decider: person(d.decider),
                    likely_outcome: specified(d.likely_outcome, pb::Outcome::Unspecified),
                    decided_at: parse_time(&g.decided_at)?,
                })
            })
            .collect::<Result<_, QueryError>>()?;
        let comments = record
            .comments
            .into_iter()
            .map(|c| {
                let m = c.comment.unwrap_or_default();
                Ok(CommentView {
                    id: Uuid::parse_str(&m.comment_id).map_err(corrupt)?,
                    author: person(m.author)
                        .map(|a| UserId::parse(&a))
                        .transpose()
                        .map_err(corrupt)?,
                    author_municipality: MunicipalityId::parse(&m.author_municipality)
                        .map_err(corrupt)?,
                    text: m.text,
                    created_at: parse_time(&c.created_at)?,
                })
            })
            .collect::<Result<_, QueryError>>()?;
        let outcomes = record.outcomes.iter().map(link).collect::<Result<_, _>>()?;
        Ok(Self {
            access,
            id: Uuid::parse_str(&record.idea_id).map_err(corrupt)?,
            municipality,
            submitter: person(record.submitter),
            details: record.details.unwrap_or_default(),
            stage: stage(record.stage)?,
            likely_outcome: specified(record.likely_outcome, pb::Outcome::Unspecified),
            gates,
            support_count,
            supported_by_me,
            comments,
            score,
            reviews,
            outcomes,
            submitted_at: facts.submitted_at,
            updated_at: full.then_some(facts.updated_at),
        })
    }

    /// Who may read it.
    pub fn visibility(&self) -> innohub_proto::innohub::processes::v1::Visibility {
        crate::idea_views::visibility(Some(&self.details))
    }
}

/// The newest-first list of ideas, by submission time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaList;

impl Listed for IdeaList {
    const NAME: &'static str = "ideas";
    const VIEW: &'static str = "idea_view";
    const RECORD: &'static str = "idea_record";
    const AT: &'static str = "submitted_at";
    const COLUMNS: &'static str = "r.record, pv.municipality, pv.submitted_at, pv.updated_at";
    const MODEL: &'static access::ReadModel = &IDEAS;
}

/// An idea's place in the newest-first list: its submission time (as stored) and id.
pub type IdeaCursor = Cursor<IdeaList>;

impl IdeaQueries {
    /// Query the read models in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The views of rows that passed the read rule, each scored with its owner's criteria.
    async fn views(&self, viewer: &Viewer, rows: &[AnyRow]) -> Result<Vec<IdeaView>, QueryError> {
        let mut municipalities: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("municipality"))
            .collect::<Result<_, _>>()?;
        municipalities.sort();
        municipalities.dedup();
        let criteria = self.criteria_of(&municipalities).await?;
        rows.iter()
            .map(|row| {
                let record: IdeaRecord = record(row)?;
                let facts = IdeaFacts {
                    submitted_at: time(row, "submitted_at")?,
                    updated_at: time(row, "updated_at")?,
                };
                let criteria = criteria
                    .get(&record.municipality)
                    .map_or(&[][..], Vec::as_slice);
                IdeaView::new(viewer, record, criteria, facts)
            })
            .collect()
    }

    /// One idea, if the viewer may read it.
    pub async fn idea(&self, viewer: &Viewer, id: Uuid) -> Result<Option<IdeaView>, QueryError> {
        let mut sql = keyset::readable::<IdeaList>(viewer);
        sql.push(" AND pv.id = ").bind(id.to_string());
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        Ok(self.views(viewer, &rows).await?.pop())
    }

    /// Up to `limit` ideas the viewer may read that `filter` matches, newest first, after
    /// `after` (from the start without; [`keyset::rows_after`]).
    pub async fn ideas(
        &self,
        viewer: &Viewer,
        filter: &IdeaFilter,
        after: Option<&IdeaCursor>,
        limit: i64,
    ) -> Result<Page<IdeaView, IdeaCursor>, QueryError> {
        let mut sql = keyset::readable::<IdeaList>(viewer);
        filter.push(&mut sql, viewer);
        let (rows, has_next) = keyset::rows_after(&self.db, sql, after, limit).await?;
        let views = self.views(viewer, &rows).await?;
        keyset::page(&rows, views, |v| v.id, has_next)
    }

    /// How many ideas the viewer may read that `filter` matches.
    pub async fn count(&self, viewer: &Viewer, filter: &IdeaFilter) -> Result<i64, QueryError> {
        keyset::count::<IdeaList>(&self.db, viewer, |sql| filter.push(sql, viewer)).await
    }

    /// The criteria in force in the viewer's municipality (empty until set): a municipality's
    /// own, answered to its members only.
    pub async fn criteria(&self, viewer: &Viewer) -> Result<Vec<pb::Criterion>, QueryError> {
        let mine = viewer.principal.municipality.to_string();
        let mut of = self.criteria_of(std::slice::from_ref(&mine)).await?;
        Ok(of.remove(&mine).unwrap_or_default())
    }

    /// The criteria in force of each of `municipalities` that set them.
    async fn criteria_of(
        &self,
        municipalities: &[String],
    ) -> Result<HashMap<String, Vec<pb::Criterion>>, QueryError> {
        if municipalities.is_empty() {
            return Ok(HashMap::new());
        }
        let mut sql =
            Sql::new("SELECT municipality, criteria FROM idea_criteria WHERE municipality IN ");
        sql.bind_list(municipalities.iter().map(String::as_str));
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        rows.iter()
            .map(|row| {
                let bytes: Vec<u8> = row.try_get("criteria")?;
                let set = pb::IdeaCriteriaSet::decode(bytes.as_slice()).map_err(corrupt)?;
                Ok((row.try_get("municipality")?, set.criteria))
            })
            .collect()
    }
}
