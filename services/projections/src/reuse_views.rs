//! The `reuse_views` projection and its queries: reuse across municipalities as the
//! processes events record it. Adoption links (`process_adoption`, one row per adopted
//! process, from `ProcessSubmitted.adopted_from`: the link is written once, by the adopter's
//! one event, and both sides are read from it) and umbrella groups with their current
//! members (`umbrella_view`, `umbrella_member`).
//!
//! Every answer is held to the one read rule: a process leaves only as a
//! [`ProcessView`] found through [`ProcessQueries::get`] (the SQL read rule and the partner
//! redaction of [`crate::access`]); an umbrella only if [`innohub_runtime::access::access`]
//! lets the viewer read it ([`UmbrellaView::access`]). What an adoption tells besides its
//! processes is the adopter's municipality, which is not personal and is always shown; the
//! adopted process's id and phase only when the viewer may read that process.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::short_name as short;
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::sql::{Rows, Sql, Value};
use innohub_runtime::{
    Access, Audience, Database, MunicipalityId, StoredEvent, UserId, Viewer, Visibility,
};
use prost::Name as _;
use sqlx::{AnyConnection, Row, any::AnyRow};
use uuid::Uuid;

use crate::access::ProcessView;
use crate::queries::{ProcessQueries, QueryError, corrupt, time};

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReuseViews;

/// A member row: present (municipality, added at) or removed in this batch.
type Member = Option<(String, String)>;

impl Projection for ReuseViews {
    fn name(&self) -> &'static str {
        "reuse_views"
    }

    fn source(&self) -> &'static str {
        "processes"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["process_adoption", "umbrella_view", "umbrella_member"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut adoptions = Rows::new(
            "INSERT INTO process_adoption (adopted_id, adopter_municipality, origin_id, \
             origin_municipality, adopted_at)",
            "ON CONFLICT (adopted_id) DO NOTHING",
        );
        let mut umbrellas = Rows::new(
            "INSERT INTO umbrella_view (id, municipality, title, description, visibility, \
             created_by, created_at)",
            "ON CONFLICT (id) DO NOTHING",
        );
        // Folded in memory: the last word on each (umbrella, process) pair in this batch.
        let mut members: BTreeMap<(String, String), Member> = BTreeMap::new();
        for event in events {
            let at = event.occurred_at.to_rfc3339();
            let refused = |e: innohub_runtime::StoreError| ProjectionError::refused(event, e);
            match event.event_type.as_str() {
                pb::ProcessSubmitted::NAME => {
                    let m = event.message::<pb::ProcessSubmitted>().map_err(refused)?;
                    if let Some(origin) = m.adopted_from {
                        adoptions.push(vec![
                            Value::Text(m.process_id),
                            Value::Text(m.municipality),
                            Value::Text(origin.process_id),
                            Value::Text(origin.municipality),
                            Value::Text(at),
                        ]);
                    }
                }
                pb::UmbrellaCreated::NAME => {
                    let m = event.message::<pb::UmbrellaCreated>().map_err(refused)?;
                    let visibility = pb::Visibility::try_from(m.visibility)
                        .ok()
                        .filter(|v| *v != pb::Visibility::Unspecified)
                        .ok_or_else(|| ProjectionError::refused(event, "no visibility"))?;
                    umbrellas.push(vec![
                        Value::Text(m.umbrella_id),
                        Value::Text(m.municipality),
                        Value::Text(m.title),
                        Value::Text(m.description),
                        Value::Text(short(visibility.as_str_name()).to_owned()),
                        Value::Text(m.created_by),
                        Value::Text(at),
                    ]);
                }
                pb::UmbrellaMemberAdded::NAME => {
                    let m = event
                        .message::<pb::UmbrellaMemberAdded>()
                        .map_err(refused)?;
                    members.insert(
                        (event.aggregate_id.clone(), m.process_id),
                        Some((m.process_municipality, at)),
                    );
                }
                pb::UmbrellaMemberRemoved::NAME => {
                    let m = event
                        .message::<pb::UmbrellaMemberRemoved>()
                        .map_err(refused)?;
                    members.insert((event.aggregate_id.clone(), m.process_id), None);
                }
                _ => {}
            }
        }
        write(conn, adoptions, umbrellas, members).await
    }
}

/// Write a folded batch: each table once.
async fn write(
    conn: &mut AnyConnection,
    adoptions: Rows,
    umbrellas: Rows,
    members: BTreeMap<(String, String), Member>,
) -> Result<(), ProjectionError> {
    adoptions.execute(conn).await?;
    umbrellas.execute(conn).await?;
    let mut added = Rows::new(
        "INSERT INTO umbrella_member (umbrella_id, process_id, process_municipality, added_at)",
        "ON CONFLICT (umbrella_id, process_id) DO UPDATE SET \
         process_municipality = excluded.process_municipality, added_at = excluded.added_at",
    );
    let mut removed = Sql::new("DELETE FROM umbrella_member WHERE ");
    let mut any_removed = false;
    for ((umbrella, process), member) in members {
        match member {
            Some((municipality, at)) => added.push(vec![
                Value::Text(umbrella),
                Value::Text(process),
                Value::Text(municipality),
                Value::Text(at),
            ]),
            None => {
                if any_removed {
                    removed.push(" OR ");
                }
                any_removed = true;
                removed
                    .push("(umbrella_id = ")
                    .bind(umbrella)
                    .push(" AND process_id = ")
                    .bind(process)
                    .push(")");
            }
        }
    }
    if any_removed {
        removed.query().execute(&mut *conn).await?;
    }
    added.execute(conn).await?;
    Ok(())
}

/// An umbrella group as one viewer may read it.
#[derive(Debug, Clone)]
pub struct UmbrellaView {
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// Title.
    pub title: String,
    /// What the members have in common; "" = none.
    pub description: String,
    /// Who may read it.
    pub visibility: Visibility,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Full (own municipality) or partner.
    pub access: Access,
}

/// Where a process was adopted from, as one viewer may see it.
#[derive(Debug, Clone)]
pub struct AdoptedFrom {
    /// The origin's municipality (always shown).
    pub municipality: MunicipalityId,
    /// The origin, when the viewer may read it.
    pub process: Option<ProcessView>,
}

/// One adoption of a process, as one viewer may see it.
#[derive(Debug, Clone)]
pub struct Adoption {
    /// The adopter's municipality (always shown: it is not personal).
    pub municipality: MunicipalityId,
    /// The adopted copy, when the viewer may read it (its id and phase are shown only then).
    pub process: Option<ProcessView>,
    /// When it was adopted.
    pub adopted_at: DateTime<Utc>,
}

/// The queries of the reuse read models.
#[derive(Debug, Clone)]
pub struct ReuseQueries {
    db: Database,
    processes: ProcessQueries,
}

fn uuid(row: &AnyRow, column: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(&row.try_get::<String, _>(column)?).map_err(corrupt)
}

fn municipality(row: &AnyRow, column: &str) -> Result<MunicipalityId, QueryError> {
    MunicipalityId::parse(&row.try_get::<String, _>(column)?).map_err(corrupt)
}

/// The columns of an umbrella row, aliased `u`.
const UMBRELLA_COLUMNS: &str =
    "u.id, u.municipality, u.title, u.description, u.visibility, u.created_by, u.created_at";

impl ReuseQueries {
    /// Query the read models in `db`; processes are read through `processes` (the same
    /// database), by the one read rule.
    pub fn new(db: Database, processes: ProcessQueries) -> Self {
        Self { db, processes }
    }

    /// Where process `id` (which the viewer reads) was adopted from, if it was adopted.
    pub async fn adopted_from(
        &self,
        viewer: &Viewer,
        id: Uuid,
    ) -> Result<Option<AdoptedFrom>, QueryError> {
        let row = sqlx::query(
            "SELECT origin_id, origin_municipality FROM process_adoption WHERE adopted_id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(self.db.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let origin = uuid(&row, "origin_id")?;
        Ok(Some(AdoptedFrom {
            municipality: municipality(&row, "origin_municipality")?,
            process: self.processes.get(viewer, origin).await?,
        }))
    }

    /// The adoptions of process `id` (which the viewer reads), oldest first.
    pub async fn adoptions(&self, viewer: &Viewer, id: Uuid) -> Result<Vec<Adoption>, QueryError> {
        let rows = sqlx::query(
            "SELECT adopted_id, adopter_municipality, adopted_at FROM process_adoption \
             WHERE origin_id = $1 ORDER BY adopted_at, adopted_id",
        )
        .bind(id.to_string())
        .fetch_all(self.db.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(Adoption {
                municipality: municipality(row, "adopter_municipality")?,
                process: self.processes.get(viewer, uuid(row, "adopted_id")?).await?,
                adopted_at: time(row, "adopted_at")?,
            });
        }
        Ok(out)
    }

    /// The umbrella rows `sql` selects that the viewer may read (by the read rule).
    async fn readable(&self, viewer: &Viewer, sql: &Sql) -> Result<Vec<UmbrellaView>, QueryError> {
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let owner = municipality(row, "municipality")?;
            let visibility: Visibility = row
                .try_get::<String, _>("visibility")?
                .parse()
                .map_err(corrupt)?;
            let created_by =
                UserId::parse(&row.try_get::<String, _>("created_by")?).map_err(corrupt)?;
            let access = innohub_runtime::access::access(
                viewer,
                Audience {
                    municipality: &owner,
                    visibility,
                    departments: &[],
                    people: &[&created_by],
                },
            );
            if access == Access::None {
                continue;
            }
            out.push(UmbrellaView {
                id: uuid(row, "id")?,
                municipality: owner,
                title: row.try_get("title")?,
                description: row.try_get("description")?,
                visibility,
                created_at: time(row, "created_at")?,
                access,
            });
        }
        Ok(out)
    }

    /// Narrow `sql` (aliased `u`) to the rows that can be the viewer's at all: their own
    /// municipality's and the shared ones; [`Self::readable`] applies the rule itself.
    fn candidates(sql: &mut Sql, viewer: &Viewer) {
        sql.push("(u.municipality = ")
            .bind(viewer.principal.municipality.as_str())
            .push(" OR u.visibility IN ('NETWORK', 'PUBLIC'))");
    }

    /// Every umbrella the viewer may read, by title.
    pub async fn umbrellas(&self, viewer: &Viewer) -> Result<Vec<UmbrellaView>, QueryError> {
        let mut sql = Sql::new(&format!(
            "SELECT {UMBRELLA_COLUMNS} FROM umbrella_view u WHERE "
        ));
        Self::candidates(&mut sql, viewer);
        sql.push(" ORDER BY u.title, u.id");
        self.readable(viewer, &sql).await
    }

    /// Umbrella `id`, if the viewer may read it.
    pub async fn umbrella(
        &self,
        viewer: &Viewer,
        id: Uuid,
    ) -> Result<Option<UmbrellaView>, QueryError> {
        let mut sql = Sql::new(&format!(
            "SELECT {UMBRELLA_COLUMNS} FROM umbrella_view u WHERE u.id = "
        ));
        sql.bind(id.to_string()).push(" AND ");
        Self::candidates(&mut sql, viewer);
        Ok(self.readable(viewer, &sql).await?.into_iter().next())
    }

    /// The umbrellas the viewer may read that hold process `id`, by title.
    pub async fn umbrellas_of(
        &self,
        viewer: &Viewer,
        id: Uuid,
    ) -> Result<Vec<UmbrellaView>, QueryError> {
        let mut sql = Sql::new(&format!(
            "SELECT {UMBRELLA_COLUMNS} FROM umbrella_member m JOIN umbrella_view u \
             ON u.id = m.umbrella_id WHERE m.process_id = "
        ));
        sql.bind(id.to_string()).push(" AND ");
        Self::candidates(&mut sql, viewer);
        sql.push(" ORDER BY u.title, u.id");
        self.readable(viewer, &sql).await
    }

    /// The members of `umbrella` (which the viewer reads) that the viewer may read, in the
    /// order they were added; partners' views are redacted.
    pub async fn members(
        &self,
        viewer: &Viewer,
        umbrella: &UmbrellaView,
    ) -> Result<Vec<ProcessView>, QueryError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT process_id FROM umbrella_member WHERE umbrella_id = $1 \
             ORDER BY added_at, process_id",
        )
        .bind(umbrella.id.to_string())
        .fetch_all(self.db.reader())
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let id = Uuid::parse_str(&id).map_err(corrupt)?;
            if let Some(view) = self.processes.get(viewer, id).await? {
                out.push(view);
            }
        }
        Ok(out)
    }
}
