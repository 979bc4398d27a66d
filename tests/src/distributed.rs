//! The distributed mode under test: a real Kafka-protocol broker (Tansu, started per test on
//! its own port), fresh databases on the real PostgreSQL server, and the services'
//! (`directory`, `processes`, `pilots`, `ideas`, `funding`), `projections` and `gateway` processes of the
//! real binary. Nothing is mocked; a missing broker binary or database server fails the test
//! with what to do.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::OwnedMessage;
use sqlx::Connection as _;
use tokio::process::{Child, Command};

use crate::{App, SECRET, binary, free_port, temp_data_dir};

/// The Tansu binary: `INNOHUB_TANSU_BIN`, else `~/.cargo/bin/tansu`, else `tansu` on PATH.
pub fn tansu() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("INNOHUB_TANSU_BIN") {
        return Ok(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tansu"));
    if let Some(home) = home.filter(|p| p.exists()) {
        return Ok(home);
    }
    if let Some(found) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("tansu"))
            .find(|p| p.exists())
    }) {
        return Ok(found);
    }
    bail!("the Tansu broker is not installed: run deploy/tansu.sh install (deploy/test.sh does)")
}

/// A Tansu broker on a free port.
pub struct Broker {
    port: u16,
    /// `Some(dir)`: SQLite storage in `dir`, surviving restarts; `None`: in memory.
    dir: Option<PathBuf>,
    child: Option<Child>,
}

impl Broker {
    /// Start a broker; `persistent` keeps data and consumer offsets across [`Broker::restart`].
    pub async fn start(persistent: bool) -> anyhow::Result<Broker> {
        let dir = persistent.then(|| temp_data_dir("tansu"));
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir)?;
        }
        let mut broker = Broker {
            port: free_port()?,
            dir,
            child: None,
        };
        broker.launch().await?;
        Ok(broker)
    }

    async fn launch(&mut self) -> anyhow::Result<()> {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let storage = if self.dir.is_some() {
            "sqlite://tansu.db".to_owned()
        } else {
            "memory://tansu/".to_owned()
        };
        let mut command = Command::new(tansu()?);
        command
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", &storage])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        self.child = Some(command.spawn().context("starting tansu")?);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("tansu did not listen on {}", self.port)
    }

    /// `host:port` for `--kafka-brokers`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stop the broker (SIGTERM, then SIGKILL after 10 s).
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(child) = self.child.take() {
            terminate(child).await?;
        }
        Ok(())
    }

    /// Start it again on the same port and storage.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        self.launch().await
    }
}

/// SIGTERM, wait up to 10 s, then SIGKILL.
async fn terminate(mut child: Child) -> anyhow::Result<()> {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    if tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .is_err()
    {
        child.kill().await?;
    }
    Ok(())
}

/// A consumer of `topic` from its first message, in a group of its own that commits nothing.
pub fn reader(brokers: &str, topic: &str) -> anyhow::Result<StreamConsumer> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("innohub-test-{}", uuid::Uuid::now_v7()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()?;
    consumer.subscribe(&[topic])?;
    Ok(consumer)
}

/// Every message on `topic` from its start until none has come for `quiet`.
pub async fn drain(
    brokers: &str,
    topic: &str,
    quiet: Duration,
) -> anyhow::Result<Vec<OwnedMessage>> {
    let consumer = reader(brokers, topic)?;
    let mut messages = Vec::new();
    while let Ok(message) = tokio::time::timeout(quiet, consumer.recv()).await {
        messages.push(message?.detach());
    }
    Ok(messages)
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("INNOHUB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Create an empty database; returns its URL. Databases an earlier run left behind under
/// the same prefix are dropped first, unless something still uses them.
pub async fn fresh_database(prefix: &str) -> anyhow::Result<String> {
    let admin = postgres_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .with_context(|| format!("PostgreSQL at {admin} (start it: deploy/postgres.sh ensure)"))?;
    let leftovers: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(format!("{prefix}_"))
            .fetch_all(&mut conn)
            .await?;
    for old in leftovers {
        // In use (a concurrent run): the drop fails and the database stays.
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {old}"))
            .execute(&mut conn)
            .await;
    }
    let name = format!(
        "{prefix}_{}",
        uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

/// One distributed innohub process.
pub struct Service {
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    child: Option<Child>,
}

impl Service {
    fn new(args: Vec<String>, port: u16, env: &[(String, String)]) -> Service {
        Service {
            args,
            env: env.to_vec(),
            url: format!("http://127.0.0.1:{port}"),
            child: None,
        }
    }

    /// The process's id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    fn command(&self) -> anyhow::Result<Command> {
        let mut command = Command::new(binary()?);
        command
            .args(&self.args)
            .env("INNOHUB_LOG", "warn")
            // The gateway and the services verify the tests' development tokens.
            .env("INNOHUB_DEV_SECRET", SECRET)
            .env("INNOHUB_RATE_LIMIT", "0")
            .env("INNOHUB_RATE_LIMIT_ANONYMOUS", "0")
            // Seven processes a cluster and two clusters at a time must stay under the test
            // server's 100 connections (16 a pool, the default, would not).
            .env("INNOHUB_DATABASE_POOL_SIZE", "5")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .kill_on_drop(true);
        // For a post-mortem: every start's stderr appended to DIR/<subcommand>.log.
        if let Some(dir) = std::env::var_os("INNOHUB_TEST_LOG_DIR") {
            let name = self.args.first().map_or("innohub", String::as_str);
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(PathBuf::from(dir).join(format!("{name}.log")))?;
            command.stderr(log);
        }
        Ok(command)
    }

    /// Start the process and wait for `/readyz`.
    pub async fn start(&mut self) -> anyhow::Result<()> {
        self.child = Some(self.command()?.spawn().context("starting innohub")?);
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{:?} did not become ready", self.args.first())
    }

    /// Set (`Some`) or remove (`None`) an environment variable for the next [`Self::start`].
    pub fn set_env(&mut self, key: &str, value: Option<&str>) {
        self.env.retain(|(k, _)| k != key);
        if let Some(value) = value {
            self.env.push((key.to_owned(), value.to_owned()));
        }
    }

    /// Wait until the process exits by itself; its exit status.
    pub async fn exited(&mut self, timeout: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let child = self.child.as_mut().context("not started")?;
        let status = tokio::time::timeout(timeout, child.wait())
            .await
            .context("the process did not exit")??;
        self.child = None;
        Ok(status)
    }

    /// SIGKILL: no shutdown, no final offset commit.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// SIGTERM: a graceful stop.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(child) = self.child.take() {
            terminate(child).await?;
        }
        Ok(())
    }

    /// A value of this process's `/metrics`.
    pub async fn metric(&self, name: &str) -> anyhow::Result<i64> {
        let text = reqwest::get(format!("{}/metrics", self.url))
            .await?
            .text()
            .await?;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .with_context(|| format!("metric {name} in {text}"))
    }
}

/// directory + processes + pilots + funding + ideas + projections + gateway, on fresh
/// databases, against
/// `broker`, with the tests' municipalities registered ([`crate::MUNICIPALITIES`]).
pub struct Cluster {
    /// The gateway, spoken to like the embedded app.
    pub gateway: App,
    /// The gateway's process.
    pub gateway_process: Service,
    /// The directory service.
    pub directory: Service,
    /// The directory service's event store.
    pub directory_db: String,
    /// The processes service.
    pub processes: Service,
    /// The ideas service.
    pub ideas: Service,
    /// The ideas service's event store.
    pub ideas_db: String,
    /// The pilots service.
    pub pilots: Service,
    /// The pilots service's event store.
    pub pilots_db: String,
    /// The funding service.
    pub funding: Service,
    /// The funding service's event store.
    pub funding_db: String,
    /// The projections service.
    pub projections: Service,
    /// The processes service's event store.
    pub events_db: String,
    /// The projections' read models.
    pub views_db: String,
    /// The broker address.
    pub brokers: String,
}

impl Cluster {
    /// Start every process; `env` is added to each (e.g. telemetry settings).
    pub async fn start(broker: &Broker, env: &[(String, String)]) -> anyhow::Result<Cluster> {
        let events_db = fresh_database("innohub_e2e_events").await?;
        let directory_db = fresh_database("innohub_e2e_directory").await?;
        let ideas_db = fresh_database("innohub_e2e_ideas").await?;
        let pilots_db = fresh_database("innohub_e2e_pilots").await?;
        let funding_db = fresh_database("innohub_e2e_funding").await?;
        let views_db = fresh_database("innohub_e2e_views").await?;
        let brokers = broker.address();
        let service = |role: &str, port: u16, db: &str| {
            vec![
                role.to_owned(),
                "--listen".into(),
                format!("127.0.0.1:{port}"),
                "--database-url".into(),
                db.to_owned(),
                "--kafka-brokers".into(),
                brokers.clone(),
                "--kafka-partitions".into(),
                "3".into(),
            ]
        };
        let port = free_port()?;
        let mut directory = Service::new(service("directory", port, &directory_db), port, env);
        directory.start().await?;
        let port = free_port()?;
        let mut processes_args = service("processes", port, &events_db);
        processes_args.extend(["--directory-url".to_owned(), directory.url.clone()]);
        let mut processes = Service::new(processes_args, port, env);
        processes.start().await?;
        let port = free_port()?;
        let mut pilots_args = service("pilots", port, &pilots_db);
        pilots_args.extend(["--directory-url".to_owned(), directory.url.clone()]);
        let mut pilots = Service::new(pilots_args, port, env);
        pilots.start().await?;
        let port = free_port()?;
        let mut funding_args = service("funding", port, &funding_db);
        funding_args.extend(["--directory-url".to_owned(), directory.url.clone()]);
        let mut funding = Service::new(funding_args, port, env);
        funding.start().await?;
        let port = free_port()?;
        let mut ideas_args = service("ideas", port, &ideas_db);
        ideas_args.extend([
            "--directory-url".to_owned(),
            directory.url.clone(),
            "--processes-url".to_owned(),
            processes.url.clone(),
            "--pilots-url".to_owned(),
            pilots.url.clone(),
        ]);
        let mut ideas = Service::new(ideas_args, port, env);
        ideas.start().await?;
        let port = free_port()?;
        let mut projections = Service::new(service("projections", port, &views_db), port, env);
        projections.start().await?;
        let port = free_port()?;
        let gateway_args = [
            "gateway",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--processes-url",
            &processes.url,
            "--directory-url",
            &directory.url,
            "--ideas-url",
            &ideas.url,
            "--pilots-url",
            &pilots.url,
            "--funding-url",
            &funding.url,
            "--views-database-url",
            &views_db,
        ]
        .map(str::to_owned)
        .to_vec();
        let mut gateway_process = Service::new(gateway_args, port, env);
        gateway_process.start().await?;
        let gateway = App::at(gateway_process.url.clone());
        gateway.register(crate::MUNICIPALITIES).await?;
        Ok(Cluster {
            gateway,
            gateway_process,
            directory,
            directory_db,
            processes,
            ideas,
            ideas_db,
            pilots,
            pilots_db,
            funding,
            funding_db,
            projections,
            events_db,
            views_db,
            brokers,
        })
    }

    /// `innohub projections rebuild` of this cluster's read model, ready to run.
    pub fn rebuild_command(&self) -> anyhow::Result<Command> {
        let mut command = Command::new(binary()?);
        command
            .args(["projections", "rebuild", "--database-url", &self.views_db])
            .args(["--kafka-brokers", &self.brokers])
            .env("INNOHUB_LOG", "warn")
            .kill_on_drop(true);
        Ok(command)
    }

    /// Run `innohub projections rebuild`; returns its stdout.
    pub async fn rebuild(&self) -> anyhow::Result<String> {
        let out = self.rebuild_command()?.output().await?;
        if !out.status.success() {
            bail!("rebuild failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8(out.stdout)?)
    }

    /// Whether every read model fed by the processes service has applied exactly `events`
    /// events (each read model records what it applied in `applied_events`).
    pub async fn processes_views_applied(&self, events: i64) -> anyhow::Result<bool> {
        let names = innohub_projections::names().await;
        let projections = names
            .get(innohub_processes::SERVICE)
            .context("read models of the processes service")?;
        for projection in projections {
            let sql =
                format!("SELECT COUNT(*) FROM applied_events WHERE projection = '{projection}'");
            if Self::scalar(&self.views_db, &sql).await? != events {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// How many events of `aggregate_type` the event store at `db` holds.
    pub async fn events_of(db: &str, aggregate_type: &str) -> anyhow::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM events WHERE aggregate_type = '{aggregate_type}'");
        Self::scalar(db, &sql).await
    }

    /// One number from a database: `SELECT COUNT(*) …` and the like.
    pub async fn scalar(url: &str, sql: &str) -> anyhow::Result<i64> {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let value: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await?;
        conn.close().await?;
        Ok(value)
    }

    /// Wait until `check` holds, at most `timeout`.
    pub async fn eventually<F, Fut>(
        timeout: Duration,
        what: &str,
        mut check: F,
    ) -> anyhow::Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<bool>>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if check().await? {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                bail!("timed out after {timeout:?} waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
