//! GraphiQL at `/` works without internet: the page and every file it loads come from the
//! binary, and headless Chromium, with every host but 127.0.0.1 unresolvable, renders
//! GraphiQL's editors, the Headers tab pre-filled with a bearer token placeholder, and the
//! explanation of how to get a token. Chromium missing is a failure, not a skip
//! (`deploy/chromium.sh ensure` installs it; `INNOHUB_CHROMIUM` names another binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{assert_same_origin_only, asset, chromium, header};
use innohub_tests::{App, temp_data_dir};
use reqwest::header::CONTENT_TYPE;

/// The token command the page tells developers to run.
const TOKEN_COMMAND: &str =
    "innohub token --user anna --municipality DK-0706 --roles employee,it_portfolio";

/// The values of the page's `src="…"` and `href="…"` attributes.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in [" src=\"", " href=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attribute) {
            rest = &rest[at + attribute.len()..];
            let end = rest.find('"').expect("the attribute's closing quote");
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test]
async fn the_page_and_everything_it_loads_come_from_the_binary() -> anyhow::Result<()> {
    let app = App::spawn("graphiql-assets").await?;
    for path in ["/", "/graphql"] {
        let response = app
            .client()
            .get(format!("{}{path}", app.url))
            .send()
            .await?;
        assert_eq!(response.status(), 200, "GET {path}");
        assert!(
            header(&response, &CONTENT_TYPE).starts_with("text/html"),
            "GET {path}: {:?}",
            response.headers()
        );
        assert_same_origin_only(&response, &format!("GET {path}"));
        let html = response.text().await?;
        for scheme in ["http://", "https://"] {
            assert!(
                !html.contains(scheme),
                "GET {path}: the page must not name an {scheme} URL:\n{html}"
            );
        }
        assert!(
            html.contains("Authorization: Bearer &lt;token&gt;") && html.contains(TOKEN_COMMAND),
            "GET {path}: the page explains the bearer token:\n{html}"
        );

        let referenced = references(&html);
        let scripts = html.matches("<script src=\"/graphiql/").count();
        let styles = html
            .matches("<link rel=\"stylesheet\" href=\"/graphiql/")
            .count();
        assert!(
            scripts >= 4 && styles >= 1,
            "React, ReactDOM, GraphiQL, its start script and CSS: {referenced:?}"
        );
        for url in &referenced {
            if url.starts_with("data:") {
                continue;
            }
            assert!(
                url.starts_with("/graphiql/"),
                "GET {path}: {url} is not one of the binary's /graphiql/ files"
            );
            let expected = if url.ends_with(".js") {
                "text/javascript"
            } else if url.ends_with(".css") {
                "text/css"
            } else {
                panic!("{url}: neither a script nor a stylesheet")
            };
            let body = asset(&app, url, expected).await?;
            if expected == "text/css" {
                // Fonts and images in the stylesheets are embedded, never fetched.
                for fetched in ["http://", "https://", "@import"] {
                    assert!(!body.contains(fetched), "GET {url}: contains {fetched}");
                }
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn graphiql_renders_in_headless_chromium_without_internet() -> anyhow::Result<()> {
    let chromium = chromium("the GraphiQL browser test");
    let app = App::spawn("graphiql-browser").await?;
    let profile = temp_data_dir("graphiql-chromium");
    let run = tokio::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            // No name resolves but 127.0.0.1: a CDN load would fail.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            // The page's console messages (CSP violations, script errors) go to stderr.
            "--enable-logging=stderr",
            "--log-level=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("{}/", app.url))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .map_err(|_| anyhow::anyhow!("{} --dump-dom did not finish in 120 s", chromium.display()))?
        .map_err(|e| anyhow::anyhow!("running {}: {e}", chromium.display()))?;
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{} failed ({}):\n{log}",
        chromium.display(),
        out.status
    );

    let problems: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .filter(|l| {
            [
                "Content Security Policy",
                "Refused",
                "Uncaught",
                "Failed",
                "Error",
            ]
            .iter()
            .any(|p| l.contains(p))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "the page logged errors in the browser:\n{}",
        problems.join("\n")
    );

    for (what, needle) in [
        ("GraphiQL's container", "graphiql-container"),
        ("the query editor", "aria-label=\"Query Editor\""),
        ("the result window", "aria-label=\"Result Window\""),
        ("CodeMirror editors", "CodeMirror-code"),
        ("the Headers tab", "aria-label=\"Headers\""),
        (
            "the header explanation",
            "Authorization: Bearer &lt;token&gt;",
        ),
        ("the token command", TOKEN_COMMAND),
    ] {
        assert!(
            dom.contains(needle),
            "the rendered page lacks {what} ({needle}); GraphiQL did not start?\n{dom}"
        );
    }

    // The headers editor is shown (not `graphiql-editor hidden`) and pre-filled.
    let placeholder = dom
        .find("Bearer &lt;paste a token here&gt;")
        .unwrap_or_else(|| panic!("the headers editor is not pre-filled:\n{dom}"));
    let editor = dom[..placeholder]
        .rfind("class=\"graphiql-editor")
        .expect("the placeholder is in a GraphiQL editor");
    assert!(
        dom[editor..].starts_with("class=\"graphiql-editor\""),
        "the headers editor is hidden: {}",
        &dom[editor..editor + 40]
    );
    Ok(())
}
