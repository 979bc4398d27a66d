//! The outbox relay: publishes every event a service appended (its outbox row was written in
//! the same transaction) to `innohub.<service>.events.v1`, keyed by aggregate id, as a
//! protobuf [`EventEnvelope`](innohub_proto::innohub::common::v1::EventEnvelope) with
//! `event-type` and `traceparent` headers. Idempotent producer, `acks=all`; a row is deleted
//! only after the broker acknowledged its event, so a crash or an outage republishes (the
//! consumers deduplicate) and never loses.
//!
//! **A pipeline of rounds.** A round is one database transaction: it claims up to [`BATCH`]
//! rows (`FOR UPDATE SKIP LOCKED`, in position order), sends their events, waits for the
//! acknowledgements, deletes the acknowledged rows in one statement and commits, which releases
//! the rest for a later round. While a round waits for the broker the relay claims and sends
//! the next one, up to [`DEPTH`] rounds at once; each round finishes in a task of its own.
//!
//! **Per-aggregate order**, also with several relays on one store (one per service replica):
//! the claim also finds, for every claimed row, the oldest older outbox row of its aggregate
//! that the round does not hold (held by another relay, by an earlier round of this relay still
//! waiting for its acknowledgements, or released by a round whose send failed). A row is sent
//! only if there is none; otherwise it stays in the outbox for a later round. So an aggregate's
//! event never leaves while an older one of it is unacknowledged elsewhere, and a failed send
//! cannot be overtaken by a later round. Within a round an aggregate's events go in position
//! order through one idempotent producer to one partition, which keeps them in order, retries
//! included; should one of them fail, the aggregate's later rows of the round are kept too
//! (even if acknowledged) and sent again after it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use prost::Message as _;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use sqlx::Row as _;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::{KafkaConfig, envelope, events_topic, headers};
use crate::metrics::{METRICS, Metrics};
use crate::sql::array_literal;
use crate::store::EVENT_COLUMNS;
use crate::{Backend, EventStore, StoredEvent};

/// Rows claimed per round.
pub const BATCH: usize = 1_000;
/// Rounds whose acknowledgements may be outstanding at once.
pub const DEPTH: usize = 4;
/// How often the relay looks for rows other replicas appended.
const POLL: Duration = Duration::from_millis(200);
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often the outbox backlog gauge is recounted while the outbox is long.
const BACKLOG_RECOUNT: Duration = Duration::from_secs(5);
/// A round's transaction. The claim is planned for a long outbox, which would make PostgreSQL
/// compile it (JIT) on every round: that costs more than running it.
const BEGIN: &str = "BEGIN; SET LOCAL jit = off";
const DELETE: &str = "DELETE FROM outbox WHERE position = ANY($1::bigint[])";

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
    Kafka(#[from] KafkaError),
    /// A round's task ended without an answer (it panicked).
    #[error("relay round: {0}")]
    Round(String),
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
    claim: String,
}

/// A claimed round whose events are on their way to the broker; it holds its rows (locked by
/// its transaction) until [`Round::finish`].
struct Round {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    /// Each sent event: its position, its aggregate, its delivery.
    deliveries: Vec<(i64, String, DeliveryFuture)>,
    /// Why an event could not even be enqueued (its aggregate's later rows were not sent).
    refused: Option<KafkaError>,
    claimed_at: Instant,
}

/// What a claim did.
struct Claim {
    /// Rows claimed, sent or not.
    rows: usize,
    /// The round to finish, if it sent anything.
    round: Option<Round>,
}

/// What a finished round did.
struct Finished {
    /// Rows deleted: their events are acknowledged.
    deleted: usize,
    /// The first failed delivery, if any.
    failure: Option<KafkaError>,
}

impl OutboxRelay {
    /// A relay for the outbox of `service`'s `store`; creates the producer (no connection
    /// is made yet).
    pub fn new(store: EventStore, kafka: &KafkaConfig, service: &str) -> Result<Self, RelayError> {
        if store.database().backend() != Backend::Postgres {
            return Err(RelayError::NotPostgres);
        }
        let producer = kafka.producer()?;
        let columns: Vec<String> = EVENT_COLUMNS
            .split(',')
            .map(|c| format!("e.{}", c.trim()))
            .collect();
        // `held_from`: per claimed row, the oldest older outbox row of its aggregate that this
        // round does not hold: an index probe of the outbox per row.
        let claim = format!(
            "WITH claimed AS MATERIALIZED ( \
                 SELECT position, aggregate_id, traceparent FROM outbox ORDER BY position \
                 LIMIT $1 FOR UPDATE SKIP LOCKED) \
             SELECT {}, c.traceparent, ( \
                 SELECT MIN(o.position) FROM outbox o \
                 WHERE o.aggregate_id = c.aggregate_id AND o.position < c.position \
                 AND o.position NOT IN (SELECT position FROM claimed)) AS held_from \
             FROM claimed c JOIN events e ON e.position = c.position \
             ORDER BY c.position",
            columns.join(", ")
        );
        Ok(Self {
            topic: events_topic(service),
            store,
            producer,
            kafka: kafka.clone(),
            claim,
        })
    }

    /// Relay until `shutdown` turns true (then finish the rounds in flight): woken by this
    /// process's appends and by finished rounds, polling for other replicas' appends, backing
    /// off while the broker or the database is down.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut appended = self.store.subscribe();
        let mut backoff = MIN_BACKOFF;
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
        let mut rounds: JoinSet<Result<Finished, RelayError>> = JoinSet::new();
        let mut backlog = Backlog::new();
        // Claim as soon as the pipeline has room; off while idle or backing off.
        let mut claim_now = true;
        // The last claim found fewer rows than a batch: the relay has caught up.
        let mut caught_up = false;
        let mut resume: Option<tokio::time::Instant> = None;
        loop {
            let stopping = *shutdown.borrow() || shutdown.has_changed().is_err();
            if stopping && rounds.is_empty() {
                break;
            }
            if claim_now && !stopping && rounds.len() < DEPTH {
                match self.claim().await {
                    Ok(claim) => {
                        caught_up = claim.rows < BATCH;
                        // More rows wait: claim again at once, unless this claim could send
                        // nothing (its rows wait for an earlier round).
                        claim_now = !caught_up && claim.round.is_some();
                        match claim.round {
                            Some(round) => {
                                rounds.spawn(round.finish());
                            }
                            None => {
                                backoff = MIN_BACKOFF;
                                // Idle: the gauge needs a look only if it still counts rows.
                                if rounds.is_empty() && backlog.stale() {
                                    backlog.refresh(&self.store).await;
                                }
                            }
                        }
                    }
                    Err(e) => {
                        resume = Some(Self::failed(&e, &mut backoff));
                        claim_now = false;
                    }
                }
                continue;
            }
            let wake = resume.unwrap_or_else(|| tokio::time::Instant::now() + POLL);
            tokio::select! {
                Some(done) = rounds.join_next() => {
                    let finished = done
                        .map_err(|e| RelayError::Round(e.to_string()))
                        .and_then(|finished| finished);
                    match finished {
                        Ok(Finished { deleted, failure }) => {
                            METRICS
                                .relay_published
                                .fetch_add(deleted as u64, std::sync::atomic::Ordering::Relaxed);
                            backlog.published(deleted);
                            match failure {
                                Some(e) => {
                                    resume = Some(Self::failed(&e.into(), &mut backoff));
                                    claim_now = false;
                                }
                                // Its rows may have held back another round's.
                                None => {
                                    backoff = MIN_BACKOFF;
                                    claim_now = resume.is_none();
                                }
                            }
                        }
                        Err(e) => {
                            resume = Some(Self::failed(&e, &mut backoff));
                            claim_now = false;
                        }
                    }
                    if (caught_up && rounds.is_empty()) || backlog.due() {
                        backlog.refresh(&self.store).await;
                    }
                }
                _ = appended.changed(), if resume.is_none() => claim_now = true,
                _ = tokio::time::sleep_until(wake) => {
                    resume = None;
                    claim_now = true;
                }
                _ = shutdown.changed(), if !stopping => {}
            }
        }
        tracing::info!("outbox relay stopped");
    }

    /// Count a failed round; returns when to try again.
    fn failed(e: &RelayError, backoff: &mut Duration) -> tokio::time::Instant {
        Metrics::inc(&METRICS.relay_failures);
        tracing::warn!(error = %e, retry_in = ?backoff, "outbox relay round failed");
        let resume = tokio::time::Instant::now() + *backoff;
        *backoff = (*backoff * 2).min(MAX_BACKOFF);
        resume
    }

    /// Claim up to a batch of rows and send the events of those whose aggregate has no older
    /// row elsewhere; a round that sent nothing commits (releasing its rows) at once.
    async fn claim(&self) -> Result<Claim, RelayError> {
        let claimed_at = Instant::now();
        let mut tx = self.store.database().writer().begin_with(BEGIN).await?;
        let rows = sqlx::query(&self.claim)
            .bind(BATCH as i64)
            .fetch_all(&mut *tx)
            .await?;
        let mut round = Round {
            tx,
            deliveries: Vec::with_capacity(rows.len()),
            refused: None,
            claimed_at,
        };
        let mut blocked: HashSet<String> = HashSet::new();
        for row in &rows {
            let event = StoredEvent::from_row(row)?;
            let held_from: Option<i64> = row.try_get("held_from")?;
            if held_from.is_some_and(|held| held < event.position)
                || blocked.contains(&event.aggregate_id)
            {
                continue;
            }
            let traceparent: Option<String> = row.try_get("traceparent")?;
            match self.send(&event, traceparent.as_deref()) {
                Ok(delivery) => {
                    round
                        .deliveries
                        .push((event.position, event.aggregate_id, delivery))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot enqueue event");
                    blocked.insert(event.aggregate_id);
                    round.refused.get_or_insert(e);
                }
            }
        }
        if round.deliveries.is_empty() {
            round.tx.commit().await?;
            return match round.refused {
                Some(e) => Err(e.into()),
                None => Ok(Claim {
                    rows: rows.len(),
                    round: None,
                }),
            };
        }
        Ok(Claim {
            rows: rows.len(),
            round: Some(round),
        })
    }

    /// Hand one event to the producer.
    fn send(
        &self,
        event: &StoredEvent,
        traceparent: Option<&str>,
    ) -> Result<DeliveryFuture, KafkaError> {
        let value = envelope(event).encode_to_vec();
        let mut headers = OwnedHeaders::new().insert(Header {
            key: headers::EVENT_TYPE,
            value: Some(event.event_type.as_str()),
        });
        if let Some(traceparent) = traceparent {
            headers = headers.insert(Header {
                key: headers::TRACEPARENT,
                value: Some(traceparent),
            });
        }
        let record = FutureRecord::to(&self.topic)
            .key(event.aggregate_id.as_str())
            .payload(&value)
            .headers(headers);
        self.producer.send_result(record).map_err(|(e, _)| e)
    }
}

impl Round {
    /// Wait for every acknowledgement, delete the acknowledged rows in one statement (except
    /// those of an aggregate whose earlier event in this round failed) and commit, which
    /// releases the rest of the claimed rows.
    async fn finish(mut self) -> Result<Finished, RelayError> {
        let sent = self.deliveries.len();
        let mut acknowledged = Vec::with_capacity(sent);
        let mut failed: HashSet<String> = HashSet::new();
        let mut failure = self.refused.take();
        for (position, aggregate, delivery) in std::mem::take(&mut self.deliveries) {
            let error = match delivery.await {
                Ok(Ok(_)) => None,
                Ok(Err((e, _))) => Some(e),
                Err(_) => Some(KafkaError::Canceled),
            };
            match error {
                None if !failed.contains(&aggregate) => acknowledged.push(position),
                None => {}
                Some(e) => {
                    failed.insert(aggregate);
                    failure.get_or_insert(e);
                }
            }
        }
        let acked_at = Instant::now();
        if !acknowledged.is_empty() {
            sqlx::query(DELETE)
                .bind(array_literal(acknowledged.iter().copied()))
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        tracing::debug!(
            sent,
            deleted = acknowledged.len(),
            acknowledged_after = ?acked_at - self.claimed_at,
            committed_after = ?self.claimed_at.elapsed(),
            "relay round finished"
        );
        Ok(Finished {
            deleted: acknowledged.len(),
            failure,
        })
    }
}

/// The outbox backlog gauge: the outbox counted when the relay has caught up (or every few
/// seconds while it has not), less the rows this relay deleted since.
struct Backlog {
    counted: i64,
    deleted_since: i64,
    counted_at: Option<Instant>,
}

impl Backlog {
    fn new() -> Self {
        Self {
            counted: 0,
            deleted_since: 0,
            counted_at: None,
        }
    }

    /// Counting a long outbox costs more than a round: while the relay is busy, recount only
    /// every few seconds.
    fn due(&self) -> bool {
        self.counted_at
            .is_none_or(|at| at.elapsed() > BACKLOG_RECOUNT)
    }

    fn published(&mut self, deleted: usize) {
        self.deleted_since += deleted as i64;
        self.show();
    }

    /// The gauge may be wrong: it counts rows, or its count is old.
    fn stale(&self) -> bool {
        self.counted - self.deleted_since > 0 || self.due()
    }

    async fn refresh(&mut self, store: &EventStore) {
        match store.outbox_len().await {
            Ok(counted) => {
                self.counted = counted;
                self.deleted_since = 0;
                self.counted_at = Some(Instant::now());
                self.show();
            }
            Err(e) => tracing::warn!(error = %e, "cannot count the outbox"),
        }
    }

    fn show(&self) {
        METRICS.outbox_backlog.store(
            (self.counted - self.deleted_since).max(0),
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}
