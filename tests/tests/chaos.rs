//! An operator's bad day, as a test: the distributed stack (a Tansu broker in memory, the real
//! `processes`, `projections` and `gateway` on fresh PostgreSQL databases) under six clients
//! that submit processes and comment on them, each command with its own idempotency key and
//! retried with that key until it succeeds, while the three processes are SIGKILLed in turn
//! and restarted at once (the relay's process while its outbox holds events). When the load
//! stops, the views must converge to exactly what the clients were told: every acknowledged
//! process and comment once, nothing dead-lettered.
// Helpers outside the test functions fail the test loudly, like the tests themselves.
#![allow(clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{DK, NO, SE, form};
use innohub_tests::App;
use innohub_tests::distributed::{Broker, Cluster, Service, drain};
use rdkafka::message::Message as _;
use serde_json::{Value, json};

/// Kills, in turn: projections, processes (the relay), gateway.
const KILLS: usize = 21;
/// Between one restart and the next kill.
const PERIOD: Duration = Duration::from_secs(3);
/// Clients sending commands.
const CLIENTS: usize = 6;
/// Comments each client writes on each of its processes.
const COMMENTS: usize = 2;
/// How long the views get to converge once the load stops.
const CONVERGE: Duration = Duration::from_secs(120);

const SUBMIT: &str = "mutation($input: SubmitProcessInput!, $key: String) {
    submitProcess(input: $input, idempotencyKey: $key) { id consistencyToken }
}";
const COMMENT: &str = "mutation($id: ID!, $text: String!, $key: String) {
    commentOnProcess(id: $id, text: $text, idempotencyKey: $key) { id consistencyToken }
}";

/// Send one command until it is acknowledged, always with the same idempotency key. Only a
/// failure a retry can cure is retried (the gateway or a service down: no answer, or
/// `INTERNAL`); any other refusal fails the test. Returns the payload.
async fn until_acknowledged(app: &App, token: &str, query: &str, variables: Value) -> Value {
    let field = if query.contains("submitProcess") {
        "submitProcess"
    } else {
        "commentOnProcess"
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{field} was not acknowledged within 2 minutes: {variables}"
        );
        match app.gql(Some(token), query, variables.clone()).await {
            Ok(response) if response["data"][field].is_object() => {
                return response["data"][field].clone();
            }
            Ok(response) => {
                let codes = innohub_tests::error_codes(&response);
                assert!(
                    codes.iter().all(|c| c == "INTERNAL" || c == "CONFLICT"),
                    "{field} refused for a reason a retry cannot cure: {response:#}"
                );
            }
            // The gateway is down or was killed mid-request.
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What one client was told: its processes, with the comments acknowledged on each.
type Tally = BTreeMap<String, usize>;

async fn client(app: App, token: String, client: usize, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::new();
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let key = format!("c{client}-p{i}");
        let input = form(&format!("Chaos {client}/{i}"), &["it"], 100 + i, 5.0, 50);
        let written =
            until_acknowledged(&app, &token, SUBMIT, json!({ "input": input, "key": key })).await;
        let id = written["id"].as_str().expect("id").to_owned();
        tally.insert(id.clone(), 0);
        for c in 0..COMMENTS {
            let variables =
                json!({ "id": id, "text": format!("Kommentar {c}"), "key": format!("{key}-c{c}") });
            until_acknowledged(&app, &token, COMMENT, variables).await;
            *tally.get_mut(&id).expect("tallied") += 1;
        }
        i += 1;
    }
    tally
}

/// Kill `service` and start it again at once; returns when it is ready.
async fn kill_and_restart(service: &mut Service) {
    service.kill().await.expect("SIGKILL");
    service.start().await.expect("restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn views_hold_every_acknowledged_command_once_after_repeated_sigkills() {
    let broker = Broker::start(false).await.expect("broker");
    let mut cluster = Cluster::start(&broker, &[]).await.expect("cluster");
    let mut tokens = Vec::new();
    for m in [DK, SE, NO] {
        let token = cluster
            .gateway
            .token(&format!("chaos-{m}"), m, Some("it"), &["employee"])
            .await
            .expect("token");
        tokens.push(token);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let app = cluster.gateway.clone_handle();
            tokio::spawn(client(app, tokens[c % 3].clone(), c, stop.clone()))
        })
        .collect();

    let events_db = cluster.events_db.clone();
    let outbox = || Cluster::scalar(&events_db, "SELECT COUNT(*) FROM outbox");
    let mut relay_kills_with_events_in_flight = 0;
    for kill in 0..KILLS {
        tokio::time::sleep(PERIOD).await;
        match kill % 3 {
            0 => kill_and_restart(&mut cluster.projections).await,
            1 => {
                // The relay's process, while its outbox holds events (a batch in flight).
                for _ in 0..100 {
                    if outbox().await.expect("outbox") > 0 {
                        relay_kills_with_events_in_flight += 1;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                kill_and_restart(&mut cluster.processes).await;
            }
            _ => kill_and_restart(&mut cluster.gateway_process).await,
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut told = Tally::new();
    for c in clients {
        told.extend(c.await.expect("client"));
    }
    let comments_told: usize = told.values().sum();
    eprintln!(
        "{KILLS} kills ({relay_kills_with_events_in_flight} of the relay with events in its outbox); \
         the clients were told of {} processes and {comments_told} comments",
        told.len()
    );
    assert!(
        relay_kills_with_events_in_flight >= KILLS / 6,
        "the relay was killed with events in its outbox only {relay_kills_with_events_in_flight} times"
    );
    assert!(told.len() >= 100, "the load was too light: {}", told.len());

    // The store is the truth: each acknowledged command once.
    let count =
        |db: String, sql: String| async move { Cluster::scalar(&db, &sql).await.expect("count") };
    let (events_db, views_db) = (cluster.events_db.clone(), cluster.views_db.clone());
    let stored = |t: &str| {
        count(
            events_db.clone(),
            format!("SELECT COUNT(*) FROM events WHERE event_type = '{t}'"),
        )
    };
    assert_eq!(stored("ProcessSubmitted").await, told.len() as i64);
    assert_eq!(stored("ProcessCommented").await, comments_told as i64);

    // The views converge to it.
    let events = count(events_db.clone(), "SELECT COUNT(*) FROM events".into()).await;
    let converged = Cluster::eventually(CONVERGE, "the views to converge", || {
        let (events_db, cluster) = (events_db.clone(), &cluster);
        async move {
            Ok(
                Cluster::scalar(&events_db, "SELECT COUNT(*) FROM outbox").await? == 0
                    && cluster.processes_views_applied(events).await?,
            )
        }
    })
    .await;
    if converged.is_err() {
        report_missing(&cluster).await;
    }
    let views: Vec<(String, i64)> = {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&views_db).await.expect("views");
        sqlx::query_as(
            "SELECT v.id, (SELECT COUNT(*) FROM process_comment c WHERE c.process_id = v.id) \
             FROM process_view v ORDER BY v.id",
        )
        .fetch_all(&mut conn)
        .await
        .expect("views")
    };
    let seen: Tally = views
        .into_iter()
        .map(|(id, comments)| (id, comments as usize))
        .collect();
    let missing: Vec<&String> = told.keys().filter(|id| !seen.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged processes are missing from the views, e.g. {:?}",
        missing.len(),
        told.len(),
        &missing[..missing.len().min(5)]
    );
    let wrong: Vec<(&String, usize, usize)> = told
        .iter()
        .filter(|(id, n)| seen[*id] != **n)
        .map(|(id, n)| (id, *n, seen[id]))
        .collect();
    assert!(
        wrong.is_empty(),
        "comment counts differ (process, told, seen): {wrong:?}"
    );
    assert_eq!(
        seen.len(),
        told.len(),
        "the views hold processes nobody was told of"
    );
    converged.expect("every stored event applied and the outbox empty");

    let dead = drain(
        &cluster.brokers,
        "innohub.deadletter.v1",
        Duration::from_secs(5),
    )
    .await
    .expect("dead letters");
    assert!(
        dead.is_empty(),
        "{} dead letters, the first: {:?}",
        dead.len(),
        dead.first()
            .and_then(|m| innohub_runtime::kafka::header(m, "deadletter-reason"))
    );
    drop(broker);
}

/// On a failure: which stored events the views lack, and where they are on the topic.
async fn report_missing(cluster: &Cluster) {
    use sqlx::Connection as _;
    let mut events = sqlx::PgConnection::connect(&cluster.events_db)
        .await
        .expect("events");
    let stored: Vec<(String, i64, String, i64, String)> = sqlx::query_as(
        "SELECT event_id, position, aggregate_id, sequence, event_type FROM events ORDER BY position",
    )
    .fetch_all(&mut events)
    .await
    .expect("events");
    let mut views = sqlx::PgConnection::connect(&cluster.views_db)
        .await
        .expect("views");
    let applied: Vec<String> = sqlx::query_scalar("SELECT event_id FROM applied_events")
        .fetch_all(&mut views)
        .await
        .expect("applied");
    let applied: std::collections::HashSet<String> = applied.into_iter().collect();
    let topic = drain(
        &cluster.brokers,
        "innohub.processes.events.v1",
        Duration::from_secs(5),
    )
    .await
    .expect("the topic");
    let mut on_topic: HashMap<String, Vec<(i32, i64)>> = HashMap::new();
    for m in &topic {
        if let Ok(event) = innohub_runtime::kafka::decode(m.payload()) {
            on_topic
                .entry(event.event_id.to_string())
                .or_default()
                .push((m.partition(), m.offset()));
        }
    }
    let missing: Vec<_> = stored
        .iter()
        .filter(|(id, ..)| !applied.contains(id))
        .collect();
    eprintln!(
        "{} of {} stored events are not applied; {} messages on the topic",
        missing.len(),
        stored.len(),
        topic.len()
    );
    for (id, position, aggregate, sequence, kind) in missing.iter().take(60) {
        eprintln!(
            "  position {position} {kind} {aggregate}#{sequence}: on the topic at {:?}",
            on_topic.get(id)
        );
    }
}
