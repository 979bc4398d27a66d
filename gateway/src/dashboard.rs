//! The dashboard at `/dashboard`, for people who would rather look than write GraphQL: the
//! status overview as a chart, the backlog's top 20, the quarterly history, the innovation
//! funnel and the cross-municipal overview, kept up to date over the `backlogChanged`
//! subscription. Served entirely from files built into the binary, like [`crate::graphiql`]:
//! the vendored Chart.js build in `gateway/static/dashboard/` (see the README there) and our
//! own page, script and stylesheet; no build step, no CDN.
//!
//! Sign-in is the API's: a bearer token pasted into the page (or passed as `#token=…`), or,
//! when `--oidc-client-id` names the dashboard's client at the identity provider, the
//! authorization code flow with PKCE in the browser ([`Login`]); `/dashboard/config.json`
//! tells the page which.

use std::sync::Arc;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::assets::{self, Asset, CSS, IMMUTABLE, JS, REVALIDATE};

/// Every file under `/dashboard/`. When updating Chart.js, change the version in its path
/// here and in `index.html` (the `assets_on_the_page_are_served` test checks they agree).
static ASSETS: [Asset; 3] = [
    Asset {
        path: "/dashboard/chart.js-4.6.2/chart.umd.min.js",
        content_type: JS,
        cache_control: IMMUTABLE,
        body: include_bytes!("../static/dashboard/chart.umd.min.js"),
    },
    Asset {
        path: "/dashboard/dashboard.js",
        content_type: JS,
        cache_control: REVALIDATE,
        body: include_bytes!("../static/dashboard/dashboard.js"),
    },
    Asset {
        path: "/dashboard/dashboard.css",
        content_type: CSS,
        cache_control: REVALIDATE,
        body: include_bytes!("../static/dashboard/dashboard.css"),
    },
];

/// The page: no external URL, no inline script or style.
const PAGE: &str = include_str!("../static/dashboard/index.html");

/// The identity provider the page may send people to, to sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The issuer URL; the page reads its `/.well-known/openid-configuration`.
    pub issuer: String,
    /// The dashboard's (public) client id at the identity provider.
    pub client_id: String,
    /// The scopes to ask for, space-separated: they must yield an access token for
    /// innohub's audience (e.g. `openid api://innohub/access` with Entra ID).
    pub scope: String,
}

impl Login {
    /// The issuer's origin (`https://idp.example.dk`), which the page may call: the
    /// discovery document and the token endpoint are there.
    fn origin(&self) -> Option<&str> {
        let rest = self
            .issuer
            .strip_prefix("https://")
            .or_else(|| self.issuer.strip_prefix("http://"))?;
        let host_end = rest.find('/').unwrap_or(rest.len());
        let host = &rest[..host_end];
        // A CSP source must not carry anything that would end it or start another.
        if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == ';' || c == ',') {
            return None;
        }
        Some(&self.issuer[..self.issuer.len() - rest.len() + host_end])
    }
}

/// Scripts only from this origin (no inline script: the page's script is a file); requests
/// to this origin (GraphQL over HTTP and the subscriptions' WebSocket: CSP 3's `'self'`
/// includes `ws:`/`wss:` to the same host) and, with a login, to the identity provider.
fn content_security_policy(login: Option<&Login>) -> String {
    let provider = login
        .and_then(Login::origin)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{provider}; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// What `/dashboard/config.json` says: `{"login": null}`, or the identity provider to sign
/// in with.
fn config(login: Option<&Login>) -> serde_json::Value {
    serde_json::json!({
        "login": login.map(|l| serde_json::json!({
            "issuer": l.issuer,
            "clientId": l.client_id,
            "scope": l.scope,
        })),
    })
}

/// The dashboard page, offering `login`.
fn page(login: Option<&Login>) -> Response {
    assets::page(&content_security_policy(login), PAGE)
}

/// The page's configuration, offering `login`.
fn config_json(login: Option<&Login>) -> Response {
    (
        [(header::CACHE_CONTROL, REVALIDATE)],
        axum::Json(config(login)),
    )
        .into_response()
}

/// The page at `/dashboard`, its files under `/dashboard/`; the page offers `login` when
/// there is one.
pub fn routes<S: Clone + Send + Sync + 'static>(login: Option<Login>) -> Router<S> {
    let login = Arc::new(login);
    let on_page = login.clone();
    let router = Router::new()
        .route(
            "/dashboard",
            get(move || async move { page(on_page.as_ref().as_ref()) }),
        )
        .route(
            "/dashboard/",
            get(|| async { Redirect::permanent("/dashboard") }),
        )
        .route(
            "/dashboard/config.json",
            get(move || async move { config_json(login.as_ref().as_ref()) }),
        );
    assets::routes(router, &ASSETS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_on_the_page_are_served() {
        assets::assert_page_uses_exactly(PAGE, "/dashboard/", &ASSETS);
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        assets::assert_self_contained(PAGE);
        assert!(
            !PAGE
                .split_whitespace()
                .any(|w| w.starts_with("on") && w.contains('=')),
            "no inline event handlers"
        );
    }

    #[test]
    fn without_a_login_the_page_may_call_only_its_own_origin() {
        let csp = content_security_policy(None);
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert_eq!(config(None), serde_json::json!({ "login": null }));
    }

    #[test]
    fn with_a_login_the_page_may_call_the_identity_provider() {
        let login = Login {
            issuer: "https://idp.example.dk/realms/kommune".into(),
            client_id: "innohub-dashboard".into(),
            scope: "openid".into(),
        };
        let csp = content_security_policy(Some(&login));
        assert!(
            csp.contains("connect-src 'self' https://idp.example.dk;"),
            "{csp}"
        );
        assert_eq!(
            config(Some(&login))["login"]["clientId"],
            "innohub-dashboard"
        );
        let odd = Login {
            issuer: "https://evil; script-src *".into(),
            ..login
        };
        assert!(
            content_security_policy(Some(&odd)).contains("connect-src 'self';"),
            "an issuer that would break the policy is left out"
        );
    }
}
