//! Read-your-writes: how a query waits (bounded) until the read models include a mutation's
//! consistency token, in either mode.

use std::time::Duration;

use innohub_processes::ProcessesCodec;
use innohub_projections::ProcessViews;
use innohub_runtime::Database;
use innohub_runtime::kafka::EventCodec as _;
use innohub_runtime::projection::Projection as _;
use innohub_runtime::projection::wait_for;
use tokio::sync::watch;

/// How often the distributed gateway looks for the token's event.
const POLL: Duration = Duration::from_millis(10);

/// Where to learn how far the read models are.
#[derive(Clone)]
pub enum Consistency {
    /// Embedded: the runner's progress (the store position it committed up to).
    Local(watch::Receiver<i64>),
    /// Distributed: the read-model database, where the consumer records every event it
    /// applied. Events of one aggregate arrive in order, so once the token's event is
    /// applied, everything the same record went through before it is too.
    Applied(Database),
}

impl Consistency {
    /// Wait until the event at `position` is in the read models, at most `timeout`.
    /// Returns whether it is.
    pub async fn wait(&self, position: i64, timeout: Duration) -> bool {
        match self {
            Consistency::Local(progress) => {
                let mut progress = progress.clone();
                wait_for(&mut progress, position, timeout).await
            }
            Consistency::Applied(_) if position <= 0 => true,
            Consistency::Applied(views) => {
                let deadline = tokio::time::Instant::now() + timeout;
                loop {
                    let applied = sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM applied_events \
                         WHERE projection = $1 AND source = $2 AND position = $3",
                    )
                    // Tokens are the processes service's positions, applied to its views.
                    .bind(ProcessViews.name())
                    .bind(ProcessesCodec.service())
                    .bind(position)
                    .fetch_one(views.reader())
                    .await;
                    match applied {
                        Ok(n) if n > 0 => return true,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read the consumer's progress");
                            return false;
                        }
                    }
                    if tokio::time::Instant::now() + POLL > deadline {
                        return false;
                    }
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    }
}
