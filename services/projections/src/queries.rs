//! Queries on the processes read models. Every query goes through the read rule in SQL
//! ([`access::visible`], or its two parts when counting) and [`ProcessView::new`] in Rust:
//! nothing else reads `process_view`. Lists are paged by keyset ([`Position`]: a page
//! continues after its last item, read off an index), and counted from `process_counts`
//! where the filter allows ([`ProcessQueries::count`]).

use chrono::{DateTime, Utc};
use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::projections::v1::ProcessRecord;
use innohub_runtime::reflect::redact;
use innohub_runtime::{
    Access, Database, ErrorCode, HasErrorCode, MunicipalityId, RecordLink, UserId, Viewer,
};
use prost::{Message, Name};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::access::{self, PROCESSES, ProcessView, RowFacts, person_for};
pub use crate::filter::ProcessFilter;
use innohub_runtime::sql::Sql;

/// A query failed on our side.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The read-model database failed.
    #[error("read model database: {0}")]
    Database(#[from] sqlx::Error),
    /// A row could not be understood.
    #[error("read model data: {0}")]
    Corrupt(String),
}

impl HasErrorCode for QueryError {
    fn code(&self) -> ErrorCode {
        ErrorCode::Internal
    }
}

/// Which list of processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessList {
    /// Every process the viewer may see, newest first.
    All,
    /// The prioritised backlog of one municipality (the viewer's by default): explicitly
    /// ranked processes first in rank order, then the open rest by priority score. Partners
    /// read another municipality's backlog by priority score alone: its ranking is not theirs
    /// to read, in the order either.
    Backlog,
}

impl ProcessList {
    /// The list's name in a [`Position`].
    fn name(self) -> &'static str {
        match self {
            ProcessList::All => "processes",
            ProcessList::Backlog => "backlog",
        }
    }

    /// What the list is sorted by (then by id) for `viewer`, and whether it runs down.
    /// `filter` is [`ProcessQueries::scoped`]: the backlog names its municipality, and only
    /// that municipality's members are shown its ranking, also through the order.
    fn order(self, viewer: &Viewer, filter: &ProcessFilter) -> (&'static str, bool) {
        match self {
            ProcessList::All => ("pv.submitted_at", true),
            ProcessList::Backlog
                if filter
                    .municipality
                    .as_ref()
                    .is_some_and(|m| access::sees_ranking(viewer, m)) =>
            {
                (BACKLOG_KEY, false)
            }
            ProcessList::Backlog => (SHARED_BACKLOG_KEY, false),
        }
    }
}

/// An item's place in a list: its sort key and id. A page continues after a position;
/// clients hold it as an opaque cursor (its text is [`Position`]'s `Display`).
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    list: ProcessList,
    key: SortKey,
    id: Uuid,
}

/// The value a list is sorted by.
#[derive(Debug, Clone, PartialEq)]
enum SortKey {
    /// The backlog's [`BACKLOG_KEY`] for members, [`SHARED_BACKLOG_KEY`] for partners: a
    /// partner's cursor carries the (negated) priority score they read, never a rank.
    Number(f64),
    /// The stored submission time.
    Text(String),
}

/// A cursor that is not a position in the list it was given to.
#[derive(Debug, thiserror::Error)]
#[error("not a cursor from this list")]
pub struct NotAPosition;

impl Position {
    /// Read a position written by `Display` for `list`.
    pub fn parse(list: ProcessList, raw: &str) -> Result<Self, NotAPosition> {
        let mut parts = raw.splitn(3, '|');
        let (Some(name), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NotAPosition);
        };
        if name != list.name() {
            return Err(NotAPosition);
        }
        let key = match list {
            ProcessList::Backlog => SortKey::Number(
                key.parse::<f64>()
                    .ok()
                    .filter(|k| k.is_finite())
                    .ok_or(NotAPosition)?,
            ),
            ProcessList::All => {
                DateTime::parse_from_rfc3339(key).map_err(|_| NotAPosition)?;
                SortKey::Text(key.to_owned())
            }
        };
        let id = Uuid::parse_str(id).map_err(|_| NotAPosition)?;
        Ok(Self { list, key, id })
    }

    /// Bind the sort key.
    fn bind_key(&self, sql: &mut Sql) {
        match &self.key {
            SortKey::Number(k) => sql.bind(*k),
            SortKey::Text(k) => sql.bind(k.as_str()),
        };
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.list.name();
        match &self.key {
            SortKey::Number(k) => write!(f, "{name}|{k}|{}", self.id),
            SortKey::Text(k) => write!(f, "{name}|{k}|{}", self.id),
        }
    }
}

/// One page of a list: its items with their positions (`C`, what a page continues after).
#[derive(Debug, Clone)]
pub struct Page<T, C = Position> {
    /// The items and their positions.
    pub items: Vec<(T, C)>,
    /// Whether more follow.
    pub has_next: bool,
}

/// Processes in one phase × status cell, per department (`None` for partners, who do not
/// see departments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    /// Department, if the viewer may see it.
    pub department: Option<String>,
    /// Phase.
    pub phase: pb::Phase,
    /// Status.
    pub status: pb::Status,
    /// How many.
    pub count: i64,
}

/// A comment as the viewer may see it.
#[derive(Debug, Clone)]
pub struct CommentView {
    /// Its id.
    pub id: Uuid,
    /// The author, if from the viewer's municipality.
    pub author: Option<UserId>,
    /// The author's municipality.
    pub author_municipality: MunicipalityId,
    /// The text.
    pub text: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The query side of the processes read models.
#[derive(Debug, Clone)]
pub struct ProcessQueries {
    db: Database,
}

/// The backlog's sort key (then the id): ranked processes first by rank, then the rest by
/// score. The expression of the `process_view_backlog` index, so that a page is read off
/// the index. Only for members of the backlog's municipality: the ranking is theirs.
const BACKLOG_KEY: &str =
    "CASE WHEN pv.backlog_rank IS NULL THEN -pv.score ELSE pv.backlog_rank - 1000000000 END";

/// The backlog's sort key (then the id) for a partner: the priority score, highest first,
/// the order the members' backlog gives its unranked processes. A partner may not read the
/// ranking ([`ProcessView`] leaves `backlog_rank` out), and an order, a cursor or a page
/// boundary built on it would tell the ranking all the same. The score may be used: partners
/// read it (`priorityScore`), and it is computed only from what they read too (the volume,
/// the assessment, and the owner's scoring weights, which `scoringWeights` answers anyone),
/// so this order says nothing the items do not. The expression of the
/// `process_view_shared_backlog` index.
const SHARED_BACKLOG_KEY: &str = "-pv.score";

/// The columns of a page row; the query must join `process_record r ON r.id = pv.id`.
const VIEW_COLUMNS: &str =
    "r.record, pv.score, pv.backlog_rank, pv.submitted_at, pv.updated_at, pv.shared_updated_at";

/// A read model that holds something it cannot understand.
pub(crate) fn corrupt(e: impl std::fmt::Display) -> QueryError {
    QueryError::Corrupt(e.to_string())
}

/// A time column (RFC 3339 text).
pub(crate) fn time(row: &AnyRow, column: &str) -> Result<DateTime<Utc>, QueryError> {
    parse_time(&row.try_get::<String, _>(column)?)
}

/// A stored time (RFC 3339 text).
pub(crate) fn parse_time(raw: &str) -> Result<DateTime<Utc>, QueryError> {
    Ok(DateTime::parse_from_rfc3339(raw)
        .map_err(corrupt)?
        .with_timezone(&Utc))
}

/// The record (`R`, the contract's message) a row's `record` column holds.
pub(crate) fn record<R: Message + Default>(row: &AnyRow) -> Result<R, QueryError> {
    let bytes: Vec<u8> = row.try_get("record")?;
    R::decode(bytes.as_slice()).map_err(corrupt)
}

/// A stored link to a record of any service (an origin, an outcome); a corrupt one is
/// refused.
pub(crate) fn link(raw: &RecordRef) -> Result<RecordLink, QueryError> {
    RecordLink::try_from(raw).map_err(corrupt)
}

/// A text of a record that may be empty (a person after redaction, an optional field):
/// `None` when it is.
pub(crate) fn non_empty(raw: String) -> Option<String> {
    (!raw.is_empty()).then_some(raw)
}

/// A record of `owner` as `viewer` may see it: the owning municipality, the viewer's
/// access (full for its members) and the record redacted by the contract's privacy marks
/// (`innohub_runtime::reflect::redact`), for members too: people of another municipality
/// than the viewer's (a partner's comment) are left out for everyone.
pub(crate) fn seen_by<R: Message + Name + Default>(
    viewer: &Viewer,
    record: &R,
    owner: &str,
) -> Result<(MunicipalityId, Access, R), QueryError> {
    let me = &viewer.principal;
    let municipality = MunicipalityId::parse(owner).map_err(corrupt)?;
    let access = if me.is_member_of(&municipality) {
        Access::Full
    } else {
        Access::Partner
    };
    let seen = redact(record, owner, me.municipality.as_str()).map_err(corrupt)?;
    Ok((municipality, access, seen))
}

fn parse<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, QueryError> {
    raw.parse()
        .map_err(|_| QueryError::Corrupt(format!("bad {what}: {raw}")))
}

impl ProcessQueries {
    /// Query the read models in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The view of a row that passed the read rule.
    fn view(viewer: &Viewer, row: &AnyRow) -> Result<ProcessView, QueryError> {
        let bytes: Vec<u8> = row.try_get("record")?;
        let record = ProcessRecord::decode(bytes.as_slice()).map_err(corrupt)?;
        let facts = RowFacts {
            score: row.try_get("score")?,
            backlog_rank: row.try_get("backlog_rank")?,
            submitted_at: time(row, "submitted_at")?,
            updated_at: time(row, "updated_at")?,
            shared_updated_at: time(row, "shared_updated_at")?,
        };
        ProcessView::new(viewer, record, facts).map_err(corrupt)
    }

    /// One process, if the viewer may see it.
    pub async fn get(&self, viewer: &Viewer, id: Uuid) -> Result<Option<ProcessView>, QueryError> {
        let mut sql = Sql::new(&format!(
            "SELECT {VIEW_COLUMNS} FROM process_view pv JOIN process_record r ON r.id = pv.id WHERE pv.id = "
        ));
        sql.bind(id.to_string()).push(" AND ");
        access::visible(&mut sql, viewer, &PROCESSES);
        let row = sql.query().fetch_optional(self.db.reader()).await?;
        row.map(|row| Self::view(viewer, &row)).transpose()
    }

    /// The list's filter: the backlog is one municipality's, the viewer's by default.
    fn scoped(viewer: &Viewer, list: ProcessList, filter: &ProcessFilter) -> ProcessFilter {
        match list {
            ProcessList::All => filter.clone(),
            ProcessList::Backlog => ProcessFilter {
                municipality: Some(
                    filter
                        .municipality
                        .clone()
                        .unwrap_or_else(|| viewer.principal.municipality.clone()),
                ),
                ..filter.clone()
            },
        }
    }

    /// Append ` FROM process_view pv WHERE <read rule and filter>`.
    fn filtered(sql: &mut Sql, viewer: &Viewer, list: ProcessList, filter: &ProcessFilter) {
        sql.push(" FROM process_view pv WHERE ");
        access::visible(sql, viewer, &PROCESSES);
        filter.push(sql, viewer, list == ProcessList::Backlog);
    }

    /// Up to `limit` processes the viewer may see in a list, after `after` (from the start
    /// without). The page is read off an index from the position on (keyset): it costs the
    /// same on every page and at any size of the store, and processes added or moved
    /// elsewhere in the list between pages neither repeat nor hide the others.
    pub async fn processes(
        &self,
        viewer: &Viewer,
        list: ProcessList,
        filter: &ProcessFilter,
        after: Option<&Position>,
        limit: i64,
    ) -> Result<Page<ProcessView>, QueryError> {
        let sql = Self::page_sql(viewer, list, filter, after, limit + 1);
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        let has_next = rows.len() as i64 > limit;
        let items = rows
            .iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|row| {
                let view = Self::view(viewer, row)?;
                let key = match list {
                    ProcessList::All => SortKey::Text(row.try_get("sort_key")?),
                    ProcessList::Backlog => SortKey::Number(row.try_get("sort_key")?),
                };
                let id = view.id;
                Ok((view, Position { list, key, id }))
            })
            .collect::<Result<_, QueryError>>()?;
        Ok(Page { items, has_next })
    }

    /// The statement of a page of `rows` rows: the page's ids and sort keys are cut from
    /// the narrow rows (off the index), then only their records are read.
    fn page_sql(
        viewer: &Viewer,
        list: ProcessList,
        filter: &ProcessFilter,
        after: Option<&Position>,
        rows: i64,
    ) -> Sql {
        let filter = Self::scoped(viewer, list, filter);
        let (key, down) = list.order(viewer, &filter);
        let (past, dir) = if down { ("<", " DESC") } else { (">", "") };
        let mut sql = Sql::new("");
        if let Some(after) = after {
            // The page continues after where the cursor's item is now (ranking others moves
            // the ranks of the rest), or where it was if the viewer no longer sees it. The
            // inner `pv` is the cursor's row.
            sql.push("WITH anchor AS (SELECT COALESCE((SELECT ")
                .push(key)
                .push(" FROM process_view pv WHERE pv.id = ")
                .bind(after.id.to_string())
                .push(" AND ");
            access::visible(&mut sql, viewer, &PROCESSES);
            sql.push("), ");
            after.bind_key(&mut sql);
            sql.push(") AS k) ");
        }
        let sort_key = match list {
            ProcessList::All => key.to_owned(),
            ProcessList::Backlog => format!("CAST({key} AS DOUBLE PRECISION)"),
        };
        sql.push(&format!(
            "SELECT {VIEW_COLUMNS}, page.sort_key FROM process_view pv \
             JOIN process_record r ON r.id = pv.id \
             JOIN (SELECT pv.id AS page_id, {sort_key} AS sort_key"
        ));
        Self::filtered(&mut sql, viewer, list, &filter);
        if let Some(after) = after {
            // The first condition alone is a range of the index on both backends (SQLite
            // does not range-scan an indexed expression in a row value); the second is exact.
            sql.push(&format!(
                " AND {key} {past}= (SELECT k FROM anchor) \
                 AND ({key}, pv.id) {past} ((SELECT k FROM anchor), "
            ))
            .bind(after.id.to_string())
            .push(")");
        }
        let order = format!("{key}{dir}, pv.id{dir}");
        sql.push(&format!(" ORDER BY {order} LIMIT "))
            .bind(rows)
            .push(&format!(") page ON pv.id = page.page_id ORDER BY {order}"));
        sql
    }

    /// How many processes the viewer may see in a list, as paging through it would find.
    pub async fn count(
        &self,
        viewer: &Viewer,
        list: ProcessList,
        filter: &ProcessFilter,
    ) -> Result<i64, QueryError> {
        Ok(Self::count_sql(viewer, list, filter)
            .query()
            .fetch_one(self.db.reader())
            .await?
            .try_get("n")?)
    }

    /// The statement of [`ProcessQueries::count`]. Narrowed by no more than the
    /// municipality and closed, it adds up `process_counts` with the read rule and counts
    /// only the PRIVATE processes the viewer may see one by one; other filters count the
    /// matching rows.
    fn count_sql(viewer: &Viewer, list: ProcessList, filter: &ProcessFilter) -> Sql {
        let filter = Self::scoped(viewer, list, filter);
        let backlog = list == ProcessList::Backlog;
        let mut sql = Sql::new("SELECT ");
        if filter.counted() {
            // `shared` and `private_to` split `visible` into two parts that never overlap.
            sql.push("CAST(COALESCE((SELECT SUM(pv.n) FROM process_counts pv WHERE ");
            access::shared(&mut sql, viewer);
            filter.push(&mut sql, viewer, backlog);
            sql.push("), 0) AS BIGINT) + (SELECT COUNT(*) FROM process_view pv WHERE ");
            access::private_to(&mut sql, viewer, &PROCESSES);
            filter.push(&mut sql, viewer, backlog);
            sql.push(") AS n");
        } else {
            sql.push("COUNT(*) AS n");
            Self::filtered(&mut sql, viewer, list, &filter);
        }
        sql
    }

    /// Counts by phase × status per department of one municipality, over what the viewer
    /// may see. A process with several departments counts in each.
    pub async fn status_overview(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
    ) -> Result<Vec<StatusCount>, QueryError> {
        let rows = Self::status_sql(viewer, municipality)
            .query()
            .fetch_all(self.db.reader())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(StatusCount {
                    department: row.try_get("department")?,
                    phase: parse_phase(&row.try_get::<String, _>("phase")?)?,
                    status: parse_status(&row.try_get::<String, _>("status")?)?,
                    count: row.try_get("n")?,
                })
            })
            .collect()
    }

    /// The statement of [`ProcessQueries::status_overview`]: it reads the municipality's
    /// rows from the `process_view_audience` index, not the table.
    fn status_sql(viewer: &Viewer, municipality: &MunicipalityId) -> Sql {
        let member = viewer.principal.is_member_of(municipality);
        let mut sql = Sql::new(if member {
            // CROSS JOIN: SQLite reads the municipality's rows first, then their departments
            // (it may otherwise start from every department facet of every municipality).
            "SELECT d.value AS department, pv.phase, pv.status, COUNT(*) AS n FROM process_view pv \
             CROSS JOIN process_facet d WHERE d.process_id = pv.id AND d.facet = 'department' AND "
        } else {
            "SELECT NULL AS department, pv.phase, pv.status, COUNT(*) AS n FROM process_view pv WHERE "
        });
        access::visible(&mut sql, viewer, &PROCESSES);
        sql.push(" AND pv.municipality = ")
            .bind(municipality.as_str());
        sql.push(if member {
            " GROUP BY d.value, pv.phase, pv.status ORDER BY d.value, pv.phase, pv.status"
        } else {
            " GROUP BY pv.phase, pv.status ORDER BY pv.phase, pv.status"
        });
        sql
    }

    /// The comments on a process the viewer can see, oldest first.
    pub async fn comments(
        &self,
        viewer: &Viewer,
        process: &ProcessView,
    ) -> Result<Vec<CommentView>, QueryError> {
        let rows = sqlx::query(
            "SELECT comment_id, author, author_municipality, text, created_at FROM process_comment \
             WHERE process_id = $1 ORDER BY position",
        )
        .bind(process.id.to_string())
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let municipality =
                    MunicipalityId::parse(&row.try_get::<String, _>("author_municipality")?)
                        .map_err(corrupt)?;
                let author: UserId =
                    UserId::parse(&row.try_get::<String, _>("author")?).map_err(corrupt)?;
                Ok(CommentView {
                    id: parse(&row.try_get::<String, _>("comment_id")?, "comment id")?,
                    author: person_for(viewer, author, &municipality),
                    author_municipality: municipality,
                    text: row.try_get("text")?,
                    created_at: time(row, "created_at")?,
                })
            })
            .collect()
    }

    /// A municipality's scoring weights (the defaults until it sets its own).
    pub async fn scoring_weights(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<pb::ScoringWeights, QueryError> {
        let stored: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT weights FROM scoring_weights WHERE municipality = $1")
                .bind(municipality.as_str())
                .fetch_optional(self.db.reader())
                .await?;
        stored.map_or(Ok(innohub_priority::default_weights()), |w| {
            pb::ScoringWeights::decode(w.as_slice()).map_err(corrupt)
        })
    }
}

fn parse_phase(raw: &str) -> Result<pb::Phase, QueryError> {
    pb::Phase::from_str_name(&format!("PHASE_{raw}"))
        .ok_or_else(|| QueryError::Corrupt(format!("bad phase {raw}")))
}

fn parse_status(raw: &str) -> Result<pb::Status, QueryError> {
    pb::Status::from_str_name(&format!("STATUS_{raw}"))
        .ok_or_else(|| QueryError::Corrupt(format!("bad status {raw}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use innohub_runtime::{DepartmentId, Principal, Role};

    fn viewer(user: &str, municipality: &str) -> Viewer {
        Viewer::new(Principal {
            user: UserId::parse(user).unwrap(),
            municipality: MunicipalityId::parse(municipality).unwrap(),
            department: Some(DepartmentId::parse("social").unwrap()),
            roles: [Role::Employee].into_iter().collect(),
        })
    }

    /// SQLite's plan of a statement, one step a line.
    async fn plan(db: &Database, sql: &Sql) -> Vec<String> {
        let rows = sql
            .prefixed("EXPLAIN QUERY PLAN ")
            .query()
            .fetch_all(db.reader())
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get("detail").unwrap()).collect()
    }

    /// No step reads a whole table, and at most `sorts` steps sort.
    fn reads_off_indexes(plan: &[String], sorts: usize) {
        for step in plan {
            let scans_table = step.starts_with("SCAN ")
                && !step.contains(" INDEX ")
                && !["SCAN page", "SCAN anchor", "SCAN CONSTANT ROW"].contains(&step.as_str());
            assert!(!scans_table, "a table scan in {plan:#?}");
        }
        let sorting = plan.iter().filter(|s| s.contains("TEMP B-TREE")).count();
        assert!(sorting <= sorts, "sorts in {plan:#?}");
    }

    fn uses(plan: &[String], step: &str) {
        assert!(
            plan.iter().any(|s| s.contains(step)),
            "no {step} in {plan:#?}"
        );
    }

    /// Pages, counts and the status overview read off the indexes on SQLite (PostgreSQL
    /// was checked with EXPLAIN by hand: the same indexes, and the row comparison as an
    /// index condition).
    #[tokio::test]
    async fn lists_counts_and_the_overview_read_off_indexes_on_sqlite() {
        let path = std::env::temp_dir().join(format!("innohub-plans-{}.sqlite", Uuid::now_v7()));
        let db = Database::connect(&Database::sqlite_url(&path))
            .await
            .unwrap();
        db.migrate(&crate::migrations()).await.unwrap();
        let member = viewer("anna", "DK-0706");
        let partner = viewer("sven", "SE-1283");
        let dk = MunicipalityId::parse("DK-0706").unwrap();
        let in_dk = ProcessFilter {
            municipality: Some(dk.clone()),
            ..ProcessFilter::default()
        };
        let all = ProcessFilter::default();
        // A member reads DK's backlog in its ranking, a partner by score: each off its index.
        for (who, backlog_index) in [
            (&member, "process_view_backlog"),
            (&partner, "process_view_shared_backlog"),
        ] {
            let backlog_from_start = format!("{backlog_index} (municipality=? AND closed=?)");
            let backlog_from_cursor =
                format!("{backlog_index} (municipality=? AND closed=? AND <expr>>?)");
            let after = |list, key: &str| {
                Position::parse(list, &format!("{}|{key}|{}", list.name(), Uuid::nil())).unwrap()
            };
            let backlog_after = after(ProcessList::Backlog, "-12.5");
            let newest_after = after(ProcessList::All, "2026-12-01T10:00:00+00:00");
            for (list, filter, after, index) in [
                (
                    ProcessList::Backlog,
                    &in_dk,
                    None,
                    backlog_from_start.as_str(),
                ),
                (
                    ProcessList::Backlog,
                    &in_dk,
                    Some(&backlog_after),
                    backlog_from_cursor.as_str(),
                ),
                (ProcessList::All, &all, None, "INDEX process_view_newest"),
                (
                    ProcessList::All,
                    &all,
                    Some(&newest_after),
                    "INDEX process_view_newest (submitted_at<?)",
                ),
                (
                    ProcessList::All,
                    &in_dk,
                    None,
                    "INDEX process_view_newest_in (municipality=?)",
                ),
                (
                    ProcessList::All,
                    &in_dk,
                    Some(&newest_after),
                    "INDEX process_view_newest_in (municipality=? AND submitted_at<?)",
                ),
            ] {
                let plan = plan(&db, &ProcessQueries::page_sql(who, list, filter, after, 51)).await;
                // Only the page of 51 is sorted once more, when joined to its records.
                reads_off_indexes(&plan, 1);
                uses(&plan, index);
            }
            for (list, filter) in [
                (ProcessList::Backlog, &in_dk),
                (ProcessList::All, &all),
                (ProcessList::All, &in_dk),
            ] {
                let mut plan = plan(&db, &ProcessQueries::count_sql(who, list, filter)).await;
                // Its first subquery reads `process_counts`, a few rows per municipality,
                // which may be read whole.
                if let Some(at) = plan.iter().position(|s| s == "SCALAR SUBQUERY 1")
                    && plan.get(at + 1).is_some_and(|s| s == "SCAN pv")
                {
                    plan.remove(at + 1);
                }
                reads_off_indexes(&plan, 0);
                uses(
                    &plan,
                    "INDEX process_view_audience (municipality=? AND visibility=?",
                );
            }
            let plan = plan(&db, &ProcessQueries::status_sql(who, &dk)).await;
            reads_off_indexes(&plan, 1);
            uses(&plan, "INDEX process_view_audience (municipality=?)");
        }
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
