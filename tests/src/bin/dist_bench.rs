//! Benchmark of the distributed mode, run against the real release binaries (`processes`,
//! `projections`, `gateway`), a Tansu broker (memory storage) and the local PostgreSQL
//! server. In one run it measures every distributed figure of the goal table, each stage on
//! its own:
//!
//! 1. **Outbox relay throughput**: 100 real processes (`bench_process_input`, varied
//!    figures) are submitted through the gateway in municipality DK-0706 and settle through
//!    the pipeline; with the processes and projections services stopped, `--events`
//!    (default 100,000) copies of their `ProcessSubmitted` events (fresh ids, spread evenly
//!    over the 100) and outbox rows are loaded straight into the processes store. The
//!    service is started and timed until the outbox is empty, from its start and from the
//!    first outbox decrease (which leaves out the start-up; polled every 50 ms).
//! 2. **Baseline**: the same envelopes (encoded before the clock starts) sent by a raw
//!    rdkafka producer configured like the relay to a separate topic on the same broker,
//!    awaiting every acknowledgement; the relay's figure is reported as a ratio of it.
//! 3. **Incremental projection, alone**: with the whole load on the topic, the projections
//!    service is started and timed until it has applied every event (`applied_events`),
//!    from its start and from the first event applied (which leaves out start-up and the
//!    consumer group join).
//! 4. **Distributed backlog**: `backlog(first: 50)` ([`innohub_tests::BACKLOG`]) through
//!    the gateway on the PostgreSQL read models, once they hold all `--events` + 100
//!    processes (checked with `totalCount`; then `ANALYZE`, as autovacuum would), with a
//!    DK-0706 token, `--clients` concurrent clients (default 16), `--queries` (default 2,000).
//! 5. **Rebuild**: `innohub projections rebuild` of the whole topic, its own events/s.
//! 6. **End-to-end freshness**: `submitProcess` at `--rate` commands/s (default 200) for
//!    `--seconds` (default 30) (open loop, in a municipality of their own), each followed by
//!    `backlog(filter: {titleContains}, consistency: <the mutation's token>)`, which the
//!    gateway answers once the read models hold the write (polled again every 10 ms should
//!    that wait give up): accepted/offered commands, and mutation-accepted →
//!    visible-in-backlog latency percentiles.
//!
//! It ends with a summary table: each figure, its goal (or the baseline of the same run),
//! met or not.
//!
//! `cargo run --release -p innohub-tests --bin dist_bench -- [--events 100000] [--rate 200] [--seconds 30] [--clients 16] [--queries 2000]`
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
use innohub_tests::distributed::{Broker, Cluster, Service, postgres_admin_url, tansu};
use innohub_tests::{App, Latencies, Summary, bench_process_input, ms, time_backlog};
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
    /// Concurrent clients of the backlog run.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// backlog(first: 50) queries to time.
    #[arg(long, default_value_t = 2000)]
    queries: usize,
    /// Keep the two databases instead of dropping them at the end.
    #[arg(long)]
    keep: bool,
}

const SUBMIT: &str = "mutation($input: SubmitProcessInput!) { submitProcess(input: $input) { id consistencyToken } }";
const VISIBLE: &str = "query($t: String, $c: String) { backlog(filter: {titleContains: $t}, first: 1, consistency: $c) { totalCount } }";
/// The freshness run submits in its own municipality, so each backlog query scans only the
/// run's own processes, not the bulk-loaded ones.
const FRESHNESS_MUNICIPALITY: &str = "FI-0091";
/// The municipality of the loaded processes and of the backlog run.
const LOAD_MUNICIPALITY: &str = "DK-0706";
/// Real processes submitted first, whose events the load copies.
const TEMPLATES: usize = 100;
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
/// The goals of issue 9.
const RELAY_RATIO_GOAL: f64 = 0.5;
const PROJECTION_RATE_GOAL: f64 = 10_000.0;
const REBUILD_RATE_GOAL: f64 = 50_000.0;
const BACKLOG_RATE_GOAL: f64 = 2000.0;
const BACKLOG_P99_GOAL: Duration = Duration::from_millis(20);
const FRESHNESS_P99_GOAL: Duration = Duration::from_millis(250);
/// "All accepted": none failed, and accepted at no less than this share of the target rate.
const ACCEPTED_SHARE_GOAL: f64 = 0.95;

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

/// Load `count` copies of the ProcessSubmitted events in the store (the templates), spread
/// evenly over them, with fresh ids (event, correlation, process = aggregate, also replaced
/// in the payload), and their outbox rows.
async fn load_events(url: &str, count: usize) -> anyhow::Result<Duration> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let templates: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
        "SELECT position, aggregate_id, payload FROM events \
         WHERE event_type = 'ProcessSubmitted' ORDER BY position",
    )
    .fetch_all(&mut conn)
    .await?;
    if templates.is_empty() {
        bail!("no ProcessSubmitted event in the store to copy");
    }
    let last: i64 = sqlx::query_scalar("SELECT MAX(position) FROM events")
        .fetch_one(&mut conn)
        .await?;
    let started = Instant::now();
    for (t, (position, aggregate_id, payload)) in templates.iter().enumerate() {
        let process_id = ProcessSubmitted::decode(payload.as_slice())
            .with_context(|| format!("the event at {position} is not a ProcessSubmitted"))?
            .process_id;
        if !aggregate_id.contains(&process_id) {
            bail!("aggregate id {aggregate_id} does not contain the process id {process_id}");
        }
        let copies = count / templates.len() + usize::from(t < count % templates.len());
        let mut loaded = 0;
        while loaded < copies {
            let n = (copies - loaded).min(LOAD_CHUNK);
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
            .bind(position)
            .bind(&process_id)
            .bind(n as i64)
            .execute(&mut conn)
            .await?;
            loaded += n;
        }
    }
    sqlx::query(
        "INSERT INTO outbox (position, aggregate_id) \
         SELECT position, aggregate_id FROM events WHERE position > $1",
    )
    .bind(last)
    .execute(&mut conn)
    .await?;
    let elapsed = started.elapsed();
    sqlx::query("ANALYZE events").execute(&mut conn).await?;
    sqlx::query("ANALYZE outbox").execute(&mut conn).await?;
    conn.close().await?;
    Ok(elapsed)
}

/// How a stage went, measured from the moment its process was started.
struct Stage {
    /// The process answered `/readyz`.
    ready: Duration,
    /// The watched count first moved, and its value then.
    first_change: (Duration, i64),
    /// The watched count said the stage was done, and its value then.
    done: (Duration, i64),
    /// Its value before the start.
    initial: i64,
}

impl Stage {
    /// From start to done.
    fn total(&self) -> Duration {
        self.done.0
    }

    /// From the first change to done: the stage's work without the process's start.
    fn flowing(&self) -> Duration {
        self.done.0.saturating_sub(self.first_change.0)
    }

    /// Items per second from start to done.
    fn rate(&self) -> f64 {
        per_second(self.done.1.abs_diff(self.initial) as usize, self.total())
    }

    /// Items per second from the first change (the items moved by then left out) to done;
    /// from the start if the count moved only once.
    fn flowing_rate(&self) -> f64 {
        if self.flowing().is_zero() {
            return self.rate();
        }
        per_second(
            self.done.1.abs_diff(self.first_change.1) as usize,
            self.flowing(),
        )
    }
}

/// Start `service` and poll `sql` (one number) on `url` every 50 ms from its start until
/// `done(value)`: the stage's timing. `initial` is the value before the start.
async fn time_stage(
    service: &mut Service,
    url: &str,
    sql: &'static str,
    initial: i64,
    done: impl Fn(i64) -> bool + Send + 'static,
) -> anyhow::Result<Stage> {
    let started = Instant::now();
    let url = url.to_owned();
    let watcher = tokio::spawn(async move {
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        let mut first_change = None;
        let deadline = Duration::from_secs(1800);
        loop {
            let value: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await?;
            let now = started.elapsed();
            if value != initial {
                first_change.get_or_insert((now, value));
            }
            if done(value) {
                conn.close().await?;
                return Ok::<_, anyhow::Error>((
                    first_change.unwrap_or((now, value)),
                    (now, value),
                ));
            }
            if now > deadline {
                bail!("{sql:?} was not done within {deadline:?} (last value {value})");
            }
            tokio::time::sleep(POLL).await;
        }
    });
    service.start().await?;
    let ready = started.elapsed();
    let (first_change, done) = watcher.await??;
    Ok(Stage {
        ready,
        first_change,
        done,
        initial,
    })
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
            LOAD_MUNICIPALITY,
            Some("social"),
            &["employee", "it_portfolio"],
        )
        .await?;
    let run_id = uuid::Uuid::now_v7().simple().to_string()[20..].to_owned();
    let events_db = cluster.events_db.clone();
    let views_db = cluster.views_db.clone();

    // 1. Outbox relay: real processes as the templates, settled through the whole pipeline.
    for i in 0..TEMPLATES {
        submit(
            &cluster.gateway,
            &token,
            &format!("Benchmark process {i}"),
            i,
        )
        .await?;
    }
    wait_for(
        &events_db,
        "SELECT COUNT(*) FROM outbox",
        Duration::from_secs(60),
        |n| n == 0,
    )
    .await
    .context("the template events were not relayed")?;
    let before = Cluster::scalar(&events_db, "SELECT COUNT(*) FROM events").await?;
    wait_for(
        &views_db,
        "SELECT COUNT(*) FROM applied_events",
        Duration::from_secs(60),
        |n| n >= before,
    )
    .await
    .context("the template events were not projected")?;
    let last_before = Cluster::scalar(&events_db, "SELECT MAX(position) FROM events").await?;
    cluster.processes.stop().await?;
    cluster.projections.stop().await?;
    println!("loading {} events into the processes store…", args.events);
    let load_time = load_events(&events_db, args.events).await?;
    let in_store = Cluster::scalar(&events_db, "SELECT COUNT(*) FROM events").await?;
    let outbox = Cluster::scalar(&events_db, "SELECT COUNT(*) FROM outbox").await?;
    let avg_payload = Cluster::scalar(
        &events_db,
        "SELECT AVG(LENGTH(payload))::bigint FROM events",
    )
    .await?;
    println!(
        "loaded in {}; {in_store} events in the store, {outbox} in the outbox; starting the relay \
         (the projections service stopped)…",
        secs(load_time)
    );
    let relay = time_stage(
        &mut cluster.processes,
        &events_db,
        "SELECT COUNT(*) FROM outbox",
        outbox,
        |n| n == 0,
    )
    .await?;
    let relay_rate = relay.rate();
    let relay_rate_flowing = relay.flowing_rate();
    println!(
        "relay: drained {} events in {} from start ({relay_rate:.0} events/s), {} from the first \
         decrease ({relay_rate_flowing:.0} events/s)",
        args.events,
        secs(relay.total()),
        secs(relay.flowing())
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

    // 3. The projection alone, from a topic that holds the whole load.
    let applied = Cluster::scalar(&views_db, "SELECT COUNT(*) FROM applied_events").await?;
    println!("starting the projections service on the loaded topic…");
    let projection = time_stage(
        &mut cluster.projections,
        &views_db,
        "SELECT COUNT(*) FROM applied_events",
        applied,
        move |n| n >= in_store,
    )
    .await?;
    let projection_rate = projection.rate();
    let projection_rate_flowing = projection.flowing_rate();
    println!(
        "projection: applied {} events in {} from start ({projection_rate:.0} events/s), {} from \
         the first applied ({projection_rate_flowing:.0} events/s)",
        args.events,
        secs(projection.total()),
        secs(projection.flowing())
    );

    // 4. The backlog on the PostgreSQL read models, through the gateway.
    let processes = (TEMPLATES + args.events) as i64;
    innohub_tests::backlog_total(&cluster.gateway, &token, None, processes)
        .await
        .context("the backlog does not hold every loaded process")?;
    {
        let mut conn = sqlx::PgConnection::connect(&views_db).await?;
        sqlx::query("ANALYZE").execute(&mut conn).await?;
        conn.close().await?;
    }
    let backlog = time_backlog(&cluster.gateway, &token, args.clients, args.queries).await?;
    println!(
        "backlog(first: 50) at {processes} processes, {} clients: {backlog}",
        args.clients
    );

    // 5. Rebuild of the read models from the topic.
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

    // 6. Freshness under load. One command first, so the consumer group has settled.
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
        "cargo run --release -p innohub-tests --bin dist_bench -- --events {} --rate {} --seconds {} \
         --clients {} --queries {}",
        args.events, args.rate, args.seconds, args.clients, args.queries
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
        "| Events loaded (copies of {TEMPLATES} real `ProcessSubmitted`, {avg_payload} B protobuf payload, {avg_envelope} B envelope) | {} in {} (SQL, ≤ {} rows per statement) |",
        args.events,
        secs(load_time),
        LOAD_CHUNK
    );
    println!(
        "| **Outbox relay** (projections stopped): processes start → outbox empty | {} = {relay_rate:.0} events/s |",
        secs(relay.total())
    );
    println!(
        "| Outbox relay: service ready / first outbox decrease | {} / {} |",
        secs(relay.ready),
        secs(relay.first_change.0)
    );
    println!(
        "| Outbox relay: first decrease → outbox empty | {} = **{relay_rate_flowing:.0} events/s** |",
        secs(relay.flowing())
    );
    println!(
        "| **Raw rdkafka producer**, same envelopes, same settings, windows of {SEND_WINDOW} | {} = **{raw_rate:.0} events/s** |",
        secs(raw_time)
    );
    println!(
        "| Relay / raw producer | {:.3} (from start: {:.3}) |",
        relay_rate_flowing / raw_rate,
        relay_rate / raw_rate
    );
    println!(
        "| **Incremental projection** (alone, topic loaded): projections start → all applied | {} = {projection_rate:.0} events/s |",
        secs(projection.total())
    );
    println!(
        "| Incremental projection: service ready / first applied | {} / {} |",
        secs(projection.ready),
        secs(projection.first_change.0)
    );
    println!(
        "| Incremental projection: first applied → all applied | {} = **{projection_rate_flowing:.0} events/s** |",
        secs(projection.flowing())
    );
    println!(
        "| **Backlog** `backlog(first: 50)`, {processes} processes, {} clients | **{:.0} queries/s**, p50 {}, p99 {} |",
        args.clients,
        backlog.per_second(),
        ms(backlog.p50),
        ms(backlog.p99)
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

    let mut summary = Summary::default();
    let relay_ratio = relay_rate_flowing / raw_rate;
    summary.row(
        &format!("outbox relay, {} events", args.events),
        format!(
            "{relay_rate_flowing:.0} events/s = {relay_ratio:.3} of the raw producer (from the \
             first decrease)"
        ),
        format!(
            "≥ {RELAY_RATIO_GOAL} × raw rdkafka producer, same envelopes and broker: \
             {raw_rate:.0} events/s (this run)"
        ),
        relay_ratio >= RELAY_RATIO_GOAL,
    );
    summary.row(
        &format!("incremental projection, {} events", args.events),
        format!("{projection_rate_flowing:.0} events/s (from the first applied)"),
        format!("≥ {PROJECTION_RATE_GOAL:.0} events/s"),
        projection_rate_flowing >= PROJECTION_RATE_GOAL,
    );
    summary.row(
        &format!("`projections rebuild` of {rebuilt} events"),
        format!("{rebuild_events_per_second:.0} events/s"),
        format!("≥ {REBUILD_RATE_GOAL:.0} events/s"),
        rebuild_events_per_second >= REBUILD_RATE_GOAL && rebuilt == in_store,
    );
    let at = format!(
        "distributed `backlog(first: 50)` at {processes} processes, {} clients",
        args.clients
    );
    summary.row(
        &at,
        format!("{:.0} queries/s", backlog.per_second()),
        format!("≥ {BACKLOG_RATE_GOAL:.0} queries/s"),
        backlog.per_second() >= BACKLOG_RATE_GOAL,
    );
    summary.row(
        &format!("{at}: p99"),
        ms(backlog.p99),
        format!("< {}", ms(BACKLOG_P99_GOAL)),
        backlog.p99 < BACKLOG_P99_GOAL,
    );
    let at = format!(
        "freshness at {} commands/s for {} s",
        args.rate, args.seconds
    );
    summary.row(
        &format!("{at}: accepted / offered"),
        format!(
            "{} of {total} accepted, {} failed; {accepted_rate:.1}/s accepted of {issued_rate:.1}/s offered",
            samples.len(),
            failures.len()
        ),
        format!(
            "all accepted, at ≥ {:.0} % of {}/s",
            ACCEPTED_SHARE_GOAL * 100.0,
            args.rate
        ),
        failures.is_empty() && accepted_rate >= ACCEPTED_SHARE_GOAL * f64::from(args.rate),
    );
    summary.row(
        &format!("{at}: accepted → visible, p99"),
        format!(
            "{} (p50 {})",
            ms(visible.percentile(0.99)),
            ms(visible.percentile(0.50))
        ),
        format!("< {}", ms(FRESHNESS_P99_GOAL)),
        visible.percentile(0.99) < FRESHNESS_P99_GOAL,
    );
    println!();
    summary.print();

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
