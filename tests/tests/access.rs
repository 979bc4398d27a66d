//! Who sees what: partners see shared processes redacted and nothing else, not even that
//! an unshared process exists (no query, command or subscription tells); private processes
//! stay with their people and department.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::App;
use serde_json::{Value, json};

/// A UUID no record has.

#[tokio::test]
async fn a_partner_sees_a_public_process_redacted_and_nothing_of_an_unshared_one()
-> anyhow::Result<()> {
    let app = App::spawn("partner").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let dk_it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    // Same department name, and IT roles, in another municipality: grants nothing here.
    let sven = app
        .token(
            "sven",
            SE,
            Some("social"),
            &[
                "employee",
                "it_portfolio",
                "department_lead",
                "municipality_admin",
            ],
        )
        .await?;

    let people =
        json!({ "owner": "bo", "contact": "carl", "internalNotes": "Budget not approved yet" });
    let public = submit(
        &app,
        &anna,
        with(
            with(
                form("Tabt arbejdsfortjeneste", &["social"], 1400, 35.0, 70),
                people.clone(),
            ),
            json!({ "visibility": "PUBLIC" }),
        ),
    )
    .await;
    let internal = submit(
        &app,
        &anna,
        with(
            with(form("Intern sag", &["social"], 500, 10.0, 50), people),
            json!({ "visibility": "MUNICIPALITY" }),
        ),
    )
    .await;
    // Shared with Syddjurs' networks, of which Helsingborg is not a member.
    let network = submit(
        &app,
        &anna,
        with(
            form("Netværkssag", &["social"], 500, 10.0, 50),
            json!({ "visibility": "NETWORK" }),
        ),
    )
    .await;
    assess(&app, &dk_it, &public.id, middling()).await;
    rank(&app, &dk_it, &public.id, json!({ "end": "TOP" })).await;
    let last = rank(&app, &dk_it, &internal.id, json!({ "end": "BOTTOM" })).await;

    // The owner sees everything.
    let own = process(&app, &anna, &public.id, &last.token).await;
    assert_eq!(own["reporter"], "anna", "{own:#}");
    assert_eq!(own["owner"], "bo");
    assert_eq!(own["contact"], "carl");
    assert_eq!(own["internalNotes"], "Budget not approved yet");
    assert_eq!(own["departments"], json!(["social"]));
    assert_eq!(own["sharedWithYou"], false);
    assert_eq!(own["backlogRank"], 1);

    // The partner sees the process and its figures, no people, notes, departments or rank.
    let shared = process(&app, &sven, &public.id, &last.token).await;
    assert_eq!(shared["title"], "Tabt arbejdsfortjeneste", "{shared:#}");
    assert_eq!(shared["municipality"], DK);
    assert_eq!(shared["hoursSavedPerYear"], own["hoursSavedPerYear"]);
    assert_eq!(shared["priorityScore"], own["priorityScore"]);
    assert_eq!(shared["phase"], "IDEA");
    assert_eq!(shared["status"], "IN_PROGRESS");
    assert_eq!(shared["sharedWithYou"], true);
    for redacted in [
        "reporter",
        "owner",
        "contact",
        "internalNotes",
        "backlogRank",
    ] {
        assert_eq!(
            shared[redacted],
            Value::Null,
            "{redacted} must be null for a partner: {shared:#}"
        );
    }
    assert_eq!(shared["departments"], json!([]), "{shared:#}");

    let listed = processes(&app, &sven, Value::Null, &last.token).await;
    assert_eq!(
        column(&listed, "id"),
        [public.id.as_str()],
        "only the public one: {listed:#}"
    );
    assert_eq!(total(&listed), 1);
    assert_eq!(nodes(&listed)[0], shared, "listed exactly as shown alone");
    let listed = processes(&app, &sven, json!({ "municipality": DK }), &last.token).await;
    assert_eq!(column(&listed, "id"), [public.id.as_str()], "{listed:#}");
    assert_eq!(total(&listed), 1);
    let listed = processes(
        &app,
        &sven,
        json!({ "titleContains": "intern" }),
        &last.token,
    )
    .await;
    assert_eq!(total(&listed), 0, "{listed:#}");

    let dk_backlog = backlog(&app, &sven, json!({ "municipality": DK }), &last.token).await;
    assert_eq!(
        column(&dk_backlog, "id"),
        [public.id.as_str()],
        "{dk_backlog:#}"
    );
    assert_eq!(total(&dk_backlog), 1);
    assert_eq!(nodes(&dk_backlog)[0]["backlogRank"], Value::Null);

    let data = ok(
        &app,
        &sven,
        STATUS_OVERVIEW,
        json!({ "m": DK, "consistency": last.token }),
    )
    .await;
    let overview = &data["statusOverview"];
    assert_eq!(overview["municipality"], DK);
    let cells = overview["cells"].as_array().expect("cells");
    let counted: i64 = cells.iter().map(|c| c["count"].as_i64().unwrap_or(0)).sum();
    assert_eq!(
        counted, 1,
        "only the public process is counted: {overview:#}"
    );
    assert!(
        cells.iter().all(|c| c["department"].is_null()),
        "no departments for partners: {overview:#}"
    );
    let data = ok(
        &app,
        &anna,
        STATUS_OVERVIEW,
        json!({ "consistency": last.token }),
    )
    .await;
    let counted = overview_total(&data);
    assert_eq!(counted, 3, "{data:#}");

    // Unshared is indistinguishable from non-existent, for reads and for every command.
    let process_query = PROCESS.replace("PROCESS_FIELDS", "id title");
    let commands: [(&str, &str, Value); 9] = [
        ("process", &process_query, json!({})),
        ("history", HISTORY, json!({})),
        (
            "updateProcess",
            UPDATE,
            json!({ "input": { "title": "Overtaget" } }),
        ),
        (
            "updateProcess (invalid input)",
            UPDATE,
            json!({ "input": { "title": "x".repeat(81) } }),
        ),
        ("assessProcess", ASSESS, json!({ "input": middling() })),
        (
            "changeProcessPhase",
            CHANGE_PHASE,
            json!({ "phase": "PRE_ANALYSIS" }),
        ),
        (
            "changeProcessStatus",
            CHANGE_STATUS,
            json!({ "status": "IN_PROGRESS" }),
        ),
        ("rankProcess", RANK, json!({ "end": "TOP" })),
        (
            "commentOnProcess",
            "mutation($id: ID!) { commentOnProcess(id: $id, text: \"Hej\") { id } }",
            json!({}),
        ),
    ];
    for (what, query, vars) in &commands {
        looks_missing(&app, &sven, query, vars.clone(), &internal.id, what).await;
    }
    for (what, query, vars) in &commands[..2] {
        let what = format!("{what} of a NETWORK process outside our networks");
        looks_missing(&app, &sven, query, vars.clone(), &network.id, &what).await;
    }
    let follow = "mutation($id: ID!) { followProcess(id: $id) { id } }";
    looks_missing(&app, &sven, follow, json!({}), &internal.id, "follow").await;
    // So is a subscription to its changes, over the WebSocket.
    let changed = "subscription($id: ID!) { processChanged(id: $id) { id title } }";
    for hidden in [&internal.id, &network.id] {
        ws::subscription_hidden_like_missing(&app, &sven, changed, json!({ "id": hidden })).await;
    }
    // A municipality's backlog and settings are records with a history of their own.
    for aggregate in [format!("backlog:{DK}"), format!("settings:{DK}")] {
        looks_missing(&app, &sven, HISTORY, json!({}), &aggregate, &aggregate).await;
    }

    // On the shared one the partner is read-only ...
    refused(
        &app,
        Some(&sven),
        UPDATE,
        json!({ "id": public.id, "input": { "title": "Overtaget" } }),
        "FORBIDDEN",
    )
    .await;
    refused(
        &app,
        Some(&sven),
        ASSESS,
        json!({ "id": public.id, "input": middling() }),
        "FORBIDDEN",
    )
    .await;
    refused(
        &app,
        Some(&sven),
        CHANGE_PHASE,
        json!({ "id": public.id, "phase": "PRE_ANALYSIS" }),
        "FORBIDDEN",
    )
    .await;
    // ... but may comment and follow.
    let data = ok(
        &app,
        &sven,
        "mutation($id: ID!) { commentOnProcess(id: $id, text: \"Hur löste ni det?\") { id consistencyToken } }",
        json!({ "id": public.id }),
    )
    .await;
    assert_eq!(data["commentOnProcess"]["id"], json!(public.id));
    let data = ok(
        &app,
        &sven,
        "mutation($id: ID!) { followProcess(id: $id) { id consistencyToken } }",
        json!({ "id": public.id }),
    )
    .await;
    let followed = data["followProcess"]["consistencyToken"]
        .as_str()
        .expect("token")
        .to_owned();

    let shared = process(&app, &sven, &public.id, &followed).await;
    assert_eq!(shared["commentCount"], 1, "{shared:#}");
    assert_eq!(shared["followerCount"], 1);
    assert_eq!(shared["viewerFollows"], true);
    assert_eq!(
        shared["comments"],
        json!([{ "author": "sven", "authorMunicipality": SE, "text": "Hur löste ni det?" }])
    );
    let own = process(&app, &anna, &public.id, &followed).await;
    assert_eq!(own["viewerFollows"], false);
    assert_eq!(
        own["comments"],
        json!([{ "author": null, "authorMunicipality": SE, "text": "Hur löste ni det?" }])
    );
    // Nothing the partner tried changed the unshared process.
    let untouched = process(&app, &anna, &internal.id, &followed).await;
    assert_eq!(untouched["title"], "Intern sag");
    assert_eq!(untouched["commentCount"], 0);
    assert_eq!(untouched["followerCount"], 0);
    assert_eq!(history(&app, &anna, &internal.id).await.len(), 1);

    // Unsharing takes it away from the partner again, follower or not.
    let data = ok(
        &app,
        &anna,
        UPDATE,
        json!({ "id": public.id, "input": { "visibility": "MUNICIPALITY" } }),
    )
    .await;
    let unshared = data["updateProcess"]["consistencyToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let query = PROCESS.replace("PROCESS_FIELDS", "id");
    refused(
        &app,
        Some(&sven),
        &query,
        json!({ "id": public.id, "consistency": unshared }),
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        total(&processes(&app, &sven, Value::Null, &unshared).await),
        0
    );
    assert_eq!(
        total(&backlog(&app, &sven, json!({ "municipality": DK }), &unshared).await),
        0
    );
    app.stop().await
}

#[tokio::test]
async fn a_private_process_is_seen_by_its_reporter_and_department_only() -> anyhow::Result<()> {
    let app = App::spawn("private").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let same_department = app
        .token("birte", DK, Some("social"), &["employee"])
        .await?;
    let other_department = app
        .token("dora", DK, Some("economy"), &["employee"])
        .await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;

    let private = submit(
        &app,
        &anna,
        with(
            form("Kladde", &["social"], 100, 5.0, 50),
            json!({ "visibility": "PRIVATE" }),
        ),
    )
    .await;
    let open = submit(&app, &anna, form("Åben", &["social"], 100, 5.0, 50)).await;

    assert_eq!(
        process(&app, &anna, &private.id, &open.token).await["title"],
        "Kladde"
    );
    assert_eq!(
        process(&app, &same_department, &private.id, &open.token).await["title"],
        "Kladde"
    );
    assert_eq!(history(&app, &anna, &private.id).await.len(), 1);

    let query = PROCESS.replace("PROCESS_FIELDS", "id");
    for outsider in [&other_department, &it] {
        refused(
            &app,
            Some(outsider),
            &query,
            json!({ "id": private.id, "consistency": open.token }),
            "NOT_FOUND",
        )
        .await;
        refused(
            &app,
            Some(outsider),
            HISTORY,
            json!({ "id": private.id }),
            "NOT_FOUND",
        )
        .await;
        let listed = processes(&app, outsider, Value::Null, &open.token).await;
        assert_eq!(column(&listed, "title"), ["Åben"], "{listed:#}");
        assert_eq!(total(&listed), 1);
        let ranked = backlog(&app, outsider, Value::Null, &open.token).await;
        assert_eq!(column(&ranked, "title"), ["Åben"], "{ranked:#}");
        assert_eq!(total(&ranked), 1);
        let data = ok(
            &app,
            outsider,
            STATUS_OVERVIEW,
            json!({ "consistency": open.token }),
        )
        .await;
        let counted = overview_total(&data);
        assert_eq!(counted, 1, "{data:#}");
    }
    let listed = processes(&app, &anna, Value::Null, &open.token).await;
    assert_eq!(total(&listed), 2, "{listed:#}");
    // IT cannot act on what it cannot see.
    refused(
        &app,
        Some(&it),
        ASSESS,
        json!({ "id": private.id, "input": middling() }),
        "NOT_FOUND",
    )
    .await;
    app.stop().await
}

/// The ids found by paging through a list, two at a time (every page's totalCount is
/// checked against them).
async fn paged_ids(
    app: &App,
    token: &str,
    field: &str,
    filter: Value,
    consistency: &str,
) -> Vec<String> {
    let found = page_through(app, token, field, filter, 2, consistency).await;
    let ids: Vec<String> = found
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect();
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "{field}: each process once: {ids:?}"
    );
    ids
}

/// For each viewer, how many processes paging finds (and every page's totalCount says) in:
/// all processes, DK's, SE's, DK's backlog, SE's backlog.
async fn lists_hold(app: &App, expected: &[(&str, &str, [usize; 5])], consistency: &str) {
    for (who, token, counts) in expected {
        let mut found = Vec::new();
        for (field, filter) in [
            ("processes", Value::Null),
            ("processes", json!({ "municipality": DK })),
            ("processes", json!({ "municipality": SE })),
            ("backlog", json!({ "municipality": DK })),
            ("backlog", json!({ "municipality": SE })),
        ] {
            found.push(
                paged_ids(app, token, field, filter, consistency)
                    .await
                    .len(),
            );
        }
        assert_eq!(
            found, counts,
            "{who}: processes, DK's, SE's, DK's backlog, SE's backlog"
        );
    }
}

#[tokio::test]
async fn total_count_is_what_paging_finds_for_members_partners_and_private_reporters()
-> anyhow::Result<()> {
    let app = App::spawn("counts").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let bo = app.token("bo", DK, Some("culture"), &["employee"]).await?;
    let dora = app
        .token("dora", DK, Some("economy"), &["employee"])
        .await?;
    let dk_it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let sven = app.token("sven", SE, Some("social"), &["employee"]).await?;
    let se_it = app
        .token("it.helsingborg", SE, Some("it"), &["it_portfolio"])
        .await?;
    let mut ids = std::collections::HashMap::new();
    let mut last = None;
    for (who, title, department, visibility) in [
        (&anna, "anna private", "social", "PRIVATE"),
        (&anna, "anna private 2", "social", "PRIVATE"),
        (&bo, "bo private", "culture", "PRIVATE"),
        (&anna, "dk municipality", "social", "MUNICIPALITY"),
        (&bo, "dk municipality 2", "culture", "MUNICIPALITY"),
        (&anna, "dk network", "social", "NETWORK"),
        (&anna, "dk public", "social", "PUBLIC"),
        (&bo, "dk public 2", "culture", "PUBLIC"),
        (&sven, "se private", "social", "PRIVATE"),
        (&sven, "se private 2", "social", "PRIVATE"),
        (&sven, "se municipality", "social", "MUNICIPALITY"),
        (&sven, "se public", "social", "PUBLIC"),
        (&sven, "se network", "social", "NETWORK"),
    ] {
        let input = with(
            form(title, &[department], 100, 5.0, 50),
            json!({ "visibility": visibility }),
        );
        let written = submit(&app, who, input).await;
        ids.insert(title, written.id.clone());
        last = Some(written);
    }
    let last = last.expect("submitted").token;

    // DK's members see its five shared processes and the private ones they reported (Anna
    // two, Bo one); SE's members SE's three shared ones, and Sven his two private ones too.
    // Partners see only the public one (the gateway's viewers have no networks).
    lists_hold(
        &app,
        &[
            ("anna", &anna, [8, 7, 1, 7, 1]),
            ("bo", &bo, [7, 6, 1, 6, 1]),
            ("dora", &dora, [6, 5, 1, 5, 1]),
            ("it.syddjurs", &dk_it, [6, 5, 1, 5, 1]),
            ("sven", &sven, [7, 2, 5, 2, 5]),
            ("it.helsingborg", &se_it, [5, 2, 3, 2, 3]),
        ],
        &last,
    )
    .await;
    // A filter the counts table cannot answer is counted row by row, with the same rule.
    for who in [&anna, &sven] {
        let filter = json!({ "titleContains": "private" });
        let found = paged_ids(&app, who, "processes", filter, &last).await;
        assert_eq!(found.len(), 2, "{found:?}");
    }

    // Processes change their visibility and close.
    for (title, visibility) in [("anna private", "PUBLIC"), ("dk public", "PRIVATE")] {
        ok(
            &app,
            &anna,
            UPDATE,
            json!({ "id": ids[title], "input": { "visibility": visibility } }),
        )
        .await;
    }
    change_status(
        &app,
        &dk_it,
        &ids["dk public 2"],
        "REJECTED",
        Some("too costly"),
    )
    .await;
    let last = change_status(
        &app,
        &dk_it,
        &ids["dk municipality 2"],
        "NOT_RELEVANT",
        Some("solved elsewhere"),
    )
    .await
    .token;
    // DK: "anna private" is public now, "dk public" Anna's private; "dk public 2" and "dk
    // municipality 2" are closed: out of the backlog, still in the lists.
    lists_hold(
        &app,
        &[
            ("anna", &anna, [8, 7, 1, 5, 1]),
            ("bo", &bo, [7, 6, 1, 4, 1]),
            ("dora", &dora, [6, 5, 1, 3, 1]),
            ("it.syddjurs", &dk_it, [6, 5, 1, 3, 1]),
            ("sven", &sven, [7, 2, 5, 1, 5]),
            ("it.helsingborg", &se_it, [5, 2, 3, 1, 3]),
        ],
        &last,
    )
    .await;
    app.stop().await
}
