//! Benchmark of the distributed mode, run against the real release binaries (`processes`,
//! `projections`, `gateway`), a Tansu broker (memory storage) and the local PostgreSQL
//! server. In one run it measures:
//!
//! 1. **Outbox relay throughput**: with the processes service stopped, `--events` copies of
//!    a real `ProcessSubmitted` event (fresh ids) and their outbox rows are loaded straight
//!    into its store; the service is started and timed from its start until the outbox is
//!    empty (and from the first outbox decrease, which leaves out the start-up).
//! 2. **Baseline**: the same envelopes (encoded before the clock starts) sent by a raw
//!    rdkafka producer configured like the relay to a separate topic on the same broker,
//!    awaiting every acknowledgement; the relay's figure is reported as a ratio of it.
//! 3. **Projection**: the incremental consume rate of the projections service during (1),
//!    then `innohub projections rebuild` of the whole topic, timed.
//! 4. **End-to-end freshness**: `submitProcess` at `--rate` commands/s for `--seconds`
//!    (open loop, in a municipality of their own), each followed by
//!    `backlog(filter: {titleContains}, consistency: <the mutation's token>)`, which the
//!    gateway answers once the read models hold the write (polled again every 10 ms should
//!    that wait give up): mutation-accepted → visible-in-backlog latency percentiles.
//!
//! `cargo run --release -p innohub-tests --bin dist_bench -- [--events 100000] [--rate 200] [--seconds 30]`
//!
//! It re-executes itself with `INNOHUB_BIN_PROFILE=release`, so the cluster runs the release
//! `innohub` binary (built on first use). Tansu must be installed (`deploy/tansu.sh install`)
//! and PostgreSQL running (`deploy/postgres.sh ensure`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use innohub_proto::innohub::processes::v1::ProcessSubmitted;
use innohub_runtime::kafka::{KafkaConfig, envelope, events_topic, headers};
use innohub_runtime::{Database, EventStore};
use innohub_tests::distributed::{Broker, Cluster, postgres_admin_url, tansu};
use innohub_tests::{App, Latencies, bench_process_input};
use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::json;
use sqlx::Connection as _;

#[derive(Parser, Debug)]
struct Args {
    /// Events loaded into the processes store for the relay, raw-producer and rebuild runs.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// submitProcess commands per second in the freshness run.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Duration of the freshness run.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    /// Keep the two databases instead of dropping them at the end.
    #[arg(long)]
    keep: bool,
}

const SUBMIT: &str = "mutation($input: SubmitProcessInput!) { submitProcess(input: $input) { id consistencyToken } }";
const VISIBLE: &str = "query($t: String, $c: String) { backlog(filter: {titleContains: $t}, first: 1, consistency: $c) { totalCount } }";
/// The freshness run submits in its own municipality, so each backlog query scans only the
/// run's own processes, not the bulk-loaded ones.
const FRESHNESS_MUNICIPALITY: &str = "FI-0091";
/// Rows per `INSERT … SELECT … generate_series` statement.
const LOAD_CHUNK: usize = 10_000;
/// Deliveries in flight at once in the raw-producer run.
const SEND_WINDOW: usize = 10_000;
const RAW_TOPIC: &str = "bench.raw.v1";
/// Every Cluster topic is created with 3 partitions (`--kafka-partitions 3`).
const PARTITIONS: i32 = 3;
const POLL: Duration = Duration::from_millis(50);
/// How long one command may take to become visible before it counts as lost.
const VISIBLE_TIMEOUT: Duration = Duration::from_secs(60);

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn per_second(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// Submit one process; returns its consistency token.
async fn submit(app: &App, token: &str, title: &str, i: usize) -> anyhow::Result<String> {
    let r = app
        .gql(
            Some(token),
            SUBMIT,
            json!({ "input": bench_process_input(title, i) }),
        )
        .await?;
    if r.get("errors").is_some() {
        bail!("submitProcess failed: {r}");
    }
    r["data"]["submitProcess"]["consistencyToken"]
        .as_str()
        .map(str::to_owned)
        .context("submitProcess returned no consistencyToken")
}

/// How many backlog entries have `title` in their title; with `consistency`, the gateway
/// first waits (at most 5 s) until the read models hold that write.
async fn visible_count(
    app: &App,
    token: &str,
    title: &str,
    consistency: Option<&str>,
) -> anyhow::Result<i64> {
    let r = app
        .gql(
            Some(token),
            VISIBLE,
            json!({ "t": title, "c": consistency }),
        )
        .await?;
    if r.get("errors").is_some() {
        bail!("backlog failed: {r}");
    }
    r["data"]["backlog"]["totalCount"]
        .as_i64()
        .context("backlog returned no totalCount")
}

/// A title no other title contains.
fn unique_title(run: &str, i: usize) -> String {
    format!("Freshness {run} n{i:07}x")
}

/// Poll `sql` (one number) on `url` every 50 ms until `done(value)`, at most `timeout`.
async fn wait_for(
    url: &str,
    sql: &str,
    timeout: Duration,
    done: impl Fn(i64) -> bool,
) -> anyhow::Result<i64> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let deadline = Instant::now() + timeout;
    loop {
        let value: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await?;
        if done(value) {
            conn.close().await?;
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?} waiting on {sql:?} (last value {value})");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Load `count` copies of the ProcessSubmitted event at `template` with fresh ids (event,
/// correlation, process = aggregate, also replaced in the payload) and their outbox rows.
async fn load_events(url: &str, template: i64, count: usize) -> anyhow::Result<Duration> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let (aggregate_id, payload): (String, Vec<u8>) =
        sqlx::query_as("SELECT aggregate_id, payload FROM events WHERE position = $1")
            .bind(template)
            .fetch_one(&mut conn)
            .await?;
    let process_id = ProcessSubmitted::decode(payload.as_slice())
        .context("the template is not a ProcessSubmitted")?
        .process_id;
    if !aggregate_id.contains(&process_id) {
        bail!("aggregate id {aggregate_id} does not contain the process id {process_id}");
    }
    let last: i64 = sqlx::query_scalar("SELECT MAX(position) FROM events")
        .fetch_one(&mut conn)
        .await?;
    let started = Instant::now();
    let mut loaded = 0;
    while loaded < count {
        let n = (count - loaded).min(LOAD_CHUNK);
        sqlx::query(
            "INSERT INTO events (event_id, municipality, aggregate_type, aggregate_id, sequence, \
             event_type, payload, actor_user, actor_municipality, occurred_at, correlation_id, \
             causation_id) \
             SELECT gen_random_uuid()::text, t.municipality, t.aggregate_type, \
             replace(t.aggregate_id, $2, g.id), 1, t.event_type, \
             decode(replace(encode(t.payload, 'hex'), encode(convert_to($2, 'UTF8'), 'hex'), \
             encode(convert_to(g.id, 'UTF8'), 'hex')), 'hex'), \
             t.actor_user, t.actor_municipality, t.occurred_at, gen_random_uuid()::text, \
             t.causation_id \
             FROM events t, (SELECT gen_random_uuid()::text AS id FROM generate_series(1, $3)) g \
             WHERE t.position = $1",
        )
        .bind(template)
        .bind(&process_id)
        .bind(n as i64)
        .execute(&mut conn)
        .await?;
        loaded += n;
    }
    sqlx::query("INSERT INTO outbox (position) SELECT position FROM events WHERE position > $1")
        .bind(last)
        .execute(&mut conn)
        .await?;
    let elapsed = started.elapsed();
    sqlx::query("ANALYZE events").execute(&mut conn).await?;
    sqlx::query("ANALYZE outbox").execute(&mut conn).await?;
    conn.close().await?;
    Ok(elapsed)
}

/// What the relay run saw, measured from the moment the processes service was started.
struct RelayRun {
    first_decrease: Duration,
    drained: Duration,
    applied: Duration,
}

/// Watch the outbox (until empty) and `applied_events` (until `target`) from `started`.
async fn watch_relay(
    events_db: String,
    views_db: String,
    loaded: i64,
    target: i64,
    started: Instant,
) -> anyhow::Result<RelayRun> {
    let mut events = sqlx::PgConnection::connect(&events_db).await?;
    let mut views = sqlx::PgConnection::connect(&views_db).await?;
    let (mut first_decrease, mut drained, mut applied) = (None, None, None);
    let deadline = Duration::from_secs(1800);
    loop {
        if drained.is_none() {
            let outbox: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
                .fetch_one(&mut events)
                .await?;
            let now = started.elapsed();
            if first_decrease.is_none() && outbox < loaded {
                first_decrease = Some(now);
            }
            if outbox == 0 {
                drained = Some(now);
            }
        }
        if applied.is_none() {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applied_events")
                .fetch_one(&mut views)
                .await?;
            if count >= target {
                applied = Some(started.elapsed());
            }
        }
        if let (Some(first_decrease), Some(drained), Some(applied)) =
            (first_decrease, drained, applied)
        {
            events.close().await?;
            views.close().await?;
            return Ok(RelayRun {
                first_decrease,
                drained,
                applied,
            });
        }
        if started.elapsed() > deadline {
            bail!("the relay or the projection did not finish within {deadline:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One pre-encoded message of the raw-producer run.
struct RawMessage {
    key: String,
    event_type: String,
    value: Vec<u8>,
}

/// Read the events after `after` back and encode them exactly like the relay does.
async fn encode_events(events_db: &str, after: i64) -> anyhow::Result<Vec<RawMessage>> {
    let store = EventStore::open(Database::connect(events_db).await?, true).await?;
    let mut messages = Vec::new();
    let mut position = after;
    loop {
        let page = store.read_all(position, 5_000).await?;
        let Some(last) = page.last() else { break };
        position = last.position;
        for event in &page {
            messages.push(RawMessage {
                key: event.aggregate_id.clone(),
                event_type: event.event_type.clone(),
                value: envelope(event).encode_to_vec(),
            });
        }
    }
    store.database().close().await;
    Ok(messages)
}

fn record<'a>(message: &'a RawMessage) -> FutureRecord<'a, str, Vec<u8>> {
    FutureRecord::to(RAW_TOPIC)
        .key(message.key.as_str())
        .payload(&message.value)
        .headers(OwnedHeaders::new().insert(Header {
            key: headers::EVENT_TYPE,
            value: Some(message.event_type.as_str()),
        }))
}

/// Send every message with a producer configured like the relay; returns the time from the
/// first send to the last acknowledgement.
async fn raw_produce(brokers: &str, messages: &[RawMessage]) -> anyhow::Result<Duration> {
    let kafka = KafkaConfig {
        brokers: brokers.to_owned(),
        partitions: PARTITIONS,
        replication: 1,
    };
    kafka.ensure_topics(&[RAW_TOPIC]).await?;
    // The relay's own configuration: idempotent, acks=all, linger.ms=2, 15 s timeout.
    let producer = kafka.producer()?;
    // One acknowledged message first, so the clock leaves out metadata and producer-id setup.
    if let Some(first) = messages.first() {
        deliver(&producer, std::slice::from_ref(first)).await?;
    }
    let started = Instant::now();
    for window in messages.chunks(SEND_WINDOW) {
        deliver(&producer, window).await?;
    }
    Ok(started.elapsed())
}

async fn deliver(producer: &FutureProducer, window: &[RawMessage]) -> anyhow::Result<()> {
    let mut deliveries = Vec::with_capacity(window.len());
    for message in window {
        match producer.send_result(record(message)) {
            Ok(delivery) => deliveries.push(delivery),
            Err((e, _)) => bail!("cannot enqueue a message: {e}"),
        }
    }
    for delivery in deliveries {
        match delivery.await {
            Ok(Ok(_)) => {}
            Ok(Err((e, _))) => bail!("delivery failed: {e}"),
            Err(_) => bail!("delivery canceled"),
        }
    }
    Ok(())
}

/// One command of the freshness run.
struct Sample {
    /// Request sent → mutation answered.
    mutation: Duration,
    /// Mutation answered → visible in the backlog.
    visible: Duration,
    /// When the mutation was answered, from the start of the run.
    accepted_at: Duration,
    /// Each visibility query's round trip.
    polls: Vec<Duration>,
}

async fn one_command(
    app: Arc<App>,
    token: Arc<String>,
    title: String,
    i: usize,
    run_start: Instant,
) -> anyhow::Result<Sample> {
    let sent = Instant::now();
    let consistency = submit(&app, &token, &title, i).await?;
    let accepted = Instant::now();
    let mut polls = Vec::new();
    // The first read waits for the write (read-your-writes); should that give up, poll.
    let mut wait_for_write = Some(consistency);
    loop {
        let t = Instant::now();
        let count = visible_count(&app, &token, &title, wait_for_write.take().as_deref()).await?;
        polls.push(t.elapsed());
        if count >= 1 {
            return Ok(Sample {
                mutation: accepted - sent,
                visible: accepted.elapsed(),
                accepted_at: accepted - run_start,
                polls,
            });
        }
        if accepted.elapsed() > VISIBLE_TIMEOUT {
            bail!("{title:?} not visible after {VISIBLE_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The watermarks `(partition, low, high)` of every partition of `topic`.
async fn watermarks(brokers: &str, topic: &str) -> anyhow::Result<Vec<(i32, i64, i64)>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("dist-bench-{}", uuid::Uuid::now_v7()))
        .create()?;
    let topic = topic.to_owned();
    tokio::task::spawn_blocking(move || {
        let metadata = consumer.fetch_metadata(Some(&topic), Duration::from_secs(10))?;
        let mut marks = Vec::new();
        for t in metadata.topics() {
            for p in t.partitions() {
                let (low, high) =
                    consumer.fetch_watermarks(&topic, p.id(), Duration::from_secs(10))?;
                marks.push((p.id(), low, high));
            }
        }
        marks.sort_unstable();
        Ok(marks)
    })
    .await?
}

/// The rebuild's "(N events/s)".
fn rebuild_rate(stdout: &str) -> Option<f64> {
    let (before, _) = stdout.rsplit_once(" events/s)")?;
    let (_, number) = before.rsplit_once('(')?;
    number.trim().parse().ok()
}

fn tansu_version() -> String {
    tansu()
        .ok()
        .and_then(|bin| {
            std::process::Command::new(bin)
                .arg("--version")
                .output()
                .ok()
        })
        .filter(|out| out.status.success())
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_else(|| "tansu (version unknown)".into())
}

fn main() -> anyhow::Result<()> {
    // The cluster must run the release binary.
    innohub_tests::rerun_with_release_binary()?;
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let binary = innohub_tests::binary()?;
    println!("innohub distributed benchmark: binary {}", binary.display());
    let mut broker = Broker::start(false).await?;
    let mut cluster = Cluster::start(&broker, &[]).await?;
    let token = cluster
        .gateway
        .token(
            "bench",
            "DK-0706",
            Some("social"),
            &["employee", "it_portfolio"],
        )
        .await?;
    let run_id = uuid::Uuid::now_v7().simple().to_string()[20..].to_owned();
    let events_db = cluster.events_db.clone();
    let views_db = cluster.views_db.clone();

    // 1. Outbox relay: one real event as the template, settled through the whole pipeline.
    let template_title = unique_title(&run_id, 0);
    submit(&cluster.gateway, &token, &template_title, 0).await?;
    wait_for(
        &events_db,
        "SELECT COUNT(*) FROM outbox",
        Duration::from_secs(60),
        |n| n == 0,
    )
    .await
    .context("the template event was not relayed")?;
    let before = Cluster::scalar(&events_db, "SELECT COUNT(*) FROM events").await?;
    wait_for(
        &views_db,
        "SELECT COUNT(*) FROM applied_events",
        Duration::from_secs(60),
        |n| n >= before,
    )
    .await
    .context("the template event was not projected")?;
    let template = Cluster::scalar(
        &events_db,
        "SELECT MIN(position) FROM events WHERE event_type = 'ProcessSubmitted'",
    )
    .await?;
    let last_before = Cluster::scalar(&events_db, "SELECT MAX(position) FROM events").await?;
    cluster.processes.stop().await?;
    println!("loading {} events into the processes store…", args.events);
    let load_time = load_events(&events_db, template, args.events).await?;
    let in_store = Cluster::scalar(&events_db, "SELECT COUNT(*) FROM events").await?;
    let outbox = Cluster::scalar(&events_db, "SELECT COUNT(*) FROM outbox").await?;
    let avg_payload = Cluster::scalar(
        &events_db,
        "SELECT AVG(LENGTH(payload))::bigint FROM events",
    )
    .await?;
    println!(
        "loaded in {}; {in_store} events in the store, {outbox} in the outbox; starting the relay…",
        secs(load_time)
    );
    let relay_start = Instant::now();
    let watcher = tokio::spawn(watch_relay(
        events_db.clone(),
        views_db.clone(),
        outbox,
        in_store,
        relay_start,
    ));
    cluster.processes.start().await?;
    let ready = relay_start.elapsed();
    let relay = watcher.await??;
    let relay_rate = per_second(args.events, relay.drained);
    let relay_rate_flowing = per_second(
        args.events,
        relay.drained.saturating_sub(relay.first_decrease),
    );
    let incremental_rate = per_second(args.events, relay.applied);
    println!(
        "relay: drained {} events in {} from start ({relay_rate:.0} events/s); projected all in {}",
        args.events,
        secs(relay.drained),
        secs(relay.applied)
    );

    let marks = watermarks(&cluster.brokers, &events_topic("processes")).await?;
    let topic_messages: i64 = marks.iter().map(|(_, low, high)| high - low).sum();
    let marks_text = marks
        .iter()
        .map(|(p, low, high)| format!("p{p} {low}..{high}"))
        .collect::<Vec<_>>()
        .join(", ");

    // 2. The same envelopes through a raw producer, same broker, separate topic.
    let messages = encode_events(&events_db, last_before).await?;
    if messages.len() != args.events {
        bail!(
            "read back {} events, loaded {}",
            messages.len(),
            args.events
        );
    }
    let avg_envelope =
        messages.iter().map(|m| m.value.len()).sum::<usize>() / messages.len().max(1);
    let raw_time = raw_produce(&cluster.brokers, &messages).await?;
    let raw_rate = per_second(messages.len(), raw_time);
    drop(messages);
    println!(
        "raw producer: {} messages in {} ({raw_rate:.0} events/s)",
        args.events,
        secs(raw_time)
    );

    // 3. Rebuild of the read models from the topic.
    cluster.projections.stop().await?;
    let rebuild_started = Instant::now();
    let rebuild_out = cluster.rebuild().await?;
    let rebuild_wall = rebuild_started.elapsed();
    let rebuild_line = rebuild_out
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    let rebuild_events_per_second =
        rebuild_rate(&rebuild_out).with_context(|| format!("rebuild output {rebuild_out:?}"))?;
    println!("{rebuild_line}");
    let rebuilt = Cluster::scalar(&views_db, "SELECT COUNT(*) FROM applied_events").await?;

    // 4. Freshness under load. One command first, so the consumer group has settled.
    cluster.projections.start().await?;
    let app = Arc::new(cluster.gateway.clone_handle());
    let token = Arc::new(
        cluster
            .gateway
            .token(
                "bench",
                FRESHNESS_MUNICIPALITY,
                Some("social"),
                &["employee", "it_portfolio"],
            )
            .await?,
    );
    let warm_title = unique_title(&run_id, 1);
    one_command(app.clone(), token.clone(), warm_title, 1, Instant::now())
        .await
        .context("warm-up command")?;
    let total = (args.rate as usize) * (args.seconds as usize);
    println!(
        "freshness: {total} submitProcess at {}/s for {} s…",
        args.rate, args.seconds
    );
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let run_start = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        ticker.tick().await;
        let title = unique_title(&run_id, 10 + i);
        tasks.push(tokio::spawn(one_command(
            app.clone(),
            token.clone(),
            title,
            10 + i,
            run_start,
        )));
    }
    let issued_in = run_start.elapsed();
    let mut samples = Vec::with_capacity(total);
    let mut failures = Vec::new();
    for task in tasks {
        match task.await? {
            Ok(sample) => samples.push(sample),
            Err(e) => failures.push(e),
        }
    }
    if samples.is_empty() {
        bail!(
            "every command failed; first: {:?}",
            failures.first().map(ToString::to_string)
        );
    }
    let last_accept = samples
        .iter()
        .map(|s| s.accepted_at)
        .max()
        .unwrap_or_default();
    let issued_rate = per_second(total, issued_in);
    let accepted_rate = per_second(samples.len(), last_accept);
    let mut visible = Latencies(samples.iter().map(|s| s.visible).collect());
    let mut mutation = Latencies(samples.iter().map(|s| s.mutation).collect());
    let mut polls = Latencies(
        samples
            .iter()
            .flat_map(|s| s.polls.iter().copied())
            .collect(),
    );
    let poll_count = polls.0.len();

    // The report.
    let postgres = {
        let mut conn = sqlx::PgConnection::connect(&postgres_admin_url()).await?;
        let version: String = sqlx::query_scalar("SHOW server_version")
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        version
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let command = format!(
        "cargo run --release -p innohub-tests --bin dist_bench -- --events {} --rate {} --seconds {}",
        args.events, args.rate, args.seconds
    );
    println!();
    println!("## innohub distributed benchmark");
    println!();
    println!("Command: `{command}`  ");
    println!(
        "Machine: {cores} cores (nproc); broker {} with memory storage, {PARTITIONS} partitions per topic; \
         PostgreSQL {postgres} on localhost; every process (broker, PostgreSQL, processes, \
         projections, gateway, this load generator) on the same machine.",
        tansu_version()
    );
    println!();
    println!("| Measure | Value |");
    println!("|---|---|");
    println!(
        "| Events loaded (copies of one `ProcessSubmitted`, {avg_payload} B protobuf payload, {avg_envelope} B envelope) | {} in {} (SQL, {} rows per statement) |",
        args.events,
        secs(load_time),
        LOAD_CHUNK
    );
    println!(
        "| **Outbox relay**: processes start → outbox empty | {} = **{relay_rate:.0} events/s** |",
        secs(relay.drained)
    );
    println!(
        "| Outbox relay: service ready / first outbox decrease | {} / {} |",
        secs(ready),
        secs(relay.first_decrease)
    );
    println!(
        "| Outbox relay: first decrease → outbox empty | {} = {relay_rate_flowing:.0} events/s |",
        secs(relay.drained.saturating_sub(relay.first_decrease))
    );
    println!(
        "| **Raw rdkafka producer**, same envelopes, same settings, windows of {SEND_WINDOW} | {} = **{raw_rate:.0} events/s** |",
        secs(raw_time)
    );
    println!(
        "| Relay / raw producer | {:.3} (from first decrease: {:.3}) |",
        relay_rate / raw_rate,
        relay_rate_flowing / raw_rate
    );
    println!(
        "| **Incremental projection**: relay start → all applied | {} = **{incremental_rate:.0} events/s** (lag after outbox empty {}) |",
        secs(relay.applied),
        secs(relay.applied.saturating_sub(relay.drained))
    );
    println!(
        "| **Rebuild** (`innohub projections rebuild`) | **{rebuild_events_per_second:.0} events/s** (\"{rebuild_line}\"; {} wall incl. process start) |",
        secs(rebuild_wall)
    );
    println!(
        "| Rebuild check: events in the store / applied by the rebuild / in the topic by the broker's watermarks ({marks_text}) | {in_store} / {rebuilt} / {topic_messages}{} |",
        if rebuilt == in_store {
            ""
        } else {
            " **MISMATCH**"
        }
    );
    println!(
        "| Freshness run: commands issued / ok / failed | {total} / {} / {} |",
        samples.len(),
        failures.len()
    );
    println!(
        "| Command rate: target / issued / accepted | {} / {issued_rate:.1} / {accepted_rate:.1} commands/s |",
        args.rate
    );
    println!(
        "| **Freshness** (mutation accepted → visible in backlog, read with its consistency token) p50 / p90 / p99 / max | **{} / {} / {} / {}** |",
        ms(visible.percentile(0.50)),
        ms(visible.percentile(0.90)),
        ms(visible.percentile(0.99)),
        ms(visible.max())
    );
    println!(
        "| submitProcess latency p50 / p99 | {} / {} |",
        ms(mutation.percentile(0.50)),
        ms(mutation.percentile(0.99))
    );
    println!(
        "| Visibility query (backlog, municipality + titleContains) p50 / p99, count | {} / {}, {poll_count} |",
        ms(polls.percentile(0.50)),
        ms(polls.percentile(0.99))
    );
    if let Some(e) = failures.first() {
        println!();
        println!("First failure: {e:#}");
    }

    // Clean up: stop everything, then drop the databases unless asked to keep them.
    let Cluster {
        mut gateway_process,
        mut processes,
        mut projections,
        ..
    } = cluster;
    gateway_process.stop().await?;
    projections.stop().await?;
    processes.stop().await?;
    broker.stop().await?;
    if args.keep {
        println!("\ndatabases kept: {events_db} {views_db}");
    } else {
        let mut conn = sqlx::PgConnection::connect(&postgres_admin_url()).await?;
        for url in [&events_db, &views_db] {
            if let Some((_, name)) = url.rsplit_once('/') {
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
            }
        }
        conn.close().await?;
    }
    Ok(())
}
