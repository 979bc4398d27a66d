//! The cross-municipal overview: the processes shared with the viewer (NETWORK and PUBLIC
//! ones that the read rule's [`access::shared`] lets them see, their own municipality's
//! included; never PRIVATE or MUNICIPALITY ones, not even their own) grouped by
//! classification, with per group how many municipalities run one in OPERATION and how many
//! have one at all, the hours saved per year summed, the most used IT systems and
//! technologies, and the first members as the viewer may see them ([`ProcessView::new`]).
//! Every number is computed in SQL over the shared rows only, so nothing that is not shared
//! with the viewer is ever counted.
//!
//! Cost: the rows are read off the `process_view_shared_by_classification` index (one range
//! per shared visibility, no table reads); the facets through `process_facet`'s primary key,
//! one lookup per shared process; the members' records by id, at most `members` per group.

use std::cmp::Ordering;
use std::collections::HashMap;

use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::projections::v1::ProcessRecord;
use innohub_runtime::db::Backend;
use innohub_runtime::sql::Sql;
use innohub_runtime::{Database, Viewer};
use prost::Message as _;
use sqlx::{AnyConnection, Row};

use crate::access::{self, ProcessView, RowFacts};
use crate::queries::{QueryError, corrupt, time};

/// How many IT systems and technologies a group names.
pub const TOP: usize = 5;

/// Ids per `IN (…)` set.
const IDS_PER_QUERY: usize = 10_000;

/// A classification code prefix within a scheme: scheme `KLE` and prefix `27.24` match
/// `KLE 27.24.00` and `KLE 27.24.10`; an empty prefix matches every code of the scheme.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassificationPrefix {
    /// e.g. `KLE`.
    pub scheme: String,
    /// e.g. `27.24`.
    pub code_prefix: String,
}

/// Narrows the overview; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct OverviewFilter {
    /// Classified under this prefix.
    pub classification: Option<ClassificationPrefix>,
    /// In this domain.
    pub domain: Option<String>,
    /// Using this technology.
    pub technology: Option<String>,
    /// Using this IT system.
    pub it_system: Option<String>,
    /// Of the municipalities that are members of this network now; nothing unless the
    /// viewer's municipality is one of them.
    pub network: Option<String>,
    /// Of municipalities of this size band, as the directory stores it
    /// ([`crate::directory_views::size_band_name`], e.g. `30K_TO_60K`).
    pub size_band: Option<String>,
}

/// How many processes of a group use an IT system or technology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// Its name.
    pub name: String,
    /// How many of the group's shared processes name it.
    pub count: i64,
}

/// The shared processes of one classification.
#[derive(Debug, Clone)]
pub struct OverviewGroup {
    /// Scheme and code; `None` for the processes without a classification.
    pub classification: Option<pb::Classification>,
    /// Municipalities with at least one of the group's processes in OPERATION.
    pub municipalities_in_operation: i64,
    /// Municipalities with at least one of the group's processes, in any phase.
    pub municipalities: i64,
    /// The group's processes.
    pub processes: i64,
    /// Potential hours saved per year, summed over its processes in OPERATION.
    pub hours_saved_in_operation: f64,
    /// Potential hours saved per year, summed over all its processes.
    pub hours_saved: f64,
    /// The most used IT systems, most used first, ties by name; at most [`TOP`].
    pub it_systems: Vec<Usage>,
    /// The most used technologies, the same way.
    pub technologies: Vec<Usage>,
    /// Its first processes (in OPERATION first, then by hours saved), as the viewer sees
    /// them: redacted for partners.
    pub members: Vec<ProcessView>,
}

/// The overview's queries.
#[derive(Debug, Clone)]
pub struct OverviewQueries {
    db: Database,
}

/// `LIKE` text that matches `raw` literally (with `ESCAPE '\'`).
fn literal(raw: &str) -> String {
    raw.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Append the condition "the `process_view` row `pv` is shared with `viewer` and `filter`
/// selects it": NETWORK and PUBLIC rows only, of those the read rule's [`access::shared`]
/// part lets the viewer see.
fn scope(sql: &mut Sql, viewer: &Viewer, filter: &OverviewFilter) {
    sql.push("pv.visibility IN ('NETWORK', 'PUBLIC') AND ");
    access::shared(sql, viewer);
    if let Some(c) = &filter.classification {
        sql.push(" AND pv.classification LIKE ")
            .bind(format!(
                "{} {}%",
                literal(&c.scheme),
                literal(&c.code_prefix)
            ))
            .push(" ESCAPE '\\'");
    }
    for (facet, value) in [
        ("domain", &filter.domain),
        ("technology", &filter.technology),
        ("it_system", &filter.it_system),
    ] {
        let Some(value) = value else { continue };
        sql.push(
            " AND EXISTS (SELECT 1 FROM process_facet ff WHERE ff.process_id = pv.id AND ff.facet = ",
        )
        .bind(facet)
        .push(" AND ff.value = ")
        .bind(value.as_str())
        .push(")");
    }
    if let Some(network) = &filter.network {
        // Only a member may look into a network: for anyone else it holds nothing.
        sql.push(" AND EXISTS (SELECT 1 FROM directory_network_member me WHERE me.network_id = ")
            .bind(network.as_str())
            .push(" AND me.municipality = ")
            .bind(viewer.principal.municipality.as_str())
            .push(
                " AND me.state = 'MEMBER') AND pv.municipality IN (SELECT nm.municipality \
             FROM directory_network_member nm WHERE nm.network_id = ",
            )
            .bind(network.as_str())
            .push(" AND nm.state = 'MEMBER')");
    }
    if let Some(band) = &filter.size_band {
        sql.push(
            " AND pv.municipality IN (SELECT dm.id FROM directory_municipality dm WHERE dm.size_band = ",
        )
        .bind(band.as_str())
        .push(")");
    }
}

/// The numbers of a group, before its facets and members.
struct Counted {
    key: Option<String>,
    in_operation: i64,
    municipalities: i64,
    processes: i64,
    hours_in_operation: f64,
    hours: f64,
    /// One of its processes, to read the scheme and code from.
    sample: String,
}

impl OverviewQueries {
    /// Query the read models in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The overview for `viewer`: groups sorted by municipalities in OPERATION, then by
    /// municipalities, then by scheme and code (the unclassified last), each with up to
    /// `members` members.
    pub async fn cross_municipal(
        &self,
        viewer: &Viewer,
        filter: &OverviewFilter,
        members: usize,
    ) -> Result<Vec<OverviewGroup>, QueryError> {
        // One snapshot for all the statements, so that the numbers and the members agree.
        let mut tx = self.db.reader().begin().await?;
        if self.db.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let counted = counts(&mut tx, viewer, filter).await?;
        if counted.is_empty() {
            return Ok(Vec::new());
        }
        let mut usage = usage(&mut tx, viewer, filter).await?;
        let mut members = if members > 0 {
            self::members(&mut tx, viewer, filter, members).await?
        } else {
            HashMap::new()
        };
        let samples = counted.iter().filter(|c| c.key.is_some());
        let classifications = classifications(&mut tx, samples.map(|c| c.sample.as_str())).await?;
        tx.rollback().await?;
        let mut groups: Vec<OverviewGroup> = counted
            .into_iter()
            .map(|c| {
                let (it_systems, technologies) = usage.remove(&c.key).unwrap_or_default();
                OverviewGroup {
                    classification: c
                        .key
                        .as_ref()
                        .and_then(|_| classifications.get(&c.sample).cloned()),
                    municipalities_in_operation: c.in_operation,
                    municipalities: c.municipalities,
                    processes: c.processes,
                    hours_saved_in_operation: c.hours_in_operation,
                    hours_saved: c.hours,
                    it_systems,
                    technologies,
                    members: members.remove(&c.key).unwrap_or_default(),
                }
            })
            .collect();
        groups.sort_by(|a, b| {
            let name = |g: &OverviewGroup| {
                g.classification
                    .as_ref()
                    .map(|c| (c.scheme.clone(), c.code.clone()))
            };
            b.municipalities_in_operation
                .cmp(&a.municipalities_in_operation)
                .then(b.municipalities.cmp(&a.municipalities))
                .then_with(|| match (name(a), name(b)) {
                    (Some(a), Some(b)) => a.cmp(&b),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                })
        });
        Ok(groups)
    }
}

/// The statement of the groups' numbers.
fn counts_sql(viewer: &Viewer, filter: &OverviewFilter) -> Sql {
    let mut sql = Sql::new(
        "SELECT pv.classification AS classification, \
             COUNT(DISTINCT CASE WHEN pv.phase = 'OPERATION' THEN pv.municipality END) AS in_operation, \
             COUNT(DISTINCT pv.municipality) AS municipalities, COUNT(*) AS processes, \
             CAST(COALESCE(SUM(CASE WHEN pv.phase = 'OPERATION' THEN pv.hours_saved ELSE 0.0 END), 0.0) \
             AS DOUBLE PRECISION) AS hours_in_operation, \
             CAST(COALESCE(SUM(pv.hours_saved), 0.0) AS DOUBLE PRECISION) AS hours, \
             MIN(pv.id) AS sample FROM process_view pv WHERE ",
    );
    scope(&mut sql, viewer, filter);
    sql.push(" GROUP BY pv.classification");
    sql
}

async fn counts(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filter: &OverviewFilter,
) -> Result<Vec<Counted>, QueryError> {
    let rows = counts_sql(viewer, filter)
        .query()
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Counted {
                key: row.try_get("classification")?,
                in_operation: row.try_get("in_operation")?,
                municipalities: row.try_get("municipalities")?,
                processes: row.try_get("processes")?,
                hours_in_operation: row.try_get("hours_in_operation")?,
                hours: row.try_get("hours")?,
                sample: row.try_get("sample")?,
            })
        })
        .collect()
}

/// The statement of the IT systems' and technologies' use per group.
fn usage_sql(viewer: &Viewer, filter: &OverviewFilter) -> Sql {
    let mut sql = Sql::new(
        "SELECT pv.classification AS classification, f.facet AS facet, f.value AS value, \
             COUNT(*) AS n FROM process_view pv CROSS JOIN process_facet f \
             WHERE f.process_id = pv.id AND f.facet IN ('it_system', 'technology') AND ",
    );
    scope(&mut sql, viewer, filter);
    sql.push(" GROUP BY pv.classification, f.facet, f.value");
    sql
}

/// The most used IT systems and technologies of every group.
async fn usage(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filter: &OverviewFilter,
) -> Result<HashMap<Option<String>, (Vec<Usage>, Vec<Usage>)>, QueryError> {
    let rows = usage_sql(viewer, filter)
        .query()
        .fetch_all(&mut *conn)
        .await?;
    let mut found: HashMap<Option<String>, (Vec<Usage>, Vec<Usage>)> = HashMap::new();
    for row in &rows {
        let key: Option<String> = row.try_get("classification")?;
        let facet: String = row.try_get("facet")?;
        let usage = Usage {
            name: row.try_get("value")?,
            count: row.try_get("n")?,
        };
        let (systems, technologies) = found.entry(key).or_default();
        match facet.as_str() {
            "it_system" => systems.push(usage),
            _ => technologies.push(usage),
        }
    }
    for (systems, technologies) in found.values_mut() {
        for list in [systems, technologies] {
            list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
            list.truncate(TOP);
        }
    }
    Ok(found)
}

/// The statement of the first `members` processes of every group.
fn members_sql(viewer: &Viewer, filter: &OverviewFilter, members: usize) -> Sql {
    let mut sql = Sql::new(
        "SELECT r.record, pv.score, pv.backlog_rank, pv.submitted_at, pv.updated_at, \
             pv.shared_updated_at, m.classification FROM (SELECT pv.id AS member_id, \
             pv.classification AS classification, ROW_NUMBER() OVER (PARTITION BY pv.classification \
             ORDER BY CASE WHEN pv.phase = 'OPERATION' THEN 0 ELSE 1 END, pv.hours_saved DESC, pv.id) AS place \
             FROM process_view pv WHERE ",
    );
    scope(&mut sql, viewer, filter);
    sql.push(
        ") m JOIN process_view pv ON pv.id = m.member_id JOIN process_record r ON r.id = pv.id \
             WHERE m.place <= ",
    )
    .bind(i64::try_from(members).unwrap_or(i64::MAX))
    .push(" ORDER BY m.classification, m.place");
    sql
}

/// The first `members` processes of every group, as the viewer sees them.
async fn members(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filter: &OverviewFilter,
    members: usize,
) -> Result<HashMap<Option<String>, Vec<ProcessView>>, QueryError> {
    let rows = members_sql(viewer, filter, members)
        .query()
        .fetch_all(&mut *conn)
        .await?;
    let mut found: HashMap<Option<String>, Vec<ProcessView>> = HashMap::new();
    for row in &rows {
        let bytes: Vec<u8> = row.try_get("record")?;
        let record = ProcessRecord::decode(bytes.as_slice()).map_err(corrupt)?;
        let facts = RowFacts {
            score: row.try_get("score")?,
            backlog_rank: row.try_get("backlog_rank")?,
            submitted_at: time(row, "submitted_at")?,
            updated_at: time(row, "updated_at")?,
            shared_updated_at: time(row, "shared_updated_at")?,
        };
        let view = ProcessView::new(viewer, record, facts).map_err(corrupt)?;
        found
            .entry(row.try_get("classification")?)
            .or_default()
            .push(view);
    }
    Ok(found)
}

/// The classification of each of `ids`' records. The read model keeps scheme and code
/// in one column (`KLE 27.24.00`); the group's record says which part is which.
async fn classifications<'a>(
    conn: &mut AnyConnection,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, pb::Classification>, QueryError> {
    let ids: Vec<&str> = ids.collect();
    let mut found = HashMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let mut sql = Sql::new("SELECT id, record FROM process_record WHERE id IN ");
        sql.bind_set(chunk.iter().copied());
        for row in sql.query().fetch_all(&mut *conn).await? {
            let bytes: Vec<u8> = row.try_get("record")?;
            let record = ProcessRecord::decode(bytes.as_slice()).map_err(corrupt)?;
            if let Some(c) = record.details.and_then(|d| d.classification) {
                found.insert(row.try_get("id")?, c);
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use innohub_runtime::{DepartmentId, MunicipalityId, Principal, Role, UserId};
    use uuid::Uuid;

    fn viewer() -> Viewer {
        let mut viewer = Viewer::new(Principal {
            user: UserId::parse("anna").unwrap(),
            municipality: MunicipalityId::parse("DK-0706").unwrap(),
            department: Some(DepartmentId::parse("social").unwrap()),
            roles: [Role::Employee].into_iter().collect(),
        });
        viewer.network_partners = [MunicipalityId::parse("SE-1283").unwrap()].into();
        viewer
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

    /// Every statement reads the shared rows off the partial index
    /// `process_view_shared_by_classification` without the table (narrowed to a network,
    /// the members' rows by municipality), the facets and records by key; the directory's
    /// small tables are read once into a set for a filter.
    #[tokio::test]
    async fn the_overview_reads_the_shared_rows_off_its_index_on_sqlite() {
        let path = std::env::temp_dir().join(format!("innohub-overview-{}.sqlite", Uuid::now_v7()));
        let db = Database::connect(&Database::sqlite_url(&path))
            .await
            .unwrap();
        db.migrate(&crate::migrations()).await.unwrap();
        let viewer = viewer();
        let all = OverviewFilter::default();
        let narrow = OverviewFilter {
            classification: Some(ClassificationPrefix {
                scheme: "KLE".into(),
                code_prefix: "27_24%".into(),
            }),
            domain: Some("social".into()),
            technology: Some("RPA".into()),
            it_system: Some("SBSYS".into()),
            network: Some("n1".into()),
            size_band: Some("30K_TO_60K".into()),
        };
        for filter in [&all, &narrow] {
            for sql in [
                counts_sql(&viewer, filter),
                usage_sql(&viewer, filter),
                members_sql(&viewer, filter, 20),
            ] {
                let plan = plan(&db, &sql).await;
                // Narrowed to a network, the members' rows are read by municipality instead.
                let off_index = plan.iter().any(|s| {
                    s.contains("USING COVERING INDEX process_view_shared_by_classification")
                        || s.contains("USING INDEX process_view_audience (municipality=?")
                });
                assert!(off_index, "{plan:#?}");
                for step in &plan {
                    let scans_table = step.starts_with("SCAN ")
                        && !step.contains(" INDEX ")
                        && !step.starts_with("SCAN m")
                        && !step.starts_with("SCAN (subquery")
                        // One row per municipality, read once for the size band.
                        && step != "SCAN dm"
                        && !step.contains("CONSTANT ROW")
                        && !step.starts_with("SCAN ids");
                    assert!(!scans_table, "a table scan in {plan:#?}");
                }
            }
        }
        // The prefix is matched literally: `_` and `%` are no wildcards.
        let mut sql = Sql::new("SELECT 1 AS x FROM process_view pv WHERE ");
        scope(&mut sql, &viewer, &narrow);
        assert!(sql.text().contains("LIKE $"), "{}", sql.text());
        assert_eq!(literal("27_24%\\"), "27\\_24\\%\\\\");
        db.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
