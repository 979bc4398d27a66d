//! Benchmark of the event store's append against raw inserts, in one run, at 1, 4 and 16
//! concurrent writers, each appending single events to streams of its own:
//!
//! 1. PostgreSQL (a fresh database per measurement, the server's settings):
//!    `EventStore::append` with outbox rows (distributed mode), against the same inserts
//!    (event and outbox row, one transaction each) by raw sqlx over the same kind of pool,
//!    without the position lock: what the lock and the rest of the append cost;
//! 2. SQLite (WAL, the store's pragmas): `EventStore::append` as embedded mode runs it (no
//!    outbox; concurrent appends share commits), against raw inserts of the same rows on one
//!    connection, one transaction each: the single writer's raw rate.
//!
//! `cargo run --release -p innohub-tests --bin append_bench -- --help`. PostgreSQL at
//! `INNOHUB_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Parser;
use innohub_runtime::metrics::METRICS;
use innohub_runtime::store::AppendRequest;
use innohub_runtime::{
    AppendOutcome, Database, EncodedEvent, EventStore, MunicipalityId, Principal, UserId,
};
use innohub_tests::distributed::{fresh_database, postgres_admin_url};
use innohub_tests::temp_data_dir;
use sqlx::Connection;
use uuid::Uuid;

#[derive(Parser)]
struct Args {
    /// Appends (and raw inserts) per measurement.
    #[arg(long, default_value_t = 4000)]
    appends: usize,
    /// Payload bytes per event (a stored `ProcessSubmitted` is about 350).
    #[arg(long, default_value_t = 350)]
    payload: usize,
    /// Concurrent writers to measure at.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 4, 16])]
    writers: Vec<usize>,
}

const INSERT_EVENT: &str = "INSERT INTO events (event_id, municipality, aggregate_type, \
    aggregate_id, sequence, event_type, payload, actor_user, actor_municipality, occurred_at, \
    correlation_id, causation_id) \
    VALUES ($1, 'DK-0706', 'process', $2, 1, 'ProcessSubmitted', $3, 'bench', 'DK-0706', \
    $4, $5, NULL) RETURNING position";

/// An `occurred_at` as the store writes it.
const OCCURRED_AT: &str = "2026-12-02T00:00:00.000000Z";

/// Run `total` calls of `op(i)` from `writers` concurrent tasks; returns calls/s.
async fn rate<F, Fut>(writers: usize, total: usize, op: F) -> anyhow::Result<f64>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let op = Arc::new(op);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..writers {
        let (next, op) = (next.clone(), op.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(());
                }
                op(i).await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

/// Append one event to a new stream per call.
async fn store_rate(
    store: EventStore,
    writers: usize,
    total: usize,
    payload: usize,
) -> anyhow::Result<f64> {
    let municipality = MunicipalityId::parse("DK-0706").map_err(anyhow::Error::msg)?;
    let actor = Principal {
        user: UserId::parse("bench").map_err(anyhow::Error::msg)?,
        municipality: municipality.clone(),
        department: None,
        roles: Default::default(),
    };
    let payload = vec![0x2a_u8; payload];
    rate(writers, total, move |i| {
        let req = AppendRequest {
            aggregate_type: "process",
            aggregate_id: format!("agg-{i}"),
            expected_version: 0,
            municipality: municipality.clone(),
            actor: actor.clone(),
            correlation_id: Uuid::now_v7(),
            idempotency_key: None,
            request: "bench".to_owned(),
            also: Vec::new(),
            events: vec![EncodedEvent {
                event_type: "ProcessSubmitted",
                payload: payload.clone(),
            }],
        };
        let store = store.clone();
        async move {
            match store.append(req).await? {
                AppendOutcome::Appended(_) => Ok(()),
                duplicate => anyhow::bail!("not appended: {duplicate:?}"),
            }
        }
    })
    .await
}

/// The same rows by raw sqlx on the database's own pool, one transaction each: the event
/// and (`outbox`) its outbox row, without the position lock.
async fn raw_pool_rate(
    db: Database,
    writers: usize,
    total: usize,
    payload: usize,
) -> anyhow::Result<f64> {
    let payload = Arc::new(vec![0x2a_u8; payload]);
    rate(writers, total, move |i| {
        let (db, payload) = (db.clone(), payload.clone());
        async move {
            let mut tx = db.writer().begin().await?;
            let position: i64 = sqlx::query_scalar(INSERT_EVENT)
                .bind(Uuid::now_v7().to_string())
                .bind(format!("agg-{i}"))
                .bind(payload.as_slice())
                .bind(OCCURRED_AT)
                .bind(Uuid::now_v7().to_string())
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO outbox (position, aggregate_id, traceparent) VALUES ($1, $2, NULL)",
            )
            .bind(position)
            .bind(format!("agg-{i}"))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }
    })
    .await
}

/// A fresh PostgreSQL database with the store's schema; returns it and its URL.
async fn fresh_postgres() -> anyhow::Result<(Database, String)> {
    let url = fresh_database("innohub_append_bench").await?;
    Ok((Database::connect(&url).await?, url))
}

async fn drop_postgres(db: Database, url: &str) -> anyhow::Result<()> {
    db.close().await;
    let name = url.rsplit('/').next().unwrap_or_default();
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url()).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let (n, size) = (args.appends, args.payload);
    println!("append_bench: {n} single-event appends per measurement, {size}-byte payloads");

    println!(
        "\nPostgreSQL ({}), a fresh database per measurement, outbox rows written:",
        postgres_admin_url()
    );
    println!("writers  EventStore::append/s  raw inserts/s (no lock)  ratio");
    for &writers in &args.writers {
        let (db, url) = fresh_postgres().await?;
        let store = EventStore::open(db.clone(), true).await?;
        let appended = store_rate(store, writers, n, size).await?;
        drop_postgres(db, &url).await?;

        let (db, url) = fresh_postgres().await?;
        EventStore::open(db.clone(), true).await?;
        let raw = raw_pool_rate(db.clone(), writers, n, size).await?;
        drop_postgres(db, &url).await?;
        println!(
            "{writers:>7}  {appended:>20.0}  {raw:>23.0}  {:>5.3}",
            appended / raw
        );
    }

    println!("\nSQLite (WAL, synchronous = NORMAL), a fresh file per measurement, no outbox:");
    println!(
        "writers  EventStore::append/s  appends per commit  raw inserts/s (1 connection)  ratio"
    );
    for &writers in &args.writers {
        let dir = temp_data_dir("append-bench");
        std::fs::create_dir_all(&dir)?;
        let db = Database::connect(&Database::sqlite_url(&dir.join("events.sqlite"))).await?;
        let store = EventStore::open(db.clone(), false).await?;
        let commits = METRICS.store_commits.load(Ordering::Relaxed);
        let appended = store_rate(store, writers, n, size).await?;
        let commits = METRICS.store_commits.load(Ordering::Relaxed) - commits;
        db.close().await;
        std::fs::remove_dir_all(&dir)?;

        let raw = innohub_tests::raw_sqlite_insert_rate(n, size).await?;
        println!(
            "{writers:>7}  {appended:>20.0}  {:>18.1}  {raw:>28.0}  {:>5.3}",
            n as f64 / commits.max(1) as f64,
            appended / raw
        );
    }
    Ok(())
}
