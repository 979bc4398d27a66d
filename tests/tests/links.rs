//! A spawn is two writes in two stores (the process, then the idea's outcome). These tests
//! stop the ideas service exactly between them (the failpoint
//! `INNOHUB_FAILPOINT=ideas.spawn.between-writes` exits the process there, as a crash would)
//! and show that the link is complete on both sides once it runs again: embedded (the one
//! process restarted on its data directory) and distributed (the ideas process restarted
//! while the processes service and the broker keep running).
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
const SPAWN: &str = "mutation($id: ID!, $input: SubmitProcessInput!) {
    spawnProcessFromIdea(id: $id, input: $input) { id processId consistencyToken } }";
/// Both sides of an idea's links, as the gateway shows them.
const LINKS: &str = "query($id: ID!) {
    idea(id: $id) { outcomes { context kind id } }
    processes(first: 100) { edges { node { id title originIdea { id municipality } } } } }";

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

/// Ask for the spawn the failpoint stops; the service dies before it answers.
async fn spawn_and_die(app: &App, token: &str, idea: &str) {
    let input = form("Bygglovsrobot", &["bygg"], 900, 6.0, 60);
    let response = app
        .gql(Some(token), SPAWN, json!({ "id": idea, "input": input }))
        .await;
    let answered = response
        .as_ref()
        .is_ok_and(|r| r.get("errors").is_none_or(Value::is_null));
    assert!(
        !answered,
        "the spawn completed past the failpoint: {response:?}"
    );
}

/// Whether the idea lists the process spawned from it, and that process names the idea.
fn linked_both_ways(data: &Value, idea: &str) -> bool {
    let spawned: Vec<&Value> = data["processes"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .map(|e| &e["node"])
                .filter(|p| p["title"] == "Bygglovsrobot")
                .collect()
        })
        .unwrap_or_default();
    let [process] = spawned.as_slice() else {
        return false;
    };
    let origin_named =
        process["originIdea"]["id"] == idea && process["originIdea"]["municipality"] == SE;
    let outcome = json!([{ "context": "processes", "kind": "process", "id": process["id"] }]);
    origin_named && data["idea"]["outcomes"] == outcome
}

async fn wait_until_linked(app: &App, token: &str, idea: &str) -> Value {
    let mut data = Value::Null;
    for _ in 0..300 {
        data = ok(app, token, LINKS, json!({ "id": idea })).await;
        if linked_both_ways(&data, idea) {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the link did not heal: {data:#}");
}

#[tokio::test]
async fn embedded_a_spawn_stopped_between_its_writes_heals_on_restart() {
    let dir = temp_data_dir("links");
    let app = App::start_with_env(&dir, &[], &[(failpoint::VARIABLE, BETWEEN_WRITES)])
        .await
        .expect("start");
    app.register(innohub_tests::MUNICIPALITIES)
        .await
        .expect("register");
    let token = lead(&app).await;
    let idea = submit_idea(&app, &token).await;

    spawn_and_die(&app, &token, &idea).await;
    let status = app.exited(Duration::from_secs(20)).await.expect("exit");
    assert_eq!(
        status.code(),
        Some(failpoint::EXIT_STATUS),
        "stopped at the failpoint"
    );

    let app = App::spawn_in(&dir, &[]).await.expect("restart");
    let data = wait_until_linked(&app, &token, &idea).await;
    assert_eq!(data["idea"]["outcomes"].as_array().map(Vec::len), Some(1));
    app.stop().await.expect("stop");
}

#[tokio::test]
async fn distributed_a_spawn_stopped_between_its_writes_heals_when_ideas_runs_again() {
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
    spawn_and_die(&cluster.gateway, &token, &idea).await;
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
    wait_until_linked(&cluster.gateway, &token, &idea).await;
}
