//! Read-your-writes: the consistency token a mutation returns (for each service's store it
//! wrote to, the position of the command's last event in it), and how a query waits
//! (bounded) until the read models include it, in either mode.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use innohub_runtime::Database;
use innohub_runtime::projection::wait_for;
use innohub_runtime::sql::array_literal;
use tokio::sync::{Notify, oneshot, watch};

/// How often the distributed gateway looks for the waited-for events while any query waits.
const POLL: Duration = Duration::from_millis(10);
/// How often the idle look-out checks that the gateway still runs.
const IDLE_CHECK: Duration = Duration::from_secs(5);
/// Most stores one token names (a command writes to one or two).
const MAX_STORES: usize = 8;

/// Where a command's events are: for each service's store it wrote to, the position of the
/// command's last event in it. Clients see it as an opaque string and pass it back as it is:
/// `processes:41` for one store; `ideas:12,processes:40` for a command that wrote to two
/// (each `<store>:<position>`, by store, comma-separated). A query waits for each store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyToken {
    /// The position in each store, by store name (e.g. `processes`); never empty.
    positions: BTreeMap<String, i64>,
}

impl ConsistencyToken {
    /// The token of one store, e.g. `processes`, at `position`.
    pub fn at(store: impl Into<String>, position: i64) -> Self {
        Self {
            positions: BTreeMap::from([(store.into(), position)]),
        }
    }

    /// One token covering this one and `other`: the later position of a store both name.
    #[must_use]
    pub fn and(mut self, other: ConsistencyToken) -> Self {
        for (store, position) in other.positions {
            self.include(store, position);
        }
        self
    }

    /// The stores and the positions in them, by store.
    pub fn positions(&self) -> impl Iterator<Item = (&str, i64)> {
        self.positions.iter().map(|(s, p)| (s.as_str(), *p))
    }

    /// Take `position` of `store` in: waiting for the later event of a store includes the
    /// earlier.
    fn include(&mut self, store: String, position: i64) {
        let at = self.positions.entry(store).or_insert(position);
        *at = (*at).max(position);
    }
}

impl fmt::Display for ConsistencyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (store, position)) in self.positions.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            write!(f, "{comma}{store}:{position}")?;
        }
        Ok(())
    }
}

impl FromStr for ConsistencyToken {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        let mut positions = BTreeMap::new();
        if raw.split(',').count() > MAX_STORES {
            return Err(());
        }
        for part in raw.split(',') {
            let (store, position) = part.split_once(':').ok_or(())?;
            let valid = !store.is_empty() && store.bytes().all(|b| b.is_ascii_lowercase());
            match (valid, position.parse::<i64>()) {
                (true, Ok(position)) if position >= 0 => {
                    // A store named twice is malformed: the gateway never writes it.
                    if positions.insert(store.to_owned(), position).is_some() {
                        return Err(());
                    }
                }
                _ => return Err(()),
            }
        }
        Ok(Self { positions })
    }
}

/// Where to learn how far the read models are.
#[derive(Clone)]
pub enum Consistency {
    /// Embedded: the progress (the position committed up to) of the projection runners that
    /// each store feeds.
    Local(BTreeMap<&'static str, Vec<watch::Receiver<i64>>>),
    /// Distributed: the read-model database, where the consumers record every event they
    /// applied with its source and position.
    Applied(Arc<Applied>),
}

impl Consistency {
    /// Distributed: wait on `views`, where `projections` names which read models each store
    /// feeds. Starts the task that looks for every waiting token at once.
    pub fn applied(
        views: Database,
        projections: BTreeMap<&'static str, Vec<&'static str>>,
    ) -> Self {
        let applied = Arc::new(Applied {
            views,
            projections,
            waiting: Mutex::default(),
            wake: Notify::new(),
        });
        tokio::spawn(look_for_waiting(Arc::downgrade(&applied)));
        Consistency::Applied(applied)
    }

    /// Wait until the events `token` names (one per store) are in the read models, at most
    /// `timeout`. Returns whether they are; a store no read model reads is at once.
    pub async fn wait(&self, token: &ConsistencyToken, timeout: Duration) -> bool {
        let waits = token
            .positions()
            .map(|(store, position)| self.wait_for(store, position, timeout));
        futures::future::join_all(waits)
            .await
            .into_iter()
            .all(|caught_up| caught_up)
    }

    /// Wait until the event at `position` of `store` is in the read models it feeds, at most
    /// `timeout`.
    async fn wait_for(&self, store: &str, position: i64, timeout: Duration) -> bool {
        match self {
            Consistency::Local(runners) => {
                let Some(progress) = runners.get(store) else {
                    return true;
                };
                let waits = progress.iter().map(|progress| {
                    let mut progress = progress.clone();
                    async move { wait_for(&mut progress, position, timeout).await }
                });
                futures::future::join_all(waits)
                    .await
                    .into_iter()
                    .all(|caught_up| caught_up)
            }
            Consistency::Applied(_) if position <= 0 => true,
            Consistency::Applied(applied) => {
                let Some((store, _)) = applied.projections.get_key_value(store) else {
                    return true;
                };
                let (found, seen) = oneshot::channel();
                applied.lock().push(Waiter {
                    store,
                    position,
                    found,
                });
                applied.wake.notify_one();
                matches!(tokio::time::timeout(timeout, seen).await, Ok(Ok(())))
            }
        }
    }
}

/// Distributed read-your-writes: the consumers record every event they applied, with its
/// source and position, in `applied_events`. Events of one aggregate arrive in order, so once
/// the token's event is applied, everything the same record went through before it is too.
///
/// Waiting queries do not each poll the database: they queue here, and one task looks for
/// all of them in one statement per store every [`POLL`] while any wait (under load, hundreds
/// of queries wait at once, and polling each would keep the database busy that the consumers
/// need to catch up).
pub struct Applied {
    views: Database,
    /// The projections fed by each store.
    projections: BTreeMap<&'static str, Vec<&'static str>>,
    waiting: Mutex<Vec<Waiter>>,
    /// Rung when a query starts waiting.
    wake: Notify,
}

/// A query waiting for an event.
struct Waiter {
    store: &'static str,
    position: i64,
    /// Told when the event is in every read model its store feeds; dropped by a query that
    /// gave up.
    found: oneshot::Sender<()>,
}

impl Applied {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Waiter>> {
        // A panic while the list is held leaves it whole: every step is a push or a retain.
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One round: which waited-for events every read model of their store has applied; tell
    /// their waiters, and forget the waiters that gave up. Returns whether any still wait.
    async fn look(&self) -> bool {
        let wanted: BTreeMap<&'static str, BTreeSet<i64>> = {
            let mut waiting = self.lock();
            waiting.retain(|w| !w.found.is_closed());
            waiting.iter().fold(BTreeMap::new(), |mut wanted, w| {
                wanted.entry(w.store).or_default().insert(w.position);
                wanted
            })
        };
        for (store, positions) in wanted {
            let expected = self.projections.get(store).map_or(0, Vec::len) as i64;
            // Each waited-for position is probed through the (source, position) index, so
            // the cost follows the waiters, not the table or its statistics.
            let found = sqlx::query_scalar::<_, i64>(
                "SELECT w.position FROM unnest($2::bigint[]) AS w(position) \
                 WHERE (SELECT COUNT(DISTINCT a.projection) FROM applied_events a \
                        WHERE a.source = $1 AND a.position = w.position) >= $3",
            )
            .bind(store)
            .bind(array_literal(positions))
            .bind(expected)
            .fetch_all(self.views.reader())
            .await;
            let applied: HashSet<i64> = match found {
                Ok(found) => found.into_iter().collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the consumers' progress");
                    continue;
                }
            };
            let mut waiting = self.lock();
            for waiter in std::mem::take(&mut *waiting) {
                if waiter.store == store && applied.contains(&waiter.position) {
                    let _ = waiter.found.send(());
                } else {
                    waiting.push(waiter);
                }
            }
        }
        !self.lock().is_empty()
    }
}

/// Look for the waiting tokens every [`POLL`] while any wait, sleep while none does; ends
/// with the gateway (when the last [`Consistency`] is dropped).
async fn look_for_waiting(applied: Weak<Applied>) {
    while let Some(applied) = applied.upgrade() {
        if applied.look().await {
            tokio::time::sleep(POLL).await;
        } else {
            // Idle: wake for the next waiter, or now and then to see whether the gateway is
            // gone (this task must not keep its state alive).
            let _ = tokio::time::timeout(IDLE_CHECK, applied.wake.notified()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_store_and_position() {
        let token = ConsistencyToken::at("processes", 41);
        assert_eq!(token.to_string(), "processes:41");
        assert_eq!("processes:41".parse(), Ok(token));
        for bad in [
            "41",
            "processes:",
            ":41",
            "processes:-1",
            "Processes:1",
            "soon",
            "",
            "ideas:12,",
            ",ideas:12",
            "ideas:12;processes:40",
            "ideas:12,processes",
            "ideas:12,ideas:13",
        ] {
            assert!(bad.parse::<ConsistencyToken>().is_err(), "{bad}");
        }
    }

    #[test]
    fn one_token_names_several_stores() {
        let both = ConsistencyToken::at("processes", 40).and(ConsistencyToken::at("ideas", 12));
        assert_eq!(both.to_string(), "ideas:12,processes:40");
        assert_eq!("ideas:12,processes:40".parse(), Ok(both.clone()));
        assert_eq!("processes:40,ideas:12".parse(), Ok(both.clone()));
        assert_eq!(
            both.positions().collect::<Vec<_>>(),
            [("ideas", 12), ("processes", 40)]
        );
        let later = both.and(ConsistencyToken::at("ideas", 15));
        assert_eq!(later.to_string(), "ideas:15,processes:40");
        let earlier = later.and(ConsistencyToken::at("processes", 3));
        assert_eq!(earlier.to_string(), "ideas:15,processes:40");
    }

    #[tokio::test]
    async fn a_query_waits_for_every_store_its_token_names() {
        let (ideas, ideas_progress) = watch::channel(0_i64);
        let (processes, processes_progress) = watch::channel(0_i64);
        let consistency = Consistency::Local(BTreeMap::from([
            ("ideas", vec![ideas_progress]),
            ("processes", vec![processes_progress]),
        ]));
        let token: ConsistencyToken = "ideas:12,processes:40".parse().expect("token");
        let short = Duration::from_millis(20);
        assert!(!consistency.wait(&token, short).await, "neither is there");
        ideas.send_replace(12);
        assert!(!consistency.wait(&token, short).await, "processes is not");
        processes.send_replace(40);
        assert!(consistency.wait(&token, short).await, "both are");
        let elsewhere = ConsistencyToken::at("pilots", 7).and(ConsistencyToken::at("ideas", 12));
        assert!(
            consistency.wait(&elsewhere, short).await,
            "a store no read model reads is at once"
        );
    }
}
