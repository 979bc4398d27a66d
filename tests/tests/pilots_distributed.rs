//! The pilots context end to end in distributed mode: the `pilots` process with its own
//! PostgreSQL database, its events through Kafka (`innohub.pilots.events.v1`) into the
//! projections, every read through the gateway with the consistency token a command returned.
//! One test function, since a cluster is expensive to start: a pilot planned from an idea
//! (`startPilotFromIdea`, through the ideas service to the pilots service), started, measured
//! against a falling benefit, evaluated and taken into operation; the pilot, the lists, the
//! portfolio and the funnel read through the projections, and the idea showing the pilot as its
//! outcome (every process's today is `INNOHUB_TODAY`). (The kill between the two writes of
//! `startPilotFromIdea` is `links.rs`'s.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod ideas_api;
mod pilots_api;

use std::time::Duration;

use common::*;
use ideas_api::{close, gate, history_types, idea, idea_form, submit_idea};
use innohub_tests::distributed::{Broker, Cluster};
use pilots_api::*;
use rdkafka::message::Message as _;
use serde_json::json;

/// Every process's today.
const TODAY: &str = "2026-06-15";
/// The pilots service's topic.
const PILOTS_TOPIC: &str = "innohub.pilots.events.v1";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pilots_run_in_their_own_process_and_database_and_reach_the_views_through_kafka() {
    let broker = Broker::start(false).await.expect("broker");
    let env = [("INNOHUB_TODAY".to_owned(), TODAY.to_owned())];
    let cluster = Cluster::start(&broker, &env).await.expect("cluster");
    let app = &cluster.gateway;
    let token = async |user: &str, department: &str, roles: &[&str]| {
        app.token(user, NO, Some(department), roles).await.unwrap()
    };
    let ingrid = token("ingrid", "innovasjon", &["employee", "innovation_lead"]).await;
    let kari = token("kari", "heimeteneste", &["employee"]).await;
    let ola = token("ola", "heimeteneste", &["employee"]).await;

    // An idea, explored, from which the innovation lead plans a pilot: one token covers the
    // ideas and the pilots stores, and the link is on both sides.
    let submitted = submit_idea(app, &ola, idea_form("Sensor om natta", &["heimeteneste"])).await;
    let idea_id = submitted.id.clone();
    gate(app, &ingrid, &idea_id, "EXPLORING", "Verdt å prøve", None).await;
    let plan = complete_plan(
        "Digitalt nattilsyn",
        &["heimeteneste"],
        "kari",
        "2026-06-01",
        "2026-08-31",
    );
    let (linked, id) = start_from_idea(app, &ingrid, &idea_id, plan).await;
    assert!(
        linked.token.contains("ideas:") && linked.token.contains("pilots:"),
        "{}",
        linked.token
    );
    let seen = pilot(app, &ola, &id, &linked.token).await;
    assert_eq!(seen["status"], "PLANNING");
    assert_eq!(seen["plan"]["title"], "Digitalt nattilsyn");
    assert_eq!(seen["origin"], json!({ "municipality": NO, "id": idea_id }));
    assert_eq!(seen["planCompleteness"]["missing"], json!([]));
    let outcomes = idea(app, &ola, &idea_id, &linked.token).await["outcomes"].clone();
    assert_eq!(
        outcomes
            .as_array()
            .unwrap()
            .iter()
            .map(|o| json!([o["context"], o["kind"], o["id"]]))
            .collect::<Vec<_>>(),
        [json!(["pilots", "pilot", id])]
    );

    // A benefit whose indicator falls (hours of night visits, 40 → 10 a week), the start,
    // and a measurement by the responsible person: 25 hours is half realised.
    let defined = define_benefit(
        app,
        &ingrid,
        &id,
        benefit(
            "Timar på nattbesøk",
            "timar/veke",
            (40.0, "2026-01-05"),
            (10.0, "2026-12-31"),
        ),
    )
    .await;
    let hours = benefit_id(app, &ingrid, &id, "Timar på nattbesøk", &defined.token).await;
    // Nothing is recorded before the start, and the refusal records nothing.
    let refusal = refused(
        app,
        Some(&kari),
        MEASURE,
        json!({ "id": id, "benefitId": hours, "reading": { "value": 25.0, "date": TODAY } }),
        "BAD_USER_INPUT",
    )
    .await;
    assert!(
        refusal
            .to_string()
            .contains("only while the pilot is RUNNING"),
        "{refusal:#}"
    );
    let started = start_pilot(app, &ingrid, &id).await;
    assert!(started.token.starts_with("pilots:"), "{}", started.token);
    let measured = measure(app, &kari, &id, &hours, 25.0, TODAY).await;
    let seen = pilot(app, &ola, &id, &measured.token).await;
    assert_eq!(seen["status"], "RUNNING");
    assert_eq!(seen["startedAt"], TODAY);
    close(&seen["benefits"][0]["realisation"], 50.0);

    // Evaluated and taken into operation.
    evaluate(
        app,
        &ingrid,
        &id,
        evaluation([5, 4, 3], [4; 4], [3, 3, 3, 3]),
    )
    .await;
    let decided = decide(app, &ingrid, &id, "TO_OPERATION", json!({})).await;
    let seen = pilot(app, &ola, &id, &decided.token).await;
    assert_eq!(seen["status"], "IN_OPERATION");
    close(&seen["evaluationSummary"]["people"], 4.0);
    close(&seen["evaluationSummary"]["technology"], 3.0);
    assert_eq!(seen["decision"]["decision"], "TO_OPERATION");
    assert_eq!(seen["decision"]["decider"], "ingrid");

    // The lists, the portfolio and the funnel read through the projections.
    let listed = ok(
        app,
        &ola,
        PILOTS,
        json!({ "filter": { "idea": idea_id, "status": "IN_OPERATION" }, "c": decided.token }),
    )
    .await;
    assert_eq!(column(&listed["pilots"], "id"), [id.as_str()]);
    let portfolio = ok(app, &ola, PORTFOLIO, json!({ "c": decided.token })).await;
    let portfolio = &portfolio["pilotPortfolio"];
    let row = portfolio["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "IN_OPERATION")
        .unwrap_or_else(|| panic!("{portfolio:#}"))
        .clone();
    assert_eq!(row["count"], 1);
    close(&row["pilots"][0]["realisation"], 50.0);
    assert_eq!(portfolio["benefitsBelowTarget"], 1);
    let year = chrono::Utc::now().format("%Y").to_string();
    let funnel = ok(
        app,
        &ola,
        INNOVATION_FUNNEL,
        json!({ "from": format!("{year}-01-01"), "to": format!("{year}-12-31"), "c": decided.token }),
    )
    .await;
    assert_eq!(
        funnel["innovationFunnel"]["links"],
        json!({ "ideaToProcess": 0, "ideaToPilot": 1, "pilotToOperation": 1 }),
        "{funnel:#}"
    );

    // history through the gateway, from the pilots service's own store.
    assert_eq!(
        history_types(app, &ola, &id).await,
        [
            "PilotPlanned",
            "PilotBenefitDefined",
            "PilotStarted",
            "PilotMeasurementRecorded",
            "PilotEvaluated",
            "PilotDecided",
        ]
    );
    assert_eq!(
        history_types(app, &ola, &idea_id).await,
        ["IdeaSubmitted", "IdeaGateDecided", "IdeaOutcomeLinked"]
    );

    // The pilots service keeps its events in its own database; the ideas service only the
    // idea.
    assert_eq!(
        Cluster::events_of(&cluster.pilots_db, "pilot")
            .await
            .unwrap(),
        6
    );
    assert_eq!(
        Cluster::events_of(&cluster.pilots_db, "idea")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        Cluster::events_of(&cluster.ideas_db, "pilot")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        Cluster::events_of(&cluster.ideas_db, "idea").await.unwrap(),
        3
    );
    assert_eq!(
        Cluster::events_of(&cluster.events_db, "pilot")
            .await
            .unwrap(),
        0
    );
    // And they went through Kafka, keyed by the pilot.
    let messages =
        innohub_tests::distributed::drain(&cluster.brokers, PILOTS_TOPIC, Duration::from_secs(3))
            .await
            .unwrap();
    let of_pilot = messages
        .iter()
        .filter(|m| m.key() == Some(id.as_bytes()))
        .count();
    assert_eq!(of_pilot, 6, "{} messages on {PILOTS_TOPIC}", messages.len());
}
