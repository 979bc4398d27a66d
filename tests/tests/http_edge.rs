//! The HTTP edge as an outsider meets it, against the real binary: GraphQL over HTTP as the
//! spec says (content types, status codes, GET), enum values that must be names, limits
//! per caller with `429`, CORS only for configured origins, the `token` command that will
//! not invent a secret, and the projection's metric in embedded mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use innohub_tests::{App, binary, error_codes, serve_command, temp_data_dir};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn employee(app: &App) -> String {
    app.token("anna", DK, Some("social"), &["employee", "it_portfolio"])
        .await
        .unwrap()
}

fn submit_body(title: &str) -> Value {
    json!({ "query": SUBMIT, "variables": { "input": form(title, &["social"], 100, 5.0, 50) } })
}

/// After a valid submission (read with its consistency token), how many processes exist:
/// whatever a refused request would have written is counted too.
async fn processes_after_a_valid_submit(app: &App, token: &str) -> i64 {
    let written = submit(app, token, form("The valid one", &["social"], 10, 1.0, 10)).await;
    total(&processes(app, token, json!({}), &written.token).await)
}

fn media_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_post_that_is_not_json_is_refused_with_415_and_changes_nothing() {
    let app = App::spawn("edge-content-type").await.unwrap();
    let token = employee(&app).await;
    let body = submit_body("Sent cross-site").to_string();
    for content_type in [
        Some("text/plain"),
        Some("text/plain;charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/xml"),
        None,
    ] {
        let mut request = app
            .client()
            .post(format!("{}/graphql", app.url))
            .bearer_auth(&token)
            .body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            error_codes(&body),
            vec!["BAD_USER_INPUT"],
            "{content_type:?}"
        );
    }
    // With a charset parameter, JSON is JSON.
    let response = app
        .client()
        .post(format!("{}/graphql", app.url))
        .bearer_auth(&token)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(submit_body("Sent as JSON").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(processes_after_a_valid_submit(&app, &token).await, 2);
}

#[tokio::test]
async fn the_response_format_follows_accept_and_request_errors_are_400_under_the_spec_type() {
    let app = App::spawn("edge-accept").await.unwrap();
    let token = employee(&app).await;
    let post = |accept: Option<&'static str>, body: Value| {
        let mut request = app
            .client()
            .post(format!("{}/graphql", app.url))
            .bearer_auth(&token)
            .json(&body);
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        request.send()
    };
    let me = json!({ "query": "{ me { user } }" });
    for (accept, expected) in [
        (None, "application/json"),
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
    ] {
        let response = post(accept, me.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{accept:?}");
        assert_eq!(media_type(&response), expected, "{accept:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["me"]["user"], "anna");
    }
    let response = post(Some("text/html"), me.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);

    let request_errors = [
        ("parse", json!({ "query": "{ me { user " })),
        ("validation", json!({ "query": "{ me { noSuchField } }" })),
        (
            "variable coercion",
            json!({ "query": "query($n: Int) { processes(first: $n) { totalCount } }", "variables": { "n": "many" } }),
        ),
        ("missing variable", json!({ "query": SUBMIT })),
    ];
    for (what, body) in &request_errors {
        let response = post(Some(GRAPHQL_RESPONSE), body.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(media_type(&response), GRAPHQL_RESPONSE, "{what}");
        let body: Value = response.json().await.unwrap();
        assert!(body["data"].is_null(), "{what}: {body}");
        let codes = error_codes(&body);
        assert!(
            !codes.is_empty() && codes.iter().all(|c| c == "BAD_USER_INPUT"),
            "{what}: {body}"
        );
        // Under application/json the same request is 200, as older clients expect.
        let response = post(Some("application/json"), body_of(what, &request_errors))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{what}");
    }
    // A field's error is not a request error: 200 under both.
    let response = post(
        Some(GRAPHQL_RESPONSE),
        json!({ "query": "{ process(id: \"0190a4e2-0000-7000-8000-000000000000\") { id } }" }),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // A body that is not a GraphQL request is 400 under both.
    for accept in ["application/json", GRAPHQL_RESPONSE] {
        let response = app
            .client()
            .post(format!("{}/graphql", app.url))
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, accept)
            .body("{\"query\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{accept}");
    }
}

fn body_of(what: &str, requests: &[(&str, Value)]) -> Value {
    requests.iter().find(|(w, _)| *w == what).unwrap().1.clone()
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations_with_405() {
    let app = App::spawn("edge-get").await.unwrap();
    let token = employee(&app).await;
    let get = |params: Vec<(&'static str, String)>| {
        let url = reqwest::Url::parse_with_params(&format!("{}/graphql", app.url), &params);
        app.client()
            .get(url.unwrap())
            .bearer_auth(&token)
            .header(ACCEPT, GRAPHQL_RESPONSE)
            .send()
    };
    let response = get(vec![("query", "{ me { user } }".into())])
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["me"]["user"], "anna");

    let mutation = SUBMIT.to_owned();
    let variables = json!({ "input": form("Over GET", &["social"], 1, 1.0, 1) }).to_string();
    let response = get(vec![
        ("query", mutation.clone()),
        ("variables", variables.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    // Named among several operations, too.
    let both = format!(
        "query Q {{ me {{ user }} }} {}",
        mutation.replacen("mutation", "mutation M", 1)
    );
    let response = get(vec![
        ("query", both),
        ("operationName", "M".into()),
        ("variables", variables),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(processes_after_a_valid_submit(&app, &token).await, 1);

    // Without a query, GET is the GraphiQL page.
    let response = app
        .client()
        .get(format!("{}/graphql", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(media_type(&response), "text/html");
}

#[tokio::test]
async fn enum_values_written_as_strings_are_refused_and_change_nothing() {
    let app = App::spawn("edge-enum-literals").await.unwrap();
    let token = employee(&app).await;
    let literal = |visibility: &str| {
        format!(
            "mutation {{ submitProcess(input: {{title: \"An enum written inline\", \
             shortDescription: \"Written inline\", departments: [\"social\"], \
             casesPerYear: 10, minutesPerCase: 2.5, automationShare: 40, \
             visibility: {visibility}}}) {{ id }} }}"
        )
    };
    let response = refused(
        &app,
        Some(&token),
        &literal("\"PUBLIC\""),
        Value::Null,
        "BAD_USER_INPUT",
    )
    .await;
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("without quotes"),
        "{response:#}"
    );
    refused(
        &app,
        Some(&token),
        "query { processes(filter: {phase: \"IDEA\"}) { totalCount } }",
        Value::Null,
        "BAD_USER_INPUT",
    )
    .await;
    // The bare name is the way, and a variable carries it as a JSON string.
    ok(&app, &token, &literal("PUBLIC"), Value::Null).await;
    let input = with(
        form("Enum in a variable", &["social"], 1, 1.0, 1),
        json!({"visibility": "PUBLIC"}),
    );
    submit(&app, &token, input).await;
    assert_eq!(processes_after_a_valid_submit(&app, &token).await, 3);
}

#[tokio::test]
async fn callers_over_their_rate_get_429_with_retry_after_and_others_do_not() {
    let dir = temp_data_dir("edge-rate");
    // The tests' municipalities are registered first, by a server without limits.
    App::spawn_in(&dir, &[])
        .await
        .unwrap()
        .stop()
        .await
        .unwrap();
    let app = App::start_in(
        &dir,
        &[
            "--rate-limit",
            "60",
            "--rate-limit-anonymous",
            "60",
            "--rate-limit-burst",
            "5",
        ],
    )
    .await
    .unwrap();
    let anna = employee(&app).await;
    let sven = app.token("sven", SE, None, &["employee"]).await.unwrap();
    let me = "{ me { user } }";
    for _ in 0..5 {
        ok(&app, &anna, me, Value::Null).await;
    }
    let response = app
        .client()
        .post(format!("{}/graphql", app.url))
        .bearer_auth(&anna)
        .json(&json!({ "query": me }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_codes(&body), vec!["RATE_LIMITED"]);
    // Another caller has their own allowance.
    ok(&app, &sven, me, Value::Null).await;
    // Requests without a valid token are limited by address.
    for i in 0..6 {
        let response = app
            .client()
            .post(format!("{}/graphql", app.url))
            .bearer_auth("not-a-token")
            .json(&json!({ "query": me }))
            .send()
            .await
            .unwrap();
        let expected = if i < 5 {
            StatusCode::OK
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(response.status(), expected, "anonymous request {i}");
    }
    // The allowance comes back at the rate.
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    ok(&app, &anna, me, Value::Null).await;
}

#[tokio::test]
async fn cors_is_allowed_only_for_configured_origins() {
    let preflight = |app: &App, origin: &'static str| {
        app.client()
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let app = App::spawn_in(
        &temp_data_dir("edge-cors"),
        &[
            "--cors-origin",
            "https://intranet.syddjurs.dk,https://dashboard.syddjurs.dk",
        ],
    )
    .await
    .unwrap();
    let response = preflight(&app, "https://intranet.syddjurs.dk")
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://intranet.syddjurs.dk"
    );
    let allowed = response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    let response = preflight(&app, "https://evil.example").await.unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Without configured origins, no browser page of another origin may call it.
    let closed = App::spawn("edge-no-cors").await.unwrap();
    let response = preflight(&closed, "https://intranet.syddjurs.dk")
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn the_token_command_does_not_invent_a_secret_the_server_does_not_have() {
    let dir = temp_data_dir("edge-token");
    let port = innohub_tests::free_port().unwrap();
    // `serve` without a configured secret: it generates one into its data dir.
    let _server = serve_command(&dir, port)
        .unwrap()
        .env_remove("INNOHUB_DEV_SECRET")
        .spawn()
        .unwrap();
    let app = App::at(format!("http://127.0.0.1:{port}"));
    app.wait_ready().await.unwrap();

    let token = |data_dir: &std::path::Path, roles: &str| {
        std::process::Command::new(binary().unwrap())
            .args([
                "token",
                "--user",
                "anna",
                "--municipality",
                DK,
                "--roles",
                roles,
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("INNOHUB_DEV_SECRET")
            .output()
            .unwrap()
    };
    let elsewhere = temp_data_dir("edge-token-elsewhere");
    let out = token(&elsewhere, "employee");
    assert!(
        !out.status.success(),
        "a token signed with a secret nobody has"
    );
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("--data-dir"), "{message}");
    assert!(
        !elsewhere.join("dev-secret").exists(),
        "no secret was created"
    );

    let out = token(&dir, "platform_admin");
    let admin = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    app.register_as(&admin, innohub_tests::MUNICIPALITIES)
        .await
        .unwrap();
    let out = token(&dir, "employee");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let minted = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(
        ok(&app, &minted, "{ me { user } }", Value::Null).await["me"]["user"],
        "anna"
    );
}

#[tokio::test]
async fn embedded_mode_counts_the_events_its_projection_applies() {
    let app = App::spawn("edge-metrics").await.unwrap();
    let token = employee(&app).await;
    let applied = |text: String| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix("innohub_projection_events_applied_total "))
            .and_then(|v| v.trim().parse().ok())
            .expect("the metric is exported")
    };
    let metrics = || async {
        app.client()
            .get(format!("{}/metrics", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before = applied(metrics().await);
    let written = submit(&app, &token, form("Counted", &["social"], 1, 1.0, 1)).await;
    // Read after the write, so the projection has applied it.
    processes(&app, &token, json!({}), &written.token).await;
    assert!(applied(metrics().await) > before);
}
