//! Projection conformance: the `process_views` read model is the same, row for row, however its
//! event history is batched. A history with every kind of processes event (submissions in
//! every visibility, details changes, assessments, phase and status moves, comments by members
//! and partners, follows, experience, rankings, new scoring weights) is made through the real
//! binary's API; then its store is projected
//!
//! - one event per batch and a thousand per batch, on SQLite and on PostgreSQL;
//! - by the real binary catching up from scratch, SIGKILLed after its first batch committed
//!   and before its last (so in the middle of a batch) and restarted;
//!
//! and every table of the read model is compared with the one-event-per-batch build, and with
//! the read model the binary built while the history was being made.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use innohub_projections::ProcessViews;
use innohub_runtime::projection::{Projection, ProjectionRunner};
use innohub_runtime::{Database, EventStore};
use innohub_tests::distributed::fresh_database;
use innohub_tests::{App, bench_process_input, free_port, serve_command};
use serde_json::{Value, json};
use sqlx::any::AnyRow;
use sqlx::{Column, Row};

/// A municipality's people: a reporter with IT's role, a colleague without it, and the
/// administrator who sets the scoring weights.
struct Municipality {
    it: String,
    colleague: String,
    admin: String,
}

async fn municipality(app: &App, code: &str) -> Municipality {
    let it = app
        .token("it", code, Some("social"), &["employee", "it_portfolio"])
        .await
        .unwrap();
    let colleague = app
        .token("colleague", code, Some("culture"), &["employee"])
        .await
        .unwrap();
    let admin = app
        .token("admin", code, None, &["municipality_admin"])
        .await
        .unwrap();
    Municipality {
        it,
        colleague,
        admin,
    }
}

/// Run a mutation; `Some(data)` when it was accepted.
async fn run(app: &App, token: &str, query: &str, variables: Value) -> Option<Value> {
    let response = app.gql(Some(token), query, variables).await.unwrap();
    response
        .get("errors")
        .is_none()
        .then(|| response["data"].clone())
}

const PHASES: [&str; 6] = [
    "IDEA",
    "PRE_ANALYSIS",
    "SPECIFICATION",
    "DEVELOPMENT",
    "IMPLEMENTATION",
    "OPERATION",
];
const VISIBILITIES: [&str; 4] = ["PRIVATE", "MUNICIPALITY", "NETWORK", "PUBLIC"];

/// The commands on one process, after its submission: how far they go depends on `i`.
async fn work_on(app: &App, own: &Municipality, partner: &Municipality, id: &str, i: usize) {
    let on = |q: &str| format!("mutation($id: ID!) {{ {q} {{ id }} }}");
    let v = json!({ "id": id });
    let r = |n: usize| 1 + (i * n) % 5;
    run(
        app,
        &own.it,
        &on(&format!(
            "assessProcess(id: $id, input: {{ rulesBased: {}, structuredInput: {}, inputQuality: {}, processStability: {} }})",
            r(1),
            r(3),
            r(7),
            r(11)
        )),
        v.clone(),
    )
    .await;
    run(
        app,
        &own.colleague,
        &on("commentOnProcess(id: $id, text: \"Vi gør det samme\")"),
        v.clone(),
    )
    .await;
    run(
        app,
        &own.it,
        &on("commentOnProcess(id: $id, text: \"Godt forslag\")"),
        v.clone(),
    )
    .await;
    run(
        app,
        &partner.it,
        &on("commentOnProcess(id: $id, text: \"Hur gick det?\")"),
        v.clone(),
    )
    .await;
    match i % 4 {
        0 => {
            run(
                app,
                &own.it,
                &on("rankProcess(id: $id, end: TOP)"),
                v.clone(),
            )
            .await
        }
        1 => {
            run(
                app,
                &own.it,
                &on("rankProcess(id: $id, end: BOTTOM)"),
                v.clone(),
            )
            .await
        }
        _ => None,
    };
    run(
        app,
        &own.colleague,
        &on("followProcess(id: $id)"),
        v.clone(),
    )
    .await;
    run(
        app,
        &partner.colleague,
        &on("followProcess(id: $id)"),
        v.clone(),
    )
    .await;
    if i.is_multiple_of(5) {
        run(
            app,
            &own.colleague,
            &on("unfollowProcess(id: $id)"),
            v.clone(),
        )
        .await;
    }
    if i.is_multiple_of(3) {
        let visibility = VISIBILITIES[(i / 3) % 4];
        run(
            app,
            &own.it,
            &on(&format!(
                "updateProcess(id: $id, input: {{ title: \"Omdøbt {i}\", visibility: {visibility}, departments: [\"finance\", \"hr\"] }})"
            )),
            v.clone(),
        )
        .await;
    }
    if i % 7 >= 5 {
        run(
            app,
            &own.it,
            &on("updateProcess(id: $id, input: { goLiveDate: \"2026-11-01\" })"),
            v.clone(),
        )
        .await;
    }
    for phase in PHASES.iter().skip(1).take(i % 7) {
        let moved = run(
            app,
            &own.it,
            &on(&format!("changeProcessPhase(id: $id, phase: {phase})")),
            v.clone(),
        )
        .await;
        if moved.is_none() {
            break;
        }
    }
    match i % 7 {
        0 => {
            run(
                app,
                &own.it,
                &on("changeProcessStatus(id: $id, status: REJECTED, reason: \"Ikke nu\")"),
                v.clone(),
            )
            .await;
        }
        1 | 2 => {
            run(
                app,
                &own.it,
                &on("changeProcessStatus(id: $id, status: IN_PROGRESS)"),
                v.clone(),
            )
            .await;
        }
        _ => {}
    }
    run(
        app,
        &own.it,
        &on("recordProcessExperience(id: $id, input: { whatWasBuilt: \"En robot\", realisedBenefit: 2 })"),
        v.clone(),
    )
    .await;
    if i.is_multiple_of(12) {
        run(app, &own.it, &on("unrankProcess(id: $id)"), v).await;
    }
}

/// Make the history through `app`; returns the number of events it stored and the position
/// of the last.
async fn make_history(app: &App) -> (i64, i64) {
    let codes = ["DK-0706", "SE-1283", "NO-0301"];
    let mut people = Vec::new();
    for code in codes {
        people.push(municipality(app, code).await);
    }
    let submit = "mutation($input: SubmitProcessInput!) { submitProcess(input: $input) { id } }";
    let mut ids: Vec<(usize, String)> = Vec::new();
    for i in 0..240 {
        let owner = i % 3;
        let mut input = bench_process_input(&format!("Proces {i}"), i);
        input["visibility"] = json!(VISIBILITIES[(i / 3) % 4]);
        let token = if i % 2 == 0 {
            &people[owner].it
        } else {
            &people[owner].colleague
        };
        let data = run(app, token, submit, json!({ "input": input }))
            .await
            .expect("submitProcess");
        ids.push((i, data["submitProcess"]["id"].as_str().unwrap().to_owned()));
    }
    let weights = "mutation($w: ScoringWeightsInput!) { setScoringWeights(weights: $w) }";
    let set_weights = |hours: u32| json!({ "w": { "hoursSaved": hours, "automationPotential": 2, "ease": 1, "strategicFit": 1, "risk": 1 } });
    run(app, &people[0].admin, weights, set_weights(5))
        .await
        .expect("weights");
    // The work on the processes, eight at a time, with new weights half-way.
    let people = std::sync::Arc::new(people);
    for (n, chunk) in ids.chunks(8).enumerate() {
        if n == 15 {
            run(app, &people[1].admin, weights, set_weights(4))
                .await
                .expect("weights");
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (i, id) in chunk.iter().cloned() {
            let (app, people) = (app.clone_handle(), people.clone());
            tasks.spawn(async move {
                let owner = i % 3;
                work_on(&app, &people[owner], &people[(owner + 1) % 3], &id, i).await;
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.unwrap();
        }
    }
    // Rankings: each municipality ranks its first processes, top and after one another,
    // then takes some out again.
    let rank_top = "mutation($id: ID!) { rankProcess(id: $id, end: TOP) { id } }";
    let rank_after =
        "mutation($id: ID!, $after: ID!) { rankProcess(id: $id, after: $after) { id } }";
    let unrank = "mutation($id: ID!) { unrankProcess(id: $id) { id } }";
    for (owner, person) in people.iter().enumerate() {
        let own: Vec<&String> = ids
            .iter()
            .filter(|(i, _)| i % 3 == owner)
            .map(|(_, id)| id)
            .take(30)
            .collect();
        for (n, id) in own.iter().enumerate() {
            match n % 3 {
                0 => run(app, &person.it, rank_top, json!({ "id": id })).await,
                _ => {
                    run(
                        app,
                        &person.it,
                        rank_after,
                        json!({ "id": id, "after": own[n / 2] }),
                    )
                    .await
                }
            };
        }
        for id in own.iter().step_by(5) {
            run(app, &person.it, unrank, json!({ "id": id })).await;
        }
    }
    run(app, &people[0].admin, weights, set_weights(1))
        .await
        .expect("weights");
    run(app, &people[1].admin, weights, set_weights(3))
        .await
        .expect("weights");

    let store = Database::connect(&Database::sqlite_url(&app.data_dir.join("events.sqlite")))
        .await
        .unwrap();
    let kinds: Vec<(String, i64)> =
        sqlx::query_as("SELECT event_type, COUNT(*) FROM events GROUP BY event_type")
            .fetch_all(store.reader())
            .await
            .unwrap();
    let kinds: BTreeMap<String, i64> = kinds.into_iter().collect();
    for kind in [
        "ProcessSubmitted",
        "ProcessDetailsChanged",
        "ProcessAssessed",
        "ProcessPhaseChanged",
        "ProcessStatusChanged",
        "ProcessCommented",
        "ProcessFollowed",
        "ProcessUnfollowed",
        "ProcessExperienceRecorded",
        "ProcessRanked",
        "ProcessUnranked",
        "ScoringWeightsSet",
    ] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) > 0,
            "the history has no {kind}: {kinds:?}"
        );
    }
    let total: i64 = kinds.values().sum();
    let head: i64 = sqlx::query_scalar("SELECT MAX(position) FROM events")
        .fetch_one(store.reader())
        .await
        .unwrap();
    store.close().await;
    (total, head)
}

/// A value as text, whatever its column type.
fn cell(row: &AnyRow, i: usize) -> String {
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return format!("{v:?}");
    }
    format!(
        "{:?}",
        row.try_get::<Option<Vec<u8>>, _>(i)
            .expect("a known column type")
    )
}

/// Every row of every table of the read model, each table's rows sorted.
async fn read_model(views: &Database) -> BTreeMap<&'static str, Vec<String>> {
    let mut tables = BTreeMap::new();
    for table in ProcessViews.tables() {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(views.reader())
            .await
            .unwrap();
        let mut rendered: Vec<String> = rows
            .iter()
            .map(|row| {
                (0..row.columns().len())
                    .map(|i| format!("{}={}", row.columns()[i].name(), cell(row, i)))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        rendered.sort();
        tables.insert(*table, rendered);
    }
    tables
}

fn assert_same(
    what: &str,
    expected: &BTreeMap<&'static str, Vec<String>>,
    got: &BTreeMap<&'static str, Vec<String>>,
) {
    for (table, rows) in expected {
        let other = &got[table];
        assert!(
            !rows.is_empty(),
            "{table} is empty: the history is too thin"
        );
        if rows != other {
            let missing: Vec<&String> =
                rows.iter().filter(|r| !other.contains(r)).take(3).collect();
            let extra: Vec<&String> = other.iter().filter(|r| !rows.contains(r)).take(3).collect();
            panic!(
                "{what}: table {table} differs ({} rows expected, {} found)\nmissing: {missing:#?}\nunexpected: {extra:#?}",
                rows.len(),
                other.len()
            );
        }
    }
}

/// Project the store in `data_dir` into `views`, `batch` events per transaction.
async fn project(data_dir: &Path, views: &Database, batch: usize) -> u64 {
    let events = Database::connect(&Database::sqlite_url(&data_dir.join("events.sqlite")))
        .await
        .unwrap();
    views
        .migrate(&innohub_projections::migrations())
        .await
        .unwrap();
    let store = EventStore::open(events.clone(), false).await.unwrap();
    let runner = ProjectionRunner::new(ProcessViews, store, views.clone())
        .await
        .unwrap()
        .with_batch(batch);
    let applied = runner.catch_up().await.unwrap();
    events.close().await;
    applied
}

/// The projection's checkpoint in the binary's `views.sqlite`, if it has one yet.
async fn checkpoint(data_dir: &Path) -> Option<i64> {
    let url = format!(
        "sqlite://{}?mode=ro",
        data_dir.join("views.sqlite").display()
    );
    let views = Database::connect(&url).await.ok()?;
    let position = sqlx::query_scalar(
        "SELECT position FROM projection_checkpoints WHERE projection = 'process_views'",
    )
    .fetch_optional(views.reader())
    .await
    .ok()
    .flatten();
    views.close().await;
    position
}

fn remove_views(data_dir: &Path) {
    for file in ["views.sqlite", "views.sqlite-wal", "views.sqlite-shm"] {
        let _ = std::fs::remove_file(data_dir.join(file));
    }
}

/// Start the binary on `data_dir` with no read model, so that it catches up from scratch in
/// batches of a thousand, and SIGKILL it once a batch committed and before the last one did.
/// Returns the checkpoint it was killed at.
async fn kill_while_catching_up(data_dir: &Path, head: i64) -> anyhow::Result<i64> {
    for _attempt in 0..10 {
        remove_views(data_dir);
        let mut child = serve_command(data_dir, free_port()?)?
            .spawn()
            .context("starting innohub serve")?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while tokio::time::Instant::now() < deadline {
            match checkpoint(data_dir).await {
                Some(at) if at >= head => break,
                Some(at) if at > 0 => {
                    child.start_kill()?;
                    child.wait().await?;
                    return Ok(at);
                }
                _ => tokio::time::sleep(Duration::from_millis(1)).await,
            }
        }
        child.start_kill()?;
        child.wait().await?;
    }
    bail!("never caught the binary between two batches")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_model_is_the_same_however_the_history_is_batched() {
    let app = App::spawn("projection-conformance").await.unwrap();
    let (events, head) = make_history(&app).await;
    assert!(
        events > 2_000,
        "a history of several batches: {events} events"
    );
    let data_dir = app.data_dir.clone();
    // The live read model is compared once it has applied the whole history: stopped
    // earlier, it would rightly lack the last events (a restart resumes them).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while checkpoint(&data_dir).await != Some(head) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the live read model did not reach {head} in 30 s: {:?}",
            checkpoint(&data_dir).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await.unwrap();
    let live = Database::connect(&Database::sqlite_url(&data_dir.join("views.sqlite")))
        .await
        .unwrap();
    let incremental = read_model(&live).await;
    live.close().await;

    let scratch = innohub_tests::temp_data_dir("projection-batches");
    std::fs::create_dir_all(&scratch).unwrap();
    let sqlite = |name: &str| Database::sqlite_url(&scratch.join(name));
    let one_by_one = Database::connect(&sqlite("one.sqlite")).await.unwrap();
    assert_eq!(project(&data_dir, &one_by_one, 1).await, events as u64);
    let expected = read_model(&one_by_one).await;
    assert_same("the incremental read model", &expected, &incremental);

    let thousands = Database::connect(&sqlite("thousand.sqlite")).await.unwrap();
    assert_eq!(project(&data_dir, &thousands, 1_000).await, events as u64);
    assert_same(
        "SQLite, 1,000 per batch",
        &expected,
        &read_model(&thousands).await,
    );

    for batch in [1, 1_000] {
        let url = fresh_database("projection_batches").await.unwrap();
        let postgres = Database::connect(&url).await.unwrap();
        assert_eq!(project(&data_dir, &postgres, batch).await, events as u64);
        let what = format!("PostgreSQL, {batch} per batch");
        assert_same(&what, &expected, &read_model(&postgres).await);
        postgres.close().await;
    }

    let killed_at = kill_while_catching_up(&data_dir, head).await.unwrap();
    assert!(
        killed_at > 0 && killed_at < head,
        "killed at {killed_at} of {head}"
    );
    let restarted = App::spawn_in(&data_dir, &[]).await.unwrap();
    restarted.stop().await.unwrap();
    let views = Database::connect(&Database::sqlite_url(&data_dir.join("views.sqlite")))
        .await
        .unwrap();
    assert_eq!(checkpoint(&data_dir).await, Some(head));
    assert_same(
        "killed in a batch and restarted",
        &expected,
        &read_model(&views).await,
    );
    views.close().await;
    std::fs::remove_dir_all(&scratch).unwrap();
    std::fs::remove_dir_all(&data_dir).unwrap();
}
