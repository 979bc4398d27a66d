//! Read-your-writes: the consistency token a mutation returns (which service's store, and
//! the position of the command's last event in it), and how a query waits (bounded) until
//! the read models include it, in either mode.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use innohub_runtime::Database;
use innohub_runtime::projection::wait_for;
use tokio::sync::watch;

/// How often the distributed gateway looks for the token's event.
const POLL: Duration = Duration::from_millis(10);

/// Where a command's events are: a service's store and a position in it. Clients see it as
/// an opaque string (`processes:41`) and pass it back as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyToken {
    /// The service whose store holds the event, e.g. `processes`.
    pub store: String,
    /// The event's global position in that store.
    pub position: i64,
}

impl fmt::Display for ConsistencyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.store, self.position)
    }
}

impl FromStr for ConsistencyToken {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        let (store, position) = raw.split_once(':').ok_or(())?;
        let valid = !store.is_empty() && store.bytes().all(|b| b.is_ascii_lowercase());
        match (valid, position.parse()) {
            (true, Ok(position)) if position >= 0 => Ok(Self {
                store: store.to_owned(),
                position,
            }),
            _ => Err(()),
        }
    }
}

/// Where to learn how far the read models are.
#[derive(Clone)]
pub enum Consistency {
    /// Embedded: each store's projection runner's progress (the position it committed up to).
    Local(BTreeMap<&'static str, watch::Receiver<i64>>),
    /// Distributed: the read-model database, where the consumers record every event they
    /// applied with its source and position; `projections` names which read models each
    /// store feeds. Events of one aggregate arrive in order, so once the token's event is
    /// applied, everything the same record went through before it is too.
    Applied {
        /// The read models.
        views: Database,
        /// The projections fed by each store.
        projections: BTreeMap<&'static str, Vec<&'static str>>,
    },
}

impl Consistency {
    /// Wait until the event `token` names is in the read models, at most `timeout`.
    /// Returns whether it is; a token of a store no read model reads is at once.
    pub async fn wait(&self, token: &ConsistencyToken, timeout: Duration) -> bool {
        match self {
            Consistency::Local(runners) => match runners.get(token.store.as_str()) {
                Some(progress) => {
                    let mut progress = progress.clone();
                    wait_for(&mut progress, token.position, timeout).await
                }
                None => true,
            },
            Consistency::Applied { .. } if token.position <= 0 => true,
            Consistency::Applied { views, projections } => {
                let Some(expected) = projections.get(token.store.as_str()) else {
                    return true;
                };
                let deadline = tokio::time::Instant::now() + timeout;
                loop {
                    let applied = sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(DISTINCT projection) FROM applied_events \
                         WHERE source = $1 AND position = $2",
                    )
                    .bind(&token.store)
                    .bind(token.position)
                    .fetch_one(views.reader())
                    .await;
                    match applied {
                        Ok(n) if n >= expected.len() as i64 => return true,
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot read the consumers' progress");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_store_and_position() {
        let token = ConsistencyToken {
            store: "processes".into(),
            position: 41,
        };
        assert_eq!(token.to_string(), "processes:41");
        assert_eq!("processes:41".parse(), Ok(token));
        for bad in [
            "41",
            "processes:",
            ":41",
            "processes:-1",
            "Processes:1",
            "soon",
        ] {
            assert!(bad.parse::<ConsistencyToken>().is_err(), "{bad}");
        }
    }
}
