//! The processes API end to end: submit, assess, rank and read the backlog in two
//! municipalities; the status overview; idempotent retries; history; a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::App;
use serde_json::{Value, json};

/// `(department, phase, status, count)` of every cell, sorted.
fn cells(overview: &Value) -> Vec<(Option<String>, String, String, i64)> {
    let mut cells: Vec<_> = overview["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .map(|c| {
            (
                c["department"].as_str().map(str::to_owned),
                c["phase"].as_str().expect("phase").to_owned(),
                c["status"].as_str().expect("status").to_owned(),
                c["count"].as_i64().expect("count"),
            )
        })
        .collect();
    cells.sort();
    cells
}

fn cell(
    department: &str,
    phase: &str,
    status: &str,
    count: i64,
) -> (Option<String>, String, String, i64) {
    (Some(department.into()), phase.into(), status.into(), count)
}

/// Hours saved per year = cases × 10 min / 60 at 100 %: `hours` × 6 cases.
fn hours(title: &str, department: &str, hours: i64) -> Value {
    form(title, &[department], hours * 6, 10.0, 100)
}

#[tokio::test]
async fn backlog_is_ranked_items_in_rank_order_then_the_rest_by_score_per_municipality()
-> anyhow::Result<()> {
    let app = App::spawn("backlog").await?;
    let dk_it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let dk_anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let se_it = app
        .token("it.helsingborg", SE, Some("it"), &["it_portfolio"])
        .await?;
    let se_sven = app.token("sven", SE, Some("social"), &["employee"]).await?;

    // Interleave the two municipalities; every process gets the same assessment, so the
    // score order is the order of hours saved.
    let mut dk = std::collections::HashMap::new();
    let mut se = std::collections::HashMap::new();
    let plan = [
        (DK, "DK Tolkebestilling", 10),
        (SE, "SE Ekonomiskt bistånd", 2000),
        (DK, "DK Befordring", 100),
        (DK, "DK Boligstøtte", 1000),
        (SE, "SE Bygglov", 300),
        (DK, "DK Fakturamatch", 5000),
        (DK, "DK Sygedagpenge", 50),
        (SE, "SE Skolskjuts", 30),
        (DK, "DK Kørselsgodtgørelse", 20),
    ];
    for (municipality, title, h) in plan {
        let (reporter, it, ids) = if municipality == DK {
            (&dk_anna, &dk_it, &mut dk)
        } else {
            (&se_sven, &se_it, &mut se)
        };
        let written = submit(&app, reporter, hours(title, "social", h)).await;
        assess(&app, it, &written.id, middling()).await;
        ids.insert(title, written.id);
    }

    rank(&app, &dk_it, &dk["DK Befordring"], json!({ "end": "TOP" })).await;
    rank(
        &app,
        &dk_it,
        &dk["DK Tolkebestilling"],
        json!({ "after": dk["DK Befordring"] }),
    )
    .await;
    rank(
        &app,
        &dk_it,
        &dk["DK Sygedagpenge"],
        json!({ "before": dk["DK Tolkebestilling"] }),
    )
    .await;
    rank(
        &app,
        &dk_it,
        &dk["DK Kørselsgodtgørelse"],
        json!({ "end": "BOTTOM" }),
    )
    .await;
    // Moving a ranked item: to the top.
    rank(
        &app,
        &dk_it,
        &dk["DK Tolkebestilling"],
        json!({ "end": "TOP" }),
    )
    .await;
    let last = rank(&app, &se_it, &se["SE Skolskjuts"], json!({ "end": "TOP" })).await;

    let dk_backlog = backlog(&app, &dk_it, Value::Null, &last.token).await;
    assert_eq!(
        column(&dk_backlog, "title"),
        [
            "DK Tolkebestilling",
            "DK Befordring",
            "DK Sygedagpenge",
            "DK Kørselsgodtgørelse",
            "DK Fakturamatch",
            "DK Boligstøtte"
        ],
        "{dk_backlog:#}"
    );
    assert_eq!(total(&dk_backlog), 6);
    let ranks: Vec<Value> = nodes(&dk_backlog)
        .iter()
        .map(|n| n["backlogRank"].clone())
        .collect();
    assert_eq!(
        ranks,
        [
            json!(1),
            json!(2),
            json!(3),
            json!(4),
            Value::Null,
            Value::Null
        ]
    );
    let unranked_scores: Vec<f64> = nodes(&dk_backlog)[4..]
        .iter()
        .map(|n| n["priorityScore"].as_f64().expect("score"))
        .collect();
    assert!(
        unranked_scores[0] > unranked_scores[1],
        "unranked by score, descending: {unranked_scores:?}"
    );
    assert!(
        column(&dk_backlog, "municipality").iter().all(|m| m == DK),
        "{dk_backlog:#}"
    );

    let se_backlog = backlog(&app, &se_it, Value::Null, &last.token).await;
    assert_eq!(
        column(&se_backlog, "title"),
        ["SE Skolskjuts", "SE Ekonomiskt bistånd", "SE Bygglov"],
        "{se_backlog:#}"
    );
    assert_eq!(total(&se_backlog), 3);
    assert!(
        column(&se_backlog, "municipality").iter().all(|m| m == SE),
        "{se_backlog:#}"
    );

    // Paging through it gives the same order.
    let page = "query($after: String, $c: String) {
        backlog(first: 4, after: $after, consistency: $c) {
            totalCount pageInfo { hasNextPage } edges { cursor node { title } }
        }
    }";
    let (mut paged, mut after, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let data = ok(
            &app,
            &dk_it,
            page,
            json!({ "after": after, "c": last.token }),
        )
        .await;
        let connection = &data["backlog"];
        assert_eq!(total(connection), 6);
        paged.extend(column(connection, "title"));
        pages += 1;
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["edges"]
            .as_array()
            .and_then(|e| e.last())
            .map(|e| e["cursor"].clone())
            .expect("a cursor");
        assert!(pages < 5, "paging does not end: {connection:#}");
    }
    assert_eq!(pages, 2);
    assert_eq!(paged, column(&dk_backlog, "title"));

    // The other municipality's backlog holds nothing shared with us.
    let foreign = backlog(&app, &dk_it, json!({ "municipality": SE }), &last.token).await;
    assert_eq!(total(&foreign), 0, "{foreign:#}");
    assert!(nodes(&foreign).is_empty());

    // IT cannot rank another municipality's (unshared) process: it does not exist for them.
    refused(
        &app,
        Some(&dk_it),
        RANK,
        json!({ "id": se["SE Bygglov"], "end": "TOP" }),
        "NOT_FOUND",
    )
    .await;

    // Unranking puts a process back among the rest, by score; the ranks close up.
    let data = ok(
        &app,
        &dk_it,
        "mutation($id: ID!) { unrankProcess(id: $id) { id consistencyToken replayed } }",
        json!({ "id": dk["DK Befordring"] }),
    )
    .await;
    let unranked = data["unrankProcess"]["consistencyToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let dk_backlog = backlog(&app, &dk_it, Value::Null, &unranked).await;
    assert_eq!(
        column(&dk_backlog, "title"),
        [
            "DK Tolkebestilling",
            "DK Sygedagpenge",
            "DK Kørselsgodtgørelse",
            "DK Fakturamatch",
            "DK Boligstøtte",
            "DK Befordring"
        ],
        "{dk_backlog:#}"
    );
    let ranks: Vec<Value> = nodes(&dk_backlog)
        .iter()
        .map(|n| n["backlogRank"].clone())
        .collect();
    assert_eq!(
        ranks,
        [
            json!(1),
            json!(2),
            json!(3),
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
    app.stop().await
}

#[tokio::test]
async fn status_overview_counts_per_department_phase_and_status() -> anyhow::Result<()> {
    let app = App::spawn("overview").await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let se = app
        .token("sven", SE, Some("social"), &["employee", "it_portfolio"])
        .await?;

    // A, F: social, untouched.
    submit(&app, &anna, form("A", &["social"], 100, 5.0, 50)).await;
    submit(&app, &anna, form("F", &["social"], 100, 5.0, 50)).await;
    // B: social, assessed and moved to SPECIFICATION.
    let b = submit(&app, &anna, form("B", &["social"], 100, 5.0, 50)).await;
    assess(&app, &it, &b.id, middling()).await;
    change_phase(&app, &it, &b.id, "PRE_ANALYSIS").await;
    change_phase(&app, &it, &b.id, "SPECIFICATION").await;
    // G: social, to SPECIFICATION and back to PRE_ANALYSIS with a reason.
    let g = submit(&app, &anna, form("G", &["social"], 100, 5.0, 50)).await;
    assess(&app, &it, &g.id, middling()).await;
    change_phase(&app, &it, &g.id, "PRE_ANALYSIS").await;
    change_phase(&app, &it, &g.id, "SPECIFICATION").await;
    let data = ok(
        &app,
        &it,
        CHANGE_PHASE,
        json!({ "id": g.id, "phase": "PRE_ANALYSIS", "reason": "scope unclear" }),
    )
    .await;
    assert!(data["changeProcessPhase"]["consistencyToken"].is_string());
    // C: economy, in PRE_ANALYSIS and on hold; on hold it does not move forward.
    let c = submit(&app, &anna, form("C", &["economy"], 100, 5.0, 50)).await;
    assess(&app, &it, &c.id, middling()).await;
    change_phase(&app, &it, &c.id, "PRE_ANALYSIS").await;
    change_status(&app, &it, &c.id, "ON_HOLD", Some("waiting for the new ERP")).await;
    refused(
        &app,
        Some(&it),
        CHANGE_PHASE,
        json!({ "id": c.id, "phase": "SPECIFICATION" }),
        "BAD_USER_INPUT",
    )
    .await;
    // D: social and economy, rejected: counts in both.
    let d = submit(&app, &anna, form("D", &["social", "economy"], 100, 5.0, 50)).await;
    change_status(
        &app,
        &it,
        &d.id,
        "REJECTED",
        Some("the law is about to change"),
    )
    .await;
    // E: economy, untouched.
    submit(&app, &anna, form("E", &["economy"], 100, 5.0, 50)).await;
    // Another municipality's process in a department of the same name.
    let last = submit(&app, &se, form("S", &["social"], 100, 5.0, 50)).await;

    let data = ok(
        &app,
        &it,
        STATUS_OVERVIEW,
        json!({ "consistency": last.token }),
    )
    .await;
    let overview = &data["statusOverview"];
    assert_eq!(overview["municipality"], DK);
    assert_eq!(
        cells(overview),
        vec![
            cell("economy", "IDEA", "NOT_ASSESSED", 1),
            cell("economy", "IDEA", "REJECTED", 1),
            cell("economy", "PRE_ANALYSIS", "ON_HOLD", 1),
            cell("social", "IDEA", "NOT_ASSESSED", 2),
            cell("social", "IDEA", "REJECTED", 1),
            cell("social", "PRE_ANALYSIS", "IN_PROGRESS", 1),
            cell("social", "SPECIFICATION", "IN_PROGRESS", 1),
        ],
        "{overview:#}"
    );

    let data = ok(
        &app,
        &se,
        STATUS_OVERVIEW,
        json!({ "consistency": last.token }),
    )
    .await;
    assert_eq!(data["statusOverview"]["municipality"], SE);
    assert_eq!(
        cells(&data["statusOverview"]),
        vec![cell("social", "IDEA", "NOT_ASSESSED", 1)]
    );
    app.stop().await
}

#[tokio::test]
async fn a_retried_submission_with_the_same_idempotency_key_records_one_process()
-> anyhow::Result<()> {
    let app = App::spawn("idempotency").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let bo = app.token("bo", DK, Some("social"), &["employee"]).await?;
    let sven = app.token("sven", SE, Some("social"), &["employee"]).await?;
    let input = form("Idempotent indberetning", &["social"], 100, 5.0, 50);
    let vars = json!({ "input": input, "key": "form-42" });

    let first = ok(&app, &anna, SUBMIT, vars.clone()).await["submitProcess"].clone();
    let second = ok(&app, &anna, SUBMIT, vars.clone()).await["submitProcess"].clone();
    assert_eq!(first["replayed"], false, "{first:#}");
    assert_eq!(second["replayed"], true, "{second:#}");
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["consistencyToken"], second["consistencyToken"]);
    assert_eq!(second["process"]["title"], "Idempotent indberetning");

    // Keys are the caller's own: another user, here or elsewhere, gets their own process.
    let bos = ok(&app, &bo, SUBMIT, vars.clone()).await["submitProcess"].clone();
    let svens = ok(&app, &sven, SUBMIT, vars.clone()).await["submitProcess"].clone();
    assert_eq!(bos["replayed"], false);
    assert_eq!(svens["replayed"], false);
    assert_ne!(bos["id"], first["id"]);
    assert_ne!(svens["id"], first["id"]);
    assert_eq!(svens["process"]["title"], "Idempotent indberetning");

    let id = first["id"].as_str().expect("id");
    let last = bystander_write(&app).await;
    let mine = processes(&app, &anna, json!({ "municipality": DK }), &last.token).await;
    assert_eq!(total(&mine), 2, "anna's and bo's, once each: {mine:#}");
    assert_eq!(history(&app, &anna, id).await.len(), 1);

    // A retried comment is recorded once too.
    let comment = "mutation($id: ID!, $key: String) {
        commentOnProcess(id: $id, text: \"Vi har samme proces\", idempotencyKey: $key) { id consistencyToken replayed }
    }";
    let vars = json!({ "id": id, "key": "comment-1" });
    let c1 = ok(&app, &bo, comment, vars.clone()).await["commentOnProcess"].clone();
    let c2 = ok(&app, &bo, comment, vars).await["commentOnProcess"].clone();
    assert_eq!(
        (c1["replayed"].clone(), c2["replayed"].clone()),
        (json!(false), json!(true))
    );
    let seen = process(
        &app,
        &anna,
        id,
        c2["consistencyToken"].as_str().expect("token"),
    )
    .await;
    assert_eq!(seen["commentCount"], 1, "{seen:#}");
    assert_eq!(history(&app, &anna, id).await.len(), 2);
    app.stop().await
}

#[tokio::test]
async fn history_lists_every_event_with_its_actor_for_the_owner_and_without_for_partners()
-> anyhow::Result<()> {
    let app = App::spawn("history").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let sven = app.token("sven", SE, Some("social"), &["employee"]).await?;

    let p = submit(
        &app,
        &anna,
        with(
            form("Delt proces", &["social"], 100, 5.0, 50),
            json!({ "visibility": "PUBLIC" }),
        ),
    )
    .await;
    assess(&app, &it, &p.id, middling()).await;
    change_phase(&app, &it, &p.id, "PRE_ANALYSIS").await;
    ok(
        &app,
        &sven,
        "mutation($id: ID!) { commentOnProcess(id: $id, text: \"Hur löste ni det?\") { id } }",
        json!({ "id": p.id }),
    )
    .await;

    let owner_view = history(&app, &anna, &p.id).await;
    let field =
        |entries: &[Value], f: &str| entries.iter().map(|e| e[f].clone()).collect::<Vec<_>>();
    assert_eq!(
        field(&owner_view, "type"),
        [
            "ProcessSubmitted",
            "ProcessAssessed",
            "ProcessStatusChanged",
            "ProcessPhaseChanged",
            "ProcessCommented"
        ]
        .map(Value::from),
        "{owner_view:#?}"
    );
    assert_eq!(
        field(&owner_view, "sequence"),
        [1, 2, 3, 4, 5].map(Value::from)
    );
    assert_eq!(
        field(&owner_view, "actor"),
        [
            json!("anna"),
            json!("it.syddjurs"),
            json!("it.syddjurs"),
            json!("it.syddjurs"),
            Value::Null
        ],
        "people of other municipalities are not named: {owner_view:#?}"
    );
    assert_eq!(
        field(&owner_view, "actorMunicipality"),
        [DK, DK, DK, DK, SE].map(Value::from)
    );
    for entry in &owner_view {
        let at = entry["occurredAt"].as_str().unwrap_or_default();
        assert!(
            at.len() >= 20 && at.as_bytes()[4] == b'-' && at.contains('T'),
            "occurredAt is an RFC 3339 time: {entry}"
        );
    }

    let partner_view = history(&app, &sven, &p.id).await;
    assert_eq!(field(&partner_view, "type"), field(&owner_view, "type"));
    assert_eq!(
        field(&partner_view, "actor"),
        [
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            json!("sven")
        ],
        "partners see no people of the owner: {partner_view:#?}"
    );
    app.stop().await
}

#[tokio::test]
async fn processes_and_the_backlog_survive_a_restart() -> anyhow::Result<()> {
    let app = App::spawn("restart").await?;
    let dir = app.data_dir.clone();
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let first = submit(
        &app,
        &anna,
        form("Før genstart", &["social"], 6000, 10.0, 100),
    )
    .await;
    let second = submit(
        &app,
        &anna,
        form("Også før genstart", &["social"], 60, 10.0, 100),
    )
    .await;
    assess(&app, &it, &first.id, middling()).await;
    let ranked = rank(&app, &it, &second.id, json!({ "end": "TOP" })).await;
    let before = backlog(&app, &it, Value::Null, &ranked.token).await;
    assert_eq!(
        column(&before, "title"),
        ["Også før genstart", "Før genstart"]
    );
    app.stop().await?;

    let app = App::spawn_in(&dir, &[]).await?;
    // The old token is still a position this store has reached.
    let after = backlog(&app, &it, Value::Null, &ranked.token).await;
    assert_eq!(after, before, "the backlog is the same after a restart");
    let seen = process(&app, &anna, &first.id, &ranked.token).await;
    assert_eq!(seen["title"], "Før genstart");
    assert_eq!(seen["status"], "IN_PROGRESS");
    assert_eq!(history(&app, &anna, &first.id).await.len(), 3);
    // New writes continue after the old ones.
    let third = submit(&app, &anna, form("Efter genstart", &["social"], 1, 1.0, 1)).await;
    assert!(
        third.position() > ranked.position(),
        "{} > {}",
        third.token,
        ranked.token
    );
    let listed = processes(&app, &anna, Value::Null, &third.token).await;
    assert_eq!(total(&listed), 3);
    assert_eq!(
        column(&listed, "title"),
        ["Efter genstart", "Også før genstart", "Før genstart"],
        "newest first"
    );
    app.stop().await
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_command_is_a_client_error_or_a_new_command()
-> anyhow::Result<()> {
    let app = App::spawn("idempotency-reuse").await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let input = form("Første kommando", &["social"], 100, 5.0, 50);
    let first =
        ok(&app, &it, SUBMIT, json!({ "input": input, "key": "K1" })).await["submitProcess"]
            .clone();
    let id = first["id"].as_str().expect("id").to_owned();

    // The same key on other commands: either refused as the client's mistake, with nothing
    // recorded, or executed as the new command it is; never an internal error, and never
    // "replayed" for something that was not done.
    let rank = "mutation($id: ID!) { rankProcess(id: $id, end: TOP, idempotencyKey: \"K1\") { id consistencyToken replayed } }";
    let comment = "mutation($id: ID!) { commentOnProcess(id: $id, text: \"Hej\", idempotencyKey: \"K1\") { id consistencyToken replayed } }";
    for (field, query) in [("rankProcess", rank), ("commentOnProcess", comment)] {
        let response = app.gql(Some(&it), query, json!({ "id": id })).await?;
        let codes = innohub_tests::error_codes(&response);
        if codes.is_empty() {
            let token = response["data"][field]["consistencyToken"]
                .as_str()
                .expect("token")
                .to_owned();
            let seen = process(&app, &it, &id, &token).await;
            let done = if field == "rankProcess" {
                seen["backlogRank"] == 1
            } else {
                seen["commentCount"] == 1
            };
            assert!(
                done,
                "{field} answered {response} but did not take effect: {seen:#}"
            );
        } else {
            assert!(
                codes == ["BAD_USER_INPUT"] || codes == ["CONFLICT"],
                "{field} with a key used for submitProcess: {response:#}"
            );
            let later = bystander_write(&app).await;
            let seen = process(&app, &it, &id, &later.token).await;
            assert_eq!(
                seen["backlogRank"],
                Value::Null,
                "{field} was refused: {seen:#}"
            );
            assert_eq!(seen["commentCount"], 0, "{field} was refused: {seen:#}");
        }
    }
    app.stop().await
}

#[tokio::test]
async fn concurrent_ranking_keeps_one_consistent_order() -> anyhow::Result<()> {
    let app = App::spawn("concurrent-rank").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(
            submit(
                &app,
                &anna,
                form(&format!("Samtidig {i:02}"), &["social"], 100, 5.0, 50),
            )
            .await
            .id,
        );
    }
    let outcomes = futures::future::join_all(
        ids.iter()
            .map(|id| app.gql(Some(&it), RANK, json!({ "id": id, "end": "BOTTOM" }))),
    )
    .await;
    let mut ranked = Vec::new();
    let mut last = 0_i64;
    for (id, outcome) in ids.iter().zip(outcomes) {
        let response = outcome?;
        let codes = innohub_tests::error_codes(&response);
        if codes.is_empty() {
            ranked.push(id.clone());
            let token = response["data"]["rankProcess"]["consistencyToken"]
                .as_str()
                .expect("token");
            last = last.max(innohub_tests::token_position(token).expect("a position"));
        } else {
            // Bounded retries may give up; then nothing was recorded.
            assert_eq!(codes, ["CONFLICT"], "{response:#}");
        }
    }
    assert!(!ranked.is_empty());
    let view = backlog(&app, &it, Value::Null, &innohub_tests::token_at(last)).await;
    let in_rank: Vec<(String, Value)> = nodes(&view)
        .iter()
        .filter(|n| !n["backlogRank"].is_null())
        .map(|n| {
            (
                n["id"].as_str().unwrap_or_default().to_owned(),
                n["backlogRank"].clone(),
            )
        })
        .collect();
    let ranks: Vec<Value> = in_rank.iter().map(|(_, r)| r.clone()).collect();
    assert_eq!(
        ranks,
        (1..=ranked.len() as i64)
            .map(Value::from)
            .collect::<Vec<_>>(),
        "{view:#}"
    );
    let mut seen: Vec<String> = in_rank.into_iter().map(|(id, _)| id).collect();
    seen.sort();
    ranked.sort();
    assert_eq!(
        seen, ranked,
        "exactly the processes whose ranking succeeded are ranked"
    );
    // The read model agrees with the ranking itself: moving the last one to the top works on it.
    let bottom = nodes(&view)[ranked.len() - 1]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let moved = rank(&app, &it, &bottom, json!({ "end": "TOP" })).await;
    let view = backlog(&app, &it, Value::Null, &moved.token).await;
    assert_eq!(nodes(&view)[0]["id"], json!(bottom));
    assert_eq!(nodes(&view)[0]["backlogRank"], 1);
    app.stop().await
}

#[tokio::test]
async fn a_process_records_how_often_it_runs_and_when_its_legal_basis_was_verified()
-> anyhow::Result<()> {
    let app = App::spawn("run-period").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let sven = app.token("sven", SE, Some("social"), &["employee"]).await?;
    let weekly = submit(
        &app,
        &anna,
        with(
            form("Ugentlig kontrol", &["social"], 52, 30.0, 80),
            json!({
                "runPeriod": "WEEKLY",
                "legalBasisVerifiedOn": "2026-10-01",
                "visibility": "PUBLIC",
            }),
        ),
    )
    .await;
    let daily = submit(
        &app,
        &anna,
        with(
            form("Daglig afstemning", &["social"], 250, 10.0, 60),
            json!({ "runPeriod": "DAILY" }),
        ),
    )
    .await;
    let unknown = submit(&app, &anna, form("Uden periode", &["social"], 10, 5.0, 50)).await;
    let fields = "id runPeriod legalBasisVerifiedOn";
    let read = |token: String, id: String, consistency: String| {
        let app = &app;
        async move {
            ok(
                app,
                &token,
                &PROCESS.replace("PROCESS_FIELDS", fields),
                json!({ "id": id, "consistency": consistency }),
            )
            .await["process"]
                .clone()
        }
    };
    let seen = read(anna.clone(), weekly.id.clone(), unknown.token.clone()).await;
    assert_eq!(seen["runPeriod"], "WEEKLY");
    assert_eq!(seen["legalBasisVerifiedOn"], "2026-10-01");
    let none = read(anna.clone(), unknown.id.clone(), unknown.token.clone()).await;
    assert_eq!(
        (
            none["runPeriod"].clone(),
            none["legalBasisVerifiedOn"].clone()
        ),
        (Value::Null, Value::Null)
    );
    // Shared with partners: neither is personal nor internal.
    let shared = read(sven.clone(), weekly.id.clone(), unknown.token.clone()).await;
    assert_eq!(shared["runPeriod"], "WEEKLY");

    // Both lists filter on it, within what the reader may see.
    let by_period = |period: &str| json!({ "runPeriod": period });
    let listed = processes(&app, &anna, by_period("WEEKLY"), &unknown.token).await;
    assert_eq!(column(&listed, "id"), [weekly.id.as_str()]);
    let ranked = backlog(&app, &anna, by_period("DAILY"), &unknown.token).await;
    assert_eq!(column(&ranked, "id"), [daily.id.as_str()]);
    let partner = processes(&app, &sven, by_period("DAILY"), &unknown.token).await;
    assert_eq!(
        total(&partner),
        0,
        "the unshared daily process stays unseen: {partner:#}"
    );
    assert_eq!(
        total(&processes(&app, &sven, by_period("WEEKLY"), &unknown.token).await),
        1
    );

    // An update changes or clears them; an impossible date changes nothing.
    let cleared = ok(
        &app,
        &anna,
        UPDATE,
        json!({ "id": weekly.id, "input": { "runPeriod": "MONTHLY", "legalBasisVerifiedOn": null } }),
    )
    .await;
    let cleared = Written::from_payload(&cleared["updateProcess"]);
    let seen = read(anna.clone(), weekly.id.clone(), cleared.token.clone()).await;
    assert_eq!(seen["runPeriod"], "MONTHLY");
    assert_eq!(seen["legalBasisVerifiedOn"], Value::Null);
    assert_eq!(
        total(&processes(&app, &anna, by_period("WEEKLY"), &cleared.token).await),
        0
    );
    refused(
        &app,
        Some(&anna),
        UPDATE,
        json!({ "id": weekly.id, "input": { "legalBasisVerifiedOn": "2026-02-30" } }),
        "BAD_USER_INPUT",
    )
    .await;
    refused(
        &app,
        Some(&anna),
        UPDATE,
        json!({ "id": weekly.id, "input": { "runPeriod": "HOURLY" } }),
        "BAD_USER_INPUT",
    )
    .await;
    let later = bystander_write(&app).await;
    assert_eq!(
        later.position(),
        cleared.position() + 1,
        "nothing was recorded"
    );
    app.stop().await
}

/// The titles of a page.
fn titles(connection: &Value) -> Vec<String> {
    column(connection, "title")
}

#[tokio::test]
async fn paging_continues_after_the_last_item_seen_while_processes_are_added_and_ranked()
-> anyhow::Result<()> {
    let app = App::spawn("keyset").await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    // P1 … P10 by falling score; P8, P9, P10 ranked in that order ahead of the rest.
    let mut p = Vec::new();
    for i in 1..=10 {
        p.push(
            submit(
                &app,
                &anna,
                hours(&format!("P{i}"), "social", 1100 - 100 * i),
            )
            .await,
        );
    }
    rank(&app, &it, &p[7].id, json!({ "end": "TOP" })).await;
    rank(&app, &it, &p[8].id, json!({ "after": p[7].id })).await;
    let mut last = rank(&app, &it, &p[9].id, json!({ "after": p[8].id })).await;

    let next = |after: Value, token: String| {
        let (app, it) = (&app, &it);
        async move { page(app, it, "backlog", Value::Null, 2, &after, &token).await }
    };
    let mut seen = Vec::new();
    let first = next(Value::Null, last.token.clone()).await;
    assert_eq!(titles(&first), ["P8", "P9"], "{first:#}");
    seen.extend(titles(&first));

    // A new process ranked first moves every rank down by one: the next page still starts
    // after P9 (an offset, or the rank P9 had, would show P9 again).
    let n1 = submit(&app, &anna, hours("N1", "social", 5)).await;
    last = rank(&app, &it, &n1.id, json!({ "end": "TOP" })).await;
    let second = next(last_cursor(&first), last.token.clone()).await;
    assert_eq!(titles(&second), ["P10", "P1"], "{second:#}");
    seen.extend(titles(&second));

    // A new process that sorts before the cursor is not shown; one after it will be.
    submit(&app, &anna, hours("H", "social", 5000)).await;
    last = submit(&app, &anna, hours("L", "social", 1)).await;
    let third = next(last_cursor(&second), last.token.clone()).await;
    assert_eq!(titles(&third), ["P2", "P3"], "{third:#}");
    seen.extend(titles(&third));

    // Ranking one already seen takes it away from what is left, not from the page.
    last = rank(&app, &it, &p[1].id, json!({ "end": "TOP" })).await;
    let mut after = last_cursor(&third);
    loop {
        let connection = next(after, last.token.clone()).await;
        seen.extend(titles(&connection));
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = last_cursor(&connection);
        assert!(seen.len() < 20, "paging does not end: {seen:?}");
    }
    assert_eq!(
        seen,
        [
            "P8", "P9", "P10", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "L"
        ],
        "every process once, in order"
    );

    // `processes`, newest first: what is submitted between pages is newer than the cursor.
    let first = page(
        &app,
        &it,
        "processes",
        Value::Null,
        5,
        &Value::Null,
        &last.token,
    )
    .await;
    let mut seen = titles(&first);
    last = submit(&app, &anna, hours("Newer", "social", 50)).await;
    let rest = page(
        &app,
        &it,
        "processes",
        Value::Null,
        100,
        &last_cursor(&first),
        &last.token,
    )
    .await;
    seen.extend(titles(&rest));
    assert_eq!(
        seen,
        [
            "L", "H", "N1", "P10", "P9", "P8", "P7", "P6", "P5", "P4", "P3", "P2", "P1"
        ],
        "{rest:#}"
    );
    assert_eq!(total(&rest), 14, "the count includes the newer one");

    // A cursor is only good for the list it came from.
    let bad = "query($after: String) { backlog(first: 2, after: $after) { edges { cursor } } }";
    let processes_cursor = last_cursor(&first);
    for cursor in [
        json!("garbage"),
        json!(""),
        processes_cursor,
        // Well-formed base64 of a JSON string, but no position.
        json!("Im5vdCBhIHBvc2l0aW9uIg"),
    ] {
        let response = refused(
            &app,
            Some(&it),
            bad,
            json!({ "after": cursor }),
            "BAD_USER_INPUT",
        )
        .await;
        let message = response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("after is not a cursor from this list"),
            "{response:#}"
        );
    }
    app.stop().await
}
