//! The Kafka event source of distributed mode: feeds a [`Projection`] from a service's events
//! topic through a consumer group. Each batch is applied in ONE read-model transaction that
//! also records every event id in `applied_events`; an id already there is a redelivery and
//! is skipped. Offsets are stored only after that transaction committed (and auto-committed
//! from there): at-least-once delivery, exactly-once effect. A message that is not an
//! envelope, or has a schema version this build does not know, goes to [`DEADLETTER_TOPIC`]
//! with the reason in a header, and the consumer moves on; so does an event the projection
//! refuses (its payload is not the message its type names, or breaks the read model), found
//! by applying the batch again one event at a time.
//!
//! [`KafkaProjection::rebuild`] empties the read model and replays the topic from its start.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Header, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use sqlx::Acquire as _;
use tokio::sync::watch;
use tracing::Instrument as _;
use uuid::Uuid;

use super::{DEADLETTER_TOPIC, KafkaConfig, decode, events_topic, header, headers};
use crate::metrics::{METRICS, Metrics};
use crate::projection::{Projection, ProjectionError, migrations};
use crate::{Backend, Database, StoredEvent};

/// Messages applied per transaction.
const BATCH: usize = 1_000;
/// How long a batch waits for more messages once it has one.
const GATHER: Duration = Duration::from_millis(3);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long a rebuild waits for more messages before it checks whether it is at the end.
pub const REBUILD_IDLE: Duration = Duration::from_secs(2);

/// Why the source stopped.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The broker failed.
    #[error("broker: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The read model failed.
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// Another process is feeding this projection.
    #[error("projection {0} is being fed by another process; stop it first")]
    Busy(&'static str),
    /// A rebuild found no more messages although the topic said there were.
    #[error("the topic stopped delivering before the rebuild reached its end")]
    Stalled,
}

impl From<sqlx::Error> for SourceError {
    fn from(e: sqlx::Error) -> Self {
        SourceError::Projection(e.into())
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy)]
pub struct RebuildReport {
    /// Events applied.
    pub events: u64,
    /// Messages skipped as undecodable (the live consumer dead-lettered them).
    pub skipped: u64,
    /// How long it took.
    pub elapsed: Duration,
}

impl RebuildReport {
    /// Events applied per second.
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A projection fed from Kafka.
pub struct KafkaProjection<P> {
    projection: Arc<P>,
    views: Database,
    kafka: KafkaConfig,
    topic: String,
}

/// One decoded message with where it came from.
struct Decoded {
    event: StoredEvent,
    traceparent: Option<String>,
}

impl<P: Projection> KafkaProjection<P> {
    /// Feed `projection` in `views` from the topic of its source service; migrates the
    /// runner's tables.
    pub async fn new(
        projection: P,
        views: Database,
        kafka: KafkaConfig,
    ) -> Result<Self, SourceError> {
        views
            .migrate(&migrations())
            .await
            .map_err(|e| ProjectionError::Database(e.into()))?;
        Ok(Self {
            topic: events_topic(projection.source()),
            projection: Arc::new(projection),
            views,
            kafka,
        })
    }

    /// The consumer group of this projection.
    pub fn group(&self) -> String {
        format!("innohub-projections.{}", self.projection.name())
    }

    /// Hold the projection's lock for as long as the returned connection lives, so one
    /// process feeds it at a time. `wait`: block until free, else fail when taken.
    async fn lock(&self, wait: bool) -> Result<Option<sqlx::AnyConnection>, SourceError> {
        if self.views.backend() != Backend::Postgres {
            return Ok(None);
        }
        let mut conn = self.views.writer().acquire().await?.detach();
        let key = format!("innohub-projection:{}", self.projection.name());
        if wait {
            sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
                .bind(&key)
                .execute(&mut conn)
                .await?;
        } else {
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
                .bind(&key)
                .fetch_one(&mut conn)
                .await?;
            if !got {
                return Err(SourceError::Busy(self.projection.name()));
            }
        }
        Ok(Some(conn))
    }

    /// Consume until `shutdown` turns true. Ensures the topics exist; waits for the
    /// projection's lock (a second instance stands by).
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> Result<(), SourceError> {
        self.kafka
            .ensure_topics(&[&self.topic, DEADLETTER_TOPIC])
            .await?;
        let _lock = tokio::select! {
            lock = self.lock(true) => lock?,
            _ = shutdown.changed() => return Ok(()),
        };
        let consumer: Arc<StreamConsumer> = Arc::new(
            self.kafka
                .client()
                .set("group.id", self.group())
                .set("enable.auto.commit", "true")
                .set("auto.commit.interval.ms", "500")
                .set("enable.auto.offset.store", "false")
                .set("auto.offset.reset", "earliest")
                .set("session.timeout.ms", "6000")
                .set("heartbeat.interval.ms", "1000")
                // A broker without long-poll wake-ups (Tansu) would otherwise hold every
                // idle fetch for the default 500 ms, and freshness with it.
                .set("fetch.wait.max.ms", "50")
                .create()?,
        );
        consumer.subscribe(&[&self.topic])?;
        let deadletters = self.kafka.producer()?;
        let lag = tokio::spawn(report_lag(consumer.clone(), self.topic.clone()));
        tracing::info!(topic = %self.topic, group = %self.group(), projection = self.projection.name(), "consuming");
        let mut backoff = Duration::from_millis(100);
        loop {
            let first = tokio::select! {
                m = consumer.recv() => m,
                _ = shutdown.changed() => break,
            };
            let first = match first {
                Ok(m) => m.detach(),
                Err(e) => {
                    tracing::warn!(error = %e, "consumer error");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = Duration::from_millis(100);
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match tokio::time::timeout(GATHER, consumer.recv()).await {
                    Ok(Ok(m)) => batch.push(m.detach()),
                    _ => break,
                }
            }
            let (events, dead) = self.decode_batch(&batch);
            if !self
                .apply_until_done(&events, &deadletters, &mut shutdown)
                .await
            {
                break;
            }
            for (message, reason) in dead {
                self.dead_letter(&deadletters, message, &reason).await;
            }
            for m in &batch {
                consumer.store_offset(m.topic(), m.partition(), m.offset())?;
            }
        }
        lag.abort();
        if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::warn!(error = %e, "final offset commit failed; the next start re-reads (deduplicated)");
        }
        tracing::info!(projection = self.projection.name(), "consumer stopped");
        Ok(())
    }

    fn decode_batch<'m>(
        &self,
        batch: &'m [OwnedMessage],
    ) -> (Vec<Decoded>, Vec<(&'m OwnedMessage, String)>) {
        let mut events = Vec::with_capacity(batch.len());
        let mut dead = Vec::new();
        for m in batch {
            match decode(m.payload()) {
                Ok(event) => events.push(Decoded {
                    event,
                    traceparent: header(m, headers::TRACEPARENT),
                }),
                Err(reason) => dead.push((m, reason)),
            }
        }
        (events, dead)
    }

    /// Apply a batch, retrying while the database is down. An event the projection cannot
    /// apply (not a database failure) is dead-lettered so the rest can go on. Returns false
    /// when shut down before the batch was applied.
    async fn apply_until_done(
        &self,
        events: &[Decoded],
        deadletters: &FutureProducer,
        shutdown: &mut watch::Receiver<bool>,
    ) -> bool {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.apply(events).await {
                Ok(()) => return true,
                Err(ProjectionError::Database(e)) => {
                    tracing::error!(error = %e, retry_in = ?backoff, "read model database failed");
                }
                Err(e) => {
                    tracing::error!(error = %e, "a batch failed; applying its events one by one");
                    for one in events {
                        match self.apply(std::slice::from_ref(one)).await {
                            Ok(()) => {}
                            Err(ProjectionError::Database(_)) => break,
                            Err(e) => {
                                let reason = format!("the projection refused it: {e}");
                                let value =
                                    prost::Message::encode_to_vec(&super::envelope(&one.event));
                                self.send_dead_letter(
                                    deadletters,
                                    one.event.aggregate_id.as_bytes(),
                                    &value,
                                    &reason,
                                    &format!("event {}", one.event.event_id),
                                )
                                .await;
                                self.record_only(&one.event).await;
                            }
                        }
                    }
                    // Whatever is left (a database failure midway) is retried as a batch;
                    // the applied ones are skipped as duplicates.
                    if self.apply(events).await.is_ok() {
                        return true;
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return false,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Apply events not applied before, in one transaction with their ids.
    async fn apply(&self, events: &[Decoded]) -> Result<(), ProjectionError> {
        let name = self.projection.name();
        let source = self.projection.source();
        let mut tx = self.views.writer().begin().await?;
        let mut applied = 0;
        let mut duplicates = 0;
        for one in events {
            let event = &one.event;
            let fresh = sqlx::query(
                "INSERT INTO applied_events (projection, event_id, source, position) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (projection, event_id) DO NOTHING",
            )
            .bind(name)
            .bind(event.event_id.to_string())
            .bind(source)
            .bind(event.position)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !fresh {
                duplicates += 1;
                continue;
            }
            let span = tracing::info_span!(
                "project",
                projection = name,
                event_type = %event.event_type,
                position = event.position
            );
            crate::telemetry::set_parent(&span, one.traceparent.as_deref());
            let conn = tx.acquire().await?;
            self.projection.apply(conn, event).instrument(span).await?;
            applied += 1;
        }
        tx.commit().await?;
        METRICS
            .events_applied
            .fetch_add(applied, std::sync::atomic::Ordering::Relaxed);
        METRICS
            .duplicates_skipped
            .fetch_add(duplicates, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Mark an event as handled without applying it (it went to the dead-letter topic).
    async fn record_only(&self, event: &StoredEvent) {
        let result = sqlx::query(
            "INSERT INTO applied_events (projection, event_id, source, position) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (projection, event_id) DO NOTHING",
        )
        .bind(self.projection.name())
        .bind(event.event_id.to_string())
        .bind(self.projection.source())
        .bind(event.position)
        .execute(self.views.writer())
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot record a dead-lettered event");
        }
    }

    async fn dead_letter(&self, producer: &FutureProducer, message: &OwnedMessage, reason: &str) {
        let origin = format!(
            "{}/{}/{}",
            message.topic(),
            message.partition(),
            message.offset()
        );
        self.send_dead_letter(
            producer,
            message.key().unwrap_or_default(),
            message.payload().unwrap_or_default(),
            reason,
            &origin,
        )
        .await;
    }

    /// Publish to the dead-letter topic, retrying until the broker takes it.
    async fn send_dead_letter(
        &self,
        producer: &FutureProducer,
        key: &[u8],
        value: &[u8],
        reason: &str,
        origin: &str,
    ) {
        tracing::warn!(origin, reason, "dead-lettering a message");
        let mut backoff = Duration::from_millis(100);
        loop {
            let headers = OwnedHeaders::new()
                .insert(Header {
                    key: headers::DEADLETTER_REASON,
                    value: Some(reason),
                })
                .insert(Header {
                    key: headers::DEADLETTER_SOURCE,
                    value: Some(origin),
                });
            let record = FutureRecord::to(DEADLETTER_TOPIC)
                .key(key)
                .payload(value)
                .headers(headers);
            match producer.send(record, Duration::from_secs(10)).await {
                Ok(_) => {
                    Metrics::inc(&METRICS.dead_letters);
                    return;
                }
                Err((e, _)) => {
                    tracing::warn!(error = %e, "cannot dead-letter yet; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    /// Empty the read model and replay the topic from its beginning. The end is where the
    /// topic goes quiet (no message for [`REBUILD_IDLE`]) with every partition read up to the
    /// high watermark it then reports; brokers' watermarks can lag what they deliver, so they
    /// are not trusted as the end on their own. Fails if the projection is being fed right
    /// now. `progress(done, expected)` is called after every batch.
    pub async fn rebuild(
        &self,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<RebuildReport, SourceError> {
        let started = Instant::now();
        let _lock = self.lock(false).await?;
        self.kafka
            .ensure_topics(&[&self.topic, DEADLETTER_TOPIC])
            .await?;
        let consumer: StreamConsumer = self
            .kafka
            .client()
            .set("group.id", format!("innohub-rebuild-{}", Uuid::now_v7()))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .create()?;
        let ends = watermarks(&consumer, &self.topic)?;
        let expected: i64 = ends.values().map(|(low, high)| high - low).sum();
        let expected = expected.max(0) as u64;
        let mut assignment = TopicPartitionList::new();
        for partition in ends.keys() {
            assignment.add_partition_offset(&self.topic, *partition, Offset::Beginning)?;
        }
        self.reset().await?;
        consumer.assign(&assignment)?;
        let mut next: HashMap<i32, i64> = HashMap::new();
        let (mut events, mut skipped, mut seen) = (0u64, 0u64, 0u64);
        let mut quiet_since = Instant::now();
        progress(0, expected);
        loop {
            let mut batch = Vec::with_capacity(BATCH);
            while batch.len() < BATCH {
                let wait = if batch.is_empty() {
                    REBUILD_IDLE
                } else {
                    GATHER
                };
                match tokio::time::timeout(wait, consumer.recv()).await {
                    Ok(Ok(m)) => {
                        let m = m.detach();
                        next.insert(m.partition(), m.offset() + 1);
                        batch.push(m);
                    }
                    Ok(Err(e)) => return Err(e.into()),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                // Quiet: done if every partition is read up to what the broker now reports.
                let ends = watermarks(&consumer, &self.topic)?;
                let behind = ends
                    .iter()
                    .any(|(p, (low, high))| next.get(p).copied().unwrap_or(*low) < *high);
                if !behind {
                    break;
                }
                if quiet_since.elapsed() > Duration::from_secs(30) {
                    return Err(SourceError::Stalled);
                }
                continue;
            }
            quiet_since = Instant::now();
            let (decoded, dead) = self.decode_batch(&batch);
            skipped += dead.len() as u64;
            events += decoded.len() as u64;
            seen += batch.len() as u64;
            self.apply(&decoded).await?;
            progress(seen, expected.max(seen));
        }
        Ok(RebuildReport {
            events,
            skipped,
            elapsed: started.elapsed(),
        })
    }

    /// Empty the projection's tables and forget which events it applied.
    async fn reset(&self) -> Result<(), SourceError> {
        let mut tx = self.views.writer().begin().await?;
        for table in self.projection.tables() {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        for runner_table in ["applied_events", "projection_checkpoints"] {
            sqlx::query(&format!("DELETE FROM {runner_table} WHERE projection = $1"))
                .bind(self.projection.name())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Low and high watermark of every partition of `topic`.
fn watermarks(
    consumer: &StreamConsumer,
    topic: &str,
) -> Result<HashMap<i32, (i64, i64)>, rdkafka::error::KafkaError> {
    tokio::task::block_in_place(|| {
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
        let mut ends = HashMap::new();
        for t in metadata.topics() {
            for p in t.partitions() {
                ends.insert(
                    p.id(),
                    consumer.fetch_watermarks(topic, p.id(), Duration::from_secs(10))?,
                );
            }
        }
        Ok(ends)
    })
}

/// Every few seconds: messages on the assigned partitions not yet consumed.
async fn report_lag(consumer: Arc<StreamConsumer>, topic: String) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let consumer = consumer.clone();
        let topic = topic.clone();
        let lag = tokio::task::spawn_blocking(move || {
            let positions = consumer.position().ok()?;
            let mut lag = 0;
            for element in positions.elements_for_topic(&topic) {
                let (_, high) = consumer
                    .fetch_watermarks(&topic, element.partition(), Duration::from_secs(2))
                    .ok()?;
                let position = match element.offset() {
                    Offset::Offset(o) => o,
                    _ => 0,
                };
                lag += (high - position).max(0);
            }
            Some(lag)
        })
        .await;
        if let Ok(Some(lag)) = lag {
            METRICS
                .consumer_lag
                .store(lag, std::sync::atomic::Ordering::Relaxed);
        }
    }
}
