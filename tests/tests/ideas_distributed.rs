//! The ideas context end to end in distributed mode: the `ideas` process with its own
//! PostgreSQL database, its events through Kafka (`innohub.ideas.events.v1`) into the
//! projections, every read through the gateway with the consistency token a command returned.
//! One test function, since a cluster is expensive to start: submit, support twice, score,
//! pass gates, spawn a process and see the link on both sides, and an action item past its
//! deadline in `actionItems(overdue: true)` (every process's today is `INNOHUB_TODAY`).
//! (The kill between the two writes of a spawn is `links.rs`'s.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod ideas_api;

use std::time::Duration;

use common::*;
use ideas_api::*;
use innohub_tests::distributed::{Broker, Cluster};
use rdkafka::message::Message as _;
use serde_json::{Value, json};

/// Every process's today.
const TODAY: &str = "2026-06-15";
/// The ideas service's topic.
const IDEAS_TOPIC: &str = "innohub.ideas.events.v1";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ideas_run_in_their_own_process_and_database_and_reach_the_views_through_kafka() {
    let broker = Broker::start(false).await.expect("broker");
    let env = [("INNOHUB_TODAY".to_owned(), TODAY.to_owned())];
    let cluster = Cluster::start(&broker, &env).await.expect("cluster");
    let app = &cluster.gateway;
    let token = async |user: &str, department: &str, roles: &[&str]| {
        app.token(user, DK, Some(department), roles).await.unwrap()
    };
    let anna = token("anna", "social", &["employee"]).await;
    let bo = token("bo", "social", &["employee"]).await;
    let karin = token("karin", "it", &["employee", "innovation_lead"]).await;
    let admin = token("admin.syddjurs", "it", &["municipality_admin"]).await;
    let rita = token("rita", "it", &["employee"]).await;

    // Submit: the idea is read back through Kafka and the projections.
    let submitted = submit_idea(
        app,
        &anna,
        with(
            idea_form("Robot för fakturor", &["social"]),
            json!({ "reviewers": ["rita"] }),
        ),
    )
    .await;
    let id = submitted.id.clone();
    assert!(submitted.token.starts_with("ideas:"), "{}", submitted.token);
    let seen = idea(app, &anna, &id, &submitted.token).await;
    assert_eq!(seen["title"], "Robot för fakturor");
    assert_eq!(seen["stage"], "SUBMITTED");
    assert_eq!(seen["submitter"], "anna");

    // Support twice: the second is refused and records nothing.
    let supported = command(app, &bo, SUPPORT, json!({ "id": id })).await;
    let again = refused(
        app,
        Some(&bo),
        SUPPORT,
        json!({ "id": id }),
        "BAD_USER_INPUT",
    )
    .await;
    assert!(again.to_string().contains("already supports"), "{again:#}");
    let seen = idea(app, &bo, &id, &supported.token).await;
    assert_eq!(
        (&seen["supportCount"], &seen["supportedByMe"]),
        (&json!(1), &json!(true))
    );

    // Score: criteria with a lower-is-better one, an innovation lead and a named reviewer.
    command(
        app,
        &admin,
        SET_CRITERIA,
        json!({ "criteria": [
            { "name": "Nytta", "weight": 3, "scaleMin": 1, "scaleMax": 5 },
            { "name": "Kostnad", "weight": 1, "scaleMin": 1, "scaleMax": 5, "lowerIsBetter": true },
        ] }),
    )
    .await;
    let score = |nytta: i64, kostnad: i64| {
        json!({ "id": id, "scores": [
            { "criterion": "Nytta", "value": nytta }, { "criterion": "Kostnad", "value": kostnad },
        ] })
    };
    command(app, &karin, SCORE, score(5, 2)).await;
    let scored = command(app, &rita, SCORE, score(3, 5)).await;
    // Karin: (3·1 + 1·0.75) / 4; Rita: (3·0.5 + 1·0) / 4.
    let (k, r) = (100.0 * 3.75 / 4.0, 100.0 * 1.5 / 4.0);
    let seen = idea(app, &anna, &id, &scored.token).await;
    close(&seen["score"], (k + r) / 2.0);

    // Pass gates, one at a time.
    refused(
        app,
        Some(&karin),
        DECIDE_GATE,
        json!({ "id": id, "to": "DESIGNING", "rationale": "Hopp", "outcome": "PARTNERSHIP" }),
        "BAD_USER_INPUT",
    )
    .await;
    gate(app, &karin, &id, "EXPLORING", "Lovande", None).await;
    let designing = gate(
        app,
        &karin,
        &id,
        "DESIGNING",
        "Vi bygger",
        Some("OWN_DEVELOPMENT"),
    )
    .await;
    let seen = idea(app, &anna, &id, &designing.token).await;
    assert_eq!(seen["stage"], "DESIGNING");
    assert_eq!(seen["likelyOutcome"], "OWN_DEVELOPMENT");
    assert_eq!(
        seen["gateDecisions"].as_array().unwrap().len(),
        2,
        "{seen:#}"
    );

    // Spawn a process: the one token covers both stores, and the link is on both sides.
    let data = ok(
        app,
        &karin,
        SPAWN,
        json!({ "id": id, "input": form("Fakturor: registrering", &["social"], 4000, 6.0, 70) }),
    )
    .await;
    let spawned = &data["spawnProcessFromIdea"];
    let process = spawned["processId"].as_str().unwrap().to_owned();
    let both = spawned["consistencyToken"].as_str().unwrap().to_owned();
    assert!(
        both.contains("ideas:") && both.contains("processes:"),
        "{both}"
    );
    let seen = idea(app, &anna, &id, &both).await;
    assert_eq!(
        seen["outcomes"],
        json!([{
            "context": "processes", "kind": "process", "municipality": DK, "id": process,
            "process": { "id": process, "title": "Fakturor: registrering",
                         "originIdea": { "municipality": DK, "id": id } },
        }])
    );
    let origin = ok(app, &anna, ORIGIN, json!({ "id": process, "c": both })).await;
    assert_eq!(
        origin["process"]["originIdea"],
        json!({ "municipality": DK, "id": id, "idea": { "id": id, "title": "Robot för fakturor" } })
    );
    let funnel = ok(app, &anna, FUNNEL, json!({ "c": both })).await;
    assert_eq!(funnel["ideaFunnel"]["becameProcesses"], 1);

    // A workshop whose action item is past its deadline: overdue until it is completed.
    let challenge = open_challenge(app, &karin, "Fakturaflöden", "2026-06-01", "2026-06-30").await;
    let workshop = record_workshop(
        app,
        &karin,
        with(
            workshop_form("Idéverkstad", "2026-06-02", &[&id]),
            json!({ "challenge": challenge.id }),
        ),
    )
    .await;
    let late = add_action_item(
        app,
        &karin,
        &workshop.id,
        Some(&id),
        "Kartlägg flödet",
        "anna",
        "2026-06-10",
    )
    .await;
    let on_time = add_action_item(
        app,
        &karin,
        &workshop.id,
        None,
        "Fråga leverantören",
        "bo",
        "2026-06-20",
    )
    .await;
    let overdue = action_items(app, &anna, json!({ "overdue": true }), &on_time.token).await;
    assert_eq!(ids(&overdue), [late.id.as_str()]);
    assert_eq!(overdue[0]["deadline"], "2026-06-10");
    let done = command(app, &anna, COMPLETE_ACTION_ITEM, json!({ "id": late.id })).await;
    let overdue = action_items(app, &anna, json!({ "overdue": true }), &done.token).await;
    assert_eq!(overdue, Vec::<Value>::new());
    let all = action_items(app, &anna, json!({ "workshop": workshop.id }), &done.token).await;
    assert_eq!(ids(&all), [late.id.as_str(), on_time.id.as_str()]);
    assert_eq!(all[0]["status"], "DONE");

    // history through the gateway, from the ideas service's own store.
    assert_eq!(
        history_types(app, &anna, &id).await,
        [
            "IdeaSubmitted",
            "IdeaSupported",
            "IdeaScored",
            "IdeaScored",
            "IdeaGateDecided",
            "IdeaGateDecided",
            "IdeaOutcomeLinked",
        ]
    );
    assert_eq!(
        history_types(app, &anna, &challenge.id).await,
        ["ChallengeCreated"]
    );
    assert_eq!(
        history_types(app, &anna, &workshop.id).await,
        ["WorkshopRecorded"]
    );
    assert_eq!(
        history_types(app, &anna, &late.id).await,
        ["ActionItemAdded", "ActionItemCompleted"]
    );

    // The ideas service keeps its events in its own database; the processes service only the
    // process.
    assert_eq!(
        Cluster::events_of(&cluster.ideas_db, "idea").await.unwrap(),
        7
    );
    assert_eq!(
        Cluster::events_of(&cluster.ideas_db, "process")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        Cluster::events_of(&cluster.events_db, "idea")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        Cluster::events_of(&cluster.events_db, "process")
            .await
            .unwrap(),
        1
    );
    // And they went through Kafka, keyed by the record.
    let messages =
        innohub_tests::distributed::drain(&cluster.brokers, IDEAS_TOPIC, Duration::from_secs(3))
            .await
            .unwrap();
    let of_idea = messages
        .iter()
        .filter(|m| m.key() == Some(id.as_bytes()))
        .count();
    assert_eq!(of_idea, 7, "{} messages on {IDEAS_TOPIC}", messages.len());
}
