//! Sharing through networks, over HTTP in both modes: a NETWORK process is seen (redacted)
//! by the members of a network its municipality is in, from the moment the acceptance is
//! recorded and no longer after a leave, never by a non-member; a partner in a network may
//! comment on it (the processes service asks the directory); and a municipality the
//! directory does not know is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::App;
use innohub_tests::distributed::{Broker, Cluster};
use serde_json::{Value, json};

/// Uppsala: a registered municipality outside the network.
const UPPSALA: &str = "SE-0380";

const CREATE: &str =
    "mutation($name: String!) { createNetwork(name: $name) { id consistencyToken } }";
const INVITE: &str = "mutation($n: ID!, $m: ID!) { inviteToNetwork(network: $n, municipality: $m) { id consistencyToken } }";
const ACCEPT: &str =
    "mutation($n: ID!) { acceptNetworkInvitation(network: $n) { id consistencyToken } }";
const LEAVE: &str = "mutation($n: ID!) { leaveNetwork(network: $n) { id consistencyToken } }";
const SEEN: &str = "query($id: ID!, $c: String) { process(id: $id, consistency: $c) { id title owner departments sharedWithYou } }";
const COMMENT: &str =
    "mutation($id: ID!, $text: String!) { commentOnProcess(id: $id, text: $text) { id } }";

/// A directory command's consistency token.
fn token_of(data: &Value, field: &str) -> String {
    data[field]["consistencyToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} payload: {data:#}"))
        .to_owned()
}

/// What `token` reads of process `id` after `consistency`: the process, or null.
async fn seen(app: &App, token: &str, id: &str, consistency: &str) -> Value {
    let response = app
        .gql(Some(token), SEEN, json!({ "id": id, "c": consistency }))
        .await
        .unwrap();
    match innohub_tests::error_codes(&response).as_slice() {
        [] => response["data"]["process"].clone(),
        [code] if code == "NOT_FOUND" => Value::Null,
        _ => panic!("unexpected answer: {response:#}"),
    }
}

/// The scenario, against an embedded app or a distributed gateway.
async fn network_sharing(app: &App) {
    let dk_admin = app
        .token("admin.syddjurs", DK, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let se_admin = app
        .token("admin.helsingborg", SE, Some("it"), &["municipality_admin"])
        .await
        .unwrap();
    let anna = app
        .token("anna", DK, Some("social"), &["employee"])
        .await
        .unwrap();
    let sven = app
        .token("sven", SE, Some("social"), &["employee"])
        .await
        .unwrap();
    let ulla = app
        .token("ulla", UPPSALA, Some("social"), &["employee"])
        .await
        .unwrap();

    let shared = submit(
        app,
        &anna,
        with(
            with(
                form("Netværkssag", &["social"], 500, 10.0, 50),
                json!({ "owner": "bo" }),
            ),
            json!({ "visibility": "NETWORK" }),
        ),
    )
    .await;
    let internal = submit(
        app,
        &anna,
        with(
            form("Intern sag", &["social"], 500, 10.0, 50),
            json!({ "visibility": "MUNICIPALITY" }),
        ),
    )
    .await;

    let created = ok(
        app,
        &dk_admin,
        CREATE,
        json!({ "name": "Automatiseringsnetværk Øresund" }),
    )
    .await;
    let network = created["createNetwork"]["id"].as_str().unwrap().to_owned();
    let invited = ok(app, &dk_admin, INVITE, json!({ "n": network, "m": SE })).await;

    // Invited is not a member: nothing is shared yet.
    assert_eq!(
        seen(
            app,
            &sven,
            &shared.id,
            &token_of(&invited, "inviteToNetwork")
        )
        .await,
        Value::Null
    );
    refused(
        app,
        Some(&sven),
        COMMENT,
        json!({ "id": shared.id, "text": "Hej" }),
        "NOT_FOUND",
    )
    .await;

    // From the recorded acceptance on, Helsingborg reads it, redacted, and may comment.
    let accepted = ok(app, &se_admin, ACCEPT, json!({ "n": network })).await;
    let after_accept = token_of(&accepted, "acceptNetworkInvitation");
    let partner = seen(app, &sven, &shared.id, &after_accept).await;
    assert_eq!(partner["title"], "Netværkssag", "{partner:#}");
    assert_eq!(partner["sharedWithYou"], true);
    assert_eq!(partner["owner"], Value::Null);
    assert_eq!(partner["departments"], json!([]));
    ok(
        app,
        &sven,
        COMMENT,
        json!({ "id": shared.id, "text": "Det gör vi också" }),
    )
    .await;
    // Never what Syddjurs keeps to itself, and never to a non-member.
    assert_eq!(
        seen(app, &sven, &internal.id, &after_accept).await,
        Value::Null
    );
    assert_eq!(
        seen(app, &ulla, &shared.id, &after_accept).await,
        Value::Null
    );
    // Sharing goes both ways: Syddjurs reads Helsingborg's NETWORK processes.
    let theirs = submit(
        app,
        &sven,
        with(
            form("Nätverksärende", &["social"], 100, 5.0, 50),
            json!({ "visibility": "NETWORK" }),
        ),
    )
    .await;
    assert_eq!(
        seen(app, &anna, &theirs.id, &theirs.token).await["title"],
        "Nätverksärende"
    );
    assert_eq!(
        seen(app, &ulla, &theirs.id, &theirs.token).await,
        Value::Null
    );

    // After Helsingborg leaves, nothing is shared any more, either way.
    let left = ok(app, &se_admin, LEAVE, json!({ "n": network })).await;
    let after_leave = token_of(&left, "leaveNetwork");
    assert_eq!(
        seen(app, &sven, &shared.id, &after_leave).await,
        Value::Null
    );
    assert_eq!(
        seen(app, &anna, &theirs.id, &after_leave).await,
        Value::Null
    );
    refused(
        app,
        Some(&sven),
        COMMENT,
        json!({ "id": shared.id, "text": "Hej igen" }),
        "NOT_FOUND",
    )
    .await;
}

/// Every query and mutation refuses a valid token of a municipality nobody registered.
async fn unregistered_municipalities_are_refused(app: &App) {
    let stranger = app
        .token(
            "olli",
            "FI-0049",
            Some("it"),
            &["employee", "municipality_admin"],
        )
        .await
        .unwrap();
    for (query, variables) in [
        ("{ me { user } }", json!({})),
        ("{ processes { totalCount } }", json!({})),
        ("{ municipalities { id } }", json!({})),
        ("{ networks { id } }", json!({})),
        (
            "mutation($input: SubmitProcessInput!) { submitProcess(input: $input) { id } }",
            json!({ "input": form("Espoo", &["it"], 1, 1.0, 1) }),
        ),
        (CREATE, json!({ "name": "Ghost network" })),
    ] {
        let response = refused(app, Some(&stranger), query, variables, "FORBIDDEN").await;
        assert!(
            response.to_string().contains("FI-0049 is not registered"),
            "{response:#}"
        );
    }
}

#[tokio::test]
async fn embedded_network_sharing_follows_acceptance_and_leave() {
    let app = App::spawn("networks").await.unwrap();
    network_sharing(&app).await;
    unregistered_municipalities_are_refused(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn distributed_network_sharing_follows_acceptance_and_leave() {
    let broker = Broker::start(false).await.expect("broker");
    let cluster = Cluster::start(&broker, &[]).await.expect("cluster");
    network_sharing(&cluster.gateway).await;
    unregistered_municipalities_are_refused(&cluster.gateway).await;
}
