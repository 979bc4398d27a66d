//! The contract is the store's format: events are stored as their protobuf messages of
//! `proto/innohub/processes/v1/events.proto`, the audit trail renders any of them as JSON
//! from the descriptors (redacted for whoever reads it), and a data directory written in the
//! unreleased JSON format is refused at start-up with a message that says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_tests::{App, binary, free_port, temp_data_dir};
use prost::Message as _;
use serde_json::{Value, json};
use sqlx::Connection as _;

/// History with the events themselves.
const HISTORY_DATA: &str =
    "query($id: ID!) { history(id: $id) { sequence type actor actorMunicipality data } }";

#[tokio::test]
async fn a_stored_event_is_its_protobuf_message() -> anyhow::Result<()> {
    let app = App::spawn("stored-protobuf").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let written = submit(
        &app,
        &anna,
        with(
            form("Sygedagpenge", &["social"], 4200, 12.5, 70),
            json!({ "owner": "mette", "technologies": ["RPA"] }),
        ),
    )
    .await;
    let url = format!(
        "sqlite://{}?mode=ro",
        app.data_dir.join("events.sqlite").display()
    );
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    let (event_type, payload): (String, Vec<u8>) =
        sqlx::query_as("SELECT event_type, payload FROM events WHERE aggregate_id = $1")
            .bind(&written.id)
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    assert_eq!(event_type, "ProcessSubmitted");
    let event = pb::ProcessSubmitted::decode(payload.as_slice())?;
    assert_eq!(event.process_id, written.id);
    assert_eq!(
        (event.municipality.as_str(), event.reporter.as_str()),
        (DK, "anna")
    );
    let details = event.details.expect("details");
    assert_eq!(details.title, "Sygedagpenge");
    assert_eq!(details.owner, "mette");
    assert_eq!(details.technologies, ["RPA"]);
    assert_eq!(details.visibility(), pb::Visibility::Municipality);
    let volume = details.volume.expect("volume");
    assert_eq!(
        (
            volume.cases_per_year,
            volume.minutes_per_case,
            volume.automation_share
        ),
        (4200, 12.5, 70)
    );
    app.stop().await
}

#[tokio::test]
async fn history_renders_every_event_as_json_redacted_for_its_reader() -> anyhow::Result<()> {
    let app = App::spawn("history-json").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let it = app
        .token(
            "it.syddjurs",
            DK,
            Some("it"),
            &["it_portfolio", "municipality_admin"],
        )
        .await?;
    let sven = app.token("sven", SE, Some("social"), &["employee"]).await?;
    let p = submit(
        &app,
        &anna,
        with(
            form("Delt proces", &["social"], 100, 5.0, 50),
            json!({ "visibility": "PUBLIC", "owner": "bo", "internalNotes": "Afventer budget" }),
        ),
    )
    .await;
    change_status(&app, &it, &p.id, "ON_HOLD", Some("Afventer IT")).await;
    rank(&app, &it, &p.id, json!({ "end": "TOP" })).await;
    ok(
        &app,
        &it,
        "mutation { setScoringWeights(weights: { hoursSaved: 5, automationPotential: 1, ease: 1, strategicFit: 1, risk: 0 }) }",
        Value::Null,
    )
    .await;
    ok(
        &app,
        &sven,
        "mutation($id: ID!) { commentOnProcess(id: $id, text: \"Hur?\") { id } }",
        json!({ "id": p.id }),
    )
    .await;

    let own = ok(&app, &anna, HISTORY_DATA, json!({ "id": p.id })).await["history"].clone();
    let submitted = &own[0]["data"];
    assert_eq!(submitted["processId"], json!(p.id));
    assert_eq!(submitted["reporter"], "anna");
    assert_eq!(submitted["details"]["title"], "Delt proces");
    assert_eq!(submitted["details"]["owner"], "bo");
    assert_eq!(submitted["details"]["internalNotes"], "Afventer budget");
    assert_eq!(submitted["details"]["departments"], json!(["social"]));
    assert_eq!(submitted["details"]["visibility"], "VISIBILITY_PUBLIC");
    assert_eq!(submitted["details"]["volume"]["casesPerYear"], 100);
    assert_eq!(own[1]["type"], "ProcessStatusChanged");
    assert_eq!(
        own[1]["data"],
        json!({ "from": "STATUS_NOT_ASSESSED", "to": "STATUS_ON_HOLD", "reason": "Afventer IT" })
    );
    assert_eq!(own[2]["type"], "ProcessCommented");
    assert_eq!(own[2]["data"]["text"], "Hur?");
    assert!(
        own[2]["data"].get("author").is_none(),
        "a partner's name stays with the partner: {own:#}"
    );
    assert_eq!(own[2]["data"]["authorMunicipality"], SE);

    let shared = ok(&app, &sven, HISTORY_DATA, json!({ "id": p.id })).await["history"].clone();
    let submitted = &shared[0]["data"];
    assert_eq!(submitted["details"]["title"], "Delt proces");
    for hidden in ["owner", "internalNotes", "departments", "contact"] {
        assert!(
            submitted["details"].get(hidden).is_none(),
            "{hidden} is not shared: {submitted:#}"
        );
    }
    assert!(submitted.get("reporter").is_none(), "{submitted:#}");
    assert_eq!(shared[2]["data"]["author"], "sven");

    // The backlog and the settings are records too, for their municipality only.
    let backlog = format!("backlog:{DK}");
    let ranking = ok(&app, &it, HISTORY_DATA, json!({ "id": backlog })).await["history"].clone();
    assert_eq!(ranking[0]["type"], "ProcessRanked");
    assert_eq!(ranking[0]["data"]["processId"], json!(p.id));
    let settings = format!("settings:{DK}");
    let weights = ok(&app, &it, HISTORY_DATA, json!({ "id": settings })).await["history"].clone();
    assert_eq!(weights[0]["type"], "ScoringWeightsSet");
    assert_eq!(weights[0]["data"]["weights"]["hoursSaved"], 5.0);
    for aggregate in [backlog, settings] {
        looks_missing(&app, &sven, HISTORY, json!({}), &aggregate, &aggregate).await;
    }
    app.stop().await
}

/// The migrations table of sqlx, as the unreleased JSON format's store left it.
const RETIRED_STORE: &str = "
    CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
        installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
        checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);
    INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
        VALUES (1001, 'event store', TRUE, x'00', 1), (1002, 'outbox traceparent', TRUE, x'00', 1);
    CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL,
        municipality TEXT NOT NULL, aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL,
        sequence BIGINT NOT NULL, event_type TEXT NOT NULL, payload TEXT NOT NULL,
        actor_user TEXT NOT NULL, actor_municipality TEXT NOT NULL, occurred_at TEXT NOT NULL,
        correlation_id TEXT NOT NULL, causation_id TEXT);
    INSERT INTO events (event_id, municipality, aggregate_type, aggregate_id, sequence,
        event_type, payload, actor_user, actor_municipality, occurred_at, correlation_id)
        VALUES ('0190a4e2-0000-7000-8000-000000000001', 'DK-0706', 'process',
        '0190a4e2-0000-7000-8000-000000000002', 1, 'ProcessSubmitted',
        '{\"type\":\"ProcessSubmitted\",\"id\":\"0190a4e2-0000-7000-8000-000000000002\"}',
        'anna', 'DK-0706', '2026-11-20T10:00:00Z', '0190a4e2-0000-7000-8000-000000000003');
";

#[tokio::test]
async fn a_store_in_the_unreleased_json_format_is_refused_at_start_up() -> anyhow::Result<()> {
    let dir = temp_data_dir("retired");
    std::fs::create_dir_all(&dir)?;
    let store = dir.join("events.sqlite");
    let url = format!("sqlite://{}?mode=rwc", store.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    sqlx::raw_sql(RETIRED_STORE).execute(&mut conn).await?;
    conn.close().await?;

    let run = tokio::process::Command::new(binary()?)
        .arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{}", free_port()?))
        .arg("--data-dir")
        .arg(&dir)
        .env("INNOHUB_DEV_SECRET", innohub_tests::SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("innohub serve exits instead of serving")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it must not start: {stderr}");
    assert!(
        stderr.contains("an event store with JSON payloads")
            && stderr.contains("written by an earlier, unreleased innohub")
            && stderr.contains("move the data directory aside"),
        "the refusal says what and what to do: {stderr}"
    );

    // Nothing was changed: no migration of the new format ran, the old row is as it was.
    let mut conn = sqlx::SqliteConnection::connect(&url).await?;
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await?;
    assert_eq!(versions, [1001, 1002]);
    let payload: String = sqlx::query_scalar("SELECT payload FROM events")
        .fetch_one(&mut conn)
        .await?;
    assert!(payload.starts_with("{\"type\":\"ProcessSubmitted\""));
    conn.close().await?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
