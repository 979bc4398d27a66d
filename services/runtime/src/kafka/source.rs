//! The Kafka event source of distributed mode: feeds a [`Projection`] from a service's events
//! topic.
//!
//! - **The read model's database says where the consumer is.** Each batch is applied in ONE
//!   transaction that also records every event id (`applied_events`, which consistency tokens
//!   wait for), each aggregate's last applied sequence (`projection_streams`) and the next
//!   offset of each partition (`consumer_offsets`). The one feeder (a database lock) assigns
//!   itself every partition at those offsets; it does not join a consumer group, so no
//!   rebalance and no broker-side committed offset decides what it reads. Offsets are still
//!   committed to the group `innohub-projections.<projection>` after each batch, for the
//!   usual lag tooling. At-least-once delivery, exactly-once effect.
//! - **No offset is passed over unread** ([`super::cursor`]): a partition's messages must
//!   follow one another; a jump (a broker that skipped records) makes the consumer read the
//!   partition again from before the missing ones, and it (re)starts one producer batch before
//!   its position, because a broker may answer a fetch from inside a batch with the next one.
//! - **No event is applied past a gap in its aggregate's sequence.** An event whose
//!   predecessor has not been applied is held (`held_events`, counted in
//!   `innohub_projection_held_events`), never dead-lettered, and applied right after its
//!   predecessor. A redelivered event (sequence already applied) is skipped.
//! - **Dead letters**: a message that is not an envelope, or has a schema version this build
//!   does not know, goes to [`DEADLETTER_TOPIC`] with the reason in a header; so does an event
//!   the projection refuses (its payload is not the message its type names, or breaks the read
//!   model). The consumer moves on.
//!
//! - **Batches**: up to a thousand messages per transaction, handed to the projection as one
//!   batch ([`Projection::apply`]) once each aggregate's order is settled
//!   ([`super::sequence`]). The batch's span joins the traces of its events.
//!
//! [`KafkaProjection::rebuild`] replays the topic from its start into copies of the read
//! model's tables and swaps them in at the end; the live read model serves until then.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use prost::Message as _;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Header, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use sqlx::Row as _;
use tokio::sync::watch;
use tracing::Instrument as _;
use uuid::Uuid;

use super::cursor::{Cursor, Rewind, Skip};
use super::sequence::{Decoded, Ready, Sorted};
use super::{DEADLETTER_TOPIC, KafkaConfig, decode, envelope, events_topic, header, headers};
use crate::changes::{self, Changes};
use crate::db::Migrations;
use crate::metrics::{METRICS, Metrics};
use crate::projection::{BATCH, Projection, ProjectionError, migrations};
use crate::sql::{Rows, Sql, Value};
use crate::{Backend, Database, StoredEvent};

/// How long a batch waits for more messages once it has one.
const GATHER: Duration = Duration::from_millis(3);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long a rebuild waits for more messages before it checks whether it is at the end.
pub const REBUILD_IDLE: Duration = Duration::from_secs(2);
/// Events per batch of a rebuild: the history is folded in large chunks.
const REBUILD_BATCH: usize = 20_000;
/// Ids per `IN (…)` list, and rows per statement recording applied events.
const IDS_PER_QUERY: usize = 5_000;

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
    /// A rebuild builds its copies in a PostgreSQL schema.
    #[error("a rebuild needs the PostgreSQL read models")]
    RebuildNeedsPostgres,
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
    /// Messages skipped as undecodable or refused (the live consumer dead-lettered them).
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
    batch: usize,
    /// Events this projection holds for their predecessor (its share of the gauge).
    held: AtomicI64,
}

/// Why a batch did not apply.
enum Failure {
    /// The database failed: try the batch again.
    Database(ProjectionError),
    /// The projection refused this event: dead-letter it and apply the batch without it.
    Refused(Box<StoredEvent>, ProjectionError),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Database(e.into())
    }
}

/// What the consumer does with a batch besides applying it: the live consumer dead-letters
/// what it cannot use; a rebuild counts it (the live consumer dead-lettered it already).
enum Unusable<'a> {
    DeadLetter(&'a FutureProducer),
    Count(&'a mut u64),
}

impl<P: Projection> KafkaProjection<P> {
    /// Feed `projection` in `views` from the topic of its source service; migrates the
    /// runner's tables.
    pub async fn new(
        projection: P,
        views: Database,
        kafka: KafkaConfig,
    ) -> Result<Self, SourceError> {
        Self::new_in(Arc::new(projection), views, &kafka).await
    }

    async fn new_in(
        projection: Arc<P>,
        views: Database,
        kafka: &KafkaConfig,
    ) -> Result<Self, SourceError> {
        views
            .migrate(&migrations())
            .await
            .map_err(|e| ProjectionError::Database(e.into()))?;
        Ok(Self {
            topic: events_topic(projection.source()),
            projection,
            views,
            kafka: kafka.clone(),
            batch: BATCH,
            held: AtomicI64::new(0),
        })
    }

    /// Apply at most `batch` messages per transaction (default 1,000).
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// The consumer group this projection commits its offsets to (for lag tooling; the
    /// consumer resumes from the read model's own record).
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

    fn consumer(&self, group: &str) -> Result<StreamConsumer, SourceError> {
        Ok(self
            .kafka
            .client()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            // A broker without long-poll wake-ups (Tansu) would otherwise hold every idle
            // fetch for the default 500 ms, and freshness with it.
            .set("fetch.wait.max.ms", "50")
            .create()?)
    }

    /// The cursor the read model recorded, with every partition of the topic in it (from its
    /// first offset where nothing is recorded), and each partition's first offset.
    async fn cursor(
        &self,
        consumer: &StreamConsumer,
    ) -> Result<(Cursor, BTreeMap<i32, i64>), SourceError> {
        let rows = sqlx::query(
            "SELECT kafka_partition, next_offset FROM consumer_offsets \
             WHERE projection = $1 AND topic = $2",
        )
        .bind(self.projection.name())
        .bind(&self.topic)
        .fetch_all(self.views.reader())
        .await?;
        let mut next = BTreeMap::new();
        for row in rows {
            let partition: i64 = row.try_get("kafka_partition")?;
            let partition = i32::try_from(partition)
                .map_err(|_| ProjectionError::Corrupt(format!("partition {partition}")))?;
            next.insert(partition, row.try_get::<i64, _>("next_offset")?);
        }
        let starts = self.starts(consumer).await?;
        for (partition, start) in &starts {
            next.entry(*partition).or_insert(*start);
        }
        Ok((Cursor::new(next), starts))
    }

    /// The first offset of every partition of the topic; waits until the broker lists its
    /// partitions (a topic just created may have none yet).
    async fn starts(&self, consumer: &StreamConsumer) -> Result<BTreeMap<i32, i64>, SourceError> {
        loop {
            let starts: BTreeMap<i32, i64> = watermarks(consumer, &self.topic)?
                .into_iter()
                .map(|(partition, (low, _))| (partition, low))
                .collect();
            if !starts.is_empty() {
                return Ok(starts);
            }
            tracing::info!(topic = %self.topic, "waiting for the topic's partitions");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Read every partition from where the cursor (re)starts it.
    fn assign(
        &self,
        consumer: &StreamConsumer,
        cursor: &Cursor,
        starts: &BTreeMap<i32, i64>,
        overrides: &BTreeMap<i32, i64>,
    ) -> Result<(), SourceError> {
        let mut assignment = TopicPartitionList::new();
        for (partition, start) in starts {
            let from = overrides
                .get(partition)
                .copied()
                .unwrap_or_else(|| cursor.start(*partition, *start));
            assignment.add_partition_offset(&self.topic, *partition, Offset::Offset(from))?;
        }
        consumer.unassign()?;
        consumer.assign(&assignment)?;
        Ok(())
    }

    /// Read the skipped partitions again (see [`super::cursor`]).
    async fn rewind(
        &self,
        consumer: &StreamConsumer,
        cursor: &mut Cursor,
        skips: &BTreeMap<i32, Skip>,
    ) -> Result<(), SourceError> {
        let starts = self.starts(consumer).await?;
        let mut overrides = BTreeMap::new();
        let mut wait = Duration::ZERO;
        for (partition, skip) in skips {
            let start = starts.get(partition).copied().unwrap_or(0);
            match cursor.rewind(*partition, *skip, start) {
                Rewind::Reread { from, wait: w } => {
                    Metrics::inc(&METRICS.consumer_rewinds);
                    tracing::warn!(
                        topic = %self.topic, partition, expected = skip.expected, found = skip.found,
                        from, "the broker skipped records; reading the partition again"
                    );
                    overrides.insert(*partition, from);
                    wait = wait.max(w);
                }
                Rewind::GiveUp { from } => {
                    let lost = (from - skip.expected).max(0) as u64;
                    METRICS
                        .consumer_offsets_lost
                        .fetch_add(lost, Ordering::Relaxed);
                    tracing::error!(
                        topic = %self.topic, partition, missing_from = skip.expected, missing_to = from,
                        "records are missing from the topic; going on without them"
                    );
                    overrides.insert(*partition, from);
                }
            }
        }
        tokio::time::sleep(wait).await;
        self.assign(consumer, cursor, &starts, &overrides)
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
        let consumer = Arc::new(self.consumer(&self.group())?);
        let (mut cursor, starts) = self.cursor(&consumer).await?;
        self.assign(&consumer, &cursor, &starts, &BTreeMap::new())?;
        let deadletters = self.kafka.producer()?;
        self.count_held().await?;
        let lag = tokio::spawn(report_lag(consumer.clone(), self.topic.clone()));
        tracing::info!(topic = %self.topic, projection = self.projection.name(), positions = ?cursor.positions(), "consuming");
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
            let batch = self.gather(&consumer, first).await;
            let sorted = cursor.sort(batch.iter().map(|m| (m.partition(), m.offset())));
            let taken: Vec<&OwnedMessage> = sorted.take.iter().map(|i| &batch[*i]).collect();
            let applied = self
                .take(
                    &taken,
                    &sorted.positions,
                    Unusable::DeadLetter(&deadletters),
                    &mut shutdown,
                )
                .await;
            if applied.is_none() {
                break;
            }
            cursor.advance(&sorted.positions);
            if !taken.is_empty() {
                self.commit_offsets(&consumer, &sorted.positions);
            }
            if !sorted.skips.is_empty() {
                self.rewind(&consumer, &mut cursor, &sorted.skips).await?;
            }
        }
        lag.abort();
        tracing::info!(projection = self.projection.name(), "consumer stopped");
        Ok(())
    }

    /// `first` and whatever else arrives right away, up to a batch.
    async fn gather(&self, consumer: &StreamConsumer, first: OwnedMessage) -> Vec<OwnedMessage> {
        let mut batch = vec![first];
        while batch.len() < self.batch {
            match tokio::time::timeout(GATHER, consumer.recv()).await {
                Ok(Ok(m)) => batch.push(m.detach()),
                _ => break,
            }
        }
        batch
    }

    /// Offsets for the group's lag, after the read model committed them. A failure only
    /// delays what lag tooling shows.
    fn commit_offsets(&self, consumer: &StreamConsumer, positions: &BTreeMap<i32, i64>) {
        let mut offsets = TopicPartitionList::new();
        for (partition, next) in positions {
            if let Err(e) =
                offsets.add_partition_offset(&self.topic, *partition, Offset::Offset(*next))
            {
                tracing::debug!(error = %e, "cannot list an offset to commit");
            }
        }
        if let Err(e) = consumer.commit(&offsets, CommitMode::Async) {
            tracing::debug!(error = %e, "cannot commit offsets for lag tooling");
        }
    }

    /// Decode `messages`, handle the unusable ones, and apply the rest with the cursor's new
    /// `positions`. Returns how many events were applied, or `None` when shut down first.
    async fn take(
        &self,
        messages: &[&OwnedMessage],
        positions: &BTreeMap<i32, i64>,
        mut unusable: Unusable<'_>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Option<u64> {
        let mut events = Vec::with_capacity(messages.len());
        for m in messages {
            match decode(m.payload()) {
                Ok(event) => events.push(Decoded {
                    event,
                    traceparent: header(m, headers::TRACEPARENT),
                }),
                Err(reason) => match &mut unusable {
                    Unusable::DeadLetter(producer) => {
                        let origin = format!("{}/{}/{}", m.topic(), m.partition(), m.offset());
                        let (key, value) =
                            (m.key().unwrap_or_default(), m.payload().unwrap_or_default());
                        self.send_dead_letter(producer, key, value, &reason, &origin)
                            .await;
                    }
                    Unusable::Count(skipped) => **skipped += 1,
                },
            }
        }
        if events.is_empty() && positions.is_empty() {
            return Some(0);
        }
        let mut refused = HashSet::new();
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.apply(&events, positions, &refused).await {
                Ok(applied) => return Some(applied),
                Err(Failure::Database(e)) => {
                    tracing::error!(error = %e, retry_in = ?backoff, "read model database failed");
                }
                Err(Failure::Refused(event, e)) => {
                    match &mut unusable {
                        Unusable::DeadLetter(producer) => {
                            let reason = format!("the projection refused it: {e}");
                            let value = envelope(&event).encode_to_vec();
                            let origin = format!("event {}", event.event_id);
                            self.send_dead_letter(
                                producer,
                                event.aggregate_id.as_bytes(),
                                &value,
                                &reason,
                                &origin,
                            )
                            .await;
                        }
                        Unusable::Count(skipped) => **skipped += 1,
                    }
                    refused.insert(event.event_id);
                    continue;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return None,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Apply `events` in one transaction with the cursor's new `positions`: the events whose
    /// aggregate's previous event is applied, each followed by the held events it lets
    /// through, go to the projection as one batch (the `refused` ones recorded without
    /// applying); an event that arrives early is held. Returns how many events were applied.
    async fn apply(
        &self,
        events: &[Decoded],
        positions: &BTreeMap<i32, i64>,
        refused: &HashSet<Uuid>,
    ) -> Result<u64, Failure> {
        let name = self.projection.name();
        let mut tx = self.views.writer().begin().await?;
        let aggregates: BTreeSet<&str> = events
            .iter()
            .map(|d| d.event.aggregate_id.as_str())
            .collect();
        let last = self.sequences(&mut tx, &aggregates).await?;
        let held = if self.held.load(Ordering::Relaxed) > 0 {
            self.held(&mut tx, &aggregates).await?
        } else {
            HashMap::new()
        };
        let sorted = Sorted::new(events, last, held);
        for event in &sorted.held {
            Metrics::inc(&METRICS.sequence_gaps);
            tracing::warn!(
                projection = name,
                aggregate = event.aggregate_id,
                sequence = event.sequence,
                "an event arrived before its predecessor; holding it"
            );
        }
        let fresh = self.record_applied(&mut tx, &sorted.ready).await?;
        let batch: Vec<&StoredEvent> = sorted
            .ready
            .iter()
            .map(Ready::event)
            .filter(|e| fresh.contains(&e.event_id) && !refused.contains(&e.event_id))
            .collect();
        let span = tracing::info_span!("project", projection = name, events = batch.len());
        crate::telemetry::join_traces(&span, sorted.ready.iter().filter_map(Ready::traceparent));
        match self
            .projection
            .apply(&mut tx, &batch)
            .instrument(span)
            .await
        {
            Ok(()) => {}
            Err(ProjectionError::Refused { event, reason }) => {
                let Some(event) = batch.iter().find(|e| e.event_id == event) else {
                    return Err(Failure::Database(ProjectionError::Corrupt(format!(
                        "the projection refused event {event}, which is not in the batch: {reason}"
                    ))));
                };
                let error = ProjectionError::refused(event, reason);
                return Err(Failure::Refused(Box::new((*event).clone()), error));
            }
            Err(e) => return Err(Failure::Database(e)),
        }
        self.hold(&mut tx, &sorted).await?;
        self.record_sequences(&mut tx, &sorted.moved).await?;
        self.record_positions(&mut tx, positions).await?;
        if let Some(changes) = Changes::of(name, self.projection.source(), &batch) {
            changes::notify(&mut tx, self.views.backend(), &changes).await?;
        }
        tx.commit().await?;
        let applied = batch.len() as u64;
        let duplicates = sorted.duplicates + (sorted.ready.len() - fresh.len()) as u64;
        METRICS.events_applied.fetch_add(applied, Ordering::Relaxed);
        METRICS
            .duplicates_skipped
            .fetch_add(duplicates, Ordering::Relaxed);
        self.held_changed(sorted.held.len() as i64 - sorted.released.len() as i64);
        Ok(applied)
    }

    /// Move this projection's count of held events, and the gauge with it.
    fn held_changed(&self, by: i64) {
        self.held.fetch_add(by, Ordering::Relaxed);
        METRICS.held_events.fetch_add(by, Ordering::Relaxed);
    }

    /// Record the ids of the `ready` events; returns those not recorded before (a read model
    /// written before sequences were recorded may have applied some).
    async fn record_applied(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        ready: &[Ready<'_>],
    ) -> Result<HashSet<Uuid>, Failure> {
        let mut fresh = HashSet::with_capacity(ready.len());
        for chunk in ready.chunks(IDS_PER_QUERY) {
            let mut sql = Sql::new(
                "INSERT INTO applied_events (projection, event_id, source, position) VALUES ",
            );
            for (i, r) in chunk.iter().enumerate() {
                let event = r.event();
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_list([
                    Value::from(self.projection.name()),
                    event.event_id.to_string().into(),
                    self.projection.source().into(),
                    event.position.into(),
                ]);
            }
            sql.push(" ON CONFLICT (projection, event_id) DO NOTHING RETURNING event_id");
            for row in sql.query().fetch_all(&mut **tx).await? {
                let id: String = row.try_get("event_id")?;
                fresh.insert(id.parse().map_err(|e| {
                    Failure::Database(ProjectionError::Corrupt(format!("applied event id: {e}")))
                })?);
            }
        }
        Ok(fresh)
    }

    /// The last applied sequence of each of `aggregates` that has one.
    async fn sequences(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        aggregates: &BTreeSet<&str>,
    ) -> Result<HashMap<String, i64>, sqlx::Error> {
        let mut last = HashMap::with_capacity(aggregates.len());
        let aggregates: Vec<&str> = aggregates.iter().copied().collect();
        for chunk in aggregates.chunks(IDS_PER_QUERY) {
            let mut sql = Sql::new(
                "SELECT aggregate_id, sequence FROM projection_streams WHERE projection = ",
            );
            sql.bind(self.projection.name())
                .push(" AND aggregate_id IN ")
                .bind_set(chunk.iter().copied());
            for row in sql.query().fetch_all(&mut **tx).await? {
                last.insert(row.try_get("aggregate_id")?, row.try_get("sequence")?);
            }
        }
        Ok(last)
    }

    /// The held events of `aggregates`, by sequence.
    async fn held(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        aggregates: &BTreeSet<&str>,
    ) -> Result<HashMap<String, BTreeMap<i64, StoredEvent>>, Failure> {
        let mut held: HashMap<String, BTreeMap<i64, StoredEvent>> = HashMap::new();
        let aggregates: Vec<&str> = aggregates.iter().copied().collect();
        for chunk in aggregates.chunks(IDS_PER_QUERY) {
            let mut sql = Sql::new("SELECT envelope FROM held_events WHERE projection = ");
            sql.bind(self.projection.name())
                .push(" AND aggregate_id IN ")
                .bind_set(chunk.iter().copied());
            for row in sql.query().fetch_all(&mut **tx).await? {
                let bytes: Vec<u8> = row.try_get("envelope")?;
                let event = decode(Some(&bytes)).map_err(|e| {
                    Failure::Database(ProjectionError::Corrupt(format!("a held event: {e}")))
                })?;
                held.entry(event.aggregate_id.clone())
                    .or_default()
                    .insert(event.sequence, event);
            }
        }
        Ok(held)
    }

    /// Hold the events that arrived early, and forget the held ones the batch released.
    async fn hold(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        sorted: &Sorted<'_>,
    ) -> Result<(), sqlx::Error> {
        let name = self.projection.name();
        let mut holds = Rows::new(
            "INSERT INTO held_events (projection, aggregate_id, sequence, envelope)",
            "ON CONFLICT (projection, aggregate_id, sequence) DO NOTHING",
        );
        for event in &sorted.held {
            holds.push(vec![
                name.into(),
                event.aggregate_id.as_str().into(),
                event.sequence.into(),
                envelope(event).encode_to_vec().into(),
            ]);
        }
        holds.execute(tx).await?;
        for (aggregate, sequence) in &sorted.released {
            sqlx::query(
                "DELETE FROM held_events WHERE projection = $1 AND aggregate_id = $2 AND sequence = $3",
            )
            .bind(name)
            .bind(aggregate.as_str())
            .bind(*sequence)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    async fn record_sequences(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        moved: &[(String, i64)],
    ) -> Result<(), sqlx::Error> {
        let mut rows = Rows::new(
            "INSERT INTO projection_streams (projection, aggregate_id, sequence)",
            "ON CONFLICT (projection, aggregate_id) DO UPDATE SET sequence = excluded.sequence",
        );
        for (aggregate, sequence) in moved {
            rows.push(vec![
                self.projection.name().into(),
                aggregate.into(),
                (*sequence).into(),
            ]);
        }
        rows.execute(tx).await?;
        Ok(())
    }

    async fn record_positions(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        positions: &BTreeMap<i32, i64>,
    ) -> Result<(), sqlx::Error> {
        for (partition, next) in positions {
            sqlx::query(
                "INSERT INTO consumer_offsets (projection, topic, kafka_partition, next_offset) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (projection, topic, kafka_partition) \
                 DO UPDATE SET next_offset = excluded.next_offset",
            )
            .bind(self.projection.name())
            .bind(&self.topic)
            .bind(i64::from(*partition))
            .bind(*next)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Set the held-events gauge from the read model.
    async fn count_held(&self) -> Result<(), sqlx::Error> {
        let held: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM held_events WHERE projection = $1")
                .bind(self.projection.name())
                .fetch_one(self.views.reader())
                .await?;
        self.held_changed(held - self.held.load(Ordering::Relaxed));
        Ok(())
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

    /// Rebuild the read model from the topic's beginning, beside the live one: the history is
    /// folded in large batches into copies of the projection's tables (created by `tables`,
    /// its migrations) in the schema `innohub_rebuild_<projection>`, and the copies are
    /// swapped in, in one transaction, only once the rebuild reached the end. Until then the
    /// live read model serves its rows; a rebuild that crashes leaves it as it was (the next
    /// rebuild drops the leftover copies). PostgreSQL only. Fails if the projection is being
    /// fed right now.
    ///
    /// The end is where the topic goes quiet (no message for [`REBUILD_IDLE`]) with every
    /// partition read up to the high watermark it then reports; brokers' watermarks can lag
    /// what they deliver, so they are not trusted as the end on their own.
    /// `progress(done, expected)` is called after every batch.
    pub async fn rebuild(
        &self,
        tables: &Migrations,
        progress: impl FnMut(u64, u64),
    ) -> Result<RebuildReport, SourceError> {
        let started = Instant::now();
        if self.views.backend() != Backend::Postgres {
            return Err(SourceError::RebuildNeedsPostgres);
        }
        let _lock = self.lock(false).await?;
        self.kafka
            .ensure_topics(&[&self.topic, DEADLETTER_TOPIC])
            .await?;
        let schema = format!("innohub_rebuild_{}", self.projection.name());
        sqlx::raw_sql(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .execute(self.views.writer())
        .await?;
        let shadow = self.views.in_schema(&schema).await?;
        shadow.migrate(tables).await.map_err(sqlx::Error::from)?;
        let copy = KafkaProjection::new_in(self.projection.clone(), shadow.clone(), &self.kafka)
            .await?
            .with_batch(REBUILD_BATCH);
        let replayed = copy.replay(progress).await;
        shadow.close().await;
        let (events, skipped) = replayed?;
        self.swap_in(&schema).await?;
        Ok(RebuildReport {
            events,
            skipped,
            elapsed: started.elapsed(),
        })
    }

    /// Read the topic from its start into this (empty) read model; returns the events applied
    /// and the messages skipped.
    async fn replay(&self, mut progress: impl FnMut(u64, u64)) -> Result<(u64, u64), SourceError> {
        let consumer = self.consumer(&format!("innohub-rebuild-{}", Uuid::now_v7()))?;
        let ends = watermarks(&consumer, &self.topic)?;
        let expected: i64 = ends.values().map(|(low, high)| high - low).sum();
        let expected = expected.max(0) as u64;
        let (mut cursor, starts) = self.cursor(&consumer).await?;
        self.assign(&consumer, &cursor, &starts, &BTreeMap::new())?;
        let (mut events, mut skipped, mut seen) = (0u64, 0u64, 0u64);
        let mut quiet_since = Instant::now();
        let (_never, mut shutdown) = watch::channel(false);
        progress(0, expected);
        loop {
            let mut batch = Vec::with_capacity(self.batch);
            while batch.len() < self.batch {
                let wait = if batch.is_empty() {
                    REBUILD_IDLE
                } else {
                    GATHER
                };
                match tokio::time::timeout(wait, consumer.recv()).await {
                    Ok(Ok(m)) => batch.push(m.detach()),
                    Ok(Err(e)) => return Err(e.into()),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                // Quiet: done if every partition is read up to what the broker now reports.
                let ends = watermarks(&consumer, &self.topic)?;
                let behind = ends.iter().any(|(p, (low, high))| {
                    cursor.positions().get(p).copied().unwrap_or(*low) < *high
                });
                if !behind {
                    return Ok((events, skipped));
                }
                if quiet_since.elapsed() > Duration::from_secs(30) {
                    return Err(SourceError::Stalled);
                }
                continue;
            }
            quiet_since = Instant::now();
            let sorted = cursor.sort(batch.iter().map(|m| (m.partition(), m.offset())));
            let taken: Vec<&OwnedMessage> = sorted.take.iter().map(|i| &batch[*i]).collect();
            seen += taken.len() as u64;
            events += self
                .take(
                    &taken,
                    &sorted.positions,
                    Unusable::Count(&mut skipped),
                    &mut shutdown,
                )
                .await
                .unwrap_or(0);
            cursor.advance(&sorted.positions);
            if !sorted.skips.is_empty() {
                self.rewind(&consumer, &mut cursor, &sorted.skips).await?;
            }
            progress(seen, expected.max(seen));
        }
    }

    /// In one transaction: the rebuilt tables in `schema` replace the live ones, and the
    /// runner's rows of this projection (applied events, offsets, sequences, held events) are
    /// replaced by the rebuild's. The runner's rows go first; then every live table is locked
    /// at once, without waiting behind readers while holding some of them (that would
    /// deadlock with a reader that holds one and waits for another): each try waits at most
    /// [`SWAP_LOCK_WAIT`], gives back what it got, and tries again. Readers wait for the drop
    /// and the move only.
    async fn swap_in(&self, schema: &str) -> Result<(), SourceError> {
        let mut tx = self.views.writer().begin().await?;
        let live: String = sqlx::query_scalar("SELECT current_schema()::text")
            .fetch_one(&mut *tx)
            .await?;
        for table in RUNNER_TABLES {
            sqlx::query(&format!("DELETE FROM {live}.{table} WHERE projection = $1"))
                .bind(self.projection.name())
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!(
                "INSERT INTO {live}.{table} SELECT * FROM {schema}.{table}"
            ))
            .execute(&mut *tx)
            .await?;
        }
        let tables: Vec<String> = self
            .projection
            .tables()
            .iter()
            .map(|t| format!("{live}.{t}"))
            .collect();
        let lock = format!(
            "SET LOCAL lock_timeout = '{}ms'; LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
            SWAP_LOCK_WAIT.as_millis(),
            tables.join(", ")
        );
        let mut tries = 0;
        loop {
            sqlx::raw_sql("SAVEPOINT swap").execute(&mut *tx).await?;
            match sqlx::raw_sql(&lock).execute(&mut *tx).await {
                Ok(_) => break,
                Err(sqlx::Error::Database(e))
                    if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) && tries < SWAP_TRIES =>
                {
                    tries += 1;
                    sqlx::raw_sql("ROLLBACK TO SAVEPOINT swap")
                        .execute(&mut *tx)
                        .await?;
                    tokio::time::sleep(SWAP_LOCK_WAIT).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        for table in self.projection.tables() {
            sqlx::raw_sql(&format!(
                "DROP TABLE {live}.{table}; ALTER TABLE {schema}.{table} SET SCHEMA {live}"
            ))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.held_changed(-self.held.load(Ordering::Relaxed));
        self.count_held().await?;
        Ok(())
    }
}

/// How long one try of the swap waits for the live tables' locks.
const SWAP_LOCK_WAIT: Duration = Duration::from_millis(50);
/// Tries before the swap gives up (about a minute of busy tables).
const SWAP_TRIES: u32 = 600;
/// PostgreSQL's `lock_not_available`, what `lock_timeout` raises.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// The runner's tables, which hold rows of every projection (column `projection`).
const RUNNER_TABLES: [&str; 5] = [
    "applied_events",
    "projection_checkpoints",
    "consumer_offsets",
    "projection_streams",
    "held_events",
];

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
            METRICS.consumer_lag.store(lag, Ordering::Relaxed);
        }
    }
}
