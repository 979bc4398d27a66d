//! The event store: append with an expected version, read a stream, read everything by
//! global position, idempotency keys and the transactional outbox. One implementation over
//! `sqlx::Any` serves SQLite and PostgreSQL; where they differ, [`Backend`] says how.
//!
//! Each event is kept as its contract message's protobuf bytes (BLOB / BYTEA) beside its
//! type name: the store does not care about the format, and the outbox relay publishes the
//! bytes as they are. A store written by the unreleased JSON format (migrations 1001 and
//! 1002) is refused at start-up.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};
use tokio::sync::{mpsc, oneshot, watch};
use uuid::Uuid;

use crate::aggregate::{DecodeError, EncodedEvent};
use crate::db::{Backend, Database, Migrations, Retired};
use crate::metrics::{METRICS, Metrics};
use crate::{ErrorCode, HasErrorCode, MunicipalityId, Principal};

/// Migrations of the event store tables.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/store/sqlite"),
        postgres: sqlx::migrate!("migrations/store/postgres"),
        retired: Retired {
            versions: &[1001, 1002],
            what: "an event store with JSON payloads",
        },
    }
}

/// Why the store refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the stream first.
    #[error("the record was changed concurrently")]
    Conflict,
    /// The idempotency key was already used for a different request.
    #[error("idempotencyKey was already used for a different request")]
    KeyReused,
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored payload could not be read back.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The database holds a format this build does not read.
    #[error(transparent)]
    Retired(#[from] crate::db::RetiredFormat),
    /// The id names a record of another kind (e.g. an umbrella's id given as a process's):
    /// for the caller, the record they asked for does not exist.
    #[error("not found")]
    OtherRecord,
    /// The process is shutting down.
    #[error("the append was interrupted by shutdown")]
    ShuttingDown,
    /// The transaction this append shared with other appends failed (to start, or to
    /// commit): nothing of any of them was written.
    #[error("the shared commit of concurrent appends failed: {0}")]
    CommitFailed(Arc<sqlx::Error>),
}

impl HasErrorCode for StoreError {
    fn code(&self) -> ErrorCode {
        match self {
            StoreError::Conflict => ErrorCode::Conflict,
            StoreError::KeyReused => ErrorCode::BadUserInput,
            StoreError::OtherRecord => ErrorCode::NotFound,
            StoreError::Database(_)
            | StoreError::Corrupt(_)
            | StoreError::Retired(_)
            | StoreError::ShuttingDown
            | StoreError::CommitFailed(_) => ErrorCode::Internal,
        }
    }
}

/// Everything an append needs besides the events. It owns its data: the append's
/// transaction runs in a task of its own (see [`EventStore::append`]).
#[derive(Debug, Clone)]
pub struct AppendRequest {
    /// e.g. `process`.
    pub aggregate_type: &'static str,
    /// The stream.
    pub aggregate_id: String,
    /// The stream's version the events were decided on (0 for a new stream).
    pub expected_version: i64,
    /// The owning municipality, on every envelope.
    pub municipality: MunicipalityId,
    /// Who caused it.
    pub actor: Principal,
    /// Ties together everything one request caused.
    pub correlation_id: Uuid,
    /// The command's idempotency key, if the client sent one.
    pub idempotency_key: Option<String>,
    /// What the command asked for (see [`crate::command::fingerprint`]); a key reused for
    /// a different request is refused.
    pub request: String,
    /// At least one event.
    pub events: Vec<EncodedEvent>,
    /// Further streams appended in the same transaction, each at its own expected version
    /// (a command whose rule spans two records: a grant decision writes the application and
    /// its period's commitments). A lost race on any of them fails the whole append.
    pub also: Vec<StreamAppend>,
}

/// One more stream of an [`AppendRequest`], written with it or not at all.
#[derive(Debug, Clone)]
pub struct StreamAppend {
    /// e.g. `fund_period`.
    pub aggregate_type: &'static str,
    /// The stream.
    pub aggregate_id: String,
    /// The stream's version the events were decided on (0 for a new stream).
    pub expected_version: i64,
    /// The owning municipality, on every envelope.
    pub municipality: MunicipalityId,
    /// At least one event.
    pub events: Vec<EncodedEvent>,
}

impl AppendRequest {
    /// How many events the append writes, over all its streams.
    fn event_count(&self) -> usize {
        self.events.len() + self.also.iter().map(|s| s.events.len()).sum::<usize>()
    }
}

/// What an append wrote; returned again for a retried idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendResult {
    /// The stream written to.
    pub aggregate_id: String,
    /// The stream's version after the append.
    pub version: i64,
    /// The global position of the last event: the consistency token.
    pub position: i64,
}

/// Whether events were appended now or by an earlier try of the same command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Appended by this call.
    Appended(AppendResult),
    /// The idempotency key was seen before: nothing appended, the first result returned.
    Duplicate(AppendResult),
}

impl AppendOutcome {
    /// The result, whichever call wrote it.
    pub fn result(&self) -> &AppendResult {
        match self {
            AppendOutcome::Appended(r) | AppendOutcome::Duplicate(r) => r,
        }
    }
}

/// An event as stored, with its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Global position, strictly increasing in commit order.
    pub position: i64,
    /// UUIDv7.
    pub event_id: Uuid,
    /// Owning municipality.
    pub municipality: String,
    /// e.g. `process`.
    pub aggregate_type: String,
    /// The stream.
    pub aggregate_id: String,
    /// 1-based position in the stream.
    pub sequence: i64,
    /// e.g. `ProcessSubmitted`: the simple name of the contract message in `payload`.
    pub event_type: String,
    /// The contract message, protobuf-encoded.
    pub payload: Vec<u8>,
    /// Who caused it.
    pub actor_user: String,
    /// The actor's own municipality (a partner's comment is stored in the owner's stream).
    pub actor_municipality: String,
    /// When it was appended.
    pub occurred_at: DateTime<Utc>,
    /// The request that caused it.
    pub correlation_id: Uuid,
    /// The event that caused it, if any.
    pub causation_id: Option<Uuid>,
}

impl StoredEvent {
    /// Decode the payload into a domain event, with the domain's checks.
    pub fn decode<E: crate::DomainEvent>(&self) -> Result<E, StoreError> {
        E::decode(&self.event_type, &self.payload).map_err(|e| self.corrupt(e))
    }

    /// Decode the payload as contract message `M`, which must be the stored type.
    pub fn message<M: prost::Message + prost::Name + Default>(&self) -> Result<M, StoreError> {
        if self.event_type != M::NAME {
            return Err(self.corrupt(DecodeError(format!("it is not a {}", M::NAME))));
        }
        crate::aggregate::message(&self.payload).map_err(|e| self.corrupt(e))
    }

    fn corrupt(&self, e: DecodeError) -> StoreError {
        StoreError::Corrupt(format!(
            "event {} ({}) at position {}: {e}",
            self.event_id, self.event_type, self.position
        ))
    }

    pub(crate) fn from_row(row: &AnyRow) -> Result<Self, StoreError> {
        let uuid = |col: &str| -> Result<Uuid, StoreError> {
            let raw: String = row.try_get(col)?;
            Uuid::parse_str(&raw).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
        };
        let occurred_at: String = row.try_get("occurred_at")?;
        let causation_id: Option<String> = row.try_get("causation_id")?;
        Ok(Self {
            position: row.try_get("position")?,
            event_id: uuid("event_id")?,
            municipality: row.try_get("municipality")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            payload: row.try_get("payload")?,
            actor_user: row.try_get("actor_user")?,
            actor_municipality: row.try_get("actor_municipality")?,
            occurred_at: DateTime::parse_from_rfc3339(&occurred_at)
                .map_err(|e| StoreError::Corrupt(format!("occurred_at: {e}")))?
                .with_timezone(&Utc),
            correlation_id: uuid("correlation_id")?,
            causation_id: causation_id
                .map(|c| Uuid::parse_str(&c))
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("causation_id: {e}")))?,
        })
    }
}

pub(crate) const EVENT_COLUMNS: &str = "position, event_id, municipality, aggregate_type, aggregate_id, \
    sequence, event_type, payload, actor_user, actor_municipality, occurred_at, \
    correlation_id, causation_id";

const STREAM_VERSION: &str = "SELECT MAX(sequence) FROM events WHERE aggregate_id = $1";

/// The append lock on PostgreSQL, where appends run concurrently and their positions may
/// commit out of order. Each append holds it SHARED from just before it draws positions to
/// its end, so appends never wait for each other; [`EventStore::read_all`] takes it
/// EXCLUSIVELY for the moment it reads the position sequence (`events_horizon`, migration
/// 1004): every position up to that horizon is then committed or rolled back, and a reader
/// tailing by position never skips a slower transaction's event. Events of one aggregate
/// need no lock: its next event can only be appended once the one before has committed.
const APPEND_LOCK: i64 = 0x1a0_0001;

/// At most this many queued appends share one commit (SQLite).
const GROUP: usize = 64;

/// Appends that may wait for the writer before `append` waits for room (SQLite).
const QUEUE: usize = 1024;

/// The event store of one service.
///
/// On SQLite (one writer) appends queue to one task that commits them in groups: it takes
/// as many as are waiting, up to [`GROUP`], into ONE transaction, each in a savepoint of its
/// own, so concurrent commands share a commit and each still succeeds or fails alone. On
/// PostgreSQL, where writers are concurrent, each append has a transaction of its own.
#[derive(Debug, Clone)]
pub struct EventStore {
    writer: Writer,
    /// SQLite: the queue to the group writer; PostgreSQL: none.
    queue: Option<mpsc::Sender<Queued>>,
}

/// What writes appends, and announces what it committed.
#[derive(Debug, Clone)]
struct Writer {
    db: Database,
    write_outbox: bool,
    head: watch::Sender<i64>,
}

/// An append waiting for the group writer, and where its outcome goes.
#[derive(Debug)]
struct Queued {
    req: AppendRequest,
    traceparent: Option<String>,
    reply: oneshot::Sender<Result<AppendOutcome, StoreError>>,
}

impl EventStore {
    /// Open the store on a database, migrating it; a store in a retired format is refused.
    /// `write_outbox` is on where a relay publishes the events (distributed mode); embedded
    /// mode reads the store directly. On SQLite this starts the group writer, which ends
    /// when the last clone of the store is dropped.
    pub async fn open(db: Database, write_outbox: bool) -> Result<Self, StoreError> {
        db.migrate(&migrations()).await.map_err(|e| match e {
            crate::db::MigrateError::Retired(r) => StoreError::Retired(r),
            crate::db::MigrateError::Migrate(e) => StoreError::Database(e.into()),
        })?;
        let head: Option<i64> = sqlx::query_scalar("SELECT MAX(position) FROM events")
            .fetch_one(db.reader())
            .await?;
        let (head, _) = watch::channel(head.unwrap_or(0));
        let writer = Writer {
            db,
            write_outbox,
            head,
        };
        let queue = (writer.db.backend() == Backend::Sqlite).then(|| {
            let (queue, queued) = mpsc::channel(QUEUE);
            tokio::spawn(writer.clone().commit_in_groups(queued));
            queue
        });
        Ok(Self { writer, queue })
    }

    /// The position of the newest committed event; updated in-process after every commit.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        self.writer.head.subscribe()
    }

    /// The newest committed position as this process knows it.
    pub fn head(&self) -> i64 {
        *self.writer.head.borrow()
    }

    /// Append events at `expected_version`, atomically with their outbox rows and the
    /// idempotency key. A lost race is [`StoreError::Conflict`].
    ///
    /// The transaction runs to its end in a task of its own (SQLite: the group writer), even
    /// if the caller goes away (a client disconnects and its request is dropped): a
    /// transaction dropped midway can leave its pooled connection inside a transaction that
    /// nothing ends (sqlx 0.8 and 0.9 forget a `BEGIN` cancelled before its answer,
    /// github.com/transact-rs/sqlx issue 4393), and the next borrower's statements would run
    /// in it. A retry with the same key finds the result.
    pub async fn append(&self, req: AppendRequest) -> Result<AppendOutcome, StoreError> {
        let traceparent = if self.writer.write_outbox {
            crate::telemetry::current_traceparent()
        } else {
            None
        };
        if let Some(queue) = &self.queue {
            let (reply, outcome) = oneshot::channel();
            let queued = Queued {
                req,
                traceparent,
                reply,
            };
            // Dropped before it is queued, the append never happens; once queued, the
            // writer finishes it whether or not anyone waits for the outcome.
            queue
                .send(queued)
                .await
                .map_err(|_| StoreError::ShuttingDown)?;
            return outcome.await.map_err(|_| StoreError::ShuttingDown)?;
        }
        let writer = self.writer.clone();
        let write = tokio::spawn(tracing::Instrument::in_current_span(async move {
            writer.alone(req, traceparent).await
        }));
        match write.await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(StoreError::ShuttingDown),
        }
    }

    /// The first result of a command retried with the same idempotency key, if any.
    /// The same key with a different `request` is [`StoreError::KeyReused`].
    pub async fn idempotent_result(
        &self,
        actor: &Principal,
        key: &str,
        request: &str,
    ) -> Result<Option<AppendResult>, StoreError> {
        recorded_result(
            self.writer.db.reader(),
            &idempotency_scope(actor),
            key,
            request,
        )
        .await
    }

    /// One aggregate's events, oldest first.
    pub async fn read_stream(&self, aggregate_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE aggregate_id = $1 ORDER BY sequence"
        ))
        .bind(aggregate_id)
        .fetch_all(self.writer.db.reader())
        .await?;
        rows.iter().map(StoredEvent::from_row).collect()
    }

    /// The stream's version: the sequence of its last event, 0 if it does not exist.
    pub async fn stream_version(&self, aggregate_id: &str) -> Result<i64, StoreError> {
        let current: Option<i64> = sqlx::query_scalar(STREAM_VERSION)
            .bind(aggregate_id)
            .fetch_one(self.writer.db.reader())
            .await?;
        Ok(current.unwrap_or(0))
    }

    /// Up to `limit` events after global position `after`, in position order, and none that
    /// an append still in progress could precede: a reader that goes on from the last
    /// position it got never skips an event. (SQLite has one writer, so what is committed is
    /// final; PostgreSQL reads up to the horizon of [`APPEND_LOCK`].)
    pub async fn read_all(&self, after: i64, limit: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let horizon: i64 = match self.writer.db.backend() {
            Backend::Sqlite => i64::MAX,
            Backend::Postgres => {
                sqlx::query_scalar("SELECT events_horizon($1)")
                    .bind(APPEND_LOCK)
                    .fetch_one(self.writer.db.reader())
                    .await?
            }
        };
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2 \
             ORDER BY position LIMIT $3"
        ))
        .bind(after)
        .bind(horizon)
        .bind(limit)
        .fetch_all(self.writer.db.reader())
        .await?;
        rows.iter().map(StoredEvent::from_row).collect()
    }

    /// How many events wait in the outbox.
    pub async fn outbox_len(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(self.writer.db.reader())
            .await?)
    }

    /// The database this store writes to.
    pub fn database(&self) -> &Database {
        &self.writer.db
    }
}

impl Writer {
    /// Take the queued appends as they come, as many at once as are waiting (up to
    /// [`GROUP`]), and commit each group in one transaction; ends when every sender is gone.
    async fn commit_in_groups(self, mut queue: mpsc::Receiver<Queued>) {
        let mut group = Vec::with_capacity(GROUP);
        while queue.recv_many(&mut group, GROUP).await > 0 {
            let outcomes = match self.write_group(&group).await {
                Ok(outcomes) => outcomes,
                Err(e) => {
                    tracing::error!(error = %e, appends = group.len(), "a group of appends did not commit");
                    let e = Arc::new(e);
                    group
                        .iter()
                        .map(|_| Err(StoreError::CommitFailed(e.clone())))
                        .collect()
                }
            };
            let (mut events, mut last) = (0, None);
            for (queued, outcome) in group.iter().zip(&outcomes) {
                if let Ok(AppendOutcome::Appended(result)) = outcome {
                    events += queued.req.event_count();
                    // Positions grow in the order the group was written.
                    last = Some(result.position);
                }
            }
            if let Some(last) = last {
                self.committed(events, last);
            }
            for (queued, outcome) in group.drain(..).zip(outcomes) {
                // The caller may have gone away; what it asked for is done all the same.
                let _ = queued.reply.send(outcome);
            }
        }
    }

    /// One transaction for the whole group, each append in a savepoint of its own: one that
    /// fails (a conflict, a reused key) or is a duplicate rolls back only its savepoint. An
    /// error of the transaction itself (its start, a savepoint, the commit) is `Err`: then
    /// nothing of the group is written.
    ///
    /// An append that writes one row and nothing else (no idempotency key, one event, no
    /// outbox row: every embedded command without a key) needs no savepoint: SQLite undoes a
    /// failed statement by itself and the transaction goes on. Only its conflict is its own;
    /// any other error may have ended the transaction, so it fails the group.
    async fn write_group(
        &self,
        group: &[Queued],
    ) -> Result<Vec<Result<AppendOutcome, StoreError>>, sqlx::Error> {
        let mut tx = self.db.writer().begin().await?;
        let mut outcomes = Vec::with_capacity(group.len());
        for queued in group {
            let req = &queued.req;
            let traceparent = queued.traceparent.as_deref();
            if req.idempotency_key.is_none() && req.event_count() == 1 && !self.write_outbox {
                match self.write(&mut tx, req, traceparent).await {
                    Err(StoreError::Database(e)) => return Err(e),
                    outcome => outcomes.push(outcome),
                }
                continue;
            }
            sqlx::query("SAVEPOINT append").execute(&mut *tx).await?;
            let outcome = self.write(&mut tx, req, traceparent).await;
            if matches!(outcome, Ok(AppendOutcome::Appended(_))) {
                sqlx::query("RELEASE SAVEPOINT append")
                    .execute(&mut *tx)
                    .await?;
            } else {
                // Rolling back to a savepoint keeps it open: release it, so none nest.
                sqlx::query("ROLLBACK TO SAVEPOINT append")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT append")
                    .execute(&mut *tx)
                    .await?;
            }
            outcomes.push(outcome);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// One append in a transaction of its own.
    async fn alone(
        &self,
        req: AppendRequest,
        traceparent: Option<String>,
    ) -> Result<AppendOutcome, StoreError> {
        let mut tx = self.db.writer().begin().await?;
        let outcome = self.write(&mut tx, &req, traceparent.as_deref()).await?;
        match &outcome {
            AppendOutcome::Appended(result) => {
                tx.commit().await.map_err(conflict_on_unique)?;
                self.committed(req.event_count(), result.position);
            }
            AppendOutcome::Duplicate(_) => tx.rollback().await?,
        }
        Ok(outcome)
    }

    /// Count a commit of `events` events and announce `last`, its newest position.
    fn committed(&self, events: usize, last: i64) {
        METRICS
            .appends
            .fetch_add(events as u64, std::sync::atomic::Ordering::Relaxed);
        Metrics::inc(&METRICS.store_commits);
        self.head.send_if_modified(|head| {
            let advanced = last > *head;
            if advanced {
                *head = last;
            }
            advanced
        });
    }

    /// Write one append inside the transaction `conn` is in; commits nothing. A
    /// [`AppendOutcome::Duplicate`] wrote nothing. (An append without a key, of one event,
    /// without outbox, writes one row in one statement: [`Writer::write_group`] counts on it.)
    async fn write(
        &self,
        conn: &mut AnyConnection,
        req: &AppendRequest,
        traceparent: Option<&str>,
    ) -> Result<AppendOutcome, StoreError> {
        let scope = &idempotency_scope(&req.actor);
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        if let Some(key) = req.idempotency_key.as_deref() {
            let claimed = sqlx::query(
                "INSERT INTO idempotency_keys (scope, key, request, result, created_at) \
                 VALUES ($1, $2, $3, '', $4) ON CONFLICT (scope, key) DO NOTHING",
            )
            .bind(scope)
            .bind(key)
            .bind(&req.request)
            .bind(&now)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if claimed == 0 {
                // Read on this connection: the key may be claimed earlier in this transaction.
                let first = recorded_result(&mut *conn, scope, key, &req.request)
                    .await?
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!("idempotency key {key:?} has no result"))
                    })?;
                return Ok(AppendOutcome::Duplicate(first));
            }
        }
        // Shared: appends do not wait for each other, only for a reader's horizon.
        if self.db.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
                .bind(APPEND_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        let common = Common {
            actor: &req.actor,
            correlation_id: req.correlation_id,
            occurred_at: &now,
            traceparent,
        };
        let (version, mut position) = self
            .write_stream(
                conn,
                &common,
                StreamRef {
                    aggregate_type: req.aggregate_type,
                    aggregate_id: &req.aggregate_id,
                    expected_version: req.expected_version,
                    municipality: &req.municipality,
                    events: &req.events,
                },
            )
            .await?;
        for stream in &req.also {
            (_, position) = self
                .write_stream(
                    conn,
                    &common,
                    StreamRef {
                        aggregate_type: stream.aggregate_type,
                        aggregate_id: &stream.aggregate_id,
                        expected_version: stream.expected_version,
                        municipality: &stream.municipality,
                        events: &stream.events,
                    },
                )
                .await?;
        }
        let result = AppendResult {
            aggregate_id: req.aggregate_id.clone(),
            version,
            position,
        };
        if let Some(key) = req.idempotency_key.as_deref() {
            let stored = serde_json::to_string(&result)
                .map_err(|e| StoreError::Corrupt(format!("append result: {e}")))?;
            sqlx::query("UPDATE idempotency_keys SET result = $1 WHERE scope = $2 AND key = $3")
                .bind(stored)
                .bind(scope)
                .bind(key)
                .execute(&mut *conn)
                .await?;
        }
        Ok(AppendOutcome::Appended(result))
    }

    /// Append one stream's events at its expected version, with their outbox rows; the
    /// stream's new version and the last event's position.
    async fn write_stream(
        &self,
        conn: &mut AnyConnection,
        common: &Common<'_>,
        stream: StreamRef<'_>,
    ) -> Result<(i64, i64), StoreError> {
        if stream.expected_version > 0 {
            check_version(conn, stream.aggregate_id, stream.expected_version).await?;
        }
        let mut position = 0;
        let mut version = stream.expected_version;
        for event in stream.events {
            version += 1;
            position = sqlx::query_scalar(
                "INSERT INTO events (event_id, municipality, aggregate_type, aggregate_id, \
                 sequence, event_type, payload, actor_user, actor_municipality, occurred_at, \
                 correlation_id, causation_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL) RETURNING position",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(stream.municipality.as_str())
            .bind(stream.aggregate_type)
            .bind(stream.aggregate_id)
            .bind(version)
            .bind(event.event_type)
            .bind(&event.payload)
            .bind(common.actor.user.as_str())
            .bind(common.actor.municipality.as_str())
            .bind(common.occurred_at)
            .bind(common.correlation_id.to_string())
            .fetch_one(&mut *conn)
            .await
            .map_err(conflict_on_unique)?;
            if self.write_outbox {
                sqlx::query(
                    "INSERT INTO outbox (position, aggregate_id, traceparent) VALUES ($1, $2, $3)",
                )
                .bind(position)
                .bind(stream.aggregate_id)
                .bind(common.traceparent)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok((version, position))
    }
}

/// What every event of one append shares, whichever stream it goes to.
struct Common<'a> {
    actor: &'a Principal,
    correlation_id: Uuid,
    occurred_at: &'a str,
    traceparent: Option<&'a str>,
}

/// One stream of an append, borrowed.
struct StreamRef<'a> {
    aggregate_type: &'static str,
    aggregate_id: &'a str,
    expected_version: i64,
    municipality: &'a MunicipalityId,
    events: &'a [EncodedEvent],
}

/// Idempotency keys are the client's: scope them to the caller so users cannot collide.
fn idempotency_scope(actor: &Principal) -> String {
    format!("{}/{}", actor.municipality, actor.user)
}

/// The first result recorded for idempotency key `key` in `scope`, if any; the same key
/// with a different `request` is [`StoreError::KeyReused`].
async fn recorded_result<'e>(
    db: impl Executor<'e, Database = Any>,
    scope: &str,
    key: &str,
    request: &str,
) -> Result<Option<AppendResult>, StoreError> {
    let row =
        sqlx::query("SELECT request, result FROM idempotency_keys WHERE scope = $1 AND key = $2")
            .bind(scope)
            .bind(key)
            .fetch_optional(db)
            .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let first_request: String = row.try_get("request")?;
    if first_request != request {
        return Err(StoreError::KeyReused);
    }
    let stored: String = row.try_get("result")?;
    if stored.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&stored)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("idempotency result: {e}")))
}

/// The caller decided on `expected`: the stream must be exactly that long.
async fn check_version(
    conn: &mut AnyConnection,
    aggregate_id: &str,
    expected: i64,
) -> Result<(), StoreError> {
    let current: Option<i64> = sqlx::query_scalar(STREAM_VERSION)
        .bind(aggregate_id)
        .fetch_one(&mut *conn)
        .await?;
    if current.unwrap_or(0) == expected {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

fn conflict_on_unique(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Database(e),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::{MunicipalityId, UserId};

    fn new_stream(id: usize) -> anyhow::Result<AppendRequest> {
        let municipality = MunicipalityId::parse("DK-0706").map_err(anyhow::Error::msg)?;
        Ok(AppendRequest {
            aggregate_type: "idea",
            aggregate_id: format!("idea-{id}"),
            expected_version: 0,
            municipality: municipality.clone(),
            actor: Principal {
                user: UserId::parse("alice").map_err(anyhow::Error::msg)?,
                municipality,
                department: None,
                roles: BTreeSet::new(),
            },
            correlation_id: Uuid::now_v7(),
            idempotency_key: None,
            request: "note".to_owned(),
            also: Vec::new(),
            events: vec![EncodedEvent {
                event_type: "Noted",
                payload: vec![1, 2, 3],
            }],
        })
    }

    /// Appends that queue while the writer waits for its one SQLite connection share the
    /// next commit. (The only test in this binary that appends: the commit counter is its.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_share_commits() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("innohub-store-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        let db = Database::connect(&Database::sqlite_url(&dir.join("events.sqlite"))).await?;
        let store = EventStore::open(db.clone(), false).await?;
        let commits_before = METRICS.store_commits.load(Ordering::Relaxed);

        // Hold the writer's only connection until all of them are queued.
        let held = db.writer().acquire().await?;
        let queued = Arc::new(tokio::sync::Barrier::new(GROUP + 1));
        let mut appends = tokio::task::JoinSet::new();
        for i in 0..GROUP {
            let (store, queued, req) = (store.clone(), queued.clone(), new_stream(i)?);
            appends.spawn(async move {
                let mut append = std::pin::pin!(store.append(req));
                let first_poll = futures::poll!(append.as_mut());
                queued.wait().await;
                anyhow::ensure!(first_poll.is_pending(), "appended without the writer");
                append.await.map_err(anyhow::Error::from)
            });
        }
        queued.wait().await;
        drop(held);
        let mut positions = BTreeSet::new();
        while let Some(outcome) = appends.join_next().await {
            match outcome?? {
                AppendOutcome::Appended(result) => positions.insert(result.position),
                duplicate => anyhow::bail!("not appended: {duplicate:?}"),
            };
        }
        let commits = METRICS.store_commits.load(Ordering::Relaxed) - commits_before;
        assert_eq!(positions, (1..=GROUP as i64).collect());
        // The writer took the first one (or more) before it found its connection taken;
        // the rest waited together.
        assert!(
            (1..=2).contains(&commits),
            "{GROUP} appends took {commits} commits"
        );
        assert_eq!(store.head(), GROUP as i64);
        drop(store);
        db.close().await;
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
