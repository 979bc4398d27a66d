//! `serve --demo` loads three municipalities' processes, Helsingborg's ideas and its
//! innovation fund, into an empty store, once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::{App, temp_data_dir};
use serde_json::Value;

/// Uppsala kommun, the demo's third municipality.
const UPPSALA: &str = "SE-0380";

/// What IT of each demo municipality sees of its own processes, and DK's backlog.
async fn snapshot(app: &App, consistency: &str) -> anyhow::Result<(Vec<i64>, Value)> {
    let mut own = Vec::new();
    for municipality in [DK, SE, UPPSALA] {
        let it = app
            .token("it.demo-check", municipality, Some("it"), &["it_portfolio"])
            .await?;
        let listed = processes(
            app,
            &it,
            serde_json::json!({ "municipality": municipality }),
            consistency,
        )
        .await;
        own.push(total(&listed));
    }
    let dk_it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    Ok((own, backlog(app, &dk_it, Value::Null, consistency).await))
}

/// The history query with the events themselves.
const HISTORY_DATA: &str = "query($id: ID!) { history(id: $id) { type data } }";

/// What an innovation lead reads of their municipality's innovation work.
const IDEAS: &str = "query($m: String, $consistency: String) {
    ideas(filter: { municipality: $m }, first: 100, consistency: $consistency) {
        totalCount edges { node { id title stage likelyOutcome supportCount score } }
    }
    challenges(consistency: $consistency) { id title status }
    ideaCriteria(consistency: $consistency) { name weight lowerIsBetter }
    workshops(consistency: $consistency) { id actionItems { title status overdue } }
    overdue: actionItems(overdue: true, consistency: $consistency) { title deadline }
}";

/// The event types of a record's history as `token` sees it.
async fn event_types(app: &App, token: &str, id: &str) -> Vec<String> {
    history(app, token, id)
        .await
        .iter()
        .map(|e| e["type"].as_str().expect("type").to_owned())
        .collect()
}

/// An employee of Syddjurs, which is in a network with Helsingborg.
async fn syddjurs(app: &App) -> anyhow::Result<String> {
    app.token("social.syddjurs", DK, Some("social"), &["employee"])
        .await
}

/// Helsingborg's innovation work, read after the store's `position` (the demo is one store in
/// embedded mode): its criteria, and the idea in its pilot that became an automation
/// candidate, linked both ways.
async fn innovation_work(app: &App, position: i64) -> anyhow::Result<()> {
    let consistency = format!("ideas:{position},processes:{position}");
    let lead = app
        .token(
            "innovation.helsingborg",
            SE,
            Some("it"),
            &["innovation_lead"],
        )
        .await?;
    let read = ok(
        app,
        &lead,
        IDEAS,
        serde_json::json!({ "m": SE, "consistency": consistency }),
    )
    .await;
    let ideas = &read["ideas"];
    assert_eq!(total(ideas), 12, "a dozen ideas: {read:#}");
    let stages = column(ideas, "stage");
    for stage in [
        "SUBMITTED",
        "EXPLORING",
        "DESIGNING",
        "PILOTING",
        "SCALING",
        "IMPLEMENTED",
    ] {
        assert!(stages.iter().any(|s| s == stage), "{stage}: {stages:?}");
    }
    for aside in ["PARKED", "STOPPED"] {
        assert_eq!(
            stages.iter().filter(|s| *s == aside).count(),
            1,
            "{aside}: {stages:?}"
        );
    }
    for idea in nodes(ideas) {
        let designed = ["DESIGNING", "PILOTING", "SCALING", "IMPLEMENTED"]
            .contains(&idea["stage"].as_str().unwrap());
        assert_eq!(
            !idea["likelyOutcome"].is_null(),
            designed,
            "the likely outcome is known from DESIGNING on: {idea:#}"
        );
    }
    let supported: i64 = nodes(ideas)
        .iter()
        .map(|i| i["supportCount"].as_i64().unwrap())
        .sum();
    assert!(supported > 12, "{read:#}");
    assert!(
        nodes(ideas).iter().any(|i| i["score"].is_number()),
        "{read:#}"
    );
    assert_eq!(read["challenges"].as_array().unwrap().len(), 1, "{read:#}");
    assert_eq!(
        read["ideaCriteria"].as_array().unwrap().len(),
        3,
        "{read:#}"
    );
    assert_eq!(
        read["ideaCriteria"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["lowerIsBetter"] == true)
            .count(),
        1,
        "{read:#}"
    );
    let workshops = read["workshops"].as_array().unwrap();
    assert_eq!(workshops.len(), 1, "{read:#}");
    assert_eq!(
        workshops[0]["actionItems"].as_array().unwrap().len(),
        3,
        "{read:#}"
    );
    assert_eq!(
        read["overdue"].as_array().unwrap().len(),
        1,
        "one action item is past its deadline: {read:#}"
    );

    // Syddjurs, in a network with Helsingborg, sees the NETWORK and PUBLIC ideas.
    let partner = syddjurs(app).await?;
    let shared = ok(
        app,
        &partner,
        "query($m: String, $consistency: String) {
            ideas(filter: { municipality: $m }, first: 100, consistency: $consistency) {
                totalCount edges { node { visibility sharedWithYou } }
            }
        }",
        serde_json::json!({ "m": SE, "consistency": consistency }),
    )
    .await;
    assert_eq!(total(&shared["ideas"]), 5, "{shared:#}");
    assert!(
        column(&shared["ideas"], "visibility")
            .iter()
            .all(|v| v == "NETWORK" || v == "PUBLIC"),
        "{shared:#}"
    );

    let criteria = format!("idea-criteria:{SE}");
    assert_eq!(
        event_types(app, &lead, &criteria).await,
        ["IdeaCriteriaSet"],
        "the demo sets Helsingborg's criteria once"
    );

    let it = app
        .token("it.helsingborg", SE, Some("it"), &["it_portfolio"])
        .await?;
    let spawned = processes(
        app,
        &it,
        serde_json::json!({ "municipality": SE, "titleContains": "utredningsstöd" }),
        &consistency,
    )
    .await;
    assert_eq!(
        total(&spawned),
        1,
        "one process spawned from an idea: {spawned:#}"
    );
    let process = nodes(&spawned)[0]["id"].as_str().unwrap().to_owned();
    let data = ok(app, &it, HISTORY_DATA, serde_json::json!({ "id": process })).await;
    let submitted = &data["history"][0];
    assert_eq!(submitted["type"], "ProcessSubmitted", "{data:#}");
    let origin = &submitted["data"]["origin"];
    assert_eq!(origin["context"], "ideas", "{data:#}");
    assert_eq!(origin["kind"], "idea", "{data:#}");
    assert_eq!(origin["municipality"], SE, "{data:#}");
    let idea = origin["id"].as_str().expect("the origin names the idea");

    let trail = event_types(app, &lead, idea).await;
    assert_eq!(
        trail.first().map(String::as_str),
        Some("IdeaSubmitted"),
        "{trail:?}"
    );
    assert_eq!(
        trail.iter().filter(|t| *t == "IdeaGateDecided").count(),
        3,
        "explored, designed and in its pilot: {trail:?}"
    );
    assert_eq!(
        trail.iter().filter(|t| *t == "IdeaScored").count(),
        2,
        "scored by the innovation lead and the named reviewer: {trail:?}"
    );
    assert!(trail.contains(&"IdeaCommented".to_owned()), "{trail:?}");
    assert_eq!(
        trail.last().map(String::as_str),
        Some("IdeaOutcomeLinked"),
        "the idea records the process as its outcome: {trail:?}"
    );
    Ok(())
}

/// Helsingborg's innovation funds with their rounds and the ledger of each year.
const FUNDS: &str = "query($m: ID, $consistency: String) {
    funds(municipality: $m, consistency: $consistency) {
        id terms { name currency minDepartments criteria { name weight } }
        rounds { id year }
        periods {
            id year currency
            budget { minorUnits formatted } committed { minorUnits } disbursed { minorUnits }
            returned { minorUnits } remaining { minorUnits formatted }
        }
    }
}";

/// The applications to a fund, by status.
const PIPELINE: &str = "query($fund: ID, $consistency: String) {
    applications(filter: { fund: $fund }, consistency: $consistency) {
        total
        stages {
            status count
            applications {
                id details { title } score reviews { score }
                origin { context kind idea { title } }
                disbursements { amount { minorUnits } } returns { amount { minorUnits } }
                progressReports { text }
            }
        }
    }
}";

/// Helsingborg's innovation fund, read after the store's `position`: its ledger of the year
/// equals what the demo moved, an application in every status, the approved one for an idea
/// and with its money; a partner in the fund's network sees the fund and its ledger, and of
/// the applications only the one shared with the network.
async fn innovation_fund(app: &App, position: i64) -> anyhow::Result<()> {
    let consistency = format!("funding:{position}");
    let manager = app
        .token(
            "fund.helsingborg",
            SE,
            Some("secretariat"),
            &["employee", "fund_manager"],
        )
        .await?;
    let read = ok(
        app,
        &manager,
        FUNDS,
        serde_json::json!({ "m": SE, "consistency": consistency }),
    )
    .await;
    let funds = read["funds"].as_array().unwrap();
    assert_eq!(funds.len(), 1, "{read:#}");
    let fund = &funds[0];
    assert_eq!(fund["terms"]["currency"], "SEK", "{read:#}");
    assert_eq!(fund["terms"]["minDepartments"], 2, "{read:#}");
    assert_eq!(fund["terms"]["criteria"].as_array().unwrap().len(), 3);
    assert_eq!(fund["rounds"].as_array().unwrap().len(), 1, "{read:#}");
    let periods = fund["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1, "this year's budget: {read:#}");
    let ledger = &periods[0];
    let sum = |field: &str| ledger[field]["minorUnits"].as_i64().unwrap();
    // 3 MSEK; 800 kSEK and 350 kSEK granted, 300 + 250 kSEK paid, 100 kSEK given back.
    assert_eq!(
        [
            sum("budget"),
            sum("committed"),
            sum("disbursed"),
            sum("returned"),
            sum("remaining")
        ],
        [
            300_000_000,
            115_000_000,
            55_000_000,
            10_000_000,
            195_000_000
        ],
        "{read:#}"
    );
    assert_eq!(ledger["budget"]["formatted"], "3000000.00 SEK", "{read:#}");
    let fund_id = fund["id"].as_str().unwrap().to_owned();
    let period = ledger["id"].as_str().unwrap().to_owned();
    let trail = event_types(app, &manager, &period).await;
    assert_eq!(
        trail,
        [
            "FundBudgetSet",
            "GrantCommitted",
            "GrantDisbursed",
            "GrantCommitted",
            "GrantDisbursed",
            "UnspentReturned"
        ],
        "the year's money is one stream"
    );

    let read = ok(
        app,
        &manager,
        PIPELINE,
        serde_json::json!({ "fund": fund_id, "consistency": consistency }),
    )
    .await;
    let pipeline = &read["applications"];
    assert_eq!(pipeline["total"], 7, "{read:#}");
    let stage = |status: &str| {
        let stages = pipeline["stages"].as_array().unwrap();
        let stage = stages.iter().find(|s| s["status"] == status).unwrap();
        assert_eq!(stage["count"], 1, "one {status}: {read:#}");
        stage["applications"][0].clone()
    };
    for status in ["DRAFT", "SUBMITTED", "REJECTED", "WITHDRAWN"] {
        stage(status);
    }
    let in_review = stage("IN_REVIEW");
    assert_eq!(in_review["reviews"].as_array().unwrap().len(), 1);
    assert!(in_review["score"].is_number(), "{in_review:#}");
    let approved = stage("APPROVED");
    assert_eq!(approved["reviews"].as_array().unwrap().len(), 2);
    assert_eq!(approved["origin"]["kind"], "idea", "{approved:#}");
    assert_eq!(
        approved["origin"]["idea"]["title"], "Automatisk schemaläggning av vikarier",
        "{approved:#}"
    );
    assert_eq!(approved["disbursements"].as_array().unwrap().len(), 1);
    assert_eq!(approved["progressReports"].as_array().unwrap().len(), 1);
    let partial = stage("PARTIALLY_APPROVED");
    assert_eq!(
        partial["returns"][0]["amount"]["minorUnits"], 10_000_000,
        "{partial:#}"
    );
    let application = approved["id"].as_str().unwrap();
    let trail = event_types(app, &manager, application).await;
    assert_eq!(
        trail.first().map(String::as_str),
        Some("ApplicationDrafted"),
        "{trail:?}"
    );

    // Syddjurs, in a network with Helsingborg, sees the NETWORK fund and its ledger, and
    // only the application shared with the network, without its origin.
    let partner = syddjurs(app).await?;
    let shared = ok(
        app,
        &partner,
        FUNDS,
        serde_json::json!({ "m": SE, "consistency": consistency }),
    )
    .await;
    assert_eq!(
        shared["funds"][0]["periods"][0]["remaining"]["minorUnits"], 195_000_000,
        "{shared:#}"
    );
    let shared = ok(
        app,
        &partner,
        PIPELINE,
        serde_json::json!({ "fund": fund_id, "consistency": consistency }),
    )
    .await;
    assert_eq!(shared["applications"]["total"], 1, "{shared:#}");
    let stages = shared["applications"]["stages"].as_array().unwrap();
    let seen = stages.iter().find(|s| s["count"] == 1).unwrap();
    assert_eq!(seen["status"], "APPROVED", "{shared:#}");
    assert_eq!(seen["applications"][0]["origin"], Value::Null, "{shared:#}");
    Ok(())
}

#[tokio::test]
async fn the_demo_is_loaded_once() -> anyhow::Result<()> {
    let dir = temp_data_dir("demo");
    let app = App::spawn_in(&dir, &["--demo"]).await?;
    // The demo is written before serving; a later write's token covers all of it.
    let after_load = bystander_write(&app).await;
    assert!(
        after_load.position() > 39,
        "the demo wrote its events first: {}",
        after_load.token
    );

    let (own, dk_backlog) = snapshot(&app, &after_load.token).await?;
    assert!(
        own.iter().all(|n| *n > 0),
        "each municipality has processes: {own:?}"
    );
    let sum: i64 = own.iter().sum();
    assert!(
        (35..=41).contains(&sum),
        "about 41 processes (39, an adoption and one spawned from an idea), less the private \
         ones IT cannot see: {own:?}"
    );
    assert!(total(&dk_backlog) > 0, "{dk_backlog:#}");
    assert_eq!(
        nodes(&dk_backlog)[0]["backlogRank"],
        1,
        "the demo ranks some: {dk_backlog:#}"
    );
    assert!(column(&dk_backlog, "municipality").iter().all(|m| m == DK));
    innovation_work(&app, after_load.position()).await?;
    innovation_fund(&app, after_load.position()).await?;

    // A partner sees only what Syddjurs shares, redacted: Helsingborg, in a network with
    // Syddjurs, its PUBLIC and NETWORK processes; Uppsala only the PUBLIC ones.
    for (partner, municipality, shared_with) in [
        ("sven", SE, &["PUBLIC", "NETWORK"][..]),
        ("ulla", UPPSALA, &["PUBLIC"][..]),
    ] {
        let token = app
            .token(partner, municipality, Some("social"), &["employee"])
            .await?;
        let shared = processes(
            &app,
            &token,
            serde_json::json!({ "municipality": DK }),
            &after_load.token,
        )
        .await;
        assert!(total(&shared) > 0 && total(&shared) < own[0], "{shared:#}");
        let seen: std::collections::BTreeSet<_> =
            column(&shared, "visibility").into_iter().collect();
        assert_eq!(
            seen,
            shared_with.iter().map(|v| v.to_string()).collect(),
            "{partner}: {shared:#}"
        );
        for node in nodes(&shared) {
            assert_eq!(node["sharedWithYou"], true);
            assert_eq!(node["reporter"], Value::Null);
        }
    }
    app.stop().await?;

    let app = App::spawn_in(&dir, &["--demo"]).await?;
    let after_restart = bystander_write(&app).await;
    assert_eq!(
        after_restart.position(),
        after_load.position() + 1,
        "nothing but the new write was appended: the demo was not loaded again"
    );
    let (own_again, dk_backlog_again) = snapshot(&app, &after_restart.token).await?;
    assert_eq!(own_again, own);
    assert_eq!(dk_backlog_again, dk_backlog);
    app.stop().await
}
