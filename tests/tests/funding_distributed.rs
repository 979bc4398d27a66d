//! The funding context end to end in distributed mode: the `funding` process with its own
//! PostgreSQL database, its events through Kafka (`innohub.funding.events.v1`) into the
//! projections, every read through the gateway with the consistency token a command returned.
//! One test function, since a cluster is expensive to start: a fund with a budget and a
//! round; an application from an idea drafted, submitted, reviewed, partly granted, paid and
//! partly given back; twelve decisions sent at once through the gateway for a year whose
//! budget fits five of them (exactly five granted, every refusal `BAD_USER_INPUT` "exceeds
//! the remaining budget" or `CONFLICT`); the ledger read through the projections equal to
//! the sums of the period's events in the funding service's database; and the histories
//! from the funding service's own store (every process's today is `INNOHUB_TODAY`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod funding_api;
mod ideas_api;

use std::time::Duration;

use common::*;
use funding_api::*;
use ideas_api::{close, history_types, idea_form, submit_idea};
use innohub_tests::App;
use innohub_tests::distributed::{Broker, Cluster};
use rdkafka::message::Message as _;
use serde_json::{Value, json};

/// Every process's today.
const TODAY: &str = "2026-06-15";
/// The funding service's topic.
const FUNDING_TOPIC: &str = "innohub.funding.events.v1";

/// Anna's complete application asking for `kronor`, submitted, with Rolf assigned.
async fn in_review(
    app: &App,
    (anna, maria): (&str, &str),
    (fund, round): (&str, &str),
    kronor: i64,
) -> Written {
    let details = complete_details("Ansökan", &["anna"], kronor, "MUNICIPALITY");
    let id = draft(app, anna, fund, round, details).await.id;
    submit_application(app, anna, &id).await;
    assign(app, maria, &id, "rolf").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn funding_runs_in_its_own_process_and_database_and_reaches_the_views_through_kafka() {
    let broker = Broker::start(false).await.expect("broker");
    let env = [("INNOHUB_TODAY".to_owned(), TODAY.to_owned())];
    let cluster = Cluster::start(&broker, &env).await.expect("cluster");
    let app = &cluster.gateway;
    let token = async |user: &str, department: &str, roles: &[&str]| {
        app.token(user, SE, Some(department), roles).await.unwrap()
    };
    let maria = token("maria", "stadsledning", &["employee", "fund_manager"]).await;
    let rolf = token("rolf", "stadsledning", &["employee", "fund_reviewer"]).await;
    let anna = token("anna", "social", &["employee"]).await;
    let olof = token("olof", "kultur", &["employee"]).await;

    // A fund with 1 000 000 SEK for 2026 and the autumn round.
    let terms = fund_terms("Helsingborgs innovationsfond", "MUNICIPALITY");
    let fund = create_fund(app, &maria, terms).await;
    assert!(fund.token.starts_with("funding:"), "{}", fund.token);
    let fund = fund.id;
    let budgeted = set_budget(app, &maria, &fund, 2026, 1_000_000).await;
    assert_eq!(budgeted.id, period_id(&fund, 2026));
    let autumn = round("Innovationsrådet hösten 2026", "2026-09-30", "2026-10-15");
    let (_, round_id) = schedule_round(app, &maria, &fund, autumn).await;

    // An application from an idea of Anna's: drafted, submitted, reviewed, partly granted.
    let idea = submit_idea(app, &anna, idea_form("Fallsensorer", &["social"])).await;
    let details = complete_details(
        "Fallsensorer i hemtjänsten",
        &["anna"],
        800_000,
        "MUNICIPALITY",
    );
    let drafted = draft_for_idea(app, &anna, (&fund, &round_id), details, (&idea.id, SE)).await;
    let id = drafted.id.clone();
    submit_application(app, &anna, &id).await;
    assign(app, &maria, &id, "rolf").await;
    review_application(app, &rolf, &id, [4, 2]).await;
    let decided = decide_application(
        app,
        &maria,
        &id,
        &round_id,
        "PARTIALLY_APPROVED",
        Some(600_000),
    )
    .await;
    let seen = application(app, &anna, &id, &decided.token).await;
    assert_eq!(seen["status"], "PARTIALLY_APPROVED");
    assert_eq!(seen["decision"]["approved"], shown(600_000));
    assert_eq!(
        seen["reviews"][0]["reviewer"],
        Value::Null,
        "hidden from Anna"
    );
    close(&seen["score"], 3.5);
    assert_eq!(seen["origin"]["id"], json!(idea.id));
    disburse(app, &maria, &id, 300_000).await;
    let back = return_unspent(app, &maria, &id, 100_000).await;
    let seen = ledger(app, &olof, &fund, 2026, &back.token).await;
    assert_eq!(
        in_kronor(&seen),
        [1_000_000, 600_000, 300_000, 100_000, 500_000]
    );
    assert_ledger_is_the_events_sum(&cluster.funding_db, &seen).await;

    // Twelve decisions at once for the 500 000 left, 100 000 each: exactly five fit.
    let mut racers = Vec::new();
    for _ in 0..12 {
        racers.push(
            in_review(app, (&anna, &maria), (&fund, &round_id), 300_000)
                .await
                .id,
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    for racer in racers {
        let (app, maria, round_id) = (app.clone_handle(), maria.clone(), round_id.clone());
        tasks.spawn(async move {
            let variables = decision(&racer, &round_id, "PARTIALLY_APPROVED", Some(100_000));
            loop {
                let response = app.gql(Some(&maria), DECIDE_APPLICATION, variables.clone());
                let response = response.await.unwrap();
                match innohub_tests::error_codes(&response).as_slice() {
                    [] => return Some(response["data"]["decideApplication"].clone()),
                    [code] if code == "CONFLICT" => continue,
                    [code]
                        if code == "BAD_USER_INPUT"
                            && response
                                .to_string()
                                .contains("exceeds the remaining budget") =>
                    {
                        return None;
                    }
                    _ => panic!("a refusal the race must not give: {response:#}"),
                }
            }
        });
    }
    let mut granted = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        granted.extend(answer.unwrap());
    }
    assert_eq!(granted.len(), 5, "what fits is granted, no more");
    let last = granted
        .iter()
        .filter_map(|g| g["consistencyToken"].as_str())
        .max_by_key(|t| {
            t.rsplit(':')
                .next()
                .and_then(|p| p.parse::<i64>().ok())
                .unwrap_or_default()
        })
        .unwrap()
        .to_owned();
    let seen = ledger(app, &olof, &fund, 2026, &last).await;
    assert_eq!(
        in_kronor(&seen),
        [1_000_000, 1_100_000, 300_000, 100_000, 0]
    );
    assert_ledger_is_the_events_sum(&cluster.funding_db, &seen).await;
    let piped = pipeline(app, &maria, json!({ "fund": fund }), &last).await;
    assert_eq!(stage(&piped, "PARTIALLY_APPROVED")["count"], 6, "{piped:#}");
    assert_eq!(stage(&piped, "IN_REVIEW")["count"], 7, "{piped:#}");

    // history through the gateway, from the funding service's own store.
    assert_eq!(
        history_types(app, &maria, &id).await,
        [
            "ApplicationDrafted",
            "ApplicationSubmitted",
            "ApplicationReviewerAssigned",
            "ApplicationReviewed",
            "ApplicationDecided",
        ]
    );
    let period = period_id(&fund, 2026);
    let (_, types) = ledger_of_events(&cluster.funding_db, &period).await;
    assert_eq!(history_types(app, &olof, &period).await, types);
    assert_eq!(types.len(), 1 + 1 + 1 + 1 + 5);

    // The funding service keeps its events in its own database; the ideas service only the
    // idea.
    assert_eq!(
        Cluster::events_of(&cluster.funding_db, "fund")
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        Cluster::events_of(&cluster.funding_db, "fund_period")
            .await
            .unwrap(),
        9
    );
    assert_eq!(
        Cluster::events_of(&cluster.funding_db, "application")
            .await
            .unwrap(),
        5 + 12 * 3 + 5
    );
    assert_eq!(
        Cluster::events_of(&cluster.funding_db, "idea")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        Cluster::events_of(&cluster.ideas_db, "application")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        Cluster::events_of(&cluster.events_db, "application")
            .await
            .unwrap(),
        0
    );
    // And they went through Kafka, keyed by their record.
    let messages =
        innohub_tests::distributed::drain(&cluster.brokers, FUNDING_TOPIC, Duration::from_secs(3))
            .await
            .unwrap();
    let keyed = |key: &str| {
        messages
            .iter()
            .filter(|m| m.key() == Some(key.as_bytes()))
            .count()
    };
    assert_eq!(
        keyed(&id),
        5,
        "{} messages on {FUNDING_TOPIC}",
        messages.len()
    );
    assert_eq!(keyed(&period), 9);
}
