//! innohub-tests: black-box tests and the load generator. Everything here drives the real
//! `innohub` binary over HTTP: [`App::spawn`] builds it (once per test binary), starts it on
//! a free port with its own data directory, and speaks GraphQL to it. [`distributed`] starts
//! the distributed mode's processes against the real PostgreSQL server and a real
//! Kafka-protocol broker (Tansu).

pub mod distributed;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The signing secret every spawned app uses, so tests can mint tokens with the CLI.
pub const SECRET: &str = "innohub-black-box-tests";

static BINARY: OnceLock<PathBuf> = OnceLock::new();

/// The `innohub` binary: `INNOHUB_BIN` if set, else built from this workspace (once).
pub fn binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = BINARY.get() {
        return Ok(path.clone());
    }
    let path = match std::env::var_os("INNOHUB_BIN") {
        Some(path) => PathBuf::from(path),
        None => {
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
            let release = std::env::var("INNOHUB_BIN_PROFILE").is_ok_and(|p| p == "release");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = std::process::Command::new(cargo);
            build.current_dir(&workspace).args([
                "build",
                "-q",
                "-p",
                "innohub-gateway",
                "--bin",
                "innohub",
            ]);
            if release {
                build.arg("--release");
            }
            let status = build
                .status()
                .context("running cargo build for the innohub binary")?;
            if !status.success() {
                bail!("building the innohub binary failed");
            }
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace.join("target"));
            target
                .join(if release { "release" } else { "debug" })
                .join("innohub")
        }
    };
    Ok(BINARY.get_or_init(|| path).clone())
}

/// For the benchmarks, which must time the release binary: `binary()` reads the profile from
/// the environment, which a running process cannot change safely, so unless it is set this
/// runs the current program again with `INNOHUB_BIN_PROFILE=release` and exits with its
/// status.
pub fn rerun_with_release_binary() -> anyhow::Result<()> {
    if std::env::var_os("INNOHUB_BIN").is_some()
        || std::env::var("INNOHUB_BIN_PROFILE").as_deref() == Ok("release")
    {
        return Ok(());
    }
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env("INNOHUB_BIN_PROFILE", "release")
        .status()
        .context("re-running with INNOHUB_BIN_PROFILE=release")?;
    std::process::exit(status.code().unwrap_or(1));
}

/// A free port on loopback.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running `innohub serve`.
pub struct App {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// Its data directory.
    pub data_dir: PathBuf,
    child: Option<Child>,
    client: reqwest::Client,
}

/// A fresh data directory under the system temp dir.
pub fn temp_data_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    std::env::temp_dir().join(format!("innohub-{name}-{}-{nanos}", std::process::id()))
}

impl App {
    /// Start an app on a new data directory.
    pub async fn spawn(name: &str) -> anyhow::Result<App> {
        Self::spawn_in(&temp_data_dir(name), &[]).await
    }

    /// Start an app on `data_dir` (reused across restarts) with extra `serve` flags.
    pub async fn spawn_in(data_dir: &Path, extra: &[&str]) -> anyhow::Result<App> {
        let port = free_port()?;
        let child = Command::new(binary()?)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra)
            .env("INNOHUB_DEV_SECRET", SECRET)
            .env("INNOHUB_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting innohub serve")?;
        let app = App {
            url: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_owned(),
            child: Some(child),
            client: reqwest::Client::new(),
        };
        app.wait_ready().await?;
        Ok(app)
    }

    /// A handle on a server started elsewhere (the distributed gateway), answering at `url`;
    /// it owns no process.
    pub fn at(url: String) -> App {
        App {
            url,
            data_dir: PathBuf::new(),
            child: None,
            client: reqwest::Client::new(),
        }
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        for _ in 0..300 {
            if let Ok(r) = self.client.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("innohub did not become ready at {}", self.url)
    }

    /// Mint a token with the binary's `token` command.
    pub async fn token(
        &self,
        user: &str,
        municipality: &str,
        department: Option<&str>,
        roles: &[&str],
    ) -> anyhow::Result<String> {
        let mut cmd = Command::new(binary()?);
        cmd.args([
            "token",
            "--user",
            user,
            "--municipality",
            municipality,
            "--roles",
            &roles.join(","),
        ])
        .env("INNOHUB_DEV_SECRET", SECRET);
        if let Some(d) = department {
            cmd.args(["--department", d]);
        }
        let out = cmd.output().await?;
        if !out.status.success() {
            bail!(
                "innohub token failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?.trim().to_owned())
    }

    /// POST a GraphQL request; returns the whole response body.
    pub async fn gql(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Ok(request.send().await?.json().await?)
    }

    /// The HTTP client, for raw requests.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Another handle on the same server, for concurrent clients; it owns no process.
    pub fn clone_handle(&self) -> App {
        App {
            url: self.url.clone(),
            data_dir: self.data_dir.clone(),
            child: None,
            client: self.client.clone(),
        }
    }

    /// Stop with SIGTERM (graceful) and wait for the process to exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let Some(child) = self.child.as_mut() else {
            bail!("this handle does not own the process");
        };
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        tokio::time::timeout(Duration::from_secs(20), child.wait())
            .await
            .context("innohub did not stop within 20 s")??;
        Ok(())
    }
}

/// The error codes of a response, in order.
pub fn error_codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A realistic `SubmitProcessInput` for the benchmarks; `i` varies the figures.
pub fn bench_process_input(title: &str, i: usize) -> Value {
    json!({
        "title": title,
        "shortDescription": "Manual registration of incoming applications in the case system",
        "longDescription": "Case workers copy data from a web form into the case system and check it against the population register before a decision.",
        "departments": ["social", "citizen-service"],
        "casesPerYear": 1000 + (i * 7919) % 50_000,
        "minutesPerCase": 5.0 + (i % 30) as f64,
        "automationShare": (i * 13) % 101,
        "domains": ["social"],
        "itSystems": ["SBSYS"],
        "technologies": ["RPA"],
        "classification": { "scheme": "KLE", "code": "27.24.00" },
        "visibility": "MUNICIPALITY"
    })
}

/// Measured latencies, for percentiles.
pub struct Latencies(pub Vec<Duration>);

impl Latencies {
    /// The `p`-th percentile (0.0-1.0), nearest rank.
    pub fn percentile(&mut self, p: f64) -> Duration {
        self.0.sort_unstable();
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0.get(i).copied().unwrap_or_default()
    }

    /// The largest.
    pub fn max(&self) -> Duration {
        self.0.iter().max().copied().unwrap_or_default()
    }
}

/// The store that consistency tokens of processes commands name.
pub const PROCESSES_STORE: &str = "processes";

/// The event position a consistency token names. Tokens are opaque to clients
/// (`<store>:<position>`); the tests look inside to compare what was appended when.
pub fn token_position(token: &str) -> Option<i64> {
    let (store, position) = token.split_once(':')?;
    (store == PROCESSES_STORE).then_some(())?;
    position.parse().ok()
}

/// The consistency token of the processes store at `position`.
pub fn token_at(position: i64) -> String {
    format!("{PROCESSES_STORE}:{position}")
}
