//! Who a bearer token says the caller is. One [`Verifier`] serves the gateway and every
//! service, so a service checks its callers itself with the same rules as the edge:
//!
//! - **Development tokens**: HS256 with a configured secret ([`DevKeys`]), minted by
//!   `innohub token`, issuer [`DEV_ISSUER`].
//! - **OIDC access tokens** from the municipality's identity provider ([`OidcConfig`]):
//!   RS256 or ES256 only, verified against the keys the provider publishes (discovery
//!   document → `jwks_uri`), cached, fetched again when a token names a key not in the cache
//!   (key rotation), at most once per [`REFETCH_AFTER`]; `iss`, `aud`, `exp` and `nbf`
//!   checked with [`LEEWAY_SECONDS`] of leeway. Identity providers name their claims
//!   differently, so which claim holds the user, the municipality, the roles and the
//!   department is configuration ([`ClaimMapping`]).
//!
//! When OIDC is configured, development tokens are refused unless explicitly allowed.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{DepartmentId, ErrorCode, HasErrorCode, MunicipalityId, Principal, Role, UserId};

/// The issuer written into and required of development tokens.
pub const DEV_ISSUER: &str = "innohub-dev";
/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 60;
/// The shortest time between two fetches of the identity provider's keys.
pub const REFETCH_AFTER: Duration = Duration::from_secs(5);
/// How long a fetch of the discovery document or the keys may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a token was not accepted. Always `UNAUTHENTICATED`; the message says why without
/// revealing anything about keys or other callers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthError(pub String);

impl HasErrorCode for AuthError {
    fn code(&self) -> ErrorCode {
        ErrorCode::Unauthenticated
    }
}

fn invalid(why: impl std::fmt::Display) -> AuthError {
    AuthError(format!("invalid token: {why}"))
}

/// The claims of a development token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DevClaims {
    sub: String,
    municipality: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    department: Option<String>,
    roles: Vec<String>,
    iss: String,
    iat: i64,
    exp: i64,
}

impl DevClaims {
    fn principal(&self) -> Result<Principal, String> {
        Ok(Principal {
            user: UserId::parse(&self.sub)?,
            municipality: MunicipalityId::parse(&self.municipality)?,
            department: self
                .department
                .as_deref()
                .map(DepartmentId::parse)
                .transpose()?,
            roles: self
                .roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<BTreeSet<_>, _>>()?,
        })
    }
}

/// Signs and verifies development tokens (HS256 with a shared secret).
#[derive(Clone)]
pub struct DevKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for DevKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DevKeys(..)")
    }
}

impl DevKeys {
    /// Keys from a shared secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Mint a token for a principal, valid for `ttl_hours`.
    pub fn mint(&self, principal: &Principal, ttl_hours: i64) -> Result<String, AuthError> {
        let now = Utc::now().timestamp();
        let claims = DevClaims {
            sub: principal.user.to_string(),
            municipality: principal.municipality.to_string(),
            department: principal.department.as_ref().map(ToString::to_string),
            roles: principal
                .roles
                .iter()
                .map(|r| r.as_str().to_owned())
                .collect(),
            iss: DEV_ISSUER.into(),
            iat: now,
            exp: now + ttl_hours * 3600,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError(format!("cannot sign: {e}")))
    }

    /// Verify a development token: signature, algorithm, issuer, expiry and claims.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[DEV_ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        let data = jsonwebtoken::decode::<DevClaims>(token, &self.decoding, &validation)
            .map_err(invalid)?;
        data.claims
            .principal()
            .map_err(|e| AuthError(format!("invalid token claims: {e}")))
    }
}

/// Which claims of an identity provider's token hold what innohub needs. Each is a claim
/// name, or a dotted path into nested claims (`realm_access.roles`); a name that contains
/// dots itself (`https://example.org/municipality`) is looked up whole first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    /// The user's id (default `sub`; Entra ID's stable one is `oid`).
    pub user: String,
    /// The municipality, as `CC-CODE` (default `municipality`).
    pub municipality: String,
    /// Where roles are listed (default `roles`: Entra ID app roles or a plain array;
    /// Keycloak's realm roles are `realm_access.roles`). The roles of all paths are joined;
    /// names that are not innohub roles (`offline_access`, …) are ignored.
    pub roles: Vec<String>,
    /// The department (default `department`); optional in tokens.
    pub department: String,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self {
            user: "sub".into(),
            municipality: "municipality".into(),
            roles: vec!["roles".into()],
            department: "department".into(),
        }
    }
}

impl ClaimMapping {
    /// The principal that `claims` describe.
    fn principal(&self, claims: &Value) -> Result<Principal, String> {
        let text = |path: &str| claim(claims, path).and_then(Value::as_str);
        let user = text(&self.user).ok_or_else(|| format!("no {:?} claim", self.user))?;
        let municipality = text(&self.municipality)
            .ok_or_else(|| format!("no {:?} claim (the municipality)", self.municipality))?;
        let mut roles = BTreeSet::new();
        for path in &self.roles {
            let names: Vec<&str> = match claim(claims, path) {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(list)) => list.split([' ', ',']).collect(),
                _ => Vec::new(),
            };
            roles.extend(
                names
                    .into_iter()
                    .filter_map(|name| name.parse::<Role>().ok()),
            );
        }
        Ok(Principal {
            user: UserId::parse(user)?,
            municipality: MunicipalityId::parse(municipality)?,
            department: text(&self.department)
                .filter(|d| !d.trim().is_empty())
                .map(DepartmentId::parse)
                .transpose()?,
            roles,
        })
    }
}

/// The value at a claim name or dotted path.
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(path) {
        return Some(value);
    }
    path.split('.')
        .try_fold(claims, |value, step| value.get(step))
}

/// An identity provider whose access tokens innohub accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The issuer URL; its `/.well-known/openid-configuration` names the keys.
    pub issuer: String,
    /// The audience innohub's tokens are issued for (`aud`).
    pub audience: String,
    /// Where the claims are.
    pub claims: ClaimMapping,
}

/// A key the identity provider signs with, and the one algorithm it is used with.
struct SigningKey {
    key: DecodingKey,
    algorithm: Algorithm,
}

/// An HTTP(S) client for the identity provider (rustls with ring, the system's roots).
type Https = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    http_body_util::Empty<axum::body::Bytes>,
>;

/// The largest discovery document or key set read.
const LARGEST_DOCUMENT: usize = 1024 * 1024;

/// The identity provider's keys as last fetched.
struct Oidc {
    config: OidcConfig,
    http: Https,
    keys: RwLock<HashMap<String, Arc<SigningKey>>>,
    /// Held while fetching; when the last fetch started.
    fetching: tokio::sync::Mutex<Option<Instant>>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl Oidc {
    fn cached(&self, kid: Option<&str>, algorithm: Algorithm) -> Option<Arc<SigningKey>> {
        let keys = self.keys.read().ok()?;
        match kid {
            Some(kid) => keys.get(kid).cloned(),
            // Without a `kid`, only an unambiguous key will do.
            None => {
                let mut fitting = keys.values().filter(|k| k.algorithm == algorithm);
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => Some(key.clone()),
                    _ => None,
                }
            }
        }
    }

    /// The key a token names: from the cache, or from a new fetch when the cache does not
    /// have it and the last fetch is at least [`REFETCH_AFTER`] old.
    async fn key(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<Arc<SigningKey>, AuthError> {
        if let Some(key) = self.cached(kid, algorithm) {
            return Ok(key);
        }
        let mut last = self.fetching.lock().await;
        // Someone else may have fetched while we waited.
        if let Some(key) = self.cached(kid, algorithm) {
            return Ok(key);
        }
        let unknown = || invalid("it is signed with a key the identity provider does not publish");
        if last.is_some_and(|at| at.elapsed() < REFETCH_AFTER) {
            return Err(unknown());
        }
        *last = Some(Instant::now());
        if let Err(why) = self.fetch().await {
            tracing::warn!(issuer = %self.config.issuer, %why, "cannot fetch the identity provider's keys");
            return Err(AuthError(
                "the identity provider's signing keys are not available; try again later".into(),
            ));
        }
        self.cached(kid, algorithm).ok_or_else(unknown)
    }

    /// Fetch the discovery document and the keys it names, and replace the cache.
    async fn fetch(&self) -> Result<(), String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let discovery: Discovery = self.get_json(&url).await?;
        if discovery.issuer != self.config.issuer {
            return Err(format!(
                "the discovery document names issuer {:?}, not {:?}",
                discovery.issuer, self.config.issuer
            ));
        }
        let set: JwkSet = self.get_json(&discovery.jwks_uri).await?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
                (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
                (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
                    if ec.curve == EllipticCurve::P256 =>
                {
                    Algorithm::ES256
                }
                // Encryption keys, other algorithms: not for innohub's tokens.
                _ => continue,
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, Arc::new(SigningKey { key, algorithm }));
                }
                Err(e) => tracing::warn!(%kid, error = %e, "ignoring an unusable signing key"),
            }
        }
        tracing::info!(issuer = %self.config.issuer, keys = keys.len(), "fetched the identity provider's signing keys");
        if let Ok(mut cache) = self.keys.write() {
            *cache = keys;
        }
        Ok(())
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, String> {
        use http_body_util::BodyExt as _;
        let fail = |e: &dyn std::fmt::Display| format!("GET {url}: {e}");
        let uri: axum::http::Uri = url.parse().map_err(|e| fail(&e))?;
        let fetch = async {
            let response = self.http.get(uri).await.map_err(|e| fail(&e))?;
            if !response.status().is_success() {
                return Err(fail(&response.status()));
            }
            http_body_util::Limited::new(response.into_body(), LARGEST_DOCUMENT)
                .collect()
                .await
                .map(|body| body.to_bytes())
                .map_err(|e| fail(&e))
        };
        let body = tokio::time::timeout(FETCH_TIMEOUT, fetch)
            .await
            .map_err(|_| fail(&"timed out"))??;
        serde_json::from_slice(&body).map_err(|e| fail(&e))
    }

    async fn verify(&self, token: &str, header: &Header) -> Result<Principal, AuthError> {
        let signing = self.key(header.kid.as_deref(), header.alg).await?;
        if signing.algorithm != header.alg {
            return Err(invalid(format!(
                "the key it names signs with {:?}, not {:?}",
                signing.algorithm, header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data =
            jsonwebtoken::decode::<Value>(token, &signing.key, &validation).map_err(invalid)?;
        self.config
            .claims
            .principal(&data.claims)
            .map_err(|e| AuthError(format!("invalid token claims: {e}")))
    }
}

/// Why an `Authorization` header is not a bearer token.
pub const NOT_BEARER: &str = "the Authorization header must be 'Bearer <token>'";

/// The token of an `Authorization` header's value (`Bearer <token>`).
pub fn bearer(value: &str) -> Result<&str, AuthError> {
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| AuthError(NOT_BEARER.into()))
}

/// Verifies bearer tokens into principals. Cheap to clone; clones share the key cache.
#[derive(Clone)]
pub struct Verifier(Arc<Inner>);

struct Inner {
    /// Development keys, when development tokens are accepted.
    dev: Option<DevKeys>,
    oidc: Option<Oidc>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("development", &self.0.dev.is_some())
            .field("oidc", &self.0.oidc.as_ref().map(|o| &o.config.issuer))
            .finish()
    }
}

impl Verifier {
    /// A verifier of development tokens only.
    pub fn development(keys: DevKeys) -> Self {
        Self(Arc::new(Inner {
            dev: Some(keys),
            oidc: None,
        }))
    }

    /// A verifier of the identity provider's tokens, and of development tokens if `dev` is
    /// given (only when explicitly allowed next to an identity provider).
    pub fn oidc(config: OidcConfig, dev: Option<DevKeys>) -> Result<Self, String> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(Arc::new(rustls::crypto::ring::default_provider()))
            .map_err(|e| format!("TLS roots for the identity provider: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let http =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        if config.audience.trim().is_empty() {
            return Err("an OIDC audience is required with an OIDC issuer".into());
        }
        Ok(Self(Arc::new(Inner {
            dev,
            oidc: Some(Oidc {
                config,
                http,
                keys: RwLock::default(),
                fetching: tokio::sync::Mutex::new(None),
            }),
        })))
    }

    /// Fetch the identity provider's keys now, so the first caller does not wait for them.
    /// A failure is logged; verification fetches again when a token needs a key.
    pub async fn prefetch(&self) {
        if let Some(oidc) = &self.0.oidc {
            let mut last = oidc.fetching.lock().await;
            *last = Some(Instant::now());
            if let Err(why) = oidc.fetch().await {
                tracing::warn!(issuer = %oidc.config.issuer, %why, "cannot fetch the identity provider's keys yet");
            }
        }
    }

    /// Verify a bearer token into the caller it names.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
        match (header.alg, &self.0.dev, &self.0.oidc) {
            (Algorithm::HS256, Some(dev), _) => dev.verify(token),
            (Algorithm::RS256 | Algorithm::ES256, _, Some(oidc)) => {
                oidc.verify(token, &header).await
            }
            (alg, _, _) => Err(invalid(format!(
                "tokens signed with {alg:?} are not accepted"
            ))),
        }
    }

    /// Verify the value of an `Authorization` header (`Bearer <token>`).
    pub async fn verify_header(&self, value: &str) -> Result<Principal, AuthError> {
        self.verify(bearer(value)?).await
    }
}

/// When a token [`Verifier::verify`] accepted stops being valid: its `exp` claim (seconds
/// since the epoch), read without checking anything else, so only for a verified token
/// (a connection that outlives a request closes then).
pub fn expires_at(token: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Expiry {
        exp: i64,
    }
    let header = jsonwebtoken::decode_header(token).ok()?;
    let mut validation = Validation::new(header.alg);
    validation.insecure_disable_signature_validation();
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Expiry>(token, &DecodingKey::from_secret(&[]), &validation)
        .ok()
        .map(|data| data.claims.exp)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn principal() -> Principal {
        DevClaims {
            sub: "anna".into(),
            municipality: "DK-0706".into(),
            department: Some("social".into()),
            roles: vec!["employee".into()],
            iss: DEV_ISSUER.into(),
            iat: 0,
            exp: 0,
        }
        .principal()
        .unwrap()
    }

    #[test]
    fn a_minted_token_verifies_to_the_same_principal() {
        let keys = DevKeys::from_secret(b"secret");
        let token = keys.mint(&principal(), 1).unwrap();
        assert_eq!(keys.verify(&token).unwrap(), principal());
    }

    #[test]
    fn the_expiry_of_a_token_is_its_exp_claim() {
        let keys = DevKeys::from_secret(b"s3cret");
        let before = Utc::now().timestamp();
        let token = keys.mint(&principal(), 2).unwrap();
        let exp = expires_at(&token).unwrap();
        assert!(
            (before + 7200..=Utc::now().timestamp() + 7200).contains(&exp),
            "{exp}"
        );
        assert_eq!(expires_at("not a token"), None);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_rejected() {
        let token = DevKeys::from_secret(b"other")
            .mint(&principal(), 1)
            .unwrap();
        assert!(DevKeys::from_secret(b"secret").verify(&token).is_err());
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let keys = DevKeys::from_secret(b"secret");
        let token = keys.mint(&principal(), -2).unwrap();
        assert!(keys.verify(&token).is_err());
    }

    #[test]
    fn unknown_roles_are_rejected_in_development_tokens() {
        let claims = DevClaims {
            sub: "anna".into(),
            municipality: "DK-0706".into(),
            department: None,
            roles: vec!["root".into()],
            iss: DEV_ISSUER.into(),
            iat: 0,
            exp: 0,
        };
        assert!(claims.principal().is_err());
    }

    #[test]
    fn claims_are_found_by_name_or_dotted_path() {
        let claims = serde_json::json!({
            "oid": "u-1",
            "https://innohub.example/municipality": "SE-1283",
            "realm_access": {"roles": ["offline_access", "it_portfolio"]},
            "scp": "employee something_else",
        });
        let mapping = ClaimMapping {
            user: "oid".into(),
            municipality: "https://innohub.example/municipality".into(),
            roles: vec!["realm_access.roles".into(), "scp".into()],
            department: "department".into(),
        };
        let p = mapping.principal(&claims).unwrap();
        assert_eq!(p.user.as_str(), "u-1");
        assert_eq!(p.municipality.as_str(), "SE-1283");
        assert_eq!(p.roles, BTreeSet::from([Role::ItPortfolio, Role::Employee]));
        assert_eq!(p.department, None);
        let no_municipality = serde_json::json!({"sub": "x"});
        assert!(ClaimMapping::default().principal(&no_municipality).is_err());
    }

    #[tokio::test]
    async fn development_verifiers_refuse_other_algorithms() {
        let verifier = Verifier::development(DevKeys::from_secret(b"secret"));
        // {"alg":"none"} and {"alg":"RS256"} headers.
        for header in ["eyJhbGciOiJub25lIn0", "eyJhbGciOiJSUzI1NiJ9"] {
            let token = format!("{header}.eyJzdWIiOiJ4In0.");
            assert!(verifier.verify(&token).await.is_err(), "{header}");
        }
    }
}
