//! GraphiQL, the in-browser GraphQL editor at `/`, served entirely from files built into the
//! binary, so it works on an intranet without internet access: the vendored GraphiQL, React
//! and ReactDOM builds in `gateway/static/graphiql/` (see the README there for their versions
//! and how to update them) plus our own page, layout and start script. The page explains, above
//! the editor, how to send the bearer token, and opens GraphiQL's Headers tab pre-filled with
//! an `Authorization` header. Its Content-Security-Policy allows only same-origin scripts.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One file built into the binary, served at `path`.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    cache_control: &'static str,
    body: &'static [u8],
}

impl Asset {
    fn response(&'static self) -> Response {
        (
            [
                (header::CONTENT_TYPE, self.content_type),
                (header::CACHE_CONTROL, self.cache_control),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            self.body,
        )
            .into_response()
    }
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
/// The vendored files: their URLs name the package version, so a URL never changes content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Our own files change with the binary under the same URL: revalidate every time.
const REVALIDATE: &str = "no-cache";

/// Every file under `/graphiql/`. When updating a vendored package, change the version in its
/// path here and in [`PAGE`] (the `assets_on_the_page_are_served` test checks they agree).
static ASSETS: [Asset; 6] = [
    Asset {
        path: "/graphiql/react-18.3.1/react.production.min.js",
        content_type: JS,
        cache_control: IMMUTABLE,
        body: include_bytes!("../static/graphiql/react.production.min.js"),
    },
    Asset {
        path: "/graphiql/react-dom-18.3.1/react-dom.production.min.js",
        content_type: JS,
        cache_control: IMMUTABLE,
        body: include_bytes!("../static/graphiql/react-dom.production.min.js"),
    },
    Asset {
        path: "/graphiql/graphiql-3.8.3/graphiql.min.js",
        content_type: JS,
        cache_control: IMMUTABLE,
        body: include_bytes!("../static/graphiql/graphiql.min.js"),
    },
    Asset {
        path: "/graphiql/graphiql-3.8.3/graphiql.min.css",
        content_type: CSS,
        cache_control: IMMUTABLE,
        body: include_bytes!("../static/graphiql/graphiql.min.css"),
    },
    Asset {
        path: "/graphiql/page.css",
        content_type: CSS,
        cache_control: REVALIDATE,
        body: include_bytes!("../static/graphiql/page.css"),
    },
    Asset {
        path: "/graphiql/start.js",
        content_type: JS,
        cache_control: REVALIDATE,
        body: include_bytes!("../static/graphiql/start.js"),
    },
];

/// Scripts only from this origin (no inline script: the start script is a file). Styles also
/// allow `'unsafe-inline'` because GraphiQL's dialogs (react-remove-scroll, via Radix) add a
/// `<style>` element at run time. GraphiQL's CSS embeds its fonts as `data:` URLs.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// The page: no external URL, no inline script or style.
const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>innohub GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/graphiql-3.8.3/graphiql.min.css">
<link rel="stylesheet" href="/graphiql/page.css">
</head>
<body>
<header class="innohub-auth" id="innohub-auth">
<p><strong>Authentication:</strong> requests need the header
<code>Authorization: Bearer &lt;token&gt;</code>. Set it in GraphiQL's <strong>Headers</strong>
tab below the query editor: it is open and pre-filled, replace the placeholder with your token.</p>
<p>In local development, mint a token with
<code>innohub token --user anna --municipality DK-0706 --roles employee,it_portfolio</code>
run from the same directory as <code>innohub serve</code> (or with the same
<code>--data-dir</code>). With an identity provider configured, use the access token the
identity provider issues.</p>
</header>
<main id="graphiql"><noscript>GraphiQL needs JavaScript.</noscript></main>
<script src="/graphiql/react-18.3.1/react.production.min.js"></script>
<script src="/graphiql/react-dom-18.3.1/react-dom.production.min.js"></script>
<script src="/graphiql/graphiql-3.8.3/graphiql.min.js"></script>
<script src="/graphiql/start.js"></script>
</body>
</html>
"#;

/// The GraphiQL page.
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, REVALIDATE),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        PAGE,
    )
        .into_response()
}

/// The page's files, under `/graphiql/`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |router, asset| {
        router.route(asset.path, get(move || async move { asset.response() }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `/graphiql/…` URLs in `src="…"` and `href="…"` attributes of the page.
    fn referenced() -> Vec<&'static str> {
        PAGE.split(['"'])
            .filter(|s| s.starts_with("/graphiql/"))
            .collect()
    }

    #[test]
    fn assets_on_the_page_are_served() {
        let served: Vec<&str> = ASSETS.iter().map(|a| a.path).collect();
        let mut on_page = referenced();
        assert!(on_page.iter().all(|p| served.contains(p)), "{on_page:?}");
        on_page.sort_unstable();
        let mut all = served.clone();
        all.sort_unstable();
        assert_eq!(on_page, all, "every served file is used by the page");
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        assert!(!PAGE.contains("http:") && !PAGE.contains("https:") && !PAGE.contains("//"));
        assert!(!PAGE.contains("<style") && !PAGE.contains("style=") && !PAGE.contains("<script>"));
    }
}
