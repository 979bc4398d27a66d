//! The dashboard at `/dashboard`: served from the binary with a same-origin-only policy, and,
//! in headless Chromium driven by Playwright's client (`tests/browser/dashboard.mjs`), loaded
//! with a token on the demo data: the status chart holds statusOverview's numbers, and a
//! process submitted and ranked first over HTTP appears without a reload; nothing is logged
//! as an error. With an identity provider (a fake one started here) and `--oidc-client-id`,
//! the page signs in by the authorization code flow with PKCE
//! (`tests/browser/dashboard-oidc.mjs`). Node, `npm ci --prefix tests/browser` and Chromium
//! missing is a failure, not a skip (`deploy/test.sh` installs them).
//! `INNOHUB_SCREENSHOT=docs/dashboard.png` keeps a screenshot.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use common::*;
use innohub_tests::{App, temp_data_dir};
use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use serde_json::{Value, json};

/// Helsingborg, the demo municipality with processes, ideas, pilots and a fund.
const HELSINGBORG: &str = "SE-1283";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// GET `path` of the app.
async fn fetch(app: &App, path: &str) -> reqwest::Result<reqwest::Response> {
    app.client().get(format!("{}{path}", app.url)).send().await
}

/// What the page reads at start: `/dashboard/config.json`.
async fn config(app: &App) -> anyhow::Result<Value> {
    Ok(fetch(app, "/dashboard/config.json").await?.json().await?)
}

#[tokio::test]
async fn the_page_and_its_files_come_from_the_binary() -> anyhow::Result<()> {
    let app = App::start_in(&temp_data_dir("dashboard-assets"), &[]).await?;
    let response = fetch(&app, "/dashboard").await?;
    assert_eq!(response.status(), 200);
    assert!(header(&response, &CONTENT_TYPE).starts_with("text/html"));
    assert_same_origin_only(&response, "GET /dashboard");
    let html = response.text().await?;
    assert!(!html.contains("http://") && !html.contains("https://"));
    let scripts: Vec<&str> = html
        .split("<script src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(
        scripts,
        [
            "/dashboard/chart.js-4.6.2/chart.umd.min.js",
            "/dashboard/dashboard.js"
        ]
    );
    for (url, kind) in [
        (scripts[0], "text/javascript"),
        (scripts[1], "text/javascript"),
        ("/dashboard/dashboard.css", "text/css"),
    ] {
        asset(&app, url, kind).await?;
    }
    assert_eq!(
        config(&app).await?,
        json!({ "login": null }),
        "no identity provider: tokens are pasted"
    );
    Ok(())
}

/// What the browser test needs, each a failure when missing.
fn browser_prerequisites() -> (PathBuf, PathBuf) {
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is needed for the dashboard's browser test and `node` does not run ({:?}); \
         install it (`apt-get install nodejs npm`, as deploy/test.sh does); this test does not \
         skip",
        node.err()
    );
    let browser = workspace().join("tests/browser");
    let playwright = browser.join("node_modules/playwright-core/package.json");
    assert!(
        playwright.is_file(),
        "playwright-core is not installed at {}: run `npm ci --prefix tests/browser` (as \
         deploy/test.sh does); this test does not skip",
        playwright.display()
    );
    (
        browser.join("dashboard.mjs"),
        chromium("the dashboard's browser test"),
    )
}

#[tokio::test]
async fn the_dashboard_shows_the_demo_and_updates_live_in_chromium() -> anyhow::Result<()> {
    let (script, chromium) = browser_prerequisites();
    let app = App::spawn_in(&temp_data_dir("dashboard-browser"), &["--demo"]).await?;
    // The demo is written before serving; a later write's token covers all of it (another
    // municipality's: Helsingborg's numbers stay the demo's).
    let after_demo = bystander_write(&app).await;
    let token = app
        .token(
            "innovation.helsingborg",
            HELSINGBORG,
            Some("it"),
            &["employee", "it_portfolio", "innovation_lead"],
        )
        .await?;

    run_script(&script, &chromium, &[&app.url, &token, &after_demo.token]).await
}

/// Run the browser test `script` with `args` under Node, driving `chromium`; it must finish
/// within 180 s, successfully, and say so.
async fn run_script(script: &Path, chromium: &Path, args: &[&str]) -> anyhow::Result<()> {
    let run = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(workspace())
        .env("INNOHUB_CHROMIUM", chromium)
        .kill_on_drop(true)
        .output();
    let run = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .map_err(|_| anyhow::anyhow!("{} did not finish in 180 s", script.display()))??;
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "{} failed ({}):\n{stdout}\n{stderr}",
        script.display(),
        run.status
    );
    assert!(stdout.contains(": ok"), "{stdout}\n{stderr}");
    println!("{stdout}");
    Ok(())
}

/// The dashboard's client id at the fake identity provider.
const CLIENT_ID: &str = "innohub-dashboard";
const AUDIENCE: &str = "innohub";

/// A fake identity provider for the dashboard's login: discovery, keys, an authorization
/// endpoint that signs everyone in as karin of Helsingborg at once, and a token endpoint that
/// checks PKCE (the verifier's SHA-256 must be the challenge) before it issues an access
/// token. The page calls it across origins, so it answers CORS.
#[derive(Clone)]
struct Idp {
    issuer: String,
    /// Code → (code challenge, redirect URI).
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
    /// Tokens issued.
    issued: Arc<Mutex<usize>>,
}

fn cors(body: impl IntoResponse) -> Response {
    ([(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")], body).into_response()
}

/// The fixtures' RSA key (`tests/fixtures/oidc/keys.json`, shared with `oidc.rs`).
fn rsa_key() -> (String, EncodingKey, Value) {
    let file: Value =
        serde_json::from_str(include_str!("../fixtures/oidc/keys.json")).expect("keys.json");
    let key = file["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["jwk"]["kty"] == "RSA")
        .expect("an RSA key")
        .clone();
    let der = base64::engine::general_purpose::STANDARD
        .decode(key["private_der"].as_str().unwrap())
        .unwrap();
    (
        key["kid"].as_str().unwrap().to_owned(),
        EncodingKey::from_rsa_der(&der),
        key["jwk"].clone(),
    )
}

/// base64url(SHA-256(`verifier`)), as PKCE's S256 defines it, by Node (a prerequisite
/// anyway) rather than a hash crate the tests do not otherwise need.
async fn s256(verifier: &str) -> String {
    let out = tokio::process::Command::new("node")
        .args([
            "-e",
            "process.stdout.write(require('crypto').createHash('sha256')\
             .update(process.argv[1]).digest('base64url'))",
            verifier,
        ])
        .output()
        .await
        .expect("node");
    String::from_utf8(out.stdout).unwrap()
}

/// The value of `name` in an `application/x-www-form-urlencoded` body whose values need no
/// decoding (codes and PKCE verifiers are base64url).
fn form_value<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl Idp {
    async fn start() -> Idp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let idp = Idp {
            issuer: format!("http://{}", listener.local_addr().unwrap()),
            codes: Arc::default(),
            issued: Arc::default(),
        };
        let router = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(|State(idp): State<Idp>| async move {
                    cors(Json(json!({
                        "issuer": idp.issuer,
                        "authorization_endpoint": format!("{}/authorize", idp.issuer),
                        "token_endpoint": format!("{}/token", idp.issuer),
                        "jwks_uri": format!("{}/keys", idp.issuer),
                        "code_challenge_methods_supported": ["S256"],
                    })))
                }),
            )
            .route(
                "/keys",
                get(|| async { Json(json!({ "keys": [rsa_key().2] })) }),
            )
            .route("/authorize", get(Idp::authorize))
            .route("/token", post(Idp::token))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        idp
    }

    async fn authorize(
        State(idp): State<Idp>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        if get("response_type") != "code"
            || get("client_id") != CLIENT_ID
            || get("code_challenge_method") != "S256"
            || get("code_challenge").len() != 43
            || !get("redirect_uri").ends_with("/dashboard")
            || get("state").is_empty()
        {
            return (
                StatusCode::BAD_REQUEST,
                format!("bad authorization request {q:?}"),
            )
                .into_response();
        }
        let code = uuid::Uuid::now_v7().simple().to_string();
        idp.codes
            .lock()
            .unwrap()
            .insert(code.clone(), (get("code_challenge"), get("redirect_uri")));
        let back = format!("{}?code={code}&state={}", get("redirect_uri"), get("state"));
        Redirect::to(&back).into_response()
    }

    async fn token(State(idp): State<Idp>, headers: HeaderMap, body: String) -> Response {
        let refuse = |why: &str| {
            cors((
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "invalid_grant", "error_description": why })),
            ))
        };
        let form = headers.get(header::CONTENT_TYPE).is_some_and(|v| {
            v.as_bytes()
                .starts_with(b"application/x-www-form-urlencoded")
        });
        if !form
            || form_value(&body, "grant_type") != Some("authorization_code")
            || form_value(&body, "client_id") != Some(CLIENT_ID)
        {
            return refuse(&format!("not a code grant of the dashboard: {body}"));
        }
        let code = form_value(&body, "code").unwrap_or_default();
        let Some((challenge, _)) = idp.codes.lock().unwrap().remove(code) else {
            return refuse("unknown or used code");
        };
        let verifier = form_value(&body, "code_verifier").unwrap_or_default();
        if s256(verifier).await != challenge {
            return refuse("the code verifier does not match the challenge");
        }
        let (kid, key, _) = rsa_key();
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some(kid);
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": idp.issuer, "aud": AUDIENCE, "sub": "karin",
            "municipality": "SE-1283", "department": "social", "roles": ["employee"],
            "iat": now, "nbf": now, "exp": now + 600,
        });
        let token = jsonwebtoken::encode(&header, &claims, &key).unwrap();
        *idp.issued.lock().unwrap() += 1;
        cors(Json(json!({
            "access_token": token, "token_type": "Bearer", "expires_in": 600,
        })))
    }
}

#[tokio::test]
async fn with_an_identity_provider_the_dashboard_signs_in_there_with_pkce() -> anyhow::Result<()> {
    let (script, chromium) = browser_prerequisites();
    let script = script.with_file_name("dashboard-oidc.mjs");
    let idp = Idp::start().await;
    // The municipalities are registered by a server trusting development tokens first.
    let dir = temp_data_dir("dashboard-oidc");
    App::spawn_in(&dir, &[]).await?.stop().await?;
    let app = App::start_in(
        &dir,
        &[
            "--oidc-issuer",
            &idp.issuer,
            "--oidc-audience",
            AUDIENCE,
            "--oidc-client-id",
            CLIENT_ID,
            "--oidc-scope",
            "openid innohub",
        ],
    )
    .await?;
    assert_eq!(
        config(&app).await?,
        json!({ "login": { "issuer": idp.issuer, "clientId": CLIENT_ID, "scope": "openid innohub" } })
    );
    let page = fetch(&app, "/dashboard").await?;
    let csp = header(&page, &CONTENT_SECURITY_POLICY).to_owned();
    assert!(
        csp.contains(&format!("connect-src 'self' {};", idp.issuer)),
        "the page may call the identity provider, and nothing else: {csp}"
    );

    run_script(&script, &chromium, &[&app.url, "karin · SE-1283"]).await?;
    assert_eq!(
        *idp.issued.lock().unwrap(),
        1,
        "one access token, for a code with a matching PKCE verifier"
    );
    Ok(())
}
