//! Invalid input is refused with BAD_USER_INPUT and records nothing; requests that are too
//! deep, too complex or too large are refused before they cost anything.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::{App, error_codes};
use serde_json::{Value, json};

/// How much a municipality's views hold, as `token` sees them after `consistency`.
async fn counts(app: &App, token: &str, consistency: &str) -> (i64, i64) {
    let listed = total(&processes(app, token, json!({ "municipality": DK }), consistency).await);
    let ranked = total(&backlog(app, token, json!({ "includeClosed": true }), consistency).await);
    (listed, ranked)
}

#[tokio::test]
async fn invalid_input_is_bad_user_input_and_records_nothing() -> anyhow::Result<()> {
    let app = App::spawn("invalid").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let p = submit(&app, &anna, form("Gyldig", &["social"], 100, 5.0, 50)).await;
    let other = submit(&app, &anna, form("Også gyldig", &["social"], 100, 5.0, 50)).await;
    let ranked = rank(&app, &it, &other.id, json!({ "end": "TOP" })).await;
    let before = counts(&app, &it, &ranked.token).await;
    assert_eq!(before, (2, 2));

    // Submissions.
    let valid = form("Ugyldig", &["social"], 100, 5.0, 50);
    let invalid_submissions = [
        (
            "title of 81 characters",
            with(valid.clone(), json!({ "title": "x".repeat(81) })),
        ),
        (
            "title of 81 non-ASCII characters",
            with(valid.clone(), json!({ "title": "ø".repeat(81) })),
        ),
        (
            "blank title",
            with(valid.clone(), json!({ "title": "   " })),
        ),
        (
            "short description of 201 characters",
            with(
                valid.clone(),
                json!({ "shortDescription": "y".repeat(201) }),
            ),
        ),
        (
            "no department",
            with(valid.clone(), json!({ "departments": [] })),
        ),
        (
            "automation share 150",
            with(valid.clone(), json!({ "automationShare": 150 })),
        ),
        (
            "automation share -1",
            with(valid.clone(), json!({ "automationShare": -1 })),
        ),
        (
            "negative cases per year",
            with(valid.clone(), json!({ "casesPerYear": -1 })),
        ),
        (
            "negative minutes per case",
            with(valid.clone(), json!({ "minutesPerCase": -5.0 })),
        ),
        (
            "unknown visibility (variable)",
            with(valid.clone(), json!({ "visibility": "SECRET" })),
        ),
        (
            "go-live date that is no date",
            with(valid.clone(), json!({ "goLiveDate": "2027-02-30" })),
        ),
    ];
    for (what, input) in invalid_submissions {
        let response = refused(
            &app,
            Some(&anna),
            SUBMIT,
            json!({ "input": input }),
            "BAD_USER_INPUT",
        )
        .await;
        assert!(
            response["data"].is_null() || response["data"]["submitProcess"].is_null(),
            "{what}: {response:#}"
        );
    }
    let literal = "mutation { submitProcess(input: { title: \"Hemmelig\", shortDescription: \"s\", departments: [\"social\"], \
        casesPerYear: 1, minutesPerCase: 1, automationShare: 1, visibility: SECRET }) { id } }";
    refused(&app, Some(&anna), literal, Value::Null, "BAD_USER_INPUT").await;
    refused(
        &app,
        Some(&anna),
        SUBMIT,
        json!({ "input": valid, "key": "" }),
        "BAD_USER_INPUT",
    )
    .await;

    // Commands on an existing process.
    let (idea, ranked_one) = (p.id.as_str(), other.id.as_str());
    let commands = [
        (
            "phase skip IDEA → SPECIFICATION",
            idea,
            CHANGE_PHASE,
            json!({ "phase": "SPECIFICATION" }),
        ),
        (
            "PRE_ANALYSIS without an assessment",
            idea,
            CHANGE_PHASE,
            json!({ "phase": "PRE_ANALYSIS" }),
        ),
        (
            "the phase it is in",
            idea,
            CHANGE_PHASE,
            json!({ "phase": "IDEA" }),
        ),
        (
            "unknown phase (variable)",
            idea,
            CHANGE_PHASE,
            json!({ "phase": "DONE" }),
        ),
        (
            "REJECTED without a reason",
            idea,
            CHANGE_STATUS,
            json!({ "status": "REJECTED" }),
        ),
        (
            "ON_HOLD with a blank reason",
            idea,
            CHANGE_STATUS,
            json!({ "status": "ON_HOLD", "reason": "  " }),
        ),
        (
            "FAILED without a reason",
            idea,
            CHANGE_STATUS,
            json!({ "status": "FAILED" }),
        ),
        (
            "rating 6",
            idea,
            ASSESS,
            json!({ "input": { "rulesBased": 6 } }),
        ),
        ("rating 0", idea, ASSESS, json!({ "input": { "risk": 0 } })),
        (
            "title of 81 characters",
            idea,
            UPDATE,
            json!({ "input": { "title": "x".repeat(81) } }),
        ),
        (
            "automation share 150",
            idea,
            UPDATE,
            json!({ "input": { "automationShare": 150 } }),
        ),
        (
            "negative cases per year",
            idea,
            UPDATE,
            json!({ "input": { "casesPerYear": -1 } }),
        ),
        (
            "unknown visibility (variable)",
            idea,
            UPDATE,
            json!({ "input": { "visibility": "SECRET" } }),
        ),
        (
            "before and end",
            idea,
            RANK,
            json!({ "before": ranked_one, "end": "TOP" }),
        ),
        ("no placement", idea, RANK, json!({})),
        (
            "before an unranked process",
            ranked_one,
            RANK,
            json!({ "before": idea }),
        ),
        (
            "after itself",
            ranked_one,
            RANK,
            json!({ "after": ranked_one }),
        ),
    ];
    for (what, id, query, vars) in &commands {
        let response = refused(
            &app,
            Some(&it),
            query,
            with(vars.clone(), json!({ "id": id })),
            "BAD_USER_INPUT",
        )
        .await;
        assert!(
            !response.to_string().contains("\"consistencyToken\""),
            "{what}: {response:#}"
        );
    }
    for literal in [
        "mutation($id: ID!) { changeProcessPhase(id: $id, phase: SPECIFICATION) { id } }",
        "mutation($id: ID!) { updateProcess(id: $id, input: { visibility: SECRET }) { id } }",
        "mutation($id: ID!) { commentOnProcess(id: $id, text: \"   \") { id } }",
    ] {
        refused(
            &app,
            Some(&it),
            literal,
            json!({ "id": p.id }),
            "BAD_USER_INPUT",
        )
        .await;
    }
    refused(
        &app,
        Some(&it),
        &PROCESS.replace("PROCESS_FIELDS", "id"),
        json!({ "id": p.id, "consistency": "soon" }),
        "BAD_USER_INPUT",
    )
    .await;

    assert_eq!(
        history(&app, &it, &p.id).await.len(),
        1,
        "nothing was appended to the process"
    );
    assert_eq!(history(&app, &it, &other.id).await.len(), 1);
    let later = bystander_write(&app).await;
    assert_eq!(
        later.position(),
        ranked.position() + 1,
        "no event was appended anywhere between the last valid write and the next"
    );
    assert_eq!(counts(&app, &it, &later.token).await, before);
    let unchanged = process(&app, &it, &p.id, &later.token).await;
    assert_eq!(
        (
            unchanged["title"].clone(),
            unchanged["phase"].clone(),
            unchanged["status"].clone(),
            unchanged["visibility"].clone()
        ),
        (
            json!("Gyldig"),
            json!("IDEA"),
            json!("NOT_ASSESSED"),
            json!("MUNICIPALITY")
        )
    );

    // Moving back needs a reason.
    assess(&app, &it, &p.id, middling()).await;
    let moved = change_phase(&app, &it, &p.id, "PRE_ANALYSIS").await;
    refused(
        &app,
        Some(&it),
        CHANGE_PHASE,
        json!({ "id": p.id, "phase": "IDEA" }),
        "BAD_USER_INPUT",
    )
    .await;
    // An assessment cannot be emptied once in PRE_ANALYSIS.
    refused(
        &app,
        Some(&it),
        ASSESS,
        json!({ "id": p.id, "input": {} }),
        "BAD_USER_INPUT",
    )
    .await;
    // Technologies are required from DEVELOPMENT.
    change_phase(&app, &it, &p.id, "SPECIFICATION").await;
    let specified = history(&app, &it, &p.id).await.len();
    refused(
        &app,
        Some(&it),
        CHANGE_PHASE,
        json!({ "id": p.id, "phase": "DEVELOPMENT" }),
        "BAD_USER_INPUT",
    )
    .await;
    assert_eq!(history(&app, &it, &p.id).await.len(), specified);
    assert!(moved.position() > ranked.position());
    app.stop().await
}

#[tokio::test]
async fn queries_beyond_the_depth_limit_are_refused() -> anyhow::Result<()> {
    let app = App::spawn("depth").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let nest = |levels: usize| {
        format!(
            "{{ __type(name: \"Process\") {{ fields {{ type {{ {}name{} }} }} }} }}",
            "ofType { ".repeat(levels),
            " }".repeat(levels)
        )
    };
    // __type, fields, type, then `levels` ofType, then name.
    ok(&app, &anna, &nest(7), Value::Null).await;
    // Twice each: a document parsed before is checked against the limits again.
    for _ in 0..2 {
        let response = app.gql(Some(&anna), &nest(12), Value::Null).await?;
        let codes = error_codes(&response);
        assert!(
            !codes.is_empty() && codes.iter().all(|c| c == "BAD_USER_INPUT"),
            "{response:#}"
        );
        assert!(response["data"].is_null(), "{response:#}");
        ok(&app, &anna, &nest(7), Value::Null).await;
    }
    app.stop().await
}

#[tokio::test]
async fn queries_beyond_the_complexity_limit_are_refused() -> anyhow::Result<()> {
    let app = App::spawn("complexity").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let written = submit(&app, &anna, form("Noget", &["social"], 100, 5.0, 50)).await;
    let aliases: String = (0..40).map(|i| format!(" t{i}: title")).collect();
    let query = |first: usize| {
        format!(
            "query($c: String) {{ backlog(first: {first}, consistency: $c) {{ totalCount edges {{ node {{ \
             {PROCESS_FIELDS} {aliases} comments {{ author authorMunicipality text createdAt }} }} }} }} }}"
        )
    };
    let small = ok(&app, &anna, &query(5), json!({ "c": written.token })).await;
    assert_eq!(total(&small["backlog"]), 1);
    let response = app
        .gql(Some(&anna), &query(100), json!({ "c": written.token }))
        .await?;
    let codes = error_codes(&response);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "BAD_USER_INPUT"),
        "{response:#}"
    );
    assert!(response["data"].is_null(), "{response:#}");
    app.stop().await
}

#[tokio::test]
async fn request_bodies_over_256_kib_are_refused() -> anyhow::Result<()> {
    let app = App::spawn("body").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let padded =
        |bytes: usize| json!({ "query": format!("# {}\n{{ me {{ user }} }}", "x".repeat(bytes)) });
    let post = |body: Value| {
        app.client()
            .post(format!("{}/graphql", app.url))
            .bearer_auth(&anna)
            .json(&body)
            .send()
    };

    let response = post(padded(100 * 1024)).await?;
    assert!(response.status().is_success());
    let body: Value = response.json().await?;
    assert_eq!(
        body["data"]["me"]["user"], "anna",
        "a 100 KiB request is fine: {body}"
    );

    let response = post(padded(300 * 1024)).await?;
    let status = response.status();
    let text = response.text().await?;
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    assert!(
        status == reqwest::StatusCode::PAYLOAD_TOO_LARGE
            || (body["errors"].is_array() && body["data"]["me"].is_null()),
        "a 300 KiB request must be refused; got {status}: {}",
        &text[..text.len().min(500)]
    );
    app.stop().await
}

/// `token`'s list of every process it may see: ids in order, and `totalCount`.
async fn listed(app: &App, token: &str, consistency: &str) -> (Vec<String>, i64) {
    let all = processes(app, token, json!({}), consistency).await;
    (column(&all, "id"), total(&all))
}

#[tokio::test]
async fn text_that_renders_as_nothing_or_reorders_itself_is_refused() -> anyhow::Result<()> {
    let app = App::spawn("invisible-text").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let first = submit(&app, &anna, form("Synlig", &["social"], 100, 5.0, 50)).await;
    let before = listed(&app, &anna, &first.token).await;
    assert_eq!(before.1, 1);

    let valid = form("Ugyldig", &["social"], 100, 5.0, 50);
    // (what, input, the field the error names, the code point it names if any)
    let refused_inputs = [
        (
            "a title of only RIGHT-TO-LEFT OVERRIDE",
            with(valid.clone(), json!({ "title": "\u{202E}" })),
            "title",
            Some("U+202E"),
        ),
        (
            "a title of only ZERO WIDTH SPACE",
            with(valid.clone(), json!({ "title": "\u{200B}" })),
            "title",
            None,
        ),
        (
            "a title of ZERO WIDTH SPACE between spaces",
            with(valid.clone(), json!({ "title": " \u{200B} " })),
            "title",
            None,
        ),
        (
            "a title with RIGHT-TO-LEFT OVERRIDE inside",
            with(valid.clone(), json!({ "title": "Faktura\u{202E}fdp.exe" })),
            "title",
            Some("U+202E"),
        ),
        (
            "a short description with a LEFT-TO-RIGHT ISOLATE",
            with(
                valid.clone(),
                json!({ "shortDescription": "Sager \u{2066}manuelt\u{2069}" }),
            ),
            "shortDescription",
            Some("U+2066"),
        ),
        (
            "internal notes with a RIGHT-TO-LEFT EMBEDDING",
            with(
                valid.clone(),
                json!({ "internalNotes": "ok\u{202B} besked" }),
            ),
            "internalNotes",
            Some("U+202B"),
        ),
        (
            "a long description of only a BYTE ORDER MARK and a SOFT HYPHEN",
            with(
                valid.clone(),
                json!({ "longDescription": "\u{FEFF}\u{00AD}" }),
            ),
            "longDescription",
            None,
        ),
        (
            "a technology of only WORD JOINER",
            with(
                valid.clone(),
                json!({ "technologies": ["RPA", "\u{2060}"] }),
            ),
            "technologies",
            None,
        ),
    ];
    for (what, input, field, code_point) in refused_inputs {
        let response = refused(
            &app,
            Some(&anna),
            SUBMIT,
            json!({ "input": input }),
            "BAD_USER_INPUT",
        )
        .await;
        assert!(
            response["data"].is_null() || response["data"]["submitProcess"].is_null(),
            "{what}: {response:#}"
        );
        let message = response["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.starts_with(&format!("{field}: ")),
            "{what}: the message names the field {field}: {message}"
        );
        if let Some(code_point) = code_point {
            assert!(
                message.contains(code_point),
                "{what}: the message names {code_point}: {message}"
            );
        }
    }
    // The same rules on commands about an existing process.
    for (what, query, vars) in [
        (
            "a comment of only ZERO WIDTH SPACE",
            "mutation($id: ID!, $text: String!) { commentOnProcess(id: $id, text: $text) { id } }",
            json!({ "text": "\u{200B}" }),
        ),
        (
            "a comment with RIGHT-TO-LEFT OVERRIDE",
            "mutation($id: ID!, $text: String!) { commentOnProcess(id: $id, text: $text) { id } }",
            json!({ "text": "se \u{202E}her" }),
        ),
        (
            "a title update of only ZERO WIDTH SPACE",
            UPDATE,
            json!({ "input": { "title": "\u{200B}\u{200B}" } }),
        ),
        (
            "a pain-points update with POP DIRECTIONAL ISOLATE",
            UPDATE,
            json!({ "input": { "painPoints": "ventetid\u{2069}" } }),
        ),
    ] {
        let response = refused(
            &app,
            Some(&anna),
            query,
            with(vars, json!({ "id": first.id })),
            "BAD_USER_INPUT",
        )
        .await;
        assert!(
            !response.to_string().contains("\"consistencyToken\""),
            "{what}: {response:#}"
        );
    }

    // Nothing was recorded: the next write is the next event, and the list is unchanged.
    assert_eq!(history(&app, &anna, &first.id).await.len(), 1);
    let later = bystander_write(&app).await;
    assert_eq!(later.position(), first.position() + 1);
    assert_eq!(listed(&app, &anna, &later.token).await, before);

    // Visible text around the allowed marks is fine: a RIGHT-TO-LEFT MARK and a ZERO WIDTH
    // JOINER are not bidi overrides.
    submit(
        &app,
        &anna,
        form("Ansøgning \u{200F}עברית\u{200D}", &["social"], 1, 1.0, 1),
    )
    .await;
    app.stop().await
}
