//! The `process_views` projection: one row per process with its priority score and backlog
//! rank, its facets for filtering, its comments, each municipality's scoring weights and
//! ranking, and how many processes each municipality has per visibility, open or closed.
//! Built from the processes events only, decoded from the contract's messages: the record
//! is folded into an `innohub.projections.v1.ProcessRecord` and stored as its bytes.

use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::projections::v1::{BacklogOrder, ProcessRecord};
use innohub_proto::short_name as short;
use innohub_runtime::StoredEvent;
use innohub_runtime::projection::{Projection, ProjectionError};
use prost::{Message, Name};
use sqlx::{AnyConnection, Row};

use crate::filter::facets;

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessViews;

/// The aggregate types of the processes service's streams.
const PROCESS: &str = "process";
const BACKLOG: &str = "backlog";
const SETTINGS: &str = "municipality_settings";

impl Projection for ProcessViews {
    fn name(&self) -> &'static str {
        "process_views"
    }

    fn source(&self) -> &'static str {
        "processes"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "process_comment",
            "process_facet",
            "process_record",
            "process_view",
            "scoring_weights",
            "backlog_order",
            "process_counts",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        match event.aggregate_type.as_str() {
            PROCESS => apply_process(conn, event).await,
            BACKLOG => apply_backlog(conn, event).await,
            SETTINGS => apply_settings(conn, event.message()?).await,
            _ => Ok(()),
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> ProjectionError {
    ProjectionError::Corrupt(e.to_string())
}

/// A municipality's message in `table.column`, or the default when it has none.
async fn per_municipality<M: Message + Default>(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    municipality: &str,
) -> Result<Option<M>, ProjectionError> {
    let stored: Option<Vec<u8>> = sqlx::query_scalar(&format!(
        "SELECT {column} FROM {table} WHERE municipality = $1"
    ))
    .bind(municipality)
    .fetch_optional(&mut *conn)
    .await?;
    stored
        .map(|bytes| M::decode(bytes.as_slice()).map_err(corrupt))
        .transpose()
}

async fn weights(
    conn: &mut AnyConnection,
    municipality: &str,
) -> Result<pb::ScoringWeights, ProjectionError> {
    Ok(
        per_municipality(conn, "scoring_weights", "weights", municipality)
            .await?
            .unwrap_or_else(innohub_priority::default_weights),
    )
}

/// A municipality's explicit ranking, first to last.
async fn backlog_order(
    conn: &mut AnyConnection,
    municipality: &str,
) -> Result<Vec<String>, ProjectionError> {
    Ok(
        per_municipality::<BacklogOrder>(conn, "backlog_order", "ranked", municipality)
            .await?
            .unwrap_or_default()
            .process_ids,
    )
}

/// The priority score of a record with its municipality's weights.
pub fn score(record: &ProcessRecord, weights: &pb::ScoringWeights) -> f64 {
    let volume = record
        .details
        .as_ref()
        .and_then(|d| d.volume)
        .unwrap_or_default();
    innohub_priority::priority_score(&volume, record.assessment.as_ref(), weights)
}

/// What one event of a process changes besides the record.
#[derive(Default)]
struct Effects {
    comment: Option<pb::ProcessCommented>,
    facets: bool,
    submitted: bool,
}

/// The record after `event`, and what else it changes.
fn fold(
    before: Option<ProcessRecord>,
    event: &StoredEvent,
) -> Result<(ProcessRecord, Effects), ProjectionError> {
    let mut effects = Effects::default();
    if event.event_type == pb::ProcessSubmitted::NAME {
        let e: pb::ProcessSubmitted = event.message()?;
        effects.facets = true;
        effects.submitted = true;
        let record = ProcessRecord {
            process_id: e.process_id,
            municipality: e.municipality,
            reporter: e.reporter,
            details: e.details,
            phase: pb::Phase::Idea as i32,
            status: pb::Status::NotAssessed as i32,
            ..ProcessRecord::default()
        };
        return Ok((record, effects));
    }
    let Some(mut r) = before else {
        return Err(corrupt(format!(
            "{} {} has no submission",
            event.event_type, event.aggregate_id
        )));
    };
    match event.event_type.as_str() {
        pb::ProcessDetailsChanged::NAME => {
            r.details = event.message::<pb::ProcessDetailsChanged>()?.details;
            effects.facets = true;
        }
        pb::ProcessAssessed::NAME => {
            r.assessment = event.message::<pb::ProcessAssessed>()?.assessment;
        }
        pb::ProcessPhaseChanged::NAME => {
            r.phase = event.message::<pb::ProcessPhaseChanged>()?.to;
        }
        pb::ProcessStatusChanged::NAME => {
            let e: pb::ProcessStatusChanged = event.message()?;
            r.status = e.to;
            r.status_reason = e.reason;
        }
        pb::ProcessCommented::NAME => {
            r.comment_count += 1;
            effects.comment = Some(event.message()?);
        }
        pb::ProcessFollowed::NAME => {
            let follower: pb::ProcessFollowed = event.message()?;
            let key = |f: &pb::ProcessFollowed| (f.municipality.clone(), f.user.clone());
            if let Err(at) = r.followers.binary_search_by_key(&key(&follower), key) {
                r.followers.insert(at, follower);
            }
        }
        pb::ProcessUnfollowed::NAME => {
            let e: pb::ProcessUnfollowed = event.message()?;
            r.followers
                .retain(|f| !(f.user == e.user && f.municipality == e.municipality));
        }
        pb::ProcessExperienceRecorded::NAME => {
            r.experience = event.message::<pb::ProcessExperienceRecorded>()?.experience;
        }
        other => return Err(corrupt(format!("unknown process event type {other}"))),
    }
    Ok((r, effects))
}

/// Closed processes leave the backlog: stopped, or already running (or retired).
pub fn is_closed(record: &ProcessRecord) -> bool {
    use pb::{Phase, Status};
    [Status::Rejected, Status::Failed, Status::NotRelevant]
        .iter()
        .any(|s| *s as i32 == record.status)
        || record.phase >= Phase::Operation as i32
}

async fn apply_process(
    conn: &mut AnyConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT record FROM process_record WHERE id = $1")
            .bind(&event.aggregate_id)
            .fetch_optional(&mut *conn)
            .await?;
    let before = stored
        .map(|bytes| ProcessRecord::decode(bytes.as_slice()).map_err(corrupt))
        .transpose()?;
    let counted_before = before.as_ref().map(counted_as);
    let (record, effects) = fold(before, event)?;
    count(conn, counted_before, counted_as(&record)).await?;
    let at = event.occurred_at.to_rfc3339();
    if let Some(comment) = &effects.comment {
        sqlx::query(
            "INSERT INTO process_comment (comment_id, process_id, author, author_municipality, text, created_at, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&comment.comment_id)
        .bind(&event.aggregate_id)
        .bind(&comment.author)
        .bind(&comment.author_municipality)
        .bind(&comment.text)
        .bind(&at)
        .bind(event.position)
        .execute(&mut *conn)
        .await?;
    }
    if effects.facets {
        write_facets(conn, &record).await?;
    }
    let weights = weights(conn, &record.municipality).await?;
    // A ranking may have arrived before the process did (see `backlog_order`).
    let rank = if effects.submitted {
        backlog_order(conn, &record.municipality)
            .await?
            .iter()
            .position(|id| *id == record.process_id)
            .map(|i| i as i64 + 1)
    } else {
        None
    };
    let d = record.details.clone().unwrap_or_default();
    let volume = d.volume.unwrap_or_default();
    let name = |enum_name: Option<&'static str>| short(enum_name.unwrap_or_default()).to_owned();
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
    .bind(&record.municipality)
    .bind(name(pb::Visibility::try_from(d.visibility).ok().map(|v| v.as_str_name())))
    .bind(&record.reporter)
    .bind((!d.owner.is_empty()).then_some(d.owner.clone()))
    .bind(name(pb::Phase::try_from(record.phase).ok().map(|p| p.as_str_name())))
    .bind(name(pb::Status::try_from(record.status).ok().map(|s| s.as_str_name())))
    .bind(i64::from(is_closed(&record)))
    .bind(&d.title)
    .bind(d.classification.as_ref().map(|c| format!("{} {}", c.scheme, c.code)))
    .bind(innohub_priority::hours_saved(&volume))
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
    .bind(record.encode_to_vec())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

// ---- [reads] process_counts: kept here for now; the batched projection takes it over. ----

/// The `process_counts` row a process counts in: municipality, visibility (as the
/// `process_view.visibility` column spells it) and closed.
fn counted_as(record: &ProcessRecord) -> (String, String, i64) {
    let visibility = pb::Visibility::try_from(record.details.as_ref().map_or(0, |d| d.visibility))
        .map_or("", |v| short(v.as_str_name()));
    (
        record.municipality.clone(),
        visibility.to_owned(),
        i64::from(is_closed(record)),
    )
}

/// Move a process in `process_counts` from the row it counted in (none when new) to the
/// row it counts in now.
async fn count(
    conn: &mut AnyConnection,
    before: Option<(String, String, i64)>,
    now: (String, String, i64),
) -> Result<(), ProjectionError> {
    if before.as_ref() == Some(&now) {
        return Ok(());
    }
    let moves = before.map(|b| (b, -1_i64)).into_iter().chain([(now, 1)]);
    for ((municipality, visibility, closed), by) in moves {
        sqlx::query(
            "INSERT INTO process_counts (municipality, visibility, closed, n) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (municipality, visibility, closed) DO UPDATE SET n = process_counts.n + excluded.n",
        )
        .bind(municipality)
        .bind(visibility)
        .bind(closed)
        .bind(by)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

// ---- [reads] end ----

async fn write_facets(
    conn: &mut AnyConnection,
    record: &ProcessRecord,
) -> Result<(), ProjectionError> {
    sqlx::query("DELETE FROM process_facet WHERE process_id = $1")
        .bind(&record.process_id)
        .execute(&mut *conn)
        .await?;
    for (facet, value) in facets(record) {
        sqlx::query("INSERT INTO process_facet (process_id, facet, value) VALUES ($1, $2, $3)")
            .bind(&record.process_id)
            .bind(facet)
            .bind(value)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn apply_backlog(
    conn: &mut AnyConnection,
    event: &StoredEvent,
) -> Result<(), ProjectionError> {
    let (municipality, process, after) = match event.event_type.as_str() {
        pb::ProcessRanked::NAME => {
            let e: pb::ProcessRanked = event.message()?;
            let after = (!e.after_process_id.is_empty()).then_some(e.after_process_id);
            (e.municipality, e.process_id, Some(after))
        }
        pb::ProcessUnranked::NAME => {
            let e: pb::ProcessUnranked = event.message()?;
            (e.municipality, e.process_id, None)
        }
        other => return Err(corrupt(format!("unknown backlog event type {other}"))),
    };
    let mut order = backlog_order(conn, &municipality).await?;
    let before = order.clone();
    match after {
        Some(after) => innohub_priority::place(&mut order, process.clone(), after.as_ref()),
        None => order.retain(|p| *p != process),
    }
    sqlx::query(
        "INSERT INTO backlog_order (municipality, ranked) VALUES ($1, $2) \
         ON CONFLICT (municipality) DO UPDATE SET ranked = excluded.ranked",
    )
    .bind(&municipality)
    .bind(
        BacklogOrder {
            process_ids: order.clone(),
        }
        .encode_to_vec(),
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE process_view SET backlog_rank = NULL WHERE id = $1")
        .bind(&process)
        .execute(&mut *conn)
        .await?;
    for (i, id) in order.iter().enumerate() {
        if before.get(i) != Some(id) || *id == process {
            sqlx::query("UPDATE process_view SET backlog_rank = $1 WHERE id = $2")
                .bind(i as i64 + 1)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

async fn apply_settings(
    conn: &mut AnyConnection,
    event: pb::ScoringWeightsSet,
) -> Result<(), ProjectionError> {
    let weights = event.weights.unwrap_or_default();
    sqlx::query(
        "INSERT INTO scoring_weights (municipality, weights) VALUES ($1, $2) \
         ON CONFLICT (municipality) DO UPDATE SET weights = excluded.weights",
    )
    .bind(&event.municipality)
    .bind(weights.encode_to_vec())
    .execute(&mut *conn)
    .await?;
    // New weights re-score every process of the municipality.
    let rows = sqlx::query(
        "SELECT r.id, r.record FROM process_record r JOIN process_view pv ON pv.id = r.id \
         WHERE pv.municipality = $1",
    )
    .bind(&event.municipality)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        let bytes: Vec<u8> = row.try_get("record")?;
        let record = ProcessRecord::decode(bytes.as_slice()).map_err(corrupt)?;
        sqlx::query("UPDATE process_view SET score = $1 WHERE id = $2")
            .bind(score(&record, &weights))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `phase`, `status` and `visibility` columns hold the names without the prefix.
    #[test]
    fn enum_columns_drop_the_contracts_prefix() {
        assert_eq!(short(pb::Status::InProgress.as_str_name()), "IN_PROGRESS");
        assert_eq!(short(pb::Phase::PreAnalysis.as_str_name()), "PRE_ANALYSIS");
        assert_eq!(short(pb::Visibility::Public.as_str_name()), "PUBLIC");
    }
}
