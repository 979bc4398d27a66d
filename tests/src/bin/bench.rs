//! Benchmark of the embedded mode, run against the real binary over HTTP. In one run it
//! measures every embedded figure of the goal table:
//!
//! 1. `submitProcess` at `--clients` concurrent clients (default 16), `--commands` of them
//!    (default 4,000) after 50 for warm-up: commands/s, p50 and p99 latency;
//! 2. the baseline in the same run: raw SQLite inserts of rows the size of the stored
//!    events (same schema, same pragmas, one transaction per row) on the same disk;
//! 3. `backlog(first: 50)` ([`innohub_tests::BACKLOG`]: `totalCount` and the node fields)
//!    at `--clients` concurrent clients, `--queries` of them (default 2,000), at each store
//!    size of `--processes` (default `10000,100000`): the store is loaded up to the size
//!    with more `submitProcess` through the API (untimed, at `--clients`), the backlog's
//!    `totalCount` is checked to hold every process, then the queries are timed;
//! 4. the memory of `innohub serve` (`VmRSS`, `VmHWM` from `/proc/<pid>/status`) after
//!    each load and after each size's queries.
//!
//! It ends with a summary table: each figure, its goal (or the baseline of the same run),
//! met or not. With the defaults it loads 100,000 processes, which takes a few minutes.
//!
//! `cargo run --release -p innohub-tests --bin bench -- --help`; it times the release
//! `innohub` binary, or the one `INNOHUB_BIN` names.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use innohub_tests::{
    App, Memory, Summary, Throughput, bench_process_input, concurrent, megabytes, ms,
};
use serde_json::json;
use sqlx::Connection;

#[derive(Parser)]
struct Args {
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// submitProcess commands to time.
    #[arg(long, default_value_t = 4000)]
    commands: usize,
    /// Store sizes (processes, ascending, comma-separated) at which to time the backlog
    /// query; the last is the one the memory goal is read at.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 100_000])]
    processes: Vec<usize>,
    /// backlog(first: 50) queries to time at each size.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// Keep the data directory (for profiling) instead of removing it.
    #[arg(long)]
    keep: bool,
}

const SUBMIT: &str = "mutation($input: SubmitProcessInput!) { submitProcess(input: $input) { id consistencyToken } }";
/// Untimed submitProcess commands before the timed ones.
const WARM_UP: usize = 50;
/// The goals of issue 9.
const SUBMIT_RATIO_GOAL: f64 = 0.5;
const SUBMIT_P99_GOAL: Duration = Duration::from_millis(15);
const BACKLOG_RATE_GOAL: f64 = 2000.0;
const BACKLOG_P99_GOAL: Duration = Duration::from_millis(20);
const RSS_GOAL_MB: f64 = 200.0;

/// Submit one process; returns the position its consistency token names.
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

/// `count` submitProcess from `clients` clients, numbered from `first`; the highest
/// position appended is recorded in `last`.
async fn submit_many(
    app: &Arc<App>,
    token: &Arc<String>,
    clients: usize,
    first: usize,
    count: usize,
    last: &Arc<AtomicI64>,
) -> anyhow::Result<Throughput> {
    let (app, token, last) = (app.clone(), token.clone(), last.clone());
    concurrent(clients, count, move |i| {
        let (app, token, last) = (app.clone(), token.clone(), last.clone());
        async move {
            let position = submit(&app, &token, first + i).await?;
            last.fetch_max(position, Ordering::Relaxed);
            Ok(())
        }
    })
    .await
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

/// What was measured at one store size.
struct AtSize {
    processes: usize,
    backlog: Throughput,
    after_load: Memory,
    after_queries: Memory,
}

fn main() -> anyhow::Result<()> {
    // Time the release binary (`INNOHUB_BIN` names another one).
    innohub_tests::rerun_with_release_binary()?;
    tokio::runtime::Runtime::new()?.block_on(run(Args::parse()))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let first_size = WARM_UP + args.commands;
    if args.processes.is_empty()
        || args.processes[0] < first_size
        || args.processes.windows(2).any(|w| w[0] >= w[1])
    {
        bail!(
            "--processes must be ascending sizes of at least {first_size} (the {WARM_UP} warm-up \
             and the --commands {} timed commands are in the store first)",
            args.commands
        );
    }
    let app = Arc::new(App::spawn("bench").await?);
    let pid = app.pid().context("the server has no process id")?;
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
        "innohub benchmark: {} clients, binary {}, server pid {pid}",
        args.clients,
        innohub_tests::binary()?.display()
    );
    let last = Arc::new(AtomicI64::new(0));

    // 1. submitProcess, after a warm-up of connections and caches.
    submit_many(&app, &token, 1, 1_000_000, WARM_UP, &last).await?;
    let submits = submit_many(&app, &token, args.clients, 0, args.commands, &last).await?;
    println!("submitProcess: {submits}");

    // 2. The baseline.
    let payload = average_payload(&app).await?;
    let raw_rate = innohub_tests::raw_sqlite_insert_rate(args.commands, payload).await?;
    let submit_ratio = submits.per_second() / raw_rate;
    println!(
        "baseline: raw SQLite insert of a {payload}-byte event row, one transaction each: \
         {raw_rate:.0} rows/s; submitProcess reaches {:.1} % of it (ratio {submit_ratio:.3})",
        100.0 * submit_ratio
    );

    // 3. and 4. At each size: load up to it, check the backlog holds them all, time it.
    let mut loaded = first_size;
    let mut sizes = Vec::new();
    for &processes in &args.processes {
        let fill = processes - loaded;
        if fill > 0 {
            println!("loading {fill} more processes through submitProcess…");
            let load =
                submit_many(&app, &token, args.clients, 2_000_000 + loaded, fill, &last).await?;
            println!("loaded: {load}");
            loaded = processes;
        }
        let consistency = innohub_tests::token_at(last.load(Ordering::Relaxed));
        innohub_tests::backlog_total(&app, &token, Some(&consistency), processes as i64)
            .await
            .context("the read models did not catch up with the load")?;
        let after_load = Memory::of(pid)?;
        println!("{processes} processes in the store and the backlog; server {after_load}");
        let backlog = innohub_tests::time_backlog(&app, &token, args.clients, args.queries).await?;
        let after_queries = Memory::of(pid)?;
        println!("backlog(first: 50) at {processes} processes: {backlog}; server {after_queries}");
        sizes.push(AtSize {
            processes,
            backlog,
            after_load,
            after_queries,
        });
    }

    // The summary.
    let mut summary = Summary::default();
    summary.row(
        &format!("embedded `submitProcess`, {} clients", args.clients),
        format!(
            "{:.0} commands/s = {submit_ratio:.3} of the raw insert",
            submits.per_second()
        ),
        format!(
            "≥ {SUBMIT_RATIO_GOAL} × raw SQLite insert, {payload}-byte rows, one transaction each: \
             {raw_rate:.0} rows/s (this run)"
        ),
        submit_ratio >= SUBMIT_RATIO_GOAL,
    );
    summary.row(
        &format!("embedded `submitProcess`, {} clients: p99", args.clients),
        ms(submits.p99),
        format!("< {}", ms(SUBMIT_P99_GOAL)),
        submits.p99 < SUBMIT_P99_GOAL,
    );
    for size in &sizes {
        let at = format!(
            "embedded `backlog(first: 50)` at {} processes, {} clients",
            size.processes, args.clients
        );
        summary.row(
            &at,
            format!("{:.0} queries/s", size.backlog.per_second()),
            format!("≥ {BACKLOG_RATE_GOAL:.0} queries/s"),
            size.backlog.per_second() >= BACKLOG_RATE_GOAL,
        );
        summary.row(
            &format!("{at}: p99"),
            ms(size.backlog.p99),
            format!("< {}", ms(BACKLOG_P99_GOAL)),
            size.backlog.p99 < BACKLOG_P99_GOAL,
        );
    }
    if let Some(largest) = sizes.last() {
        for (when, memory) in [
            ("loaded", largest.after_load),
            ("loaded and queried", largest.after_queries),
        ] {
            summary.row(
                &format!(
                    "`innohub serve` with {} processes {when}: RSS",
                    largest.processes
                ),
                format!(
                    "{:.1} MB (peak so far {:.1} MB)",
                    megabytes(memory.rss),
                    megabytes(memory.hwm)
                ),
                format!("< {RSS_GOAL_MB:.0} MB"),
                megabytes(memory.rss) < RSS_GOAL_MB,
            );
        }
    }
    println!();
    summary.print();

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
