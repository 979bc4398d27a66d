//! Distributed mode end to end: the real `processes`, `projections` and `gateway` processes
//! on the real PostgreSQL server and a real Kafka-protocol broker (Tansu). A mutation reaches
//! the backlog through Kafka in one trace; a SIGKILLed projections process ends with every
//! event applied exactly once (a rebuild killed before its end leaves the live read model as
//! it was, and a rebuild from the topic gives the same read model while the gateway serves); a
//! broker outage loses nothing; garbage on the topic is dead-lettered while the views
//! converge. The tests run one at a time: each starts a broker and three processes.
// Helpers outside the test functions fail the test loudly, like the tests themselves.
#![allow(clippy::expect_used)]

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{DK, NO, SE, Written, backlog, form, middling, ok, total};
use innohub_proto::innohub::common::v1::EventEnvelope;
use innohub_runtime::kafka::header;
use innohub_tests::App;
use innohub_tests::distributed::{Broker, Cluster};
use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{Value, json};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Submit without reading the process back: the read models may be down on purpose.
async fn submit(app: &App, token: &str, input: Value) -> Written {
    let data = ok(
        app,
        token,
        "mutation($input: SubmitProcessInput!) { submitProcess(input: $input) { id consistencyToken replayed } }",
        json!({ "input": input }),
    )
    .await;
    Written::from_payload(&data["submitProcess"])
}

const EVENTS_TOPIC: &str = "innohub.processes.events.v1";
const DEADLETTER_TOPIC: &str = "innohub.deadletter.v1";

async fn lead(app: &App, municipality: &str) -> String {
    app.token(
        &format!("lead-{municipality}"),
        municipality,
        Some("it"),
        &["employee", "it_portfolio", "municipality_admin"],
    )
    .await
    .expect("token")
}

/// Every message on `topic` from the start, until `enough` holds (at most 60 s).
async fn read_topic(
    brokers: &str,
    topic: &str,
    enough: impl Fn(&[OwnedMessage]) -> bool,
) -> Vec<OwnedMessage> {
    let consumer = innohub_tests::distributed::reader(brokers, topic).expect("consumer");
    let mut messages = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !enough(&messages) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{topic} did not deliver what was expected; got {} messages",
            messages.len()
        );
        if let Ok(Ok(m)) = tokio::time::timeout(Duration::from_secs(1), consumer.recv()).await {
            messages.push(m.detach());
        }
    }
    messages
}

/// An OTLP/HTTP JSON receiver: every body posted to `/v1/traces`.
async fn otlp_receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let store = bodies.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: String| {
            let store = store.clone();
            async move {
                store.lock().expect("bodies").push(body);
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, bodies)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mutation_reaches_the_backlog_through_kafka_in_one_trace() {
    let _serial = SERIAL.lock().await;
    let (otlp, bodies) = otlp_receiver().await;
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let broker = Broker::start(false).await.expect("broker");
    let cluster = Cluster::start(&broker, &env).await.expect("cluster");
    let app = &cluster.gateway;
    let token = lead(app, DK).await;

    let trace_id = format!("{:032x}", uuid::Uuid::now_v7().as_u128());
    let response: Value = app
        .client()
        .post(format!("{}/graphql", app.url))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&json!({
            "query": "mutation($input: SubmitProcessInput!) { submitProcess(input: $input) { id consistencyToken } }",
            "variables": { "input": form("Bostadstillägg", &["social"], 3000, 12.0, 70) },
        }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let payload = &response["data"]["submitProcess"];
    let id = payload["id"].as_str().expect("id").to_owned();
    let position = payload["consistencyToken"].as_str().expect("token");

    let list = backlog(app, &token, json!({}), position).await;
    assert_eq!(common::column(&list, "id"), vec![id.clone()], "{list:#}");

    let messages = read_topic(&cluster.brokers, EVENTS_TOPIC, |ms| {
        ms.iter().any(|m| m.key() == Some(id.as_bytes()))
    })
    .await;
    let message = messages
        .iter()
        .find(|m| m.key() == Some(id.as_bytes()))
        .expect("the event");
    assert_eq!(
        header(message, "event-type").as_deref(),
        Some("ProcessSubmitted")
    );
    let traceparent = header(message, "traceparent").expect("traceparent header");
    assert_eq!(traceparent.split('-').nth(1), Some(trace_id.as_str()));
    let envelope = EventEnvelope::decode(message.payload().expect("value")).expect("envelope");
    assert_eq!(envelope.event_type, "ProcessSubmitted");
    assert_eq!(envelope.municipality, DK);
    assert_eq!(envelope.aggregate_id, id);
    assert_eq!(envelope.sequence, 1);
    assert_eq!(
        Some(envelope.position),
        innohub_tests::token_position(position)
    );

    // The collector receives spans of this one trace from all three processes.
    let services = [
        "innohub-gateway",
        "innohub-processes",
        "innohub-projections",
    ];
    Cluster::eventually(
        Duration::from_secs(30),
        "spans of the trace from every process",
        || {
            let bodies = bodies.lock().expect("bodies").clone();
            let found: Vec<&str> = services
                .iter()
                .copied()
                .filter(|s| {
                    bodies
                        .iter()
                        .any(|b| b.contains(&trace_id) && b.contains(s))
                })
                .collect();
            async move { Ok(found.len() == services.len()) }
        },
    )
    .await
    .expect("one trace");
}

/// The read model, table by table, row by row, as text.
async fn dump(views_db: &str) -> Vec<(String, Vec<String>)> {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(views_db).await.expect("views");
    let mut tables = Vec::new();
    for table in [
        "process_view",
        "process_record",
        "process_facet",
        "process_comment",
        "scoring_weights",
        "backlog_order",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT row_to_json(t)::text FROM {table} t ORDER BY 1"
        ))
        .fetch_all(&mut conn)
        .await
        .expect("rows");
        tables.push((table.to_owned(), rows));
    }
    tables
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_projection_applies_every_event_exactly_once_and_a_rebuild_agrees() {
    let _serial = SERIAL.lock().await;
    let broker = Broker::start(false).await.expect("broker");
    let mut cluster = Cluster::start(&broker, &[]).await.expect("cluster");
    let mut tokens = Vec::new();
    for m in [DK, SE, NO] {
        tokens.push(lead(&cluster.gateway, m).await);
    }
    // 5,000 events: 2,000 processes, each commented; every fourth also ranked, every eighth
    // also assessed (two events: assessed, and moved from NOT_ASSESSED to IN_PROGRESS).
    const PROCESSES: usize = 2_000;
    const WORKERS: usize = 6;
    let app = Arc::new(cluster.gateway.clone_handle());
    let mut load = Vec::new();
    for w in 0..WORKERS {
        let app = app.clone();
        let token = tokens[w % 3].clone();
        load.push(tokio::spawn(async move {
            for i in (w..PROCESSES).step_by(WORKERS) {
                let written = submit(&app, &token, form(&format!("Process {i}"), &["it"], 100 + i as i64, 5.0, 50)).await;
                ok(&app, &token, "mutation($id: ID!) { commentOnProcess(id: $id, text: \"Vi har också detta\") { id } }", json!({ "id": written.id })).await;
                if i % 4 == 0 {
                    common::rank(&app, &token, &written.id, json!({ "end": "TOP" })).await;
                }
                if i % 8 == 0 {
                    common::assess(&app, &token, &written.id, middling()).await;
                }
            }
        }));
    }
    let views = cluster.views_db.clone();
    let applied = || {
        Cluster::scalar(
            &views,
            "SELECT COUNT(*) FROM applied_events WHERE projection = 'process_views'",
        )
    };
    Cluster::eventually(Duration::from_secs(300), "1,500 events applied", || async {
        Ok(applied().await? >= 1_500)
    })
    .await
    .expect("progress");
    cluster.projections.kill().await.expect("SIGKILL");
    let killed_at = applied().await.expect("count");
    for worker in load {
        worker.await.expect("load");
    }
    let events = Cluster::scalar(&cluster.events_db, "SELECT COUNT(*) FROM events")
        .await
        .expect("events");
    assert_eq!(events, 5_000);
    assert!(
        killed_at < events,
        "killed in the middle: {killed_at} of {events}"
    );

    cluster.projections.start().await.expect("restart");
    Cluster::eventually(
        Duration::from_secs(300),
        "every event applied by every read model",
        || cluster.processes_views_applied(events),
    )
    .await
    .expect("convergence");

    let count =
        |db: String, sql: &'static str| async move { Cluster::scalar(&db, sql).await.expect(sql) };
    let (events_db, views_db) = (cluster.events_db.clone(), cluster.views_db.clone());
    assert_eq!(
        count(views_db.clone(), "SELECT COUNT(*) FROM process_view").await,
        count(
            events_db.clone(),
            "SELECT COUNT(*) FROM events WHERE event_type = 'ProcessSubmitted'"
        )
        .await
    );
    assert_eq!(
        count(views_db.clone(), "SELECT COUNT(*) FROM process_comment").await,
        count(
            events_db.clone(),
            "SELECT COUNT(*) FROM events WHERE event_type = 'ProcessCommented'"
        )
        .await
    );
    assert_eq!(
        count(
            views_db.clone(),
            "SELECT COUNT(*) FROM process_view WHERE status = 'IN_PROGRESS'"
        )
        .await,
        count(
            events_db.clone(),
            "SELECT COUNT(*) FROM events WHERE event_type = 'ProcessAssessed'"
        )
        .await
    );
    assert_eq!(
        count(
            views_db.clone(),
            "SELECT COUNT(*) FROM process_view WHERE backlog_rank IS NOT NULL"
        )
        .await,
        500
    );
    // What the gateway serves agrees: each municipality's backlog holds its processes.
    assert_eq!(
        served_total(&cluster.gateway, &tokens).await,
        PROCESSES as i64
    );

    // A rebuild that dies before its end leaves the live read model as it was.
    let incremental = dump(&views_db).await;
    cluster.projections.stop().await.expect("stop");
    let mut crashing = cluster
        .rebuild_command()
        .expect("rebuild")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("rebuild");
    let copies =
        "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'innohub_rebuild_process_views'";
    Cluster::eventually(Duration::from_secs(60), "the rebuild's copies", || async {
        Ok(Cluster::scalar(&views_db, copies).await? > 0)
    })
    .await
    .expect("a rebuild under way");
    crashing.kill().await.expect("SIGKILL the rebuild");
    assert!(
        Cluster::scalar(&views_db, copies).await.expect("copies") > 0,
        "killed before the swap"
    );
    assert!(
        dump(&views_db).await == incremental,
        "the live read model is untouched"
    );
    assert_eq!(
        served_total(&cluster.gateway, &tokens).await,
        PROCESSES as i64
    );

    // A rebuild from the topic gives the same read model as the incremental one, and the
    // gateway serves the whole backlog all the while.
    let serving = {
        let (gateway, tokens) = (cluster.gateway.clone_handle(), tokens.clone());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut queries = 0;
            while !*stopped.borrow() {
                assert_eq!(served_total(&gateway, &tokens).await, PROCESSES as i64);
                queries += 1;
            }
            queries
        });
        (stop, task)
    };
    let report = cluster.rebuild().await.expect("rebuild");
    serving.0.send(true).expect("stop querying");
    let queries = serving.1.await.expect("served during the rebuild");
    assert!(queries > 0);
    assert!(report.contains("5000 events"), "{report}");
    assert_eq!(
        Cluster::scalar(&views_db, copies).await.expect("copies"),
        0,
        "the copies were swapped in"
    );
    let rebuilt = dump(&views_db).await;
    for ((table, a), (_, b)) in incremental.iter().zip(&rebuilt) {
        assert_eq!(
            a.len(),
            b.len(),
            "{table}: row counts differ after the rebuild"
        );
        assert!(a == b, "{table}: rows differ after the rebuild");
    }
}

/// The backlog totals the gateway serves, summed over the municipalities of `tokens`.
async fn served_total(gateway: &App, tokens: &[String]) -> i64 {
    let mut served = 0;
    for token in tokens {
        let data = ok(
            gateway,
            token,
            "{ backlog(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
        served += data["backlog"]["totalCount"].as_i64().expect("total");
    }
    served
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_broker_outage_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let mut broker = Broker::start(true).await.expect("broker");
    let cluster = Cluster::start(&broker, &[]).await.expect("cluster");
    let app = &cluster.gateway;
    let token = lead(app, DK).await;
    for i in 0..30 {
        submit(
            app,
            &token,
            form(&format!("Before {i}"), &["it"], 100, 5.0, 50),
        )
        .await;
    }
    let events_db = cluster.events_db.clone();
    let outbox = || Cluster::scalar(&events_db, "SELECT COUNT(*) FROM outbox");
    Cluster::eventually(Duration::from_secs(60), "the outbox drained", || async {
        Ok(outbox().await? == 0)
    })
    .await
    .expect("drained");

    broker.stop().await.expect("stop broker");
    let mut last = String::new();
    for i in 0..60 {
        // Commands keep being accepted: the outbox holds their events.
        last = submit(
            app,
            &token,
            form(&format!("During {i}"), &["it"], 100, 5.0, 50),
        )
        .await
        .token;
    }
    assert!(
        outbox().await.expect("outbox") > 0,
        "events wait in the outbox"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    broker.restart().await.expect("start broker");
    for i in 0..10 {
        last = submit(
            app,
            &token,
            form(&format!("After {i}"), &["it"], 100, 5.0, 50),
        )
        .await
        .token;
    }
    Cluster::eventually(
        Duration::from_secs(120),
        "the outbox drained after the outage",
        || async { Ok(outbox().await? == 0) },
    )
    .await
    .expect("drained");
    let views_db = cluster.views_db.clone();
    Cluster::eventually(Duration::from_secs(120), "the views converged", || async {
        Ok(Cluster::scalar(&views_db, "SELECT COUNT(*) FROM process_view").await? == 100)
    })
    .await
    .expect("converged");
    assert_eq!(total(&backlog(app, &token, json!({}), &last).await), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn garbage_on_the_topic_is_dead_lettered_and_the_views_converge() {
    let _serial = SERIAL.lock().await;
    let broker = Broker::start(false).await.expect("broker");
    let cluster = Cluster::start(&broker, &[]).await.expect("cluster");
    let app = &cluster.gateway;
    let token = lead(app, DK).await;
    let first = submit(app, &token, form("Först", &["it"], 100, 5.0, 50)).await;
    assert_eq!(
        total(&backlog(app, &token, json!({}), &first.token).await),
        1
    );

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &cluster.brokers)
        .create()
        .expect("producer");
    let from_the_future = EventEnvelope {
        schema_version: 99,
        ..EventEnvelope::default()
    }
    .encode_to_vec();
    for (key, value) in [
        ("garbage", b"\x00\xffnot protobuf".to_vec()),
        ("future", from_the_future),
    ] {
        producer
            .send(
                FutureRecord::to(EVENTS_TOPIC).key(key).payload(&value),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(e, _)| e)
            .expect("produce");
    }
    let second = submit(app, &token, form("Sedan", &["it"], 100, 5.0, 50)).await;
    assert_eq!(
        total(&backlog(app, &token, json!({}), &second.token).await),
        2
    );

    // Every read model fed by the topic dead-letters each of them.
    let read_models = innohub_projections::names().await[innohub_processes::SERVICE].len();
    let dead = read_topic(&cluster.brokers, DEADLETTER_TOPIC, |ms| {
        ms.len() >= 2 * read_models
    })
    .await;
    let reason = |key: &str| {
        dead.iter()
            .find(|m| m.key() == Some(key.as_bytes()))
            .and_then(|m| header(m, "deadletter-reason"))
            .unwrap_or_else(|| panic!("dead letter {key}"))
    };
    assert!(
        reason("garbage").contains("not an EventEnvelope"),
        "{}",
        reason("garbage")
    );
    assert!(
        reason("future").contains("unknown schema version 99"),
        "{}",
        reason("future")
    );
    assert!(
        dead.iter()
            .all(|m| header(m, "deadletter-source").is_some_and(|s| s.starts_with(EVENTS_TOPIC)))
    );
    assert_eq!(
        cluster
            .projections
            .metric("innohub_dead_letters_total")
            .await
            .expect("metric"),
        2 * read_models as i64
    );
}
