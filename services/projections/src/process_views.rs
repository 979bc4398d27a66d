//! The `process_views` projection: one row per process with its priority score and backlog
//! rank, its facets for filtering, its comments, and each municipality's scoring weights.
//! Built from the processes events only; the record itself is folded by the domain's own
//! `evolve`, so the view can never disagree with the aggregate.

use innohub_processes::domain::backlog::{Backlog, BacklogEvent};
use innohub_processes::domain::process::{Process, ProcessEvent, ProcessRecord};
use innohub_processes::domain::scoring::{ScoringWeights, priority_score};
use innohub_processes::domain::settings::{MunicipalitySettings, SettingsEvent};
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::{Aggregate, StoredEvent};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessViews;

impl Projection for ProcessViews {
    fn name(&self) -> &'static str {
        "process_views"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "process_comment",
            "process_facet",
            "process_record",
            "process_view",
            "scoring_weights",
            "backlog_order",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        match event.aggregate_type.as_str() {
            Process::TYPE => apply_process(conn, event, event.decode()?).await,
            Backlog::TYPE => apply_backlog(conn, event.decode()?).await,
            MunicipalitySettings::TYPE => apply_settings(conn, event.decode()?).await,
            _ => Ok(()),
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> ProjectionError {
    ProjectionError::Corrupt(e.to_string())
}

/// A municipality's JSON value in `table.column`, or the default when it has none.
async fn per_municipality<T: serde::de::DeserializeOwned + Default>(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    municipality: &str,
) -> Result<T, ProjectionError> {
    let stored: Option<String> = sqlx::query_scalar(&format!(
        "SELECT {column} FROM {table} WHERE municipality = $1"
    ))
    .bind(municipality)
    .fetch_optional(&mut *conn)
    .await?;
    stored.map_or(Ok(T::default()), |json| {
        serde_json::from_str(&json).map_err(corrupt)
    })
}

async fn weights(
    conn: &mut AnyConnection,
    municipality: &str,
) -> Result<ScoringWeights, ProjectionError> {
    per_municipality(conn, "scoring_weights", "weights", municipality).await
}

/// A municipality's explicit ranking, first to last.
async fn backlog_order(
    conn: &mut AnyConnection,
    municipality: &str,
) -> Result<Vec<Uuid>, ProjectionError> {
    per_municipality(conn, "backlog_order", "ranked", municipality).await
}

fn score(record: &ProcessRecord, weights: &ScoringWeights) -> f64 {
    priority_score(&record.details.volume, record.assessment.as_ref(), weights)
}

async fn apply_process(
    conn: &mut AnyConnection,
    event: &StoredEvent,
    payload: ProcessEvent,
) -> Result<(), ProjectionError> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT record FROM process_record WHERE id = $1")
            .bind(&event.aggregate_id)
            .fetch_optional(&mut *conn)
            .await?;
    let before = match stored {
        Some(json) => Process(Some(serde_json::from_str(&json).map_err(corrupt)?)),
        None => Process::default(),
    };
    let Process(Some(record)) = before.evolve(&payload) else {
        return Err(corrupt(format!(
            "{} {} has no submission",
            event.event_type, event.aggregate_id
        )));
    };
    let at = event.occurred_at.to_rfc3339();
    if let ProcessEvent::ProcessCommented {
        comment_id,
        author,
        author_municipality,
        text,
    } = &payload
    {
        sqlx::query(
            "INSERT INTO process_comment (comment_id, process_id, author, author_municipality, text, created_at, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(comment_id.to_string())
        .bind(&event.aggregate_id)
        .bind(author.as_str())
        .bind(author_municipality.as_str())
        .bind(text.as_str())
        .bind(&at)
        .bind(event.position)
        .execute(&mut *conn)
        .await?;
    }
    if matches!(
        payload,
        ProcessEvent::ProcessSubmitted { .. } | ProcessEvent::ProcessDetailsChanged { .. }
    ) {
        write_facets(conn, &record).await?;
    }
    let weights = weights(conn, record.municipality.as_str()).await?;
    // A ranking may have arrived before the process did (see `backlog_order`).
    let rank = match payload {
        ProcessEvent::ProcessSubmitted { .. } => backlog_order(conn, record.municipality.as_str())
            .await?
            .iter()
            .position(|id| *id == record.id)
            .map(|i| i as i64 + 1),
        _ => None,
    };
    let d = &record.details;
    sqlx::query(
        "INSERT INTO process_view (id, municipality, visibility, reporter, owner, phase, status, closed, title, \
         classification, hours_saved, score, backlog_rank, submitted_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14, $13, $13) \
         ON CONFLICT (id) DO UPDATE SET visibility = excluded.visibility, owner = excluded.owner, \
         phase = excluded.phase, status = excluded.status, closed = excluded.closed, title = excluded.title, \
         classification = excluded.classification, hours_saved = excluded.hours_saved, score = excluded.score, \
         updated_at = excluded.updated_at",
    )
    .bind(&event.aggregate_id)
    .bind(record.municipality.as_str())
    .bind(d.visibility.as_str())
    .bind(record.reporter.as_str())
    .bind(d.owner.as_ref().map(|o| o.as_str().to_owned()))
    .bind(record.phase.as_str())
    .bind(record.status.as_str())
    .bind(i64::from(is_closed(&record)))
    .bind(d.title.as_str())
    .bind(d.classification.as_ref().map(|c| format!("{} {}", c.scheme.as_str(), c.code.as_str())))
    .bind(d.volume.hours_saved())
    .bind(score(&record, &weights))
    .bind(&at)
    .bind(rank)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO process_record (id, record) VALUES ($1, $2) \
         ON CONFLICT (id) DO UPDATE SET record = excluded.record",
    )
    .bind(&event.aggregate_id)
    .bind(serde_json::to_string(&record).map_err(corrupt)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Closed processes leave the backlog: stopped, or already running (or retired).
pub fn is_closed(record: &ProcessRecord) -> bool {
    use innohub_processes::domain::lifecycle::{Phase, Status};
    matches!(
        record.status,
        Status::Rejected | Status::Failed | Status::NotRelevant
    ) || record.phase >= Phase::Operation
}

async fn write_facets(
    conn: &mut AnyConnection,
    record: &ProcessRecord,
) -> Result<(), ProjectionError> {
    let id = record.id.to_string();
    sqlx::query("DELETE FROM process_facet WHERE process_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    let d = &record.details;
    let facets = d
        .departments
        .iter()
        .map(|v| ("department", v.as_str()))
        .chain(d.domains.iter().map(|v| ("domain", v.as_str())))
        .chain(d.technologies.iter().map(|v| ("technology", v.as_str())))
        .chain(d.it_systems.iter().map(|v| ("it_system", v.as_str())));
    for (facet, value) in facets {
        sqlx::query("INSERT INTO process_facet (process_id, facet, value) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(facet)
            .bind(value)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn apply_backlog(
    conn: &mut AnyConnection,
    event: BacklogEvent,
) -> Result<(), ProjectionError> {
    let (municipality, process, after) = match &event {
        BacklogEvent::ProcessRanked {
            municipality,
            process_id,
            after,
        } => (municipality, *process_id, Some(*after)),
        BacklogEvent::ProcessUnranked {
            municipality,
            process_id,
        } => (municipality, *process_id, None),
    };
    let mut order = backlog_order(conn, municipality.as_str()).await?;
    let before = order.clone();
    match after {
        Some(after) => Backlog::place(&mut order, process, after),
        None => order.retain(|p| *p != process),
    }
    sqlx::query(
        "INSERT INTO backlog_order (municipality, ranked) VALUES ($1, $2) \
         ON CONFLICT (municipality) DO UPDATE SET ranked = excluded.ranked",
    )
    .bind(municipality.as_str())
    .bind(serde_json::to_string(&order).map_err(corrupt)?)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE process_view SET backlog_rank = NULL WHERE id = $1")
        .bind(process.to_string())
        .execute(&mut *conn)
        .await?;
    for (i, id) in order.iter().enumerate() {
        if before.get(i) != Some(id) || *id == process {
            sqlx::query("UPDATE process_view SET backlog_rank = $1 WHERE id = $2")
                .bind(i as i64 + 1)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

async fn apply_settings(
    conn: &mut AnyConnection,
    event: SettingsEvent,
) -> Result<(), ProjectionError> {
    let SettingsEvent::ScoringWeightsSet {
        municipality,
        weights,
    } = event;
    sqlx::query(
        "INSERT INTO scoring_weights (municipality, weights) VALUES ($1, $2) \
         ON CONFLICT (municipality) DO UPDATE SET weights = excluded.weights",
    )
    .bind(municipality.as_str())
    .bind(serde_json::to_string(&weights).map_err(corrupt)?)
    .execute(&mut *conn)
    .await?;
    // New weights re-score every process of the municipality.
    let rows = sqlx::query(
        "SELECT r.id, r.record FROM process_record r JOIN process_view pv ON pv.id = r.id \
         WHERE pv.municipality = $1",
    )
    .bind(municipality.as_str())
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        let json: String = row.try_get("record")?;
        let record: ProcessRecord = serde_json::from_str(&json).map_err(corrupt)?;
        sqlx::query("UPDATE process_view SET score = $1 WHERE id = $2")
            .bind(score(&record, &weights))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
