//! Queries on the processes read models. Every query goes through [`access::visible`] in
//! SQL and [`ProcessView::new`] in Rust: nothing else reads `process_view`.

use chrono::{DateTime, Utc};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::projections::v1::ProcessRecord;
use innohub_runtime::{Database, ErrorCode, HasErrorCode, MunicipalityId, UserId, Viewer};
use prost::Message as _;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::access::{self, ProcessView, RowFacts, person_for};
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
    /// ranked processes first in rank order, then the open rest by priority score.
    Backlog,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: i64,
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

/// Ranked processes first by rank, then the rest by score: the expression of the
/// `process_view_backlog` index, so that a page is read off the index.
const BACKLOG_ORDER: &str =
    "CASE WHEN pv.backlog_rank IS NULL THEN -pv.score ELSE pv.backlog_rank - 1000000000 END, pv.id";

/// The columns of a page row; the query must join `process_record r ON r.id = pv.id`.
const VIEW_COLUMNS: &str = "r.record, pv.score, pv.backlog_rank, pv.submitted_at, pv.updated_at";

fn corrupt(e: impl std::fmt::Display) -> QueryError {
    QueryError::Corrupt(e.to_string())
}

fn time(row: &AnyRow, column: &str) -> Result<DateTime<Utc>, QueryError> {
    let raw: String = row.try_get(column)?;
    Ok(DateTime::parse_from_rfc3339(&raw)
        .map_err(corrupt)?
        .with_timezone(&Utc))
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
        };
        ProcessView::new(viewer, record, facts).map_err(corrupt)
    }

    /// One process, if the viewer may see it.
    pub async fn get(&self, viewer: &Viewer, id: Uuid) -> Result<Option<ProcessView>, QueryError> {
        let mut sql = Sql::new(&format!(
            "SELECT {VIEW_COLUMNS} FROM process_view pv JOIN process_record r ON r.id = pv.id WHERE pv.id = "
        ));
        sql.bind(id.to_string()).push(" AND ");
        access::visible(&mut sql, viewer);
        let row = sql.query().fetch_optional(self.db.reader()).await?;
        row.map(|row| Self::view(viewer, &row)).transpose()
    }

    /// One page of a list of processes the viewer may see.
    pub async fn processes(
        &self,
        viewer: &Viewer,
        list: ProcessList,
        filter: &ProcessFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Page<ProcessView>, QueryError> {
        match list {
            ProcessList::All => {
                self.page(
                    viewer,
                    filter,
                    false,
                    "pv.submitted_at DESC, pv.id DESC",
                    offset,
                    limit,
                )
                .await
            }
            ProcessList::Backlog => {
                let filter = ProcessFilter {
                    municipality: Some(
                        filter
                            .municipality
                            .clone()
                            .unwrap_or_else(|| viewer.principal.municipality.clone()),
                    ),
                    ..filter.clone()
                };
                self.page(viewer, &filter, true, BACKLOG_ORDER, offset, limit)
                    .await
            }
        }
    }

    /// Append ` FROM process_view pv WHERE <read rule and filter>`.
    fn filtered(sql: &mut Sql, viewer: &Viewer, filter: &ProcessFilter, backlog: bool) {
        sql.push(" FROM process_view pv WHERE ");
        access::visible(sql, viewer);
        filter.push(sql, viewer, backlog);
    }

    async fn page(
        &self,
        viewer: &Viewer,
        filter: &ProcessFilter,
        backlog: bool,
        order: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Page<ProcessView>, QueryError> {
        let mut count = Sql::new("SELECT COUNT(*) AS n");
        Self::filtered(&mut count, viewer, filter, backlog);
        let total: i64 = count
            .query()
            .fetch_one(self.db.reader())
            .await?
            .try_get("n")?;
        // Sort and cut the page on narrow rows, then fetch the records of that page only.
        let mut sql = Sql::new(&format!(
            "SELECT {VIEW_COLUMNS} FROM process_view pv JOIN process_record r ON r.id = pv.id \
             JOIN (SELECT pv.id AS page_id"
        ));
        Self::filtered(&mut sql, viewer, filter, backlog);
        sql.push(" ORDER BY ")
            .push(order)
            .push(" LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset)
            .push(") page ON pv.id = page.page_id ORDER BY ")
            .push(order);
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        let items = rows
            .iter()
            .map(|row| Self::view(viewer, row))
            .collect::<Result<_, _>>()?;
        Ok(Page { items, total })
    }

    /// Counts by phase × status per department of one municipality, over what the viewer
    /// may see. A process with several departments counts in each.
    pub async fn status_overview(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
    ) -> Result<Vec<StatusCount>, QueryError> {
        let member = viewer.principal.is_member_of(municipality);
        let mut sql = Sql::new(if member {
            "SELECT d.value AS department, pv.phase, pv.status, COUNT(*) AS n FROM process_view pv \
             JOIN process_facet d ON d.process_id = pv.id AND d.facet = 'department' WHERE "
        } else {
            "SELECT NULL AS department, pv.phase, pv.status, COUNT(*) AS n FROM process_view pv WHERE "
        });
        access::visible(&mut sql, viewer);
        sql.push(" AND pv.municipality = ")
            .bind(municipality.as_str());
        sql.push(if member {
            " GROUP BY d.value, pv.phase, pv.status ORDER BY d.value, pv.phase, pv.status"
        } else {
            " GROUP BY pv.phase, pv.status ORDER BY pv.phase, pv.status"
        });
        let rows = sql.query().fetch_all(self.db.reader()).await?;
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
