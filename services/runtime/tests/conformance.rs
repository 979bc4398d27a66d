//! One conformance suite for the event store, command handling and projection runner, run
//! against every storage engine: each scenario is a generic function over [`Engine`],
//! instantiated once for SQLite and once for PostgreSQL at the bottom of this file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use innohub_runtime::StreamAppend;
use innohub_runtime::changes::{self, Changes};
use innohub_runtime::command::{CommandContext, CommandError, execute, execute_pair, load};
use innohub_runtime::projection::{Projection, ProjectionError, ProjectionRunner, wait_for};
use innohub_runtime::sql::Rows;
use innohub_runtime::store::AppendRequest;
use innohub_runtime::{
    Aggregate, AppendOutcome, AppendResult, Backend, Database, DomainEvent as _, EncodedEvent,
    EventStore, MunicipalityId, Principal, StoreError, StoredEvent,
};
use sqlx::AnyConnection;
use tokio::sync::broadcast;
use tokio::task::JoinSet;
use uuid::Uuid;

use support::counter::{Counter, CounterEvent, ForeignCounter, Increment};
use support::{Engine, municipality, principal};

/// How long a test waits for a projection before it fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// The request fingerprint of every [`request`].
const NOTED: &str = "note";

/// `n` events `Noted {"n": first..first+n}` on `aggregate_id` at `expected_version`. The
/// store keeps whatever bytes it is given; these are JSON.
fn request(
    aggregate_id: &str,
    expected_version: i64,
    owner: &MunicipalityId,
    actor: &Principal,
    idempotency_key: Option<&str>,
    first: usize,
    n: usize,
) -> AppendRequest {
    AppendRequest {
        aggregate_type: "idea",
        aggregate_id: aggregate_id.to_owned(),
        expected_version,
        municipality: owner.clone(),
        actor: actor.clone(),
        correlation_id: Uuid::now_v7(),
        idempotency_key: idempotency_key.map(str::to_owned),
        request: NOTED.to_owned(),
        also: Vec::new(),
        events: (first..first + n)
            .map(|i| EncodedEvent {
                event_type: "Noted",
                payload: format!(r#"{{"n":{i}}}"#).into_bytes(),
            })
            .collect(),
    }
}

fn appended(outcome: AppendOutcome) -> AppendResult {
    match outcome {
        AppendOutcome::Appended(result) => result,
        AppendOutcome::Duplicate(result) => panic!("expected an append, got duplicate {result:?}"),
    }
}

fn positions(events: &[StoredEvent]) -> Vec<i64> {
    events.iter().map(|e| e.position).collect()
}

fn assert_strictly_increasing(positions: &[i64]) {
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions are not strictly increasing: {positions:?}"
    );
}

async fn everything(store: &EventStore) -> anyhow::Result<Vec<StoredEvent>> {
    Ok(store.read_all(0, i64::MAX).await?)
}

// ---------------------------------------------------------------------------------------
// a. append, then read a stream and everything
// ---------------------------------------------------------------------------------------

async fn append_then_read<E: Engine>(engine: E) -> anyhow::Result<()> {
    let db = engine.fresh().await?;
    let store = EventStore::open(db.clone(), false).await?;
    assert_eq!(store.head(), 0);
    let mut head = store.subscribe();
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");
    let partner = principal("bob", "SE-1283");

    let before = Utc::now();
    let first = request("idea-1", 0, &owner, &alice, None, 0, 3);
    let first_correlation = first.correlation_id;
    let r1 = appended(store.append(first).await?);
    let r2 = appended(
        store
            .append(request("idea-2", 0, &owner, &alice, None, 100, 2))
            .await?,
    );
    let third = request("idea-1", 3, &owner, &partner, None, 3, 2);
    let third_correlation = third.correlation_id;
    let r3 = appended(store.append(third).await?);
    let after = Utc::now();
    assert_eq!((r1.aggregate_id.as_str(), r1.version), ("idea-1", 3));
    assert_eq!((r2.aggregate_id.as_str(), r2.version), ("idea-2", 2));
    assert_eq!((r3.aggregate_id.as_str(), r3.version), ("idea-1", 5));

    let stream = store.read_stream("idea-1").await?;
    assert_eq!(
        stream.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_strictly_increasing(&positions(&stream));
    for (i, event) in stream.iter().enumerate() {
        let (actor, correlation) = if i < 3 {
            (&alice, first_correlation)
        } else {
            (&partner, third_correlation)
        };
        assert_eq!(event.payload, format!(r#"{{"n":{i}}}"#).into_bytes());
        assert_eq!(
            event.municipality, "DK-0706",
            "the owner's, not the actor's"
        );
        assert_eq!(event.aggregate_type, "idea");
        assert_eq!(event.aggregate_id, "idea-1");
        assert_eq!(event.event_type, "Noted");
        assert_eq!(event.actor_user, actor.user.as_str());
        assert_eq!(event.actor_municipality, actor.municipality.as_str());
        assert_eq!(event.correlation_id, correlation);
        assert_eq!(event.causation_id, None);
        // Stored with microsecond precision.
        assert!(
            event.occurred_at >= before - chrono::Duration::milliseconds(1)
                && event.occurred_at <= after,
            "occurred_at {} not between {before} and {after}",
            event.occurred_at
        );
        assert_eq!(event.event_id.get_version_num(), 7, "event ids are UUIDv7");
        let decoded: serde_json::Value = serde_json::from_slice(&event.payload)?;
        assert_eq!(decoded["n"], i);
    }
    assert_eq!(r1.position, stream[2].position);
    assert_eq!(r3.position, stream[4].position);
    assert!(store.read_stream("idea-404").await?.is_empty());
    assert_eq!(store.stream_version("idea-1").await?, 5);
    assert_eq!(store.stream_version("idea-2").await?, 2);
    assert_eq!(store.stream_version("idea-404").await?, 0);

    let all = everything(&store).await?;
    assert_eq!(all.len(), 7);
    assert_strictly_increasing(&positions(&all));
    assert_eq!(
        all.iter()
            .map(|e| (e.aggregate_id.as_str(), e.sequence))
            .collect::<Vec<_>>(),
        vec![
            ("idea-1", 1),
            ("idea-1", 2),
            ("idea-1", 3),
            ("idea-2", 1),
            ("idea-2", 2),
            ("idea-1", 4),
            ("idea-1", 5)
        ]
    );
    assert_eq!(r2.position, all[4].position);
    let ids: HashSet<Uuid> = all.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), all.len(), "event ids are unique");

    // `after` is exclusive, `limit` caps the page.
    assert_eq!(
        store.read_all(all[1].position, 3).await?,
        all[2..5].to_vec()
    );
    assert_eq!(
        store.read_all(all[4].position, 100).await?,
        all[5..].to_vec()
    );
    assert_eq!(store.read_all(0, 1).await?, all[..1].to_vec());
    assert!(store.read_all(all[6].position, 100).await?.is_empty());
    assert!(store.read_all(0, 0).await?.is_empty());

    // The head follows appends in-process and is restored on open.
    assert_eq!(store.head(), r3.position);
    assert!(head.has_changed()?);
    assert_eq!(*head.borrow_and_update(), r3.position);
    let reopened = EventStore::open(db, false).await?;
    assert_eq!(reopened.head(), r3.position);
    assert_eq!(everything(&reopened).await?, all);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// b. optimistic concurrency
// ---------------------------------------------------------------------------------------

async fn wrong_expected_version_conflicts<E: Engine>(engine: E) -> anyhow::Result<()> {
    let store = EventStore::open(engine.fresh().await?, false).await?;
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");
    let r = appended(
        store
            .append(request("idea-1", 0, &owner, &alice, None, 0, 2))
            .await?,
    );
    assert_eq!(r.version, 2);
    let before = everything(&store).await?;

    // Stale (the stream moved on), new-stream on an existing one, and ahead of the stream.
    for expected in [1, 0, 3, 10] {
        let outcome = store
            .append(request("idea-1", expected, &owner, &alice, None, 50, 3))
            .await;
        assert!(
            matches!(outcome, Err(StoreError::Conflict)),
            "expected_version {expected} on a stream at 2 gave {outcome:?}"
        );
        assert_eq!(everything(&store).await?, before, "nothing appended");
        assert_eq!(store.head(), r.position);
    }
    // A new stream must start at 0.
    let outcome = store
        .append(request("idea-2", 1, &owner, &alice, None, 0, 1))
        .await;
    assert!(matches!(outcome, Err(StoreError::Conflict)), "{outcome:?}");
    assert!(store.read_stream("idea-2").await?.is_empty());

    // The right version still works after all those failures.
    let r = appended(
        store
            .append(request("idea-1", 2, &owner, &alice, None, 2, 1))
            .await?,
    );
    assert_eq!(r.version, 3);
    assert_eq!(
        store
            .read_stream("idea-1")
            .await?
            .iter()
            .map(|e| e.sequence)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    Ok(())
}

/// An append over two streams ([`AppendRequest::also`]) writes both or neither: a stale
/// version on the second stream fails the first too.
async fn an_append_over_two_streams_writes_both_or_neither<E: Engine>(
    engine: E,
) -> anyhow::Result<()> {
    let store = EventStore::open(engine.fresh().await?, true).await?;
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");
    let also = |id: &str, expected_version: i64| {
        let second = request(id, expected_version, &owner, &alice, None, 100, 2);
        StreamAppend {
            aggregate_type: second.aggregate_type,
            aggregate_id: second.aggregate_id,
            expected_version,
            municipality: second.municipality,
            events: second.events,
        }
    };
    let mut both = request("idea-1", 0, &owner, &alice, None, 0, 1);
    both.also = vec![also("idea-2", 0)];
    let r = appended(store.append(both).await?);
    assert_eq!((r.aggregate_id.as_str(), r.version), ("idea-1", 1));
    let all = everything(&store).await?;
    assert_eq!(
        positions(&all),
        vec![1, 2, 3],
        "one event, then the second stream's two"
    );
    assert_eq!(store.read_stream("idea-2").await?.len(), 2);
    assert_eq!(
        store.outbox_len().await?,
        3,
        "every stream's events reach the outbox"
    );
    assert_eq!(store.head(), r.position);
    assert_eq!(r.position, 3, "the position of the append's last event");

    // The first stream is right, the second stale: nothing of either.
    let mut stale = request("idea-1", 1, &owner, &alice, None, 1, 1);
    stale.also = vec![also("idea-2", 1)];
    let outcome = store.append(stale).await;
    assert!(matches!(outcome, Err(StoreError::Conflict)), "{outcome:?}");
    assert_eq!(everything(&store).await?, all, "nothing appended");
    assert_eq!(store.outbox_len().await?, 3);
    Ok(())
}

/// A rule over two records, kept under concurrency by [`execute_pair`]: writers each add to
/// their own counter and to a shared total that must never pass [`PAIR_LIMIT`]. Every
/// writer's counter and the total are appended together, so the total equals the sum of the
/// writers' counters and stops exactly at the limit.
async fn a_rule_over_two_records_holds_under_concurrency<E: Engine>(
    engine: E,
) -> anyhow::Result<()> {
    const PAIR_LIMIT: i64 = 40;
    const WRITERS: u32 = 16;
    const TRIES: u32 = 4;
    let store = EventStore::open(engine.fresh().await?, false).await?;
    let owner = municipality("DK-0706");
    let mut writers = JoinSet::new();
    for writer in 0..WRITERS {
        let (store, owner) = (store.clone(), owner.clone());
        writers.spawn(async move {
            let actor = principal(&format!("writer-{writer}"), "DK-0706");
            let (mut added, mut refused) = (0, 0);
            for command in 0..TRIES {
                loop {
                    let ctx = CommandContext {
                        principal: &actor,
                        idempotency_key: None,
                        correlation_id: Uuid::now_v7(),
                        request: "add",
                    };
                    let mine = format!("counter-{writer}");
                    let outcome = execute_pair::<Counter, Counter, _>(
                        &store,
                        (&mine, "total"),
                        ctx,
                        |_, total| {
                            if total.count >= PAIR_LIMIT {
                                return Err(ForeignCounter);
                            }
                            let add = Increment {
                                municipality: owner.clone(),
                                writer,
                                command,
                            };
                            Ok((Counter::default().decide(add.clone())?, total.decide(add)?))
                        },
                    )
                    .await;
                    match outcome {
                        Ok(executed) => {
                            anyhow::ensure!(executed.state.1.count <= PAIR_LIMIT);
                            added += 1;
                            break;
                        }
                        Err(CommandError::Domain(ForeignCounter)) => {
                            refused += 1;
                            break;
                        }
                        Err(CommandError::Store(StoreError::Conflict)) => continue,
                        Err(other) => anyhow::bail!("writer {writer}: {other:?}"),
                    }
                }
            }
            anyhow::Ok((added, refused))
        });
    }
    let (mut added, mut refused) = (0, 0);
    while let Some(outcome) = writers.join_next().await {
        let (a, r) = outcome??;
        (added, refused) = (added + a, refused + r);
    }
    assert_eq!(added, PAIR_LIMIT, "exactly the limit was added");
    assert_eq!(added + refused, i64::from(WRITERS * TRIES));
    let (total, _) = load::<Counter>(&store, "total").await?;
    let mut sum = 0;
    for writer in 0..WRITERS {
        sum += load::<Counter>(&store, &format!("counter-{writer}"))
            .await?
            .0
            .count;
    }
    assert_eq!((total.count, sum), (PAIR_LIMIT, PAIR_LIMIT));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// c. idempotency keys
// ---------------------------------------------------------------------------------------

async fn idempotency_key_appends_once<E: Engine>(engine: E) -> anyhow::Result<()> {
    let store = EventStore::open(engine.fresh().await?, false).await?;
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");
    let bob = principal("bob", "DK-0706");
    let alice_elsewhere = principal("alice", "SE-1283");

    let first = appended(
        store
            .append(request("idea-1", 0, &owner, &alice, Some("key-1"), 0, 2))
            .await?,
    );
    assert_eq!(
        store.idempotent_result(&alice, "key-1", NOTED).await?,
        Some(first.clone())
    );
    // The retry is recognised whatever it carries, even a version that would conflict.
    for expected in [0, 2] {
        let again = store
            .append(request(
                "idea-1",
                expected,
                &owner,
                &alice,
                Some("key-1"),
                7,
                1,
            ))
            .await?;
        assert_eq!(again, AppendOutcome::Duplicate(first.clone()));
    }
    assert_eq!(
        everything(&store).await?.len(),
        2,
        "the retry appended nothing"
    );

    // Keys belong to the caller: the same key from another user (or the same user name in
    // another municipality) is a different command.
    assert_eq!(store.idempotent_result(&bob, "key-1", NOTED).await?, None);
    let bobs = appended(
        store
            .append(request("idea-1", 2, &owner, &bob, Some("key-1"), 2, 1))
            .await?,
    );
    assert_eq!(bobs.version, 3);
    let elsewhere = appended(
        store
            .append(request(
                "idea-1",
                3,
                &owner,
                &alice_elsewhere,
                Some("key-1"),
                3,
                1,
            ))
            .await?,
    );
    assert_eq!(elsewhere.version, 4);
    assert_eq!(everything(&store).await?.len(), 4);
    assert_eq!(
        store.idempotent_result(&alice, "key-1", NOTED).await?,
        Some(first)
    );

    // Through command handling: the retry is reported as replayed, with the first result.
    let context = |request| CommandContext {
        principal: &alice,
        idempotency_key: Some("key-2"),
        correlation_id: Uuid::now_v7(),
        request,
    };
    let increment = |writer| {
        let owner = owner.clone();
        move |state: &Counter| {
            state.decide(Increment {
                municipality: owner.clone(),
                writer,
                command: 0,
            })
        }
    };
    let once =
        execute::<Counter, _>(&store, "counter-1", context("increment"), increment(1)).await?;
    assert!(!once.replayed);
    let twice =
        execute::<Counter, _>(&store, "counter-1", context("increment"), increment(2)).await?;
    assert!(twice.replayed);
    assert_eq!(twice.result, once.result);
    assert_eq!(twice.state.count, 1);
    assert_eq!(store.read_stream("counter-1").await?.len(), 1);

    // The same key for a different request is the client's mistake, and changes nothing.
    let reused = execute::<Counter, _>(
        &store,
        "counter-2",
        context("increment twice"),
        increment(3),
    )
    .await;
    assert!(
        matches!(reused, Err(CommandError::Store(StoreError::KeyReused))),
        "got {reused:?}"
    );
    let mut reused_request = request("idea-1", 4, &owner, &alice, Some("key-1"), 9, 1);
    reused_request.request = "something else".to_owned();
    assert!(matches!(
        store.append(reused_request).await,
        Err(StoreError::KeyReused)
    ));
    assert_eq!(store.read_stream("counter-2").await?.len(), 0);
    assert_eq!(everything(&store).await?.len(), 5);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// d. the transactional outbox
// ---------------------------------------------------------------------------------------

async fn outbox_rows_commit_with_their_events<E: Engine>(engine: E) -> anyhow::Result<()> {
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");

    for write_outbox in [true, false] {
        let store = EventStore::open(engine.fresh().await?, write_outbox).await?;
        appended(
            store
                .append(request("idea-1", 0, &owner, &alice, None, 0, 3))
                .await?,
        );
        appended(
            store
                .append(request("idea-2", 0, &owner, &alice, Some("key-1"), 0, 1))
                .await?,
        );
        appended(
            store
                .append(request("idea-1", 3, &owner, &alice, None, 3, 2))
                .await?,
        );
        let events = everything(&store).await?.len() as i64;
        assert_eq!(events, 6);
        let expected_outbox = if write_outbox { events } else { 0 };
        assert_eq!(store.outbox_len().await?, expected_outbox);

        // A lost race leaves no event, no outbox row and no idempotency key behind: both
        // when the version check refuses and when the unique (stream, sequence) does.
        for expected in [2, 0] {
            let outcome = store
                .append(request(
                    "idea-1",
                    expected,
                    &owner,
                    &alice,
                    Some("key-2"),
                    9,
                    2,
                ))
                .await;
            assert!(matches!(outcome, Err(StoreError::Conflict)), "{outcome:?}");
            assert_eq!(everything(&store).await?.len() as i64, events);
            assert_eq!(store.outbox_len().await?, expected_outbox);
            assert_eq!(store.idempotent_result(&alice, "key-2", NOTED).await?, None);
        }
        // So the client's retry with that key, on fresh state, takes effect.
        let retried = store
            .append(request("idea-1", 5, &owner, &alice, Some("key-2"), 5, 2))
            .await?;
        assert!(matches!(retried, AppendOutcome::Appended(_)), "{retried:?}");
        assert_eq!(everything(&store).await?.len(), 8);
        assert_eq!(store.outbox_len().await?, if write_outbox { 8 } else { 0 });
    }
    Ok(())
}

/// Callers that give up at every moment of an append (a client that disconnects drops its
/// request): each append happens whole or not at all, no pooled connection is left inside a
/// transaction, and later appends are committed for every other connection to see.
async fn an_append_whose_caller_goes_away_finishes_or_leaves_nothing<E: Engine>(
    engine: E,
) -> anyhow::Result<()> {
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");
    let url = engine.fresh_url().await?;
    let store = EventStore::open(Database::connect(&url).await?, true).await?;
    let other = Database::connect(&url).await?;
    let postgres = other.backend() == innohub_runtime::Backend::Postgres;
    const CALLERS: usize = 120;
    for i in 0..CALLERS {
        let (stream, key) = (format!("idea-{i}"), format!("key-{i}"));
        let mut append =
            std::pin::pin!(store.append(request(&stream, 0, &owner, &alice, Some(&key), 0, 2)));
        // Dropped after 1 to 12 polls: from at once to after the append would have finished.
        for _ in 0..=i % 12 {
            if futures::poll!(append.as_mut()).is_ready() {
                break;
            }
            tokio::time::sleep(Duration::from_micros(100)).await;
        }
        if postgres {
            // What the append started ends soon; a connection left inside a transaction
            // stays so while nobody borrows it.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
            loop {
                let open: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND state LIKE 'idle in transaction%'",
                )
                .fetch_one(other.reader())
                .await?;
                if open == 0 {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "caller {i} went away and left a pooled connection inside a transaction"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    for i in 0..CALLERS {
        // The callers retry, as clients do: each key is then in effect exactly once.
        let (stream, key) = (format!("idea-{i}"), format!("key-{i}"));
        store
            .append(request(&stream, 0, &owner, &alice, Some(&key), 0, 2))
            .await?;
    }
    let streams: Vec<(String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, COUNT(*) FROM events GROUP BY aggregate_id ORDER BY aggregate_id",
    )
    .fetch_all(other.reader())
    .await?;
    assert_eq!(
        streams.len(),
        CALLERS,
        "another connection sees every append"
    );
    assert!(
        streams.iter().all(|(_, events)| *events == 2),
        "an append is whole: {streams:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// d2. concurrent appends of every kind: each has its own outcome
// ---------------------------------------------------------------------------------------

/// What one of many concurrent appends must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    /// Appended, at this stream version.
    Appended(i64),
    /// One of its set is appended at this version; the others conflict.
    OneAppends(i64),
    /// A stale expected version.
    Conflict,
    /// The retry of an earlier command: its first result.
    Duplicate,
    /// The earlier command's key with a different request.
    KeyReused,
    /// One of its set (same key, same request) is appended; the others get its result.
    OneAppendsOthersDuplicate,
}

/// Appends of every kind at once: new streams, a race for one new stream, stale versions,
/// a race at the right version, retries, reused keys and the same new key sent several
/// times, more of them than one shared commit takes. Each gets its own outcome; what
/// committed is all there, whole, in position order, with its outbox rows and keys; what
/// failed left nothing; the head never announces what another connection cannot read. With
/// and without outbox rows, and appends with and without keys, of one event and of more.
async fn concurrent_appends_each_have_their_own_outcome<E: Engine>(
    engine: E,
) -> anyhow::Result<()> {
    for write_outbox in [true, false] {
        concurrent_appends_round(engine.fresh().await?, write_outbox).await?;
    }
    Ok(())
}

async fn concurrent_appends_round(db: Database, write_outbox: bool) -> anyhow::Result<()> {
    let store = EventStore::open(db, write_outbox).await?;
    let sqlite = store.database().backend() == innohub_runtime::Backend::Sqlite;
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");
    let bob = principal("bob", "DK-0706");
    let first = appended(
        store
            .append(request("pre", 0, &owner, &alice, Some("pre-key"), 0, 2))
            .await?,
    );

    let mut cases: Vec<(String, Expected, AppendRequest)> = Vec::new();
    let mut case = |label: String, expected, req| cases.push((label, expected, req));
    for i in 0..40 {
        let key = (i % 2 == 0).then(|| format!("fresh-key-{i}"));
        let events = if i % 4 == 1 { 1 } else { 2 };
        let req = request(
            &format!("fresh-{i}"),
            0,
            &owner,
            &alice,
            key.as_deref(),
            0,
            events,
        );
        case(format!("fresh-{i}"), Expected::Appended(events as i64), req);
    }
    for i in 0..8 {
        let key = (i % 2 == 0).then(|| format!("race-key-{i}"));
        let req = request("race", 0, &owner, &alice, key.as_deref(), 0, 1);
        case(format!("race-{i}"), Expected::OneAppends(1), req);
    }
    for i in 0..4 {
        let key = format!("stale-key-{i}");
        let req = request("pre", 1, &owner, &alice, Some(&key), 0, 1);
        case(format!("stale-{i}"), Expected::Conflict, req);
        let key = format!("next-key-{i}");
        let req = request("pre", 2, &owner, &alice, Some(&key), 2, 1);
        case(format!("next-{i}"), Expected::OneAppends(3), req);
        let req = request("pre", 0, &owner, &alice, Some("pre-key"), 0, 2);
        case(format!("retry-{i}"), Expected::Duplicate, req);
        let mut req = request("pre", 2, &owner, &alice, Some("pre-key"), 0, 1);
        req.request = "something else".to_owned();
        case(format!("reuse-{i}"), Expected::KeyReused, req);
        let req = request(
            &format!("twin-{i}"),
            0,
            &owner,
            &bob,
            Some("twin-key"),
            0,
            1,
        );
        case(
            format!("twin-{i}"),
            Expected::OneAppendsOthersDuplicate,
            req,
        );
    }

    // Whatever the head announces, another connection can read.
    let mut head = store.subscribe();
    let reader = store.database().clone();
    let watcher = tokio::spawn(async move {
        let mut announced = Vec::new();
        while head.changed().await.is_ok() {
            let position = *head.borrow_and_update();
            let visible: Option<i64> = sqlx::query_scalar("SELECT MAX(position) FROM events")
                .fetch_one(reader.reader())
                .await?;
            anyhow::ensure!(
                visible.unwrap_or(0) >= position,
                "the head announced {position} while {visible:?} was committed"
            );
            announced.push(position);
        }
        Ok(announced)
    });

    let start = Arc::new(tokio::sync::Barrier::new(cases.len()));
    let mut appends = JoinSet::new();
    for (label, expected, req) in cases {
        let (store, start) = (store.clone(), start.clone());
        appends.spawn(async move {
            start.wait().await;
            let correlation = req.correlation_id;
            let events = req.events.len();
            (
                label,
                expected,
                correlation,
                events,
                store.append(req).await,
            )
        });
    }
    let mut outcomes = Vec::new();
    while let Some(outcome) = appends.join_next().await {
        outcomes.push(outcome?);
    }
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));

    // Each outcome is the one its case calls for.
    let mut committed: Vec<(Uuid, usize, AppendResult)> = Vec::new();
    let mut failed: Vec<Uuid> = Vec::new();
    let mut won: std::collections::BTreeMap<&str, Vec<AppendResult>> = Default::default();
    let mut twins: Vec<AppendResult> = Vec::new();
    for (label, expected, correlation, events, outcome) in &outcomes {
        let set = label.split('-').next().unwrap_or_default();
        match (expected, outcome) {
            (Expected::Appended(version), Ok(AppendOutcome::Appended(result)))
                if result.version == *version =>
            {
                committed.push((*correlation, *events, result.clone()));
            }
            (
                Expected::OneAppends(_) | Expected::OneAppendsOthersDuplicate,
                Ok(AppendOutcome::Appended(result)),
            ) => {
                if let Expected::OneAppends(version) = expected {
                    assert_eq!(result.version, *version, "{label}");
                }
                won.entry(set).or_default().push(result.clone());
                committed.push((*correlation, *events, result.clone()));
            }
            (Expected::OneAppends(_) | Expected::Conflict, Err(StoreError::Conflict)) => {
                failed.push(*correlation);
            }
            (Expected::Duplicate, Ok(AppendOutcome::Duplicate(result))) => {
                assert_eq!(result, &first, "{label}: the first result");
                failed.push(*correlation);
            }
            (Expected::KeyReused, Err(StoreError::KeyReused)) => failed.push(*correlation),
            (Expected::OneAppendsOthersDuplicate, Ok(AppendOutcome::Duplicate(result))) => {
                twins.push(result.clone());
                failed.push(*correlation);
            }
            _ => panic!("{label}: expected {expected:?}, got {outcome:?}"),
        }
    }
    for set in ["race", "next", "twin"] {
        assert_eq!(
            won.get(set).map(Vec::len),
            Some(1),
            "one {set} appends: {won:?}"
        );
    }
    assert_eq!(twins.len(), 3);
    assert!(
        twins.iter().all(|twin| Some(twin) == won["twin"].first()),
        "the same key's duplicates return the first result: {twins:?} vs {won:?}"
    );

    // What committed is all there, each append's events in order; what failed left no
    // event.
    let all = everything(&store).await?;
    let all_positions = positions(&all);
    assert_strictly_increasing(&all_positions);
    if sqlite {
        // PostgreSQL's sequence is not transactional: a lost race there burns positions.
        assert_eq!(
            all_positions,
            (1..=all.len() as i64).collect::<Vec<_>>(),
            "no gap"
        );
    }
    let expected_events = 2 + committed.iter().map(|(_, n, _)| n).sum::<usize>();
    assert_eq!(all.len(), expected_events);
    for (correlation, events, result) in &committed {
        let at: Vec<usize> = (0..all.len())
            .filter(|i| all[*i].correlation_id == *correlation)
            .collect();
        assert_eq!(at.len(), *events, "{result:?}");
        // SQLite's one writer keeps an append's events together; PostgreSQL's concurrent
        // appends draw positions side by side, so only their order is the append's.
        if sqlite {
            assert!(at.windows(2).all(|w| w[1] == w[0] + 1), "together: {at:?}");
        }
        let last = &all[*at.last().unwrap()];
        assert_eq!(
            (last.position, last.aggregate_id.as_str(), last.sequence),
            (
                result.position,
                result.aggregate_id.as_str(),
                result.version
            )
        );
        for (n, i) in at.iter().enumerate() {
            assert_eq!(all[*i].sequence, result.version - (*events - 1 - n) as i64);
        }
    }
    for correlation in &failed {
        assert!(
            all.iter().all(|e| e.correlation_id != *correlation),
            "a failed append left an event"
        );
    }

    // One outbox row per event, and exactly the committed keys, each with its result.
    let outbox: Vec<i64> = sqlx::query_scalar("SELECT position FROM outbox ORDER BY position")
        .fetch_all(store.database().reader())
        .await?;
    if write_outbox {
        assert_eq!(outbox, all_positions, "one outbox row per committed event");
    } else {
        assert!(outbox.is_empty(), "{outbox:?}");
    }
    let keys: BTreeSet<String> = sqlx::query_scalar("SELECT key FROM idempotency_keys")
        .fetch_all(store.database().reader())
        .await?
        .into_iter()
        .collect();
    let mut expected_keys: BTreeSet<String> = ["pre-key".to_owned(), "twin-key".to_owned()]
        .into_iter()
        .chain((0..40).step_by(2).map(|i| format!("fresh-key-{i}")))
        .collect();
    for (label, _, _, _, outcome) in &outcomes {
        let (set, i) = label.split_once('-').unwrap();
        let keyed = set == "next" || (set == "race" && i.parse::<usize>()? % 2 == 0);
        if matches!(outcome, Ok(AppendOutcome::Appended(_))) && keyed {
            expected_keys.insert(format!("{set}-key-{i}"));
        }
    }
    assert_eq!(
        keys, expected_keys,
        "the keys of what committed, and no other"
    );
    assert_eq!(
        store
            .idempotent_result(&bob, "twin-key", NOTED)
            .await?
            .as_ref(),
        won["twin"].first()
    );

    // The head ends at the last position, and every announcement was readable.
    assert_eq!(store.head(), *all_positions.last().unwrap());
    drop(store);
    let announced = watcher.await??;
    assert_eq!(announced.last(), all_positions.last());
    Ok(())
}

// ---------------------------------------------------------------------------------------
// e. concurrent writers on one aggregate
// ---------------------------------------------------------------------------------------

const WRITERS: u32 = 8;
const COMMANDS_PER_WRITER: u32 = 500;
/// `execute` reloads the whole stream on every try, so the race through it is kept short.
const EXECUTED_COMMANDS_PER_WRITER: u32 = 25;

/// What one writer saw.
#[derive(Debug, Default)]
struct WriterReport {
    /// The stream version each of its commands produced.
    versions: Vec<i64>,
    /// Appends that lost a race and were tried again.
    conflicts: u64,
    /// Commands for which `execute` gave up with `CONFLICT` and the writer sent again.
    gave_up: u64,
}

/// Start `WRITERS` writers together, wait for all of them, and add up what they saw.
async fn race<F, Fut>(name: &str, writer: F) -> anyhow::Result<WriterReport>
where
    F: Fn(u32) -> Fut,
    Fut: Future<Output = anyhow::Result<WriterReport>> + Send + 'static,
{
    let start = Arc::new(tokio::sync::Barrier::new(WRITERS as usize));
    let mut writers = JoinSet::new();
    for w in 0..WRITERS {
        let (start, run) = (start.clone(), writer(w));
        writers.spawn(async move {
            start.wait().await;
            run.await
        });
    }
    let mut total = WriterReport::default();
    while let Some(report) = writers.join_next().await {
        let report = report??;
        total.versions.extend(report.versions);
        total.conflicts += report.conflicts;
        total.gave_up += report.gave_up;
    }
    eprintln!(
        "[{name}] {WRITERS} writers, {} commands: {} conflicts, execute gave up {} times",
        total.versions.len(),
        total.conflicts,
        total.gave_up
    );
    Ok(total)
}

/// After a race of `total` commands on `id`: one version per success, the stream exactly
/// `1..=total`, every command in it exactly once.
async fn assert_raced_stream(
    store: &EventStore,
    id: &str,
    mut report: WriterReport,
    commands_per_writer: u32,
) -> anyhow::Result<()> {
    let total = i64::from(WRITERS * commands_per_writer);
    report.versions.sort_unstable();
    assert_eq!(
        report.versions,
        (1..=total).collect::<Vec<_>>(),
        "one version per success"
    );
    assert!(
        report.conflicts > 0,
        "the writers never raced: the test proves nothing"
    );

    let stream = store.read_stream(id).await?;
    assert_eq!(
        stream.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>(),
        "sequences 1..={total}, no gap, no duplicate"
    );
    assert_strictly_increasing(&positions(&stream));
    let mut commands = BTreeSet::new();
    for event in &stream {
        let CounterEvent::Incremented {
            writer, command, ..
        } = event.decode()?;
        assert!(
            commands.insert((writer, command)),
            "command {command} of writer {writer} appended twice"
        );
    }
    let expected: BTreeSet<_> = (0..WRITERS)
        .flat_map(|w| (0..commands_per_writer).map(move |c| (w, c)))
        .collect();
    assert_eq!(commands, expected, "every command appended once");
    let (counter, version) = load::<Counter>(store, id).await?;
    assert_eq!((counter.count, version), (total, total));
    assert_eq!(everything(store).await?.len() as i64, total);
    Ok(())
}

/// THE race: each command reads the stream's version and appends one event at it, with an
/// idempotency key; a lost race is `CONFLICT` (leaving the key unused) and is tried again.
async fn concurrent_appends_on_one_aggregate<E: Engine>(engine: E) -> anyhow::Result<()> {
    const ID: &str = "counter-1";
    let store = EventStore::open(engine.fresh().await?, true).await?;
    let owner = municipality("DK-0706");
    let report = race(E::NAME, |writer| {
        let (store, owner) = (store.clone(), owner.clone());
        async move {
            let actor = principal(&format!("writer-{writer}"), "DK-0706");
            let mut report = WriterReport::default();
            for command in 0..COMMANDS_PER_WRITER {
                let key = format!("command-{command}");
                let event = CounterEvent::Incremented {
                    municipality: owner.clone(),
                    writer,
                    command,
                }
                .encode();
                loop {
                    let version = store.stream_version(ID).await?;
                    let outcome = store
                        .append(AppendRequest {
                            aggregate_type: Counter::TYPE,
                            aggregate_id: ID.to_owned(),
                            expected_version: version,
                            municipality: owner.clone(),
                            actor: actor.clone(),
                            correlation_id: Uuid::now_v7(),
                            idempotency_key: Some(key.clone()),
                            request: "increment".to_owned(),
                            also: Vec::new(),
                            events: vec![event.clone()],
                        })
                        .await;
                    match outcome {
                        Ok(AppendOutcome::Appended(result)) => {
                            anyhow::ensure!(
                                result.version == version + 1,
                                "writer {writer} command {command}: appended at {version}, \
                                 got version {}",
                                result.version
                            );
                            report.versions.push(result.version);
                            break;
                        }
                        Err(StoreError::Conflict) => report.conflicts += 1,
                        Ok(duplicate @ AppendOutcome::Duplicate(_)) => anyhow::bail!(
                            "writer {writer} command {command}: a lost race kept its key: \
                             {duplicate:?}"
                        ),
                        Err(other) => {
                            anyhow::bail!("writer {writer} command {command}: {other:?}")
                        }
                    }
                }
            }
            Ok(report)
        }
    })
    .await?;
    assert_raced_stream(&store, ID, report, COMMANDS_PER_WRITER).await?;
    let total = i64::from(WRITERS * COMMANDS_PER_WRITER);
    assert_eq!(store.outbox_len().await?, total, "one outbox row per event");
    Ok(())
}

/// The same race through command handling, the path every service takes: `execute`
/// decides again on a lost race and gives up with `CONFLICT` after a bounded number of
/// tries, on which the writer sends the command again.
async fn concurrent_commands_on_one_aggregate<E: Engine>(engine: E) -> anyhow::Result<()> {
    const ID: &str = "counter-1";
    let store = EventStore::open(engine.fresh().await?, false).await?;
    let owner = municipality("DK-0706");
    let report = race(E::NAME, |writer| {
        let (store, owner) = (store.clone(), owner.clone());
        async move {
            let actor = principal(&format!("writer-{writer}"), "DK-0706");
            let mut report = WriterReport::default();
            for command in 0..EXECUTED_COMMANDS_PER_WRITER {
                let mut decided = 0u64;
                loop {
                    let ctx = CommandContext {
                        principal: &actor,
                        idempotency_key: None,
                        correlation_id: Uuid::now_v7(),
                        request: "increment",
                    };
                    let outcome = execute::<Counter, _>(&store, ID, ctx, |state| {
                        decided += 1;
                        state.decide(Increment {
                            municipality: owner.clone(),
                            writer,
                            command,
                        })
                    })
                    .await;
                    match outcome {
                        Ok(executed) => {
                            anyhow::ensure!(!executed.replayed, "nothing is replayed here");
                            anyhow::ensure!(
                                executed.state.count == executed.result.version,
                                "writer {writer} command {command} decided on stale state: \
                                 count {} at version {}",
                                executed.state.count,
                                executed.result.version
                            );
                            report.versions.push(executed.result.version);
                            break;
                        }
                        Err(CommandError::Store(StoreError::Conflict)) => report.gave_up += 1,
                        Err(other) => {
                            anyhow::bail!("writer {writer} command {command}: {other:?}")
                        }
                    }
                }
                // Every decision but the last was followed by a lost race.
                report.conflicts += decided - 1;
            }
            Ok(report)
        }
    })
    .await?;
    assert_raced_stream(&store, ID, report, EXECUTED_COMMANDS_PER_WRITER).await
}

/// Appends to many aggregates at once commit in any order; a reader that follows the store by
/// position (`read_all` from the last position it got) still gets every event exactly once,
/// in position order. On PostgreSQL appends are concurrent (positions drawn before a slower
/// transaction commits), so this holds only because `read_all` stops at the horizon.
async fn a_reader_following_by_position_misses_no_concurrent_append<E: Engine>(
    engine: E,
) -> anyhow::Result<()> {
    const APPENDS: usize = 150;
    let db = engine.fresh().await?;
    let store = EventStore::open(db, true).await?;
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        tokio::spawn(async move {
            let (mut seen, mut after) = (Vec::new(), 0);
            loop {
                // Read whether the writers are done BEFORE reading: the last read then sees all.
                let finished = done.load(Ordering::SeqCst);
                let page = store.read_all(after, 7).await?;
                if let Some(last) = page.last() {
                    after = last.position;
                }
                seen.extend(positions(&page));
                if finished && page.is_empty() {
                    return anyhow::Ok(seen);
                }
            }
        })
    };
    race("follow", |w| {
        let (store, owner, alice) = (store.clone(), owner.clone(), alice.clone());
        async move {
            let mut report = WriterReport::default();
            for i in 0..APPENDS {
                // A key and an outbox row: work between drawing a position and committing.
                let key = format!("follow-{w}-{i}");
                let req = request(
                    &format!("follow-{w}-{i}"),
                    0,
                    &owner,
                    &alice,
                    Some(&key),
                    i,
                    1,
                );
                report
                    .versions
                    .push(appended(store.append(req).await?).version);
            }
            Ok(report)
        }
    })
    .await?;
    done.store(true, Ordering::SeqCst);
    let seen = reader.await??;
    assert_strictly_increasing(&seen);
    assert_eq!(seen.len(), WRITERS as usize * APPENDS);
    assert_eq!(
        seen,
        positions(&everything(&store).await?),
        "no event skipped"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// f. the projection runner
// ---------------------------------------------------------------------------------------

/// Counts events into `tally` and records each applied position in `applied`, a batch at a
/// time; can be told to fail once on a batch with one position, or to refuse one event.
struct Tally {
    fail_once_at: Option<i64>,
    refuse_at: Option<i64>,
    failed: AtomicBool,
}

impl Tally {
    fn new() -> Self {
        Self {
            fail_once_at: None,
            refuse_at: None,
            failed: AtomicBool::new(false),
        }
    }

    /// One that fails, once, on the batch that holds `position`.
    fn failing_once_at(position: i64) -> Self {
        Self {
            fail_once_at: Some(position),
            ..Self::new()
        }
    }

    async fn create_tables(views: &Database) -> anyhow::Result<()> {
        for ddl in [
            "CREATE TABLE tally (name TEXT PRIMARY KEY, n BIGINT NOT NULL)",
            "CREATE TABLE applied (position BIGINT NOT NULL, event_id TEXT NOT NULL)",
        ] {
            sqlx::query(ddl).execute(views.writer()).await?;
        }
        Ok(())
    }

    /// The count, and the applied positions in order.
    async fn read(views: &Database) -> anyhow::Result<(i64, Vec<i64>)> {
        let n: Option<i64> = sqlx::query_scalar("SELECT n FROM tally WHERE name = 'events'")
            .fetch_optional(views.reader())
            .await?;
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT position FROM applied ORDER BY position")
                .fetch_all(views.reader())
                .await?;
        Ok((n.unwrap_or(0), applied))
    }
}

impl Projection for Tally {
    fn name(&self) -> &'static str {
        "tally"
    }

    fn source(&self) -> &'static str {
        "conformance"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["tally", "applied"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        if let Some(event) = events.iter().find(|e| Some(e.position) == self.refuse_at) {
            return Err(ProjectionError::refused(event, "told to refuse it"));
        }
        sqlx::query(
            "INSERT INTO tally (name, n) VALUES ('events', $1) \
             ON CONFLICT (name) DO UPDATE SET n = tally.n + excluded.n",
        )
        .bind(events.len() as i64)
        .execute(&mut *conn)
        .await?;
        let mut applied = Rows::new("INSERT INTO applied (position, event_id)", "");
        for event in events {
            applied.push(vec![
                event.position.into(),
                event.event_id.to_string().into(),
            ]);
        }
        applied.execute(conn).await?;
        let fail = events.iter().any(|e| self.fail_once_at == Some(e.position));
        if fail && !self.failed.swap(true, Ordering::SeqCst) {
            return Err(ProjectionError::Corrupt(format!(
                "told to fail at {:?}",
                self.fail_once_at
            )));
        }
        Ok(())
    }
}

/// Append `batches` requests of `per_batch` events, round-robin over three streams.
async fn fill(store: &EventStore, batches: usize, per_batch: usize) -> anyhow::Result<()> {
    let owner = municipality("DK-0706");
    let alice = principal("alice", "DK-0706");
    for b in 0..batches {
        let id = format!("idea-{}", b % 3);
        let version = store.stream_version(&id).await?;
        store
            .append(request(&id, version, &owner, &alice, None, 0, per_batch))
            .await?;
    }
    Ok(())
}

async fn projection_resumes_from_its_checkpoint<E: Engine>(engine: E) -> anyhow::Result<()> {
    let store = EventStore::open(engine.fresh().await?, false).await?;
    let views_url = engine.fresh_url().await?;
    let views = Database::connect(&views_url).await?;
    Tally::create_tables(&views).await?;

    // More than one batch of the runner (1,000).
    fill(&store, 26, 40).await?;
    let head = store.head();
    let runner = ProjectionRunner::new(Tally::new(), store.clone(), views.clone()).await?;
    let mut progress = runner.progress();
    assert_eq!(*progress.borrow(), 0);
    assert!(!wait_for(&mut progress, head, Duration::from_millis(20)).await);
    assert_eq!(runner.catch_up().await?, 1_040);
    assert!(wait_for(&mut progress, head, PATIENCE).await);
    assert_eq!(*progress.borrow(), head);
    assert_eq!(runner.catch_up().await?, 0, "nothing new, nothing applied");
    let all = positions(&everything(&store).await?);
    assert_eq!(Tally::read(&views).await?, (1_040, all.clone()));
    drop(runner);
    views.close().await;

    // A restart: new connections, new runner, same views database.
    fill(&store, 2, 4).await?;
    let head = store.head();
    let views = Database::connect(&views_url).await?;
    let runner = ProjectionRunner::new(Tally::new(), store.clone(), views.clone()).await?;
    let mut progress = runner.progress();
    assert_eq!(
        *progress.borrow(),
        *all.last().unwrap(),
        "resumes at the checkpoint"
    );
    assert_eq!(runner.catch_up().await?, 8, "only the new events");
    assert!(wait_for(&mut progress, head, PATIENCE).await);
    let all = positions(&everything(&store).await?);
    assert_eq!(Tally::read(&views).await?, (1_048, all));

    // Running: woken by appends, stopped by shutdown.
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(runner.run(shutdown));
    fill(&store, 3, 5).await?;
    let head = store.head();
    assert!(wait_for(&mut progress, head, PATIENCE).await);
    stop.send(true)?;
    tokio::time::timeout(PATIENCE, running).await??;
    let all = positions(&everything(&store).await?);
    assert_eq!(all.len(), 1_063);
    assert_eq!(Tally::read(&views).await?, (1_063, all));
    Ok(())
}

/// A fresh store holding twelve events (three batches of four, over three streams), an empty
/// views database with the tally's tables, and the events' positions.
async fn twelve_events<E: Engine>(engine: &E) -> anyhow::Result<(EventStore, Database, Vec<i64>)> {
    let store = EventStore::open(engine.fresh().await?, false).await?;
    let views = engine.fresh().await?;
    Tally::create_tables(&views).await?;
    fill(&store, 3, 4).await?;
    let all = positions(&everything(&store).await?);
    Ok((store, views, all))
}

async fn failed_projection_batch_is_applied_again_exactly_once<E: Engine>(
    engine: E,
) -> anyhow::Result<()> {
    let (store, views, all) = twelve_events(&engine).await?;
    let tally = Tally::failing_once_at(all[7]);
    let runner = ProjectionRunner::new(tally, store.clone(), views.clone()).await?;
    let progress = runner.progress();
    let outcome = runner.catch_up().await;
    assert!(
        matches!(outcome, Err(ProjectionError::Corrupt(_))),
        "{outcome:?}"
    );
    assert_eq!(*progress.borrow(), 0, "the failed batch did not commit");
    assert_eq!(Tally::read(&views).await?, (0, vec![]), "nor did its rows");
    assert_eq!(runner.catch_up().await?, 12);
    assert_eq!(*progress.borrow(), *all.last().unwrap());
    assert_eq!(Tally::read(&views).await?, (12, all));
    Ok(())
}

async fn a_refused_event_is_skipped_and_the_rest_of_its_batch_applied<E: Engine>(
    engine: E,
) -> anyhow::Result<()> {
    let (store, views, mut all) = twelve_events(&engine).await?;
    let tally = Tally {
        refuse_at: Some(all[5]),
        ..Tally::new()
    };
    let runner = ProjectionRunner::new(tally, store.clone(), views.clone()).await?;
    assert_eq!(runner.catch_up().await?, 11);
    assert_eq!(*runner.progress().borrow(), *all.last().unwrap());
    all.remove(5);
    assert_eq!(
        Tally::read(&views).await?,
        (11, all),
        "all but the refused one"
    );
    Ok(())
}

/// What a runner announced since `changes` last looked, or `None`.
fn announced(changes: &mut broadcast::Receiver<Arc<Changes>>) -> Option<Arc<Changes>> {
    changes.try_recv().ok()
}

async fn a_committed_batch_is_announced_once_and_a_failed_one_never<E: Engine>(
    engine: E,
) -> anyhow::Result<()> {
    let (store, views, all) = twelve_events(&engine).await?;
    let tally = Tally::failing_once_at(all[7]);
    let feed = changes::feed();
    let mut heard = feed.subscribe();
    let runner = ProjectionRunner::new(tally, store.clone(), views.clone())
        .await?
        .with_changes(feed.clone());

    // A batch that fails is not announced: nothing of it is in the read model.
    assert!(runner.catch_up().await.is_err());
    assert_eq!(announced(&mut heard), None);

    // Committed: announced once, each record once, at the batch's last position.
    assert_eq!(runner.catch_up().await?, 12);
    let changes = announced(&mut heard).expect("the committed batch is announced");
    assert_eq!(
        (changes.projection.as_str(), changes.source.as_str()),
        ("tally", "conformance")
    );
    assert_eq!(changes.position, *all.last().unwrap());
    let records: Vec<(&str, &str)> = changes
        .records
        .iter()
        .map(|c| (c.aggregate_id.as_str(), c.municipality.as_str()))
        .collect();
    assert_eq!(
        records,
        [
            ("idea-0", "DK-0706"),
            ("idea-1", "DK-0706"),
            ("idea-2", "DK-0706")
        ]
    );
    assert_eq!(announced(&mut heard), None, "one announcement per batch");

    // Distributed mode announces from inside the batch's transaction with NOTIFY: heard by
    // a listener when it commits, never when it rolls back. (SQLite has no NOTIFY; there
    // embedded mode's in-process feed above is the only way.)
    if views.backend() != Backend::Postgres {
        let mut tx = views.writer().begin().await?;
        changes::notify(&mut tx, views.backend(), &changes).await?;
        tx.commit().await?;
        return Ok(());
    }
    let listened = changes::feed();
    let mut heard = listened.subscribe();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let listening = tokio::spawn(changes::listen(views.clone(), listened.clone(), shutdown));
    let probe = Changes {
        projection: "probe".into(),
        ..(*changes).clone()
    };
    // The listener is up once a committed probe reaches it.
    let up = tokio::time::timeout(PATIENCE, async {
        loop {
            let mut tx = views.writer().begin().await?;
            changes::notify(&mut tx, views.backend(), &probe).await?;
            tx.commit().await?;
            if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(200), heard.recv()).await
            {
                return anyhow::Ok(());
            }
        }
    });
    up.await??;
    while heard.try_recv().is_ok() {}
    let rolled_back = Changes {
        projection: "rolled back".into(),
        ..(*changes).clone()
    };
    let mut tx = views.writer().begin().await?;
    changes::notify(&mut tx, views.backend(), &rolled_back).await?;
    tx.rollback().await?;
    let mut tx = views.writer().begin().await?;
    changes::notify(&mut tx, views.backend(), &changes).await?;
    tx.commit().await?;
    let first = tokio::time::timeout(PATIENCE, heard.recv()).await??;
    assert_eq!(
        *first, *changes,
        "the committed one, and not the rolled-back one before it"
    );
    stop.send(true)?;
    tokio::time::timeout(PATIENCE, listening).await??;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// h. a store in a retired format is refused, and left as it was
// ---------------------------------------------------------------------------------------

async fn a_store_in_a_retired_format_is_refused<E: Engine>(engine: E) -> anyhow::Result<()> {
    let db = engine.fresh().await?;
    // What the unreleased JSON format's migrations left behind.
    for statement in [
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY)",
        "INSERT INTO _sqlx_migrations (version) VALUES (1001), (1002)",
    ] {
        sqlx::query(statement).execute(db.writer()).await?;
    }
    match EventStore::open(db.clone(), false).await {
        Err(StoreError::Retired(retired)) => {
            assert_eq!(retired.versions, [1001, 1002]);
            assert!(
                retired
                    .to_string()
                    .contains("an event store with JSON payloads"),
                "{retired}"
            );
        }
        other => panic!("expected the store to be refused, got {other:?}"),
    }
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(db.reader())
            .await?;
    assert_eq!(versions, [1001, 1002], "nothing was migrated");
    assert!(
        sqlx::query("SELECT 1 FROM events")
            .execute(db.reader())
            .await
            .is_err(),
        "no table was created"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Every scenario, on every engine.
// ---------------------------------------------------------------------------------------

macro_rules! conformance {
    ($engine:ty) => {
        conformance!(
            $engine:
            append_then_read,
            wrong_expected_version_conflicts,
            an_append_over_two_streams_writes_both_or_neither,
            a_rule_over_two_records_holds_under_concurrency,
            idempotency_key_appends_once,
            outbox_rows_commit_with_their_events,
            an_append_whose_caller_goes_away_finishes_or_leaves_nothing,
            concurrent_appends_each_have_their_own_outcome,
            concurrent_appends_on_one_aggregate,
            concurrent_commands_on_one_aggregate,
            a_reader_following_by_position_misses_no_concurrent_append,
            projection_resumes_from_its_checkpoint,
            failed_projection_batch_is_applied_again_exactly_once,
            a_refused_event_is_skipped_and_the_rest_of_its_batch_applied,
            a_committed_batch_is_announced_once_and_a_failed_one_never,
            a_store_in_a_retired_format_is_refused,
        );
    };
    ($engine:ty: $($scenario:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() -> anyhow::Result<()> {
                crate::support::run::<$engine, _, _>(crate::$scenario::<$engine>).await
            }
        )+
    };
}

mod sqlite {
    conformance!(crate::support::Sqlite);
}

mod postgres {
    conformance!(crate::support::Postgres);
}
