//! Tokens of a municipality's identity provider, verified against the keys it publishes: a
//! fake IdP (a real HTTP server started here, with the discovery document and a JWKS of RSA
//! and EC keys from `tests/fixtures/oidc/keys.json`) and the real binary started with
//! `--oidc-issuer`. Every forged or misdirected token is `UNAUTHENTICATED`; a rotated key is
//! picked up without a restart; the claims are mapped as configured.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use base64::Engine as _;
use common::ws::{self, Socket};
use common::*;
use innohub_tests::{App, error_codes, temp_data_dir};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const AUDIENCE: &str = "innohub";
const ME: &str = "{ me { user municipality department roles } }";

/// A signing key of the fake identity provider.
struct Key {
    kid: String,
    algorithm: Algorithm,
    private: EncodingKey,
    jwk: Value,
}

fn keys() -> Vec<Key> {
    let file: Value =
        serde_json::from_str(include_str!("../fixtures/oidc/keys.json")).expect("keys.json");
    file["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let der = base64::engine::general_purpose::STANDARD
                .decode(k["private_der"].as_str().unwrap())
                .unwrap();
            let algorithm = match k["jwk"]["kty"].as_str().unwrap() {
                "RSA" => Algorithm::RS256,
                _ => Algorithm::ES256,
            };
            Key {
                kid: k["kid"].as_str().unwrap().to_owned(),
                algorithm,
                private: match algorithm {
                    Algorithm::RS256 => EncodingKey::from_rsa_der(&der),
                    _ => EncodingKey::from_ec_der(&der),
                },
                jwk: k["jwk"].clone(),
            }
        })
        .collect()
}

fn key(kid: &str) -> Key {
    keys().into_iter().find(|k| k.kid == kid).unwrap()
}

/// The fake identity provider: what it publishes, and how often its keys were fetched.
#[derive(Clone)]
struct Idp {
    issuer: String,
    published: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

impl Idp {
    async fn start(kids: &[&str]) -> Idp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let idp = Idp {
            issuer,
            published: Arc::default(),
            fetches: Arc::default(),
        };
        idp.publish(kids);
        let router = axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(|State(idp): State<Idp>| async move {
                    Json(json!({
                        "issuer": idp.issuer,
                        "jwks_uri": format!("{}/keys", idp.issuer),
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                    }))
                }),
            )
            .route(
                "/keys",
                get(|State(idp): State<Idp>| async move {
                    idp.fetches.fetch_add(1, Ordering::SeqCst);
                    Json(json!({ "keys": *idp.published.lock().unwrap() }))
                }),
            )
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        idp
    }

    /// Publish exactly these keys (a rotation when they change).
    fn publish(&self, kids: &[&str]) {
        *self.published.lock().unwrap() = kids.iter().map(|kid| key(kid).jwk).collect();
    }

    /// A token of this issuer for `claims` (merged over valid defaults), signed by `kid`.
    fn token(&self, kid: &str, claims: Value) -> String {
        let key = key(kid);
        let mut header = Header::new(key.algorithm);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &self.claims(claims), &key.private).unwrap()
    }

    fn claims(&self, overrides: Value) -> Value {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "karin",
            "municipality": SE,
            "department": "social",
            "roles": ["employee", "it_portfolio", "offline_access"],
            "iat": now,
            "nbf": now,
            "exp": now + 600,
        });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    }
}

/// `innohub serve` trusting `idp`, with extra flags, on a data directory where the tests'
/// municipalities were registered first (by a server trusting development tokens).
async fn serve(name: &str, idp: &Idp, extra: &[&str]) -> App {
    let dir = temp_data_dir(name);
    App::spawn_in(&dir, &[])
        .await
        .unwrap()
        .stop()
        .await
        .unwrap();
    let mut args = vec!["--oidc-issuer", &idp.issuer, "--oidc-audience", AUDIENCE];
    args.extend_from_slice(extra);
    App::start_in(&dir, &args).await.unwrap()
}

async fn me(app: &App, token: &str) -> Value {
    ok(app, token, ME, Value::Null).await["me"].clone()
}

async fn unauthenticated(app: &App, token: &str, what: &str) {
    let response = app.gql(Some(token), ME, Value::Null).await.unwrap();
    assert_eq!(
        error_codes(&response),
        vec!["UNAUTHENTICATED".to_owned()],
        "{what}: {response:#}"
    );
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn only_valid_tokens_of_the_identity_provider_are_accepted() {
    let idp = Idp::start(&["rsa1", "ec1"]).await;
    let app = serve("oidc-verify", &idp, &[]).await;

    let expected = json!({
        "user": "karin", "municipality": SE, "department": "social",
        "roles": ["employee", "it_portfolio"],
    });
    assert_eq!(
        me(&app, &idp.token("rsa1", json!({}))).await,
        expected,
        "RS256"
    );
    assert_eq!(
        me(&app, &idp.token("ec1", json!({}))).await,
        expected,
        "ES256"
    );

    let now = chrono::Utc::now().timestamp();
    let wrong = [
        (
            "wrong issuer",
            idp.token("rsa1", json!({"iss": "https://idp.example.org"})),
        ),
        (
            "wrong audience",
            idp.token("rsa1", json!({"aud": "another-app"})),
        ),
        ("expired", idp.token("rsa1", json!({"exp": now - 600}))),
        (
            "not yet valid",
            idp.token("rsa1", json!({"nbf": now + 600})),
        ),
        ("without exp", {
            let mut claims = idp.claims(json!({}));
            claims.as_object_mut().unwrap().remove("exp");
            let k = key("rsa1");
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some("rsa1".into());
            jsonwebtoken::encode(&header, &claims, &k.private).unwrap()
        }),
        ("unpublished key", idp.token("rsa2", json!({}))),
        (
            "not a municipality",
            idp.token("rsa1", json!({"municipality": "Syddjurs"})),
        ),
    ];
    for (what, token) in &wrong {
        unauthenticated(&app, token, what).await;
    }
    // The live subscriptions sign in with the same verification: the provider's token is
    // acknowledged on the WebSocket, each wrong one closes it with 4403.
    Socket::connect(&app, &idp.token("ec1", json!({})))
        .await
        .expect("the provider's token signs a WebSocket in")
        .close()
        .await
        .unwrap();
    for (what, token) in &wrong {
        ws::init_is_closed_with(&app, ws::bearer(token), 4403, what).await;
    }

    // `alg: none`: a valid payload and no signature.
    let payload = b64(idp.claims(json!({})).to_string().as_bytes());
    for header in [
        json!({"alg": "none", "typ": "JWT"}),
        json!({"alg": "none", "kid": "rsa1"}),
    ] {
        let token = format!("{}.{payload}.", b64(header.to_string().as_bytes()));
        unauthenticated(&app, &token, "alg none").await;
    }
    // HS256 with the public key as the HMAC secret (the key-confusion attack), in the forms
    // an attacker has it: the JWK's modulus and the JWKS document.
    let public = key("rsa1").jwk;
    for secret in [
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(public["n"].as_str().unwrap())
            .unwrap(),
        json!({"keys": [public]}).to_string().into_bytes(),
    ] {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa1".into());
        let token = jsonwebtoken::encode(
            &header,
            &idp.claims(json!({})),
            &EncodingKey::from_secret(&secret),
        )
        .unwrap();
        unauthenticated(&app, &token, "HS256 with the public key").await;
    }
    // A payload changed after signing: more roles, another municipality.
    let genuine = idp.token("rsa1", json!({}));
    let parts: Vec<&str> = genuine.split('.').collect();
    let forged = b64(idp
        .claims(json!({"municipality": DK, "roles": ["platform_admin"]}))
        .to_string()
        .as_bytes());
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
    unauthenticated(&app, &tampered, "tampered payload").await;
    // A development token is refused next to an identity provider.
    let dev = app.token("anna", DK, None, &["employee"]).await.unwrap();
    unauthenticated(&app, &dev, "development token").await;
}

#[tokio::test]
async fn development_tokens_are_accepted_next_to_the_provider_only_when_allowed() {
    let idp = Idp::start(&["rsa1"]).await;
    let app = serve("oidc-dev-allowed", &idp, &["--allow-dev-tokens"]).await;
    let dev = app.token("anna", DK, None, &["employee"]).await.unwrap();
    assert_eq!(me(&app, &dev).await["user"], "anna");
    assert_eq!(
        me(&app, &idp.token("rsa1", json!({}))).await["user"],
        "karin"
    );
}

#[tokio::test]
async fn a_rotated_key_is_fetched_without_a_restart_and_not_more_often_than_allowed() {
    let idp = Idp::start(&["rsa1"]).await;
    let app = serve("oidc-rotation", &idp, &[]).await;
    assert_eq!(
        me(&app, &idp.token("rsa1", json!({}))).await["user"],
        "karin"
    );

    // The IdP rotates to a new key; tokens of the new key are accepted without a restart.
    idp.publish(&["rsa2"]);
    let before = idp.fetches.load(Ordering::SeqCst);
    let rotated = idp.token("rsa2", json!({"sub": "after-rotation"}));
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let response = app.gql(Some(&rotated), ME, Value::Null).await.unwrap();
        if response["data"]["me"]["user"] == "after-rotation" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "a token of the rotated key was never accepted: {response:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let fetched = idp.fetches.load(Ordering::SeqCst) - before;
    assert!(
        (1..=2).contains(&fetched),
        "{attempts} attempts fetched the keys {fetched} times; the refetch is limited to one per 5 s"
    );

    // A flood of tokens naming unknown keys does not make innohub hammer the IdP.
    let before = idp.fetches.load(Ordering::SeqCst);
    for _ in 0..30 {
        unauthenticated(&app, &idp.token("rsa1", json!({})), "retired key").await;
    }
    assert!(idp.fetches.load(Ordering::SeqCst) - before <= 1);
}

#[tokio::test]
async fn claims_are_mapped_for_differently_shaped_providers() {
    // Keycloak: realm roles under realm_access, the municipality in a custom claim.
    let keycloak = Idp::start(&["rsa1"]).await;
    let app = serve(
        "oidc-keycloak",
        &keycloak,
        &[
            "--oidc-roles-claim",
            "realm_access.roles",
            "--oidc-municipality-claim",
            "kommune",
            "--oidc-department-claim",
            "org.unit",
        ],
    )
    .await;
    let token = keycloak.token(
        "rsa1",
        json!({
            "sub": "f3a1-keycloak-user",
            "kommune": DK,
            "org": {"unit": "it"},
            "realm_access": {"roles": ["default-roles-syddjurs", "offline_access", "it_portfolio"]},
            "roles": ["platform_admin"],
            "municipality": NO,
        }),
    );
    assert_eq!(
        me(&app, &token).await,
        json!({"user": "f3a1-keycloak-user", "municipality": DK, "department": "it", "roles": ["it_portfolio"]})
    );

    // Entra ID: app roles in `roles`, the stable user id in `oid`, the municipality in a
    // URL-named claim (with dots, looked up whole), no department.
    let entra = Idp::start(&["ec1"]).await;
    let app = serve(
        "oidc-entra",
        &entra,
        &[
            "--oidc-user-claim",
            "oid",
            "--oidc-municipality-claim",
            "https://innohub.example/municipality",
        ],
    )
    .await;
    let token = entra.token(
        "ec1",
        json!({
            "sub": "pairwise-subject",
            "oid": "00000000-0000-0000-0000-00000000abcd",
            "https://innohub.example/municipality": SE,
            "roles": ["municipality_admin", "employee"],
            "department": null,
            "municipality": null,
        }),
    );
    assert_eq!(
        me(&app, &token).await,
        json!({
            "user": "00000000-0000-0000-0000-00000000abcd", "municipality": SE,
            "department": null, "roles": ["employee", "municipality_admin"],
        })
    );
}
