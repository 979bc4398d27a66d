//! `serve --demo` loads three municipalities' processes into an empty store, once.
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
        (34..=40).contains(&sum),
        "about 40 processes (39 and an adoption), less the private ones IT cannot see: {own:?}"
    );
    assert!(total(&dk_backlog) > 0, "{dk_backlog:#}");
    assert_eq!(
        nodes(&dk_backlog)[0]["backlogRank"],
        1,
        "the demo ranks some: {dk_backlog:#}"
    );
    assert!(column(&dk_backlog, "municipality").iter().all(|m| m == DK));

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
