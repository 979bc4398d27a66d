//! The outbox relay: publishes every event a service appended (its outbox row was written in
//! the same transaction) to `innohub.<service>.events.v1`, keyed by aggregate id, as a
//! protobuf [`EventEnvelope`](innohub_proto::innohub::common::v1::EventEnvelope) with
//! `event-type` and `traceparent` headers. Idempotent producer, `acks=all`; a row is deleted
//! only after the broker acknowledged its event, so a crash or an outage republishes (the
//! consumers deduplicate) and never loses.
//!
//! Several relays may run against one store (one per service replica): each round claims
//! rows with `FOR UPDATE SKIP LOCKED`, and publishes an aggregate's rows only while no older
//! row of that aggregate is held by another relay, so per-aggregate order is kept.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use prost::Message as _;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::Row as _;
use tokio::sync::watch;

use super::{KafkaConfig, envelope, events_topic, headers};
use crate::metrics::{METRICS, Metrics};
use crate::store::EVENT_COLUMNS;
use crate::{Backend, EventStore, StoredEvent};

/// Rows claimed per round.
const BATCH: i64 = 1_000;
/// How often the relay looks for rows other replicas appended.
const POLL: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the outbox backlog gauge is recounted while the outbox is long.
const BACKLOG_RECOUNT: Duration = Duration::from_secs(5);

/// Why a relay round failed; the relay backs off and tries again.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The store failed.
    #[error("outbox database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row could not be read.
    #[error(transparent)]
    Store(#[from] crate::StoreError),
    /// The broker refused or did not acknowledge in time.
    #[error("broker: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// Relaying needs the PostgreSQL store.
    #[error("the outbox relay needs the PostgreSQL event store")]
    NotPostgres,
}

/// Publishes one service's outbox.
pub struct OutboxRelay {
    store: EventStore,
    producer: FutureProducer,
    topic: String,
    kafka: KafkaConfig,
    counted_at: std::sync::Mutex<std::time::Instant>,
}

/// A claimed outbox row.
struct Pending {
    event: StoredEvent,
    traceparent: Option<String>,
}

impl OutboxRelay {
    /// A relay for the outbox of `service`'s `store`; creates the producer (no connection
    /// is made yet).
    pub fn new(store: EventStore, kafka: &KafkaConfig, service: &str) -> Result<Self, RelayError> {
        if store.database().backend() != Backend::Postgres {
            return Err(RelayError::NotPostgres);
        }
        let producer = kafka.producer()?;
        Ok(Self {
            topic: events_topic(service),
            store,
            producer,
            kafka: kafka.clone(),
            counted_at: std::sync::Mutex::new(std::time::Instant::now()),
        })
    }

    /// Relay until `shutdown` turns true: woken by this process's appends, polling for other
    /// replicas' appends, backing off while the broker or the database is down.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut appended = self.store.subscribe();
        let mut backoff = Duration::from_millis(100);
        tracing::info!(topic = %self.topic, "outbox relay started");
        // The topic is created once; until the broker answers, the outbox just fills up.
        while let Err(e) = self
            .kafka
            .ensure_topics(&[&self.topic, super::DEADLETTER_TOPIC])
            .await
        {
            Metrics::inc(&METRICS.relay_failures);
            tracing::warn!(error = %e, retry_in = ?backoff, "cannot create topics yet");
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        while !*shutdown.borrow() {
            match self.relay_once().await {
                Ok(published) => {
                    backoff = Duration::from_millis(100);
                    if published > 0 {
                        continue;
                    }
                }
                Err(e) => {
                    Metrics::inc(&METRICS.relay_failures);
                    tracing::warn!(error = %e, retry_in = ?backoff, "outbox relay round failed");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
            tokio::select! {
                _ = appended.changed() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("outbox relay stopped");
    }

    /// One round: claim up to a batch of rows, publish those whose aggregate is not held by
    /// another relay, delete the acknowledged ones. Returns how many were published.
    pub async fn relay_once(&self) -> Result<usize, RelayError> {
        let db = self.store.database();
        let mut tx = db.writer().begin().await?;
        let columns: Vec<String> = EVENT_COLUMNS
            .split(',')
            .map(|c| format!("e.{}", c.trim()))
            .collect();
        let rows = sqlx::query(&format!(
            "SELECT {}, o.traceparent AS traceparent FROM outbox o \
             JOIN events e ON e.position = o.position \
             ORDER BY o.position LIMIT $1 FOR UPDATE OF o SKIP LOCKED",
            columns.join(", ")
        ))
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            tx.commit().await?;
            METRICS
                .outbox_backlog
                .store(0, std::sync::atomic::Ordering::Relaxed);
            return Ok(0);
        }
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            claimed.push(Pending {
                event: StoredEvent::from_row(row)?,
                traceparent: row.try_get("traceparent")?,
            });
        }
        let publishable = self.in_order(&mut tx, &claimed).await?;
        let mut deliveries = Vec::with_capacity(claimed.len());
        let mut blocked: HashSet<&str> = HashSet::new();
        for pending in claimed
            .iter()
            .filter(|p| publishable.contains(&p.event.position))
        {
            let event = &pending.event;
            if blocked.contains(event.aggregate_id.as_str()) {
                continue;
            }
            let value = envelope(event).encode_to_vec();
            let mut headers = OwnedHeaders::new().insert(Header {
                key: headers::EVENT_TYPE,
                value: Some(event.event_type.as_str()),
            });
            if let Some(traceparent) = &pending.traceparent {
                headers = headers.insert(Header {
                    key: headers::TRACEPARENT,
                    value: Some(traceparent.as_str()),
                });
            }
            let record = FutureRecord::to(&self.topic)
                .key(event.aggregate_id.as_str())
                .payload(&value)
                .headers(headers);
            match self.producer.send_result(record) {
                Ok(delivery) => deliveries.push((event.position, delivery)),
                Err((e, _)) => {
                    tracing::warn!(error = %e, "cannot enqueue event");
                    blocked.insert(&event.aggregate_id);
                }
            }
        }
        let mut acknowledged = Vec::with_capacity(deliveries.len());
        let mut failure = None;
        for (position, delivery) in deliveries {
            match delivery.await {
                Ok(Ok(_)) => acknowledged.push(position),
                Ok(Err((e, _))) => failure = Some(e),
                Err(_) => failure = Some(rdkafka::error::KafkaError::Canceled),
            }
        }
        for chunk in acknowledged.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "DELETE FROM outbox WHERE position IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for position in chunk {
                query = query.bind(*position);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let published = acknowledged.len();
        METRICS
            .relay_published
            .fetch_add(published as u64, std::sync::atomic::Ordering::Relaxed);
        // Counting a long outbox costs more than a round: while it is long, count every few
        // seconds only.
        let recount = rows.len() < BATCH as usize
            || self
                .counted_at
                .lock()
                .map_or(true, |at| at.elapsed() > BACKLOG_RECOUNT);
        if recount {
            let backlog = self.store.outbox_len().await?;
            METRICS
                .outbox_backlog
                .store(backlog, std::sync::atomic::Ordering::Relaxed);
            if let Ok(mut at) = self.counted_at.lock() {
                *at = std::time::Instant::now();
            }
        }
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(published),
        }
    }

    /// Of the claimed rows, the positions that may go now: for each aggregate, its claimed
    /// rows up to the first older row another relay holds.
    async fn in_order(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        claimed: &[Pending],
    ) -> Result<HashSet<i64>, RelayError> {
        let mine: HashSet<i64> = claimed.iter().map(|p| p.event.position).collect();
        let newest = claimed.iter().map(|p| p.event.position).max().unwrap_or(0);
        let aggregates: Vec<&str> = {
            let mut seen = HashSet::new();
            claimed
                .iter()
                .map(|p| p.event.aggregate_id.as_str())
                .filter(|a| seen.insert(*a))
                .collect()
        };
        let placeholders: Vec<String> =
            (2..aggregates.len() + 2).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT o.position, e.aggregate_id FROM outbox o JOIN events e ON e.position = o.position \
             WHERE o.position <= $1 AND e.aggregate_id IN ({}) ORDER BY o.position",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(newest);
        for aggregate in &aggregates {
            query = query.bind(*aggregate);
        }
        let mut by_aggregate: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for row in query.fetch_all(&mut **tx).await? {
            by_aggregate
                .entry(row.try_get("aggregate_id")?)
                .or_default()
                .push(row.try_get("position")?);
        }
        Ok(by_aggregate
            .values()
            .flat_map(|positions| positions.iter().take_while(|p| mine.contains(p)).copied())
            .collect())
    }
}
