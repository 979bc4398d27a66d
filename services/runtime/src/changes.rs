//! Change notifications: which records a read model has just committed, for the live
//! subscriptions of the gateway.
//!
//! After a projection commits a batch, its feeder announces the batch's records
//! ([`Changes`]): the projection, the service whose events fed it, the last position, and
//! each record (aggregate type, id, municipality) once.
//!
//! - **Embedded mode**: the [`ProjectionRunner`](crate::projection::ProjectionRunner)
//!   sends them on an in-process [`ChangeFeed`] right after the commit.
//! - **Distributed mode**: the Kafka source writes them with `pg_notify` on
//!   [`CHANNEL`] inside the batch's transaction, so PostgreSQL delivers them exactly when
//!   the batch commits (and never for a batch rolled back); the gateway `LISTEN`s
//!   ([`listen`]) and feeds its own [`ChangeFeed`]: it learns of changes without polling.
//!
//! A notification is a hint to read again, never the data: the read models are the truth,
//! and a subscriber that misses one (a lagging receiver, a reconnecting listener) reads
//! the current state next time. Payloads are chunked below PostgreSQL's 8000-byte limit.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

use crate::StoredEvent;
use crate::db::{Backend, Database};

/// The PostgreSQL channel of change notifications.
pub const CHANNEL: &str = "innohub_changes";
/// Largest payload sent in one notification (PostgreSQL refuses 8000 bytes and more).
const MAX_PAYLOAD: usize = 7_000;
/// Notifications the in-process feed keeps for a receiver that has not read them yet.
pub const FEED_CAPACITY: usize = 1_024;

/// One record a batch changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Changed {
    /// The aggregate type, e.g. `process`.
    #[serde(rename = "t")]
    pub aggregate_type: String,
    /// The stream, e.g. the process's UUID or `backlog:DK-0706`.
    #[serde(rename = "i")]
    pub aggregate_id: String,
    /// The record's municipality.
    #[serde(rename = "m")]
    pub municipality: String,
}

/// What one committed batch of one read model changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// The projection that committed it, e.g. `process_views`.
    #[serde(rename = "p")]
    pub projection: String,
    /// The service whose events fed it (its consistency-token store).
    #[serde(rename = "s")]
    pub source: String,
    /// The last position of the batch in that service's store.
    #[serde(rename = "at")]
    pub position: i64,
    /// Each record the batch touched, once.
    #[serde(rename = "r")]
    pub records: Vec<Changed>,
}

impl Changes {
    /// The changes of `events`, committed by `projection` fed by `source`; `None` for an
    /// empty batch.
    pub fn of(projection: &str, source: &str, events: &[&StoredEvent]) -> Option<Self> {
        let position = events.iter().map(|e| e.position).max()?;
        let records: BTreeSet<Changed> = events
            .iter()
            .map(|e| Changed {
                aggregate_type: e.aggregate_type.clone(),
                aggregate_id: e.aggregate_id.clone(),
                municipality: e.municipality.clone(),
            })
            .collect();
        Some(Self {
            projection: projection.to_owned(),
            source: source.to_owned(),
            position,
            records: records.into_iter().collect(),
        })
    }

    /// The JSON payloads of these changes, each below [`MAX_PAYLOAD`] bytes: the records
    /// split over as many as it takes, each with the batch's projection, source and
    /// position.
    fn payloads(&self) -> Vec<String> {
        let mut payloads = Vec::new();
        let mut part = Self {
            records: Vec::new(),
            ..self.clone()
        };
        let mut size = 0;
        for record in &self.records {
            let len = record.aggregate_type.len()
                + record.aggregate_id.len()
                + record.municipality.len()
                + 24;
            if size + len > MAX_PAYLOAD && !part.records.is_empty() {
                payloads.extend(serde_json::to_string(&part).ok());
                part.records.clear();
                size = 0;
            }
            size += len;
            part.records.push(record.clone());
        }
        if !part.records.is_empty() {
            payloads.extend(serde_json::to_string(&part).ok());
        }
        payloads
    }
}

/// Where a process announces changes to its own subscribers.
pub type ChangeFeed = broadcast::Sender<Arc<Changes>>;

/// A new feed with room for [`FEED_CAPACITY`] notifications per receiver.
pub fn feed() -> ChangeFeed {
    broadcast::channel(FEED_CAPACITY).0
}

/// Announce `changes` to PostgreSQL listeners from within the transaction `conn` is in:
/// delivered when it commits. Nothing on SQLite (embedded mode announces in process).
pub async fn notify(
    conn: &mut AnyConnection,
    backend: Backend,
    changes: &Changes,
) -> Result<(), sqlx::Error> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    for payload in changes.payloads() {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(payload)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Distributed mode: listen on `views` (PostgreSQL) for the changes the projections
/// announce and send them on `feed` until `shutdown` turns true. A lost connection is
/// re-established with backoff; notifications sent meanwhile are lost, which subscribers
/// tolerate (see the module docs).
pub async fn listen(views: Database, feed: ChangeFeed, mut shutdown: watch::Receiver<bool>) {
    let url = views.url();
    let mut backoff = Duration::from_millis(100);
    loop {
        let listened = async {
            let mut listener = PgListener::connect(&url).await?;
            listener.listen(CHANNEL).await?;
            tracing::info!(channel = CHANNEL, "listening for the read models' changes");
            loop {
                let notification = listener.recv().await?;
                match serde_json::from_str::<Changes>(notification.payload()) {
                    Ok(changes) => {
                        // No receiver (no subscriber): nothing to do.
                        let _ = feed.send(Arc::new(changes));
                    }
                    Err(e) => tracing::warn!(error = %e, "an unreadable change notification"),
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), sqlx::Error>(())
        };
        tokio::select! {
            result = listened => {
                if let Err(e) = result {
                    tracing::warn!(error = %e, "listening for changes failed; listening again");
                }
            }
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(i: usize) -> Changed {
        Changed {
            aggregate_type: "process".into(),
            aggregate_id: format!("0190f5d2-7c1e-7000-8000-{i:012}"),
            municipality: "DK-0706".into(),
        }
    }

    #[test]
    fn a_large_batch_is_split_into_payloads_below_the_limit_that_hold_every_record() {
        // given a batch of a thousand records
        let changes = Changes {
            projection: "process_views".into(),
            source: "processes".into(),
            position: 41,
            records: (0..1_000).map(record).collect(),
        };
        // when it becomes payloads
        let payloads = changes.payloads();
        // then each is below the limit, and together they hold every record once
        assert!(payloads.len() > 1);
        let mut seen = Vec::new();
        for payload in &payloads {
            assert!(payload.len() < 8_000, "{}", payload.len());
            let part: Changes = serde_json::from_str(payload).unwrap();
            assert_eq!(
                (part.projection.as_str(), part.position),
                ("process_views", 41)
            );
            seen.extend(part.records);
        }
        assert_eq!(seen, changes.records);
    }
}
