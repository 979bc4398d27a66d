//! GraphiQL, the in-browser GraphQL editor at `/`, served entirely from files built into the
//! binary, so it works on an intranet without internet access: the vendored GraphiQL, React
//! and ReactDOM builds in `gateway/static/graphiql/` (see the README there for their versions
//! and how to update them) plus our own page, layout and start script. The page explains, above
//! the editor, how to send the bearer token, and opens GraphiQL's Headers tab pre-filled with
//! an `Authorization` header. Its Content-Security-Policy allows only same-origin scripts.

use axum::Router;
use axum::response::Response;

use crate::assets::{self, Asset, CSS, IMMUTABLE, JS, REVALIDATE};

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
    assets::page(CONTENT_SECURITY_POLICY, PAGE)
}

/// The page's files, under `/graphiql/`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    assets::routes(Router::new(), &ASSETS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_on_the_page_are_served() {
        assets::assert_page_uses_exactly(PAGE, "/graphiql/", &ASSETS);
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        assets::assert_self_contained(PAGE);
    }
}
