//! Read models fed by events, a batch at a time.
//!
//! A [`Projection`] is handed a whole batch (up to a thousand events) inside ONE transaction:
//! it loads what the batch needs once, folds the events in memory, and writes each of its
//! tables once (multi-row statements, [`crate::sql::Rows`]). The same projection code runs
//! behind both transports and does not know which one fed it:
//!
//! - embedded mode: [`ProjectionRunner`] tails the event store by global position and commits
//!   each batch together with the projection's checkpoint, so a restart resumes exactly where
//!   the last commit ended. Woken by the store's in-process notification; a periodic poll
//!   covers notifications that never come.
//! - distributed mode: [`crate::kafka::source::KafkaProjection`] feeds it from the topic.
//!
//! A projection that cannot apply one event of a batch says which ([`ProjectionError::Refused`]);
//! the feeder applies the batch again without it (the Kafka source dead-letters it), so one bad
//! event never holds the others back.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use tokio::sync::watch;
use uuid::Uuid;

use crate::changes::{ChangeFeed, Changes};
use crate::db::{Database, Migrations, Retired};
use crate::metrics::{METRICS, Metrics};
use crate::{EventStore, StoreError, StoredEvent};

/// Migrations of the runner's own tables in a read-model database.
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/views/sqlite"),
        postgres: sqlx::migrate!("migrations/views/postgres"),
        retired: Retired {
            versions: &[],
            what: "the projection runner's tables",
        },
    }
}

/// Events per batch: per transaction, and per call of [`Projection::apply`].
pub const BATCH: usize = 1_000;
const POLL: Duration = Duration::from_secs(1);

/// Why applying events to a read model failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The read-model database failed.
    #[error("read model database: {0}")]
    Database(#[from] sqlx::Error),
    /// The event could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The read model holds something it cannot understand.
    #[error("read model data: {0}")]
    Corrupt(String),
    /// The projection cannot apply this event: its payload is not the message its type names,
    /// or it contradicts the read model. The batch is applied again without it.
    #[error("event {event} refused: {reason}")]
    Refused {
        /// The event.
        event: Uuid,
        /// Why.
        reason: String,
    },
}

impl ProjectionError {
    /// `event` refused for `reason`.
    pub fn refused(event: &StoredEvent, reason: impl std::fmt::Display) -> Self {
        ProjectionError::Refused {
            event: event.event_id,
            reason: reason.to_string(),
        }
    }
}

/// A read model fed by events. It decodes each event's contract message itself
/// ([`StoredEvent::message`]) and depends on the contracts, never on a service crate.
pub trait Projection: Send + Sync + 'static {
    /// Stable name: the checkpoint's key.
    fn name(&self) -> &'static str;

    /// The service whose events feed it (its store in embedded mode, its topic
    /// `innohub.<service>.events.v1` in distributed mode).
    fn source(&self) -> &'static str;

    /// The read model's tables: a rebuild fills copies of them and swaps them in.
    fn tables(&self) -> &'static [&'static str];

    /// Apply a batch of events, in their order (each aggregate's events in sequence), inside
    /// the batch's transaction: load once what the batch needs, fold in memory, write each
    /// table once. An event it cannot apply is [`ProjectionError::Refused`] with its id.
    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [&'a StoredEvent],
    ) -> impl Future<Output = Result<(), ProjectionError>> + Send + 'a;
}

/// Runs one projection against one store.
pub struct ProjectionRunner<P> {
    projection: Arc<P>,
    store: EventStore,
    views: Database,
    progress: watch::Sender<i64>,
    batch: usize,
    changes: Option<ChangeFeed>,
}

impl<P: Projection> ProjectionRunner<P> {
    /// Prepare the runner: migrates the checkpoint table and reads the checkpoint.
    pub async fn new(
        projection: P,
        store: EventStore,
        views: Database,
    ) -> Result<Self, ProjectionError> {
        views
            .migrate(&migrations())
            .await
            .map_err(|e| ProjectionError::Database(e.into()))?;
        let checkpoint: Option<i64> =
            sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE projection = $1")
                .bind(projection.name())
                .fetch_optional(views.reader())
                .await?;
        let (progress, _) = watch::channel(checkpoint.unwrap_or(0));
        Ok(Self {
            projection: Arc::new(projection),
            store,
            views,
            progress,
            batch: BATCH,
            changes: None,
        })
    }

    /// Apply at most `batch` events per transaction (default [`BATCH`]).
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Announce each committed batch's records on `feed` ([`crate::changes`]).
    pub fn with_changes(mut self, feed: ChangeFeed) -> Self {
        self.changes = Some(feed);
        self
    }

    /// The position up to which the read model is committed.
    pub fn progress(&self) -> watch::Receiver<i64> {
        self.progress.subscribe()
    }

    /// Apply everything the store has now; returns how many events were applied.
    pub async fn catch_up(&self) -> Result<u64, ProjectionError> {
        let mut applied = 0;
        loop {
            let after = *self.progress.borrow();
            let batch = self.store.read_all(after, self.batch as i64).await?;
            let Some(last) = batch.last().map(|e| e.position) else {
                return Ok(applied);
            };
            let mut refused = HashSet::new();
            loop {
                match self.apply(&batch, last, &refused).await {
                    Ok(()) => break,
                    Err(ProjectionError::Refused { event, reason }) if refused.insert(event) => {
                        // The store validated it when it was appended: a bug, not bad input.
                        Metrics::inc(&METRICS.events_refused);
                        tracing::error!(projection = self.projection.name(), %event, reason, "projection refused an event; skipping it");
                    }
                    Err(e) => return Err(e),
                }
            }
            let count = (batch.len() - refused.len()) as u64;
            METRICS
                .events_applied
                .fetch_add(count, std::sync::atomic::Ordering::Relaxed);
            applied += count;
            self.progress.send_replace(last);
        }
    }

    /// Apply `batch` but the `refused` events, and move the checkpoint to `last`, in one
    /// transaction.
    async fn apply(
        &self,
        batch: &[StoredEvent],
        last: i64,
        refused: &HashSet<Uuid>,
    ) -> Result<(), ProjectionError> {
        let events: Vec<&StoredEvent> = batch
            .iter()
            .filter(|e| !refused.contains(&e.event_id))
            .collect();
        let mut tx = self.views.writer().begin().await?;
        let span = tracing::info_span!(
            "project",
            projection = self.projection.name(),
            events = events.len(),
            last
        );
        tracing::Instrument::instrument(self.projection.apply(&mut tx, &events), span).await?;
        sqlx::query(
            "INSERT INTO projection_checkpoints (projection, position) VALUES ($1, $2) \
             ON CONFLICT (projection) DO UPDATE SET position = excluded.position",
        )
        .bind(self.projection.name())
        .bind(last)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        // Announced only while someone listens: without a subscriber it costs nothing.
        if let Some(feed) = self.changes.as_ref().filter(|f| f.receiver_count() > 0)
            && let Some(changes) =
                Changes::of(self.projection.name(), self.projection.source(), &events)
        {
            // The last receiver may have left meanwhile: then no one is told.
            let _ = feed.send(Arc::new(changes));
        }
        Ok(())
    }

    /// Keep the read model current until `shutdown` turns true. Failures are logged and
    /// retried with backoff: a projection never skips an event.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut head = self.store.subscribe();
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.catch_up().await {
                Ok(_) => backoff = Duration::from_millis(100),
                Err(e) => {
                    tracing::error!(projection = self.projection.name(), error = %e, "projection failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    continue;
                }
            }
            tokio::select! {
                _ = head.changed() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }
}

/// Wait until a read model has caught up to `position`, at most `timeout`.
/// Returns whether it did.
pub async fn wait_for(
    progress: &mut watch::Receiver<i64>,
    position: i64,
    timeout: Duration,
) -> bool {
    tokio::time::timeout(timeout, progress.wait_for(|p| *p >= position))
        .await
        .is_ok_and(|r| r.is_ok())
}
