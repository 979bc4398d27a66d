//! Authentication and roles: no token, a broken or foreign token, and a caller without the
//! role a command needs are all refused; a municipality admin's new weights re-score.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::{App, binary};
use serde_json::{Value, json};

/// Mint a token with the CLI and an explicit secret (the one `App` uses, or another).
fn mint(secret: &str, extra: &[&str]) -> String {
    mint_for("anna", DK, secret, extra)
}

fn mint_for(user: &str, municipality: &str, secret: &str, extra: &[&str]) -> String {
    let out = std::process::Command::new(binary().expect("binary"))
        .args([
            "token",
            "--user",
            user,
            "--municipality",
            municipality,
            "--department",
            "social",
        ])
        .args(["--roles", "employee,it_portfolio"])
        .args(extra)
        .env("INNOHUB_DEV_SECRET", secret)
        .output()
        .expect("innohub token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

const ME: &str = "{ me { user municipality department roles } }";

#[tokio::test]
async fn requests_without_a_valid_token_are_unauthenticated() -> anyhow::Result<()> {
    let app = App::spawn("unauthenticated").await?;
    // What was recorded before (the registrations of the tests' municipalities).
    let first = bystander_write(&app).await;
    let good = mint(TEST_SECRET, &[]);
    let data = ok(&app, &good, ME, Value::Null).await;
    assert_eq!(
        data["me"],
        json!({ "user": "anna", "municipality": DK, "department": "social", "roles": ["employee", "it_portfolio"] })
    );

    let foreign = mint("some-other-secret", &[]);
    let expired = mint(TEST_SECRET, &["--ttl-hours=-2"]);
    // Same header and claims, but the signature of another token.
    let parts = |t: &str| t.split('.').map(str::to_owned).collect::<Vec<_>>();
    let [header, payload, signature] =
        <[String; 3]>::try_from(parts(&good)).expect("a JWT has three parts");
    let other_signature = parts(&foreign)[2].clone();
    let forged_signature = format!("{header}.{payload}.{other_signature}");
    // Another principal's claims (validly signed for them) under anna's signature.
    let sven_claims = parts(&mint_for("sven", SE, TEST_SECRET, &[]))[1].clone();
    let tampered = format!("{header}.{sven_claims}.{signature}");
    let unsigned = format!("{header}.{payload}.");
    let submission = json!({ "input": form("Uden adgang", &["social"], 1, 1.0, 1) });

    let rejected = [
        ("garbage", "garbage".to_owned()),
        ("another secret", foreign),
        ("expired", expired),
        ("another token's signature", forged_signature),
        ("tampered claims", tampered),
        ("no signature", unsigned),
        // {"alg":"none","typ":"JWT"}
        (
            "alg none",
            format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."),
        ),
    ];
    for (why, token) in &rejected {
        assert_ne!(token, &good, "{why}");
        refused(&app, Some(token), ME, Value::Null, "UNAUTHENTICATED").await;
        let response = refused(
            &app,
            Some(token),
            SUBMIT,
            submission.clone(),
            "UNAUTHENTICATED",
        )
        .await;
        assert!(response["data"].is_null(), "{why}: {response:#}");
    }
    refused(&app, None, ME, Value::Null, "UNAUTHENTICATED").await;
    refused(&app, None, SUBMIT, submission.clone(), "UNAUTHENTICATED").await;
    refused(
        &app,
        None,
        "{ backlog { totalCount } }",
        Value::Null,
        "UNAUTHENTICATED",
    )
    .await;

    // A scheme other than Bearer.
    let response: Value = app
        .client()
        .post(format!("{}/graphql", app.url))
        .header("Authorization", format!("Basic {good}"))
        .json(&json!({ "query": ME }))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        innohub_tests::error_codes(&response),
        ["UNAUTHENTICATED"],
        "{response:#}"
    );

    // Nothing was recorded by any of them.
    let last = bystander_write(&app).await;
    assert_eq!(
        total(&processes(&app, &good, Value::Null, &last.token).await),
        0
    );
    assert_eq!(
        last.position(),
        first.position() + 1,
        "the bystanders' submissions follow each other"
    );
    app.stop().await
}

#[tokio::test]
async fn commands_need_their_role() -> anyhow::Result<()> {
    let app = App::spawn("roles").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let lead = app
        .token("lene", DK, Some("social"), &["department_lead"])
        .await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let p = submit(
        &app,
        &anna,
        form("Skal vurderes", &["social"], 100, 5.0, 50),
    )
    .await;

    // The reporter herself, and her department's lead, may not assess, move or rank.
    for caller in [&anna, &lead] {
        refused(
            &app,
            Some(caller),
            ASSESS,
            json!({ "id": p.id, "input": middling() }),
            "FORBIDDEN",
        )
        .await;
        refused(
            &app,
            Some(caller),
            RANK,
            json!({ "id": p.id, "end": "TOP" }),
            "FORBIDDEN",
        )
        .await;
        refused(
            &app,
            Some(caller),
            CHANGE_STATUS,
            json!({ "id": p.id, "status": "NOT_RELEVANT", "reason": "no" }),
            "FORBIDDEN",
        )
        .await;
    }
    assert_eq!(
        history(&app, &anna, &p.id).await.len(),
        1,
        "nothing was recorded"
    );

    let set = "mutation($w: ScoringWeightsInput!) { setScoringWeights(weights: $w) }";
    let w = json!({ "w": { "hoursSaved": 1, "automationPotential": 0, "ease": 10, "strategicFit": 0, "risk": 0 } });
    for caller in [&anna, &lead, &it] {
        refused(&app, Some(caller), set, w.clone(), "FORBIDDEN").await;
    }
    let data = ok(
        &app,
        &it,
        "{ scoringWeights { hoursSaved automationPotential ease strategicFit risk } }",
        Value::Null,
    )
    .await;
    assert_eq!(
        data["scoringWeights"],
        json!({ "hoursSaved": 3.0, "automationPotential": 2.0, "ease": 2.0, "strategicFit": 2.0, "risk": 1.0 }),
        "the defaults still apply"
    );
    app.stop().await
}

#[tokio::test]
async fn new_scoring_weights_re_score_the_municipality_and_can_flip_the_backlog()
-> anyhow::Result<()> {
    let app = App::spawn("weights").await?;
    let anna = app.token("anna", DK, Some("social"), &["employee"]).await?;
    let it = app
        .token("it.syddjurs", DK, Some("it"), &["it_portfolio"])
        .await?;
    let admin = app
        .token("admin.syddjurs", DK, None, &["municipality_admin"])
        .await?;
    let se_it = app
        .token("it.helsingborg", SE, Some("it"), &["it_portfolio"])
        .await?;

    // Big but hard (10,000 hours, poor ease) against small but easy (1 hour, perfect ease).
    let big = submit(
        &app,
        &anna,
        form("Stor og svær", &["social"], 60_000, 10.0, 100),
    )
    .await;
    let small = submit(&app, &anna, form("Lille og let", &["social"], 6, 10.0, 100)).await;
    let hard = json!({ "inputQuality": 1, "processStability": 1, "documentation": 1, "dataSensitivity": 5 });
    let easy = json!({ "inputQuality": 5, "processStability": 5, "documentation": 5, "dataSensitivity": 1 });
    assess(&app, &it, &big.id, hard).await;
    assess(&app, &it, &small.id, easy).await;
    let se_process = submit(&app, &se_it, form("Annan kommun", &["it"], 600, 10.0, 100)).await;
    let se_assessed = assess(&app, &se_it, &se_process.id, middling()).await;

    let before = backlog(&app, &it, Value::Null, &se_assessed.token).await;
    assert_eq!(
        column(&before, "title"),
        ["Stor og svær", "Lille og let"],
        "hours weigh most by default: {before:#}"
    );
    let se_before =
        process(&app, &se_it, &se_process.id, &se_assessed.token).await["priorityScore"].clone();

    let set = "mutation($w: ScoringWeightsInput!) { setScoringWeights(weights: $w) }";
    let w = json!({ "hoursSaved": 1, "automationPotential": 0, "ease": 10, "strategicFit": 0, "risk": 0 });
    let data = ok(&app, &admin, set, json!({ "w": w })).await;
    let token = data["setScoringWeights"]
        .as_str()
        .expect("a consistency token")
        .to_owned();

    let after = backlog(&app, &it, Value::Null, &token).await;
    assert_eq!(
        column(&after, "title"),
        ["Lille og let", "Stor og svær"],
        "ease weighs most now: {after:#}"
    );
    let score = |c: &Value, title: &str| {
        nodes(c)
            .into_iter()
            .find(|n| n["title"] == title)
            .map(|n| n["priorityScore"].as_f64().expect("score"))
            .expect("in the backlog")
    };
    assert!(score(&after, "Lille og let") > score(&before, "Lille og let"));
    assert!(score(&after, "Stor og svær") < score(&before, "Stor og svær"));
    let data = ok(
        &app,
        &it,
        "{ scoringWeights { hoursSaved automationPotential ease strategicFit risk } }",
        Value::Null,
    )
    .await;
    assert_eq!(
        data["scoringWeights"],
        json!({ "hoursSaved": 1.0, "automationPotential": 0.0, "ease": 10.0, "strategicFit": 0.0, "risk": 0.0 })
    );
    // Another municipality keeps its weights and scores.
    let se_after = process(&app, &se_it, &se_process.id, &token).await["priorityScore"].clone();
    assert_eq!(se_after, se_before);
    let data = ok(&app, &se_it, "{ scoringWeights { ease } }", Value::Null).await;
    assert_eq!(data["scoringWeights"]["ease"], 2.0);

    // Weights outside 0..=10, or all zero, are refused.
    for bad in [
        json!({ "hoursSaved": 11, "automationPotential": 0, "ease": 0, "strategicFit": 0, "risk": 0 }),
        json!({ "hoursSaved": 0, "automationPotential": 0, "ease": 0, "strategicFit": 0, "risk": 0 }),
        json!({ "hoursSaved": -1, "automationPotential": 0, "ease": 1, "strategicFit": 0, "risk": 0 }),
    ] {
        refused(
            &app,
            Some(&admin),
            set,
            json!({ "w": bad }),
            "BAD_USER_INPUT",
        )
        .await;
    }
    app.stop().await
}
