//! innohub-tests: black-box tests and the load generator. Everything here drives the real
//! `innohub` binary over HTTP: [`App::spawn`] builds it (once per test binary), starts it on
//! a free port with its own data directory, and speaks GraphQL to it. [`distributed`] starts
//! the distributed mode's processes against the real PostgreSQL server and a real
//! Kafka-protocol broker (Tansu). The benchmarks (`bench`, `dist_bench`) share their load
//! loop ([`concurrent`]), the backlog query they time ([`BACKLOG`], [`time_backlog`]), the
//! memory reading of a process ([`Memory`]) and the closing table ([`Summary`]) from here.

pub mod distributed;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions as _, Connection as _};
use tokio::process::{Child, Command};

/// The municipalities every spawned app has registered (id, name, inhabitants): the ones
/// the tests act for. Others are refused, as in production.
pub const MUNICIPALITIES: &[(&str, &str, u32)] = &[
    ("DK-0706", "Syddjurs", 43_000),
    ("DK-0751", "Aarhus", 367_000),
    ("DK-0101", "København", 660_000),
    ("SE-1283", "Helsingborg", 151_000),
    ("SE-0380", "Uppsala", 245_000),
    ("NO-4626", "Øygarden", 39_000),
    ("NO-0301", "Oslo", 717_000),
    ("FI-0091", "Helsinki", 674_000),
];

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

/// `innohub serve` on `data_dir`, listening on `port`, with the tests' secret and no rate
/// limits (tests that check them pass `--rate-limit…`); killed when dropped.
pub fn serve_command(data_dir: &Path, port: u16) -> anyhow::Result<Command> {
    let mut command = Command::new(binary()?);
    command
        .arg("serve")
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(data_dir)
        .env("INNOHUB_DEV_SECRET", SECRET)
        .env("INNOHUB_RATE_LIMIT", "0")
        .env("INNOHUB_RATE_LIMIT_ANONYMOUS", "0")
        .env("INNOHUB_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    Ok(command)
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

    /// Start an app on a new data directory whose today is `today` (`INNOHUB_TODAY`, an ISO
    /// date), and register the tests' municipalities.
    pub async fn spawn_on(name: &str, today: &str) -> anyhow::Result<App> {
        let app =
            Self::start_with_env(&temp_data_dir(name), &[], &[("INNOHUB_TODAY", today)]).await?;
        app.register(MUNICIPALITIES).await?;
        Ok(app)
    }

    /// Start an app on `data_dir` (reused across restarts) with extra `serve` flags, and
    /// register the tests' municipalities.
    pub async fn spawn_in(data_dir: &Path, extra: &[&str]) -> anyhow::Result<App> {
        let app = Self::start_in(data_dir, extra).await?;
        app.register(MUNICIPALITIES).await?;
        Ok(app)
    }

    /// Start an app on `data_dir` with extra `serve` flags, registering nothing.
    pub async fn start_in(data_dir: &Path, extra: &[&str]) -> anyhow::Result<App> {
        Self::start_with_env(data_dir, extra, &[]).await
    }

    /// Start an app on `data_dir` with extra `serve` flags and environment variables (e.g.
    /// `INNOHUB_FAILPOINT`, `INNOHUB_TODAY`), registering nothing.
    pub async fn start_with_env(
        data_dir: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> anyhow::Result<App> {
        let port = free_port()?;
        let child = serve_command(data_dir, port)?
            .args(extra)
            .envs(env.iter().copied())
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

    /// Register `municipalities` (id, name, inhabitants) as a platform administrator and wait
    /// until the directory's read model admits them. Idempotent: a restarted app on the same
    /// data directory replays the registrations.
    pub async fn register(&self, municipalities: &[(&str, &str, u32)]) -> anyhow::Result<()> {
        let admin = self
            .token("platform-operator", "DK-0706", None, &["platform_admin"])
            .await?;
        self.register_as(&admin, municipalities).await
    }

    /// [`Self::register`] with the platform administrator's token `admin`.
    pub async fn register_as(
        &self,
        admin: &str,
        municipalities: &[(&str, &str, u32)],
    ) -> anyhow::Result<()> {
        let admin = Some(admin);
        let mut last = None;
        for (id, name, inhabitants) in municipalities {
            let (country, code) = id.split_once('-').context("a municipality id")?;
            let response = self
                .gql(
                    admin,
                    "mutation($input: RegisterMunicipalityInput!, $key: String) { \
                     registerMunicipality(input: $input, idempotencyKey: $key) { consistencyToken } }",
                    json!({
                        "input": { "country": country, "code": code, "name": name, "inhabitants": inhabitants },
                        "key": format!("test-harness-register-{id}"),
                    }),
                )
                .await?;
            match response["data"]["registerMunicipality"]["consistencyToken"].as_str() {
                Some(token) => last = Some(token.to_owned()),
                // Registered by other means before (the demo registers its own).
                None if response.to_string().contains("is already registered") => {}
                None => bail!("registering {id}: {response}"),
            }
        }
        if let Some(token) = last {
            let response = self
                .gql(
                    admin,
                    "query($c: String) { municipalities(consistency: $c) { id } }",
                    json!({ "c": token }),
                )
                .await?;
            let known = response["data"]["municipalities"]
                .as_array()
                .map(Vec::len)
                .unwrap_or_default();
            if known < municipalities.len() {
                bail!("registered municipalities are not in the directory: {response}");
            }
        }
        Ok(())
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

    /// Wait until `/readyz` answers OK (30 s at most).
    pub async fn wait_ready(&self) -> anyhow::Result<()> {
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

    /// The process id of the server this handle started; `None` for a handle that owns no
    /// process, or once it has exited.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
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

    /// Wait until the process exits by itself (e.g. at a failpoint); its exit status.
    pub async fn exited(mut self, timeout: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let child = self
            .child
            .as_mut()
            .context("this handle does not own the process")?;
        Ok(tokio::time::timeout(timeout, child.wait())
            .await
            .context("innohub did not exit")??)
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

/// The embedded benchmarks' baseline, raw SQLite: insert `rows` rows of `size` payload bytes
/// into the event store's schema on one connection, one transaction each, with the store's
/// pragmas. Returns rows/s.
pub async fn raw_sqlite_insert_rate(rows: usize, size: usize) -> anyhow::Result<f64> {
    let dir = temp_data_dir("bench-raw");
    std::fs::create_dir_all(&dir)?;
    let mut conn = <SqliteConnectOptions as std::str::FromStr>::from_str(&format!(
        "sqlite://{}",
        dir.join("raw.sqlite").display()
    ))?
    .create_if_missing(true)
    .journal_mode(SqliteJournalMode::Wal)
    .synchronous(SqliteSynchronous::Normal)
    .connect()
    .await?;
    sqlx::raw_sql(include_str!(
        "../../services/runtime/migrations/store/sqlite/1003_event_store.sql"
    ))
    .execute(&mut conn)
    .await?;
    let payload = vec![0x2a_u8; size];
    let started = Instant::now();
    for i in 0..rows {
        let mut tx = conn.begin().await?;
        sqlx::query(
            "INSERT INTO events (event_id, municipality, aggregate_type, aggregate_id, sequence, event_type, \
             payload, actor_user, actor_municipality, occurred_at, correlation_id) \
             VALUES ($1, 'DK-0706', 'process', $2, 1, 'ProcessSubmitted', $3, 'bench', 'DK-0706', \
             '2026-11-22T00:00:00.000000Z', $4)",
        )
        .bind(format!("00000000-0000-7000-8000-{i:012}"))
        .bind(format!("agg-{i}"))
        .bind(&payload)
        .bind(format!("10000000-0000-7000-8000-{i:012}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    let rate = rows as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;
    std::fs::remove_dir_all(&dir)?;
    Ok(rate)
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

/// A millisecond figure with one decimal, e.g. `12.3 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// What a run of requests measured.
pub struct Throughput {
    /// Requests made.
    pub requests: usize,
    /// From the first request sent to the last answered.
    pub elapsed: Duration,
    /// Latency percentiles of one request.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
}

impl Throughput {
    /// Requests per second.
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for Throughput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} in {:.2} s = {:.0}/s; p50 {}, p99 {}",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.per_second(),
            ms(self.p50),
            ms(self.p99)
        )
    }
}

/// Closed loop: `clients` concurrent tasks make `total` requests between them, each task
/// its next one as soon as the last is answered; `request(i)` makes the `i`-th. The first
/// failure fails the run.
pub async fn concurrent<F, Fut>(
    clients: usize,
    total: usize,
    request: F,
) -> anyhow::Result<Throughput>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let request = Arc::new(request);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let next = next.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let t = Instant::now();
                request(i).await?;
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(total);
    for task in tasks {
        all.extend(task.await??);
    }
    let elapsed = started.elapsed();
    let mut latencies = Latencies(all);
    Ok(Throughput {
        requests: total,
        elapsed,
        p50: latencies.percentile(0.50),
        p99: latencies.percentile(0.99),
    })
}

/// The backlog page both benchmarks time: the first 50 of the viewer's municipality, with
/// `totalCount` and the fields a backlog screen shows; `$c` is an optional consistency token.
pub const BACKLOG: &str = "query($c: String) { backlog(first: 50, consistency: $c) { totalCount edges { node { id title priorityScore backlogRank phase status hoursSavedPerYear } } } }";

/// The backlog's `totalCount` once the read models hold the write at `consistency` (the
/// gateway waits for it, bounded); asked again until it is `expected`, at most 120 s.
pub async fn backlog_total(
    app: &App,
    token: &str,
    consistency: Option<&str>,
    expected: i64,
) -> anyhow::Result<i64> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let r = app
            .gql(Some(token), BACKLOG, json!({ "c": consistency }))
            .await?;
        let total = r["data"]["backlog"]["totalCount"]
            .as_i64()
            .with_context(|| format!("backlog failed: {r}"))?;
        if total == expected {
            return Ok(total);
        }
        if Instant::now() > deadline {
            bail!("the backlog holds {total} processes, expected {expected}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Time `queries` [`BACKLOG`] queries (no consistency token) from `clients` concurrent
/// clients against `app` with `token`; any error in an answer fails the run.
pub async fn time_backlog(
    app: &App,
    token: &str,
    clients: usize,
    queries: usize,
) -> anyhow::Result<Throughput> {
    let (app, token) = (Arc::new(app.clone_handle()), Arc::new(token.to_owned()));
    concurrent(clients, queries, move |_| {
        let (app, token) = (app.clone(), token.clone());
        async move {
            let r = app.gql(Some(&token), BACKLOG, json!({})).await?;
            if r.get("errors").is_some() || r["data"]["backlog"]["edges"].as_array().is_none() {
                bail!("backlog failed: {r}");
            }
            Ok(())
        }
    })
    .await
}

/// The memory of a process, from `/proc/<pid>/status` (Linux), in KiB.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// Resident set size now (`VmRSS`).
    pub rss: u64,
    /// The peak resident set size so far (`VmHWM`).
    pub hwm: u64,
    /// Of `rss`, anonymous memory (`RssAnon`: heap, stacks).
    pub anon: u64,
    /// Of `rss`, file-backed pages (`RssFile`: the binary, mapped files).
    pub file: u64,
}

impl Memory {
    /// Read the memory of process `pid`.
    pub fn of(pid: u32) -> anyhow::Result<Memory> {
        let path = format!("/proc/{pid}/status");
        let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|v| v.trim().strip_suffix("kB")?.trim().parse().ok())
                .with_context(|| format!("no {name} in {path}"))
        };
        Ok(Memory {
            rss: field("VmRSS")?,
            hwm: field("VmHWM")?,
            anon: field("RssAnon")?,
            file: field("RssFile")?,
        })
    }
}

/// KiB (what `/proc` calls kB) in megabytes (10^6 bytes).
pub fn megabytes(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", megabytes(kib))
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RSS {} (anonymous {}, file {}), peak {}",
            mb(self.rss),
            mb(self.anon),
            mb(self.file),
            mb(self.hwm)
        )
    }
}

/// The table a benchmark ends with: each measure, its figure, the goal (or baseline) it is
/// held against, and whether it met it.
#[derive(Default)]
pub struct Summary(Vec<[String; 4]>);

impl Summary {
    /// Add a row.
    pub fn row(&mut self, measure: &str, figure: String, goal: String, met: bool) {
        let met = if met { "yes" } else { "no" };
        self.0
            .push([measure.to_owned(), figure, goal, met.to_owned()]);
    }

    /// Print it as a Markdown table.
    pub fn print(&self) {
        println!("| measure | figure | goal or baseline | met? |");
        println!("|---|---|---|---|");
        for [measure, figure, goal, met] in &self.0 {
            println!("| {measure} | {figure} | {goal} | {met} |");
        }
    }
}
