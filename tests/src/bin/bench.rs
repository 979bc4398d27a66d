//! Benchmark of the embedded mode, run against the real binary over HTTP:
//!
//! 1. `submitProcess` at N concurrent clients: commands/s, p50 and p99 latency;
//! 2. the baseline in the same run: raw SQLite inserts of rows the size of the stored
//!    events (same schema, same pragmas, one transaction per row) on the same disk;
//! 3. `backlog(first: 50)` at N concurrent clients with a loaded store.
//!
//! `cargo run --release -p innohub-tests --bin bench -- --help`; it times the release
//! `innohub` binary, or the one `INNOHUB_BIN` names.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use innohub_tests::{App, Latencies, bench_process_input, temp_data_dir};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

#[derive(Parser)]
struct Args {
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// submitProcess commands to time.
    #[arg(long, default_value_t = 4000)]
    commands: usize,
    /// Processes in the store when timing the backlog query.
    #[arg(long, default_value_t = 10_000)]
    processes: usize,
    /// backlog(first: 50) queries to time.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// Keep the data directory (for profiling) instead of removing it.
    #[arg(long)]
    keep: bool,
}

const SUBMIT: &str = "mutation($input: SubmitProcessInput!) { submitProcess(input: $input) { id consistencyToken } }";
const BACKLOG: &str = "query($c: String) { backlog(first: 50, consistency: $c) { totalCount edges { node { id title priorityScore backlogRank phase status hoursSavedPerYear } } } }";

/// Run `total` requests from `clients` concurrent tasks; returns (elapsed, latencies).
async fn load<F, Fut>(
    clients: usize,
    total: usize,
    request: F,
) -> anyhow::Result<(Duration, Latencies)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let request = Arc::new(request);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let next = next.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let t = Instant::now();
                request(i).await?;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(total);
    for task in tasks {
        all.extend(task.await??);
    }
    Ok((started.elapsed(), Latencies(all)))
}

async fn submit(app: &App, token: &str, i: usize) -> anyhow::Result<i64> {
    let r = app
        .gql(
            Some(token),
            SUBMIT,
            json!({ "input": bench_process_input(&format!("Benchmark process {i}"), i) }),
        )
        .await?;
    if r.get("errors").is_some() {
        bail!("submitProcess failed: {r}");
    }
    r["data"]["submitProcess"]["consistencyToken"]
        .as_str()
        .and_then(innohub_tests::token_position)
        .context("no consistency token")
}

/// Raw SQLite: insert `rows` rows of `size` payload bytes into the event store's schema,
/// one transaction each, with the store's pragmas. Returns rows/s.
async fn raw_sqlite_inserts(rows: usize, size: usize) -> anyhow::Result<f64> {
    let dir = temp_data_dir("bench-raw");
    std::fs::create_dir_all(&dir)?;
    let mut conn =
        SqliteConnectOptions::from_str(&format!("sqlite://{}", dir.join("raw.sqlite").display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .connect()
            .await?;
    sqlx::raw_sql(include_str!(
        "../../../services/runtime/migrations/store/sqlite/1003_event_store.sql"
    ))
    .execute(&mut conn)
    .await?;
    let payload = vec![0x2a_u8; size];
    let started = Instant::now();
    for i in 0..rows {
        let mut tx = conn.begin().await?;
        sqlx::query(
            "INSERT INTO events (event_id, municipality, aggregate_type, aggregate_id, sequence, event_type, \
             payload, actor_user, actor_municipality, occurred_at, correlation_id) \
             VALUES ($1, 'DK-0706', 'process', $2, 1, 'ProcessSubmitted', $3, 'bench', 'DK-0706', \
             '2026-11-22T00:00:00.000000Z', $4)",
        )
        .bind(format!("00000000-0000-7000-8000-{i:012}"))
        .bind(format!("agg-{i}"))
        .bind(&payload)
        .bind(format!("10000000-0000-7000-8000-{i:012}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;
    std::fs::remove_dir_all(&dir)?;
    Ok(rate)
}

async fn average_payload(app: &App) -> anyhow::Result<usize> {
    let url = format!(
        "sqlite://{}?mode=ro",
        app.data_dir.join("events.sqlite").display()
    );
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    let avg: f64 = sqlx::query_scalar("SELECT AVG(LENGTH(payload)) FROM events")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(avg.round() as usize)
}

fn main() -> anyhow::Result<()> {
    // Time the release binary (`INNOHUB_BIN` names another one).
    innohub_tests::rerun_with_release_binary()?;
    tokio::runtime::Runtime::new()?.block_on(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let app = Arc::new(App::spawn("bench").await?);
    let token = Arc::new(
        app.token(
            "bench",
            "DK-0706",
            Some("social"),
            &["employee", "it_portfolio"],
        )
        .await?,
    );
    println!(
        "innohub benchmark: {} clients, binary {}",
        args.clients,
        innohub_tests::binary()?.display()
    );

    // Warm up connections and caches.
    for i in 0..50 {
        submit(&app, &token, 1_000_000 + i).await?;
    }
    let (elapsed, mut lat) = {
        let (app, token) = (app.clone(), token.clone());
        load(args.clients, args.commands, move |i| {
            let (app, token) = (app.clone(), token.clone());
            async move { submit(&app, &token, i).await.map(|_| ()) }
        })
        .await?
    };
    let submit_rate = args.commands as f64 / elapsed.as_secs_f64();
    let payload = average_payload(&app).await?;
    let raw_rate = raw_sqlite_inserts(args.commands, payload).await?;
    println!(
        "submitProcess: {} commands in {:.2} s = {:.0} commands/s; p50 {:.2} ms, p99 {:.2} ms",
        args.commands,
        elapsed.as_secs_f64(),
        submit_rate,
        lat.percentile(0.50).as_secs_f64() * 1e3,
        lat.percentile(0.99).as_secs_f64() * 1e3
    );
    println!(
        "baseline: raw SQLite insert of a {payload}-byte event row, one transaction each: {raw_rate:.0} rows/s; \
         submitProcess reaches {:.1} % of it (ratio {:.3})",
        100.0 * submit_rate / raw_rate,
        submit_rate / raw_rate
    );

    // Fill up to the requested number of processes, then time the backlog query.
    let loaded = 50 + args.commands;
    let mut last = 0;
    if args.processes > loaded {
        let fill = args.processes - loaded;
        let (app, token) = (app.clone(), token.clone());
        let last_token = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let lt = last_token.clone();
        load(args.clients, fill, move |i| {
            let (app, token, lt) = (app.clone(), token.clone(), lt.clone());
            async move {
                let t = submit(&app, &token, 2_000_000 + i).await?;
                lt.fetch_max(t, Ordering::Relaxed);
                Ok(())
            }
        })
        .await?;
        last = last_token.load(Ordering::Relaxed);
    }
    // Wait until the views include everything, and check the count.
    let r = app
        .gql(
            Some(&token),
            BACKLOG,
            json!({ "c": innohub_tests::token_at(last) }),
        )
        .await?;
    let total = r["data"]["backlog"]["totalCount"]
        .as_i64()
        .context("backlog failed")?;
    println!(
        "store holds {} processes; backlog totalCount (open ones) {total}",
        loaded.max(args.processes)
    );
    let (elapsed, mut lat) = {
        let (app, token) = (app.clone(), token.clone());
        load(args.clients, args.queries, move |_| {
            let (app, token) = (app.clone(), token.clone());
            async move {
                let r = app.gql(Some(&token), BACKLOG, json!({})).await?;
                if r.get("errors").is_some() {
                    bail!("backlog failed: {r}");
                }
                Ok(())
            }
        })
        .await?
    };
    println!(
        "backlog(first: 50): {} queries in {:.2} s = {:.0} queries/s; p50 {:.2} ms, p99 {:.2} ms",
        args.queries,
        elapsed.as_secs_f64(),
        args.queries as f64 / elapsed.as_secs_f64(),
        lat.percentile(0.50).as_secs_f64() * 1e3,
        lat.percentile(0.99).as_secs_f64() * 1e3
    );
    let data_dir = app.data_dir.clone();
    if let Ok(app) = Arc::try_unwrap(app) {
        app.stop().await?;
    }
    if args.keep {
        println!("data kept in {}", data_dir.display());
    } else {
        std::fs::remove_dir_all(data_dir)?;
    }
    Ok(())
}
