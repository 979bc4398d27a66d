//! A spawn is two writes in two stores (the new record — a process, a pilot — then the
//! idea's outcome). These tests stop the ideas service exactly between them (the failpoint
//! `INNOHUB_FAILPOINT=ideas.spawn.between-writes` exits the process there, as a crash would)
//! and show that the link is complete on both sides once it runs again: embedded (the one
//! process restarted on its data directory) and distributed (the ideas process restarted
//! while the other services and the broker keep running), for each kind of record an idea
//! becomes (`spawnProcessFromIdea`, `startPilotFromIdea`): one scenario, run per kind.
// Helpers outside the test functions fail the test loudly, like the tests themselves.
#![allow(clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{SE, form, ok};
use innohub_runtime::failpoint;
use innohub_tests::distributed::{Broker, Cluster};
use innohub_tests::{App, temp_data_dir};
use serde_json::{Value, json};

const BETWEEN_WRITES: &str = "ideas.spawn.between-writes";

const SUBMIT_IDEA: &str = "mutation($input: SubmitIdeaInput!) { submitIdea(input: $input) { id } }";
/// The title of the record the idea becomes.
const TITLE: &str = "Bygglovsrobot";

/// A kind of record an idea becomes in another service: how it is asked for, and how both
/// sides of the link are read.
struct Outcome {
    /// The context and the kind the idea's outcomes name it by.
    context: &'static str,
    kind: &'static str,
    /// The mutation the failpoint stops: `$id` is the idea, `$input` the new record.
    spawn: &'static str,
    /// The new record's `$input`, titled [`TITLE`].
    input: fn() -> Value,
    /// Both sides of an idea's links, as the gateway shows them: the idea's `outcomes`, and
    /// every record of the kind as `records`, each with its `id`, its title and the idea it
    /// names as `origin`.
    links: &'static str,
    /// Where a record's title is.
    title: &'static str,
}

fn process_input() -> Value {
    form(TITLE, &["bygg"], 900, 6.0, 60)
}

fn pilot_input() -> Value {
    json!({ "title": TITLE, "departments": ["bygg"] })
}

/// A process spawned from the idea.
const PROCESS: Outcome = Outcome {
    context: "processes",
    kind: "process",
    spawn: "mutation($id: ID!, $input: SubmitProcessInput!, $key: String) {
        spawned: spawnProcessFromIdea(id: $id, input: $input, idempotencyKey: $key) {
            id record: processId replayed } }",
    input: process_input,
    links: "query($id: ID!) {
        idea(id: $id) { outcomes { context kind id } }
        records: processes(first: 100) { edges { node { id title origin: originIdea { id municipality } } } } }",
    title: "/title",
};

/// A pilot started from the idea.
const PILOT: Outcome = Outcome {
    context: "pilots",
    kind: "pilot",
    spawn: "mutation($id: ID!, $input: PilotPlanInput!, $key: String) {
        spawned: startPilotFromIdea(ideaId: $id, plan: $input, idempotencyKey: $key) {
            id record: pilotId replayed } }",
    input: pilot_input,
    links: "query($id: ID!) {
        idea(id: $id) { outcomes { context kind id } }
        records: pilots(first: 100) { edges { node { id plan { title } origin { id municipality } } } } }",
    title: "/plan/title",
};

async fn lead(app: &App) -> String {
    app.token(
        "ivar@helsingborg.se",
        SE,
        Some("innovation"),
        &["employee", "innovation_lead"],
    )
    .await
    .expect("token")
}

async fn submit_idea(app: &App, token: &str) -> String {
    let input = json!({
        "title": "Robot för bygglovsärenden",
        "need": "Samma kontroller görs för hand i varje ärende",
        "departments": ["bygg"],
        "driver": "IDEA_DRIVEN",
    });
    let data = ok(app, token, SUBMIT_IDEA, json!({ "input": input })).await;
    data["submitIdea"]["id"]
        .as_str()
        .expect("idea id")
        .to_owned()
}

/// The client's idempotency key of the spawn.
const KEY: &str = "spawn-1";

/// Ask for the spawn the failpoint stops; the service dies before it answers.
async fn spawn_and_die(app: &App, token: &str, idea: &str, outcome: &Outcome) {
    let variables = json!({ "id": idea, "input": (outcome.input)(), "key": KEY });
    let response = app.gql(Some(token), outcome.spawn, variables).await;
    let answered = response
        .as_ref()
        .is_ok_and(|r| r.get("errors").is_none_or(Value::is_null));
    assert!(
        !answered,
        "the spawn completed past the failpoint: {response:?}"
    );
}

/// Whether the idea lists the record spawned from it, and that record names the idea.
fn linked_both_ways(data: &Value, idea: &str, outcome: &Outcome) -> bool {
    let spawned: Vec<&Value> = data["records"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .map(|e| &e["node"])
                .filter(|r| r.pointer(outcome.title) == Some(&json!(TITLE)))
                .collect()
        })
        .unwrap_or_default();
    let [record] = spawned.as_slice() else {
        return false;
    };
    let origin_named = record["origin"]["id"] == idea && record["origin"]["municipality"] == SE;
    let linked = json!([{ "context": outcome.context, "kind": outcome.kind, "id": record["id"] }]);
    origin_named && data["idea"]["outcomes"] == linked
}

async fn wait_until_linked(app: &App, token: &str, idea: &str, outcome: &Outcome) -> Value {
    let mut data = Value::Null;
    for _ in 0..300 {
        // Until the views hold the idea, it is not found: asked again, like the link.
        data = app
            .gql(Some(token), outcome.links, json!({ "id": idea }))
            .await
            .expect("request")["data"]
            .take();
        if linked_both_ways(&data, idea, outcome) {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the link did not heal: {data:#}");
}

/// The client, never answered, retries with the same key after the heal: the spawn is a
/// replay (the record of the first call, nothing new), though the follower wrote the idea's
/// link and not the first call.
async fn retry_replays(app: &App, token: &str, idea: &str, outcome: &Outcome) {
    let variables = json!({ "id": idea, "input": (outcome.input)(), "key": KEY });
    let retry = ok(app, token, outcome.spawn, variables).await;
    assert_eq!(retry["spawned"]["replayed"], true, "{retry:#}");
    let data = wait_until_linked(app, token, idea, outcome).await;
    assert_eq!(
        data["idea"]["outcomes"],
        json!([{ "context": outcome.context, "kind": outcome.kind, "id": retry["spawned"]["record"] }]),
        "one outcome, the first call's record"
    );
}

/// Embedded: the app stops at the failpoint and, restarted on its data directory, completes
/// the link.
async fn embedded_heals(outcome: &Outcome) {
    let dir = temp_data_dir("links");
    let app = App::start_with_env(&dir, &[], &[(failpoint::VARIABLE, BETWEEN_WRITES)])
        .await
        .expect("start");
    app.register(innohub_tests::MUNICIPALITIES)
        .await
        .expect("register");
    let token = lead(&app).await;
    let idea = submit_idea(&app, &token).await;

    spawn_and_die(&app, &token, &idea, outcome).await;
    let status = app.exited(Duration::from_secs(20)).await.expect("exit");
    assert_eq!(
        status.code(),
        Some(failpoint::EXIT_STATUS),
        "stopped at the failpoint"
    );

    let app = App::spawn_in(&dir, &[]).await.expect("restart");
    let data = wait_until_linked(&app, &token, &idea, outcome).await;
    assert_eq!(data["idea"]["outcomes"].as_array().map(Vec::len), Some(1));
    retry_replays(&app, &token, &idea, outcome).await;
    app.stop().await.expect("stop");
}

/// Distributed: the ideas process stops at the failpoint and, started again, completes the
/// link from the other service's events on Kafka.
async fn distributed_heals(outcome: &Outcome) {
    let broker = Broker::start(false).await.expect("broker");
    let mut cluster = Cluster::start(&broker, &[]).await.expect("cluster");
    let app = &cluster.gateway;
    let token = lead(app).await;
    let idea = submit_idea(app, &token).await;

    cluster.ideas.kill().await.expect("kill ideas");
    cluster
        .ideas
        .set_env(failpoint::VARIABLE, Some(BETWEEN_WRITES));
    cluster
        .ideas
        .start()
        .await
        .expect("ideas with the failpoint");
    spawn_and_die(&cluster.gateway, &token, &idea, outcome).await;
    let status = cluster
        .ideas
        .exited(Duration::from_secs(20))
        .await
        .expect("exit");
    assert_eq!(
        status.code(),
        Some(failpoint::EXIT_STATUS),
        "stopped at the failpoint"
    );

    cluster.ideas.set_env(failpoint::VARIABLE, None);
    cluster.ideas.start().await.expect("ideas again");
    wait_until_linked(&cluster.gateway, &token, &idea, outcome).await;
    retry_replays(&cluster.gateway, &token, &idea, outcome).await;
}

#[tokio::test]
async fn embedded_a_spawn_stopped_between_its_writes_heals_on_restart() {
    embedded_heals(&PROCESS).await;
}

#[tokio::test]
async fn embedded_a_pilot_started_from_an_idea_stopped_between_its_writes_heals_on_restart() {
    embedded_heals(&PILOT).await;
}

#[tokio::test]
async fn distributed_a_spawn_stopped_between_its_writes_heals_when_ideas_runs_again() {
    distributed_heals(&PROCESS).await;
}

#[tokio::test]
async fn distributed_a_pilot_started_from_an_idea_stopped_between_its_writes_heals_when_ideas_runs_again()
 {
    distributed_heals(&PILOT).await;
}
