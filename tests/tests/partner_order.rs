//! A partner's lists reveal nothing the partner may not read: not through the items, nor
//! their order, nor the cursors, nor the counts, nor the times. A municipality changes
//! everything it does not share (its backlog ranking, processes it keeps to itself, fields
//! redacted for partners) and a partner reading every list it can read, each process's
//! `updatedAt` and its history gets exactly the same answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::App;
use serde_json::{Value, json};

/// Every page of a list, `first` at a time through its cursors: the whole connections,
/// with their `totalCount`, `pageInfo` and cursors.
async fn pages(app: &App, token: &str, field: &str, filter: Value, consistency: &str) -> Value {
    let (mut found, mut after) = (Vec::new(), Value::Null);
    loop {
        let connection = page(app, token, field, filter.clone(), 2, &after, consistency).await;
        let more = connection["pageInfo"]["hasNextPage"] == true;
        if more {
            after = last_cursor(&connection);
        }
        found.push(connection);
        if !more {
            return Value::Array(found);
        }
    }
}

/// A process's times, in a list and on its own.
const TIMES: &str = "query($filter: ProcessFilter, $id: ID!, $consistency: String) {
    processes(filter: $filter, consistency: $consistency) { edges { node { id submittedAt updatedAt } } }
    process(id: $id, consistency: $consistency) { submittedAt updatedAt }
}";

/// A record's whole history, with the events themselves.
const HISTORY_DATA: &str = "query($id: ID!) {
    history(id: $id) { sequence type occurredAt actor actorMunicipality data }
}";

/// Everything `token` (a partner of DK) can read about DK's processes, after `consistency`:
/// every list whole and paged, with and without filters, the counts, the status overview
/// and each process it finds, with its times (`updatedAt`) and its history.
async fn everything_shared(app: &App, token: &str, consistency: &str) -> Value {
    let dk = json!({ "municipality": DK });
    let filters = [
        dk.clone(),
        json!({ "municipality": DK, "includeClosed": true }),
        json!({ "municipality": DK, "phase": "IDEA" }),
        json!({ "municipality": DK, "titleContains": "sag" }),
    ];
    let mut seen = serde_json::Map::new();
    for (i, filter) in filters.iter().enumerate() {
        seen.insert(
            format!("backlog {i}"),
            backlog(app, token, filter.clone(), consistency).await,
        );
        seen.insert(
            format!("backlog pages {i}"),
            pages(app, token, "backlog", filter.clone(), consistency).await,
        );
        seen.insert(
            format!("processes {i}"),
            processes(app, token, filter.clone(), consistency).await,
        );
        seen.insert(
            format!("processes pages {i}"),
            pages(app, token, "processes", filter.clone(), consistency).await,
        );
    }
    seen.insert(
        "all processes".into(),
        processes(app, token, json!({}), consistency).await,
    );
    seen.insert(
        "all processes pages".into(),
        pages(app, token, "processes", json!({}), consistency).await,
    );
    let overview = ok(
        app,
        token,
        STATUS_OVERVIEW,
        json!({ "m": DK, "consistency": consistency }),
    )
    .await;
    seen.insert("status overview".into(), overview);
    let listed = processes(app, token, dk, consistency).await;
    for id in column(&listed, "id") {
        seen.insert(
            format!("process {id}"),
            process(app, token, &id, consistency).await,
        );
        let times =
            json!({ "filter": { "municipality": DK }, "id": id, "consistency": consistency });
        seen.insert(format!("times {id}"), ok(app, token, TIMES, times).await);
        seen.insert(
            format!("history {id}"),
            ok(app, token, HISTORY_DATA, json!({ "id": id })).await,
        );
    }
    Value::Object(seen)
}

#[tokio::test]
async fn a_partners_lists_do_not_change_with_what_is_not_shared() -> anyhow::Result<()> {
    let app = App::spawn("partner-order").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let sven = app.token("sven", SE, Some("it"), &["employee"]).await?;

    // DK shares six processes with everyone (two alike, so that their score ties), keeps
    // one to the municipality and one private, and ranks two shared ones above the rest.
    let public = |title: &str, cases: i64| {
        with(
            form(title, &["social"], cases, 60.0, 100),
            json!({ "visibility": "PUBLIC" }),
        )
    };
    let mut shared = Vec::new();
    for (title, cases) in [
        ("Boligstøtte sager", 10),
        ("Kontanthjælp sager", 100),
        ("Sygedagpenge", 1000),
        ("Sager om hjælpemidler", 100),
        ("Løntilskud", 5000),
        ("Befordring sager", 50),
    ] {
        shared.push(submit(&app, &anna, public(title, cases)).await.id);
    }
    let internal = submit(&app, &anna, form("Intern sag", &["social"], 20, 60.0, 100)).await;
    submit(
        &app,
        &it,
        with(
            form("Privat sag", &["it"], 30, 60.0, 100),
            json!({ "visibility": "PRIVATE" }),
        ),
    )
    .await;
    rank(&app, &it, &shared[0], json!({ "end": "TOP" })).await;
    let ranked = rank(&app, &it, &shared[5], json!({ "after": shared[0] })).await;
    // The partner's own processes are in its `processes` list too.
    submit(
        &app,
        &sven,
        form("Ekonomiskt bistånd", &["it"], 40, 60.0, 100),
    )
    .await;
    let settled = bystander_write(&app).await;
    assert!(settled.position() > ranked.position());

    let before = everything_shared(&app, &sven, &settled.token).await;
    let backlog_before = &before["backlog 0"];
    assert_eq!(total(backlog_before), 6, "{backlog_before:#}");
    let scores: Vec<f64> = nodes(backlog_before)
        .iter()
        .map(|n| n["priorityScore"].as_f64().expect("score"))
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "a partner reads another municipality's backlog by score: {scores:?}"
    );

    // DK changes what it does not share: its ranking, its own processes, redacted fields.
    rank(&app, &it, &shared[3], json!({ "end": "TOP" })).await;
    rank(&app, &it, &shared[0], json!({ "end": "BOTTOM" })).await;
    rank(&app, &it, &shared[2], json!({ "before": shared[5] })).await;
    ok(
        &app,
        &it,
        "mutation($id: ID!) { unrankProcess(id: $id) { id } }",
        json!({ "id": shared[5] }),
    )
    .await;
    let big = |title: &str, visibility: &str, department: &str| {
        with(
            form(title, &[department], 9000, 60.0, 100),
            json!({ "visibility": visibility }),
        )
    };
    let municipal = submit(
        &app,
        &anna,
        big("Stor intern sag", "MUNICIPALITY", "social"),
    )
    .await;
    let private = submit(&app, &it, big("Stor privat sag", "PRIVATE", "it")).await;
    rank(&app, &it, &municipal.id, json!({ "end": "TOP" })).await;
    rank(&app, &it, &private.id, json!({ "after": municipal.id })).await;
    for id in [&shared[1], &shared[4]] {
        ok(
            &app,
            &it,
            UPDATE,
            json!({ "id": id, "input": {
                "internalNotes": "Kun til internt brug",
                "owner": "olle",
                "contact": "olle@syddjurs.dk",
                "departments": ["social", "it"],
            } }),
        )
        .await;
    }
    change_status(&app, &it, &internal.id, "REJECTED", Some("Ikke nu")).await;
    ok(
        &app,
        &anna,
        "mutation($id: ID!) { commentOnProcess(id: $id, text: \"Kun os\") { id } }",
        json!({ "id": municipal.id }),
    )
    .await;
    let changed = bystander_write(&app).await;

    // DK's own backlog did change: the member order is the ranking.
    let own = backlog(&app, &it, json!({}), &changed.token).await;
    assert_eq!(
        column(&own, "id")[..3],
        [municipal.id.clone(), private.id.clone(), shared[3].clone()],
        "{own:#}"
    );

    let after = everything_shared(&app, &sven, &changed.token).await;
    for (what, seen) in before.as_object().expect("an object") {
        assert_eq!(
            seen, &after[what],
            "{what}: a partner's answer changed with what it may not read"
        );
    }
    assert_eq!(before, after);
    app.stop().await
}

#[tokio::test]
async fn a_partner_reads_a_history_from_when_it_was_shared_with_them() -> anyhow::Result<()> {
    let app = App::spawn("partner-history").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let sven = app.token("sven", SE, Some("it"), &["employee"]).await?;
    let update = |input: Value| {
        let (app, anna) = (&app, &anna);
        async move {
            Written::from_payload(
                &ok(
                    app,
                    anna,
                    UPDATE,
                    json!({ "id": input["id"], "input": input["input"] }),
                )
                .await["updateProcess"],
            )
        }
    };
    // Given a process DK kept to itself under a working title, then shared, then edited
    // internally.
    let p = submit(
        &app,
        &anna,
        form("Arbejdstitel", &["social"], 100, 60.0, 100),
    )
    .await;
    update(json!({ "id": p.id, "input": { "title": "Sygedagpenge" } })).await;
    update(json!({ "id": p.id, "input": { "visibility": "PUBLIC" } })).await;
    let internal =
        update(json!({ "id": p.id, "input": { "internalNotes": "Kun os", "owner": "olle" } }))
            .await;

    // When the partner reads its history and its times, then the history starts where it was
    // shared, with the title as shared, and the internal edit is not in it, nor in its time.
    let shared = ok(&app, &sven, HISTORY_DATA, json!({ "id": p.id })).await["history"].clone();
    let entries = shared.as_array().expect("a list");
    assert_eq!(entries.len(), 1, "{shared:#}");
    assert_eq!(entries[0]["sequence"], 1);
    assert_eq!(entries[0]["type"], "ProcessDetailsChanged");
    assert_eq!(entries[0]["data"]["details"]["title"], "Sygedagpenge");
    let times =
        json!({ "filter": { "municipality": DK }, "id": p.id, "consistency": internal.token });
    let seen = ok(&app, &sven, TIMES, times.clone()).await;
    assert_eq!(
        seen["process"]["updatedAt"], entries[0]["occurredAt"],
        "{seen:#}"
    );
    // The owner's members see it all, and when it last changed.
    assert_eq!(history(&app, &anna, &p.id).await.len(), 4);
    let own = ok(&app, &anna, TIMES, times).await;
    assert_ne!(own["process"]["updatedAt"], seen["process"]["updatedAt"]);
    app.stop().await
}
