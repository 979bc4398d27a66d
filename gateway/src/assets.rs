//! Files built into the binary and served as they are: GraphiQL's ([`crate::graphiql`]) and
//! the dashboard's ([`crate::dashboard`]). One way to serve a file (its type, caching and
//! `nosniff`), one way to serve a page under its Content-Security-Policy, and one check that
//! a page references exactly the files served with it.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One file built into the binary, served at `path`.
pub struct Asset {
    /// Where it is served.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its `Cache-Control`: [`IMMUTABLE`] or [`REVALIDATE`].
    pub cache_control: &'static str,
    /// The file.
    pub body: &'static [u8],
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

/// A script.
pub const JS: &str = "text/javascript; charset=utf-8";
/// A stylesheet.
pub const CSS: &str = "text/css; charset=utf-8";
/// A vendored file: its URL names the package version, so a URL never changes content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Our own files change with the binary under the same URL: revalidate every time.
pub const REVALIDATE: &str = "no-cache";

/// `router` serving each of `assets` at its path.
pub fn routes<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    assets: &'static [Asset],
) -> Router<S> {
    assets.iter().fold(router, |router, asset| {
        router.route(asset.path, get(move || async move { asset.response() }))
    })
}

/// An HTML page under the Content-Security-Policy `csp`, revalidated every time, sending no
/// referrer.
pub fn page(csp: &str, html: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, REVALIDATE),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

/// Check that `html` references (in `src="…"` and `href="…"`) exactly the `assets` under
/// `prefix`: each one it uses is served, and each one served is used.
#[cfg(test)]
pub fn assert_page_uses_exactly(html: &str, prefix: &str, assets: &[Asset]) {
    let mut on_page: Vec<&str> = html.split('"').filter(|s| s.starts_with(prefix)).collect();
    on_page.sort_unstable();
    let mut served: Vec<&str> = assets.iter().map(|a| a.path).collect();
    served.sort_unstable();
    assert_eq!(
        on_page, served,
        "every served file is used by the page, and only those"
    );
}

/// Check that `html` loads nothing from elsewhere and has no inline style or script.
#[cfg(test)]
pub fn assert_self_contained(html: &str) {
    assert!(!html.contains("http:") && !html.contains("https:") && !html.contains("//"));
    assert!(!html.contains("<style") && !html.contains("style=") && !html.contains("<script>"));
}
