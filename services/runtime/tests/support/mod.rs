//! What the conformance suite stands on: the storage engines a scenario runs against, and a
//! tiny counter aggregate.

pub mod counter;

use std::collections::BTreeSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use futures::FutureExt;
use innohub_runtime::{Database, MunicipalityId, Principal, UserId};
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

/// A storage engine: hands out fresh, empty databases and removes them afterwards.
pub trait Engine: Clone + Send + Sync + Sized + 'static {
    /// Printed with the timing of a scenario.
    const NAME: &'static str;

    /// Prepare the engine for one test; fails loudly if the engine is unreachable.
    fn start() -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// The URL of a new, empty database that lives until [`Engine::cleanup`].
    fn fresh_url(&self) -> impl Future<Output = anyhow::Result<String>> + Send;

    /// Remove every database this engine handed out.
    fn cleanup(self) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Connect to a new, empty database.
    fn fresh(&self) -> impl Future<Output = anyhow::Result<Database>> + Send {
        async move {
            let url = self.fresh_url().await?;
            Database::connect(&url)
                .await
                .with_context(|| format!("connecting to {url}"))
        }
    }
}

/// Run one scenario on one engine, and clean up even when an assertion panicked.
pub async fn run<E, F, Fut>(scenario: F) -> anyhow::Result<()>
where
    E: Engine,
    F: FnOnce(E) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let engine = E::start().await?;
    let started = Instant::now();
    let outcome = AssertUnwindSafe(scenario(engine.clone()))
        .catch_unwind()
        .await;
    let elapsed = started.elapsed();
    let cleaned = engine.cleanup().await;
    eprintln!("[{}] scenario took {elapsed:.2?}", E::NAME);
    match outcome {
        Err(panic) => std::panic::resume_unwind(panic),
        Ok(result) => result.and(cleaned),
    }
}

/// SQLite: one temp directory per test, one file per database.
#[derive(Clone)]
pub struct Sqlite {
    dir: Arc<PathBuf>,
}

impl Engine for Sqlite {
    const NAME: &'static str = "sqlite";

    async fn start() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("innohub-test-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Self { dir: Arc::new(dir) })
    }

    async fn fresh_url(&self) -> anyhow::Result<String> {
        let file = self.dir.join(format!("{}.db", Uuid::now_v7().simple()));
        Ok(Database::sqlite_url(&file))
    }

    async fn cleanup(self) -> anyhow::Result<()> {
        std::fs::remove_dir_all(&*self.dir)
            .with_context(|| format!("removing {}", self.dir.display()))
    }
}

/// The admin database of the PostgreSQL server the suite runs against.
pub const POSTGRES_URL_VAR: &str = "INNOHUB_TEST_POSTGRES_URL";
const POSTGRES_DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// PostgreSQL: a new database per [`Engine::fresh_url`], dropped at the end.
#[derive(Clone)]
pub struct Postgres {
    admin_url: Arc<String>,
    admin: Arc<tokio::sync::Mutex<PgConnection>>,
    created: Arc<Mutex<Vec<String>>>,
}

impl Engine for Postgres {
    const NAME: &'static str = "postgres";

    async fn start() -> anyhow::Result<Self> {
        let admin_url =
            std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| POSTGRES_DEFAULT_URL.to_owned());
        let admin = PgConnection::connect(&admin_url).await.with_context(|| {
            format!(
                "PostgreSQL is not reachable at {admin_url} (set {POSTGRES_URL_VAR}, or start it: \
                 pg_ctlcluster --skip-systemctl-redirect <version> main start); \
                 the conformance suite never skips a backend"
            )
        })?;
        Ok(Self {
            admin_url: Arc::new(admin_url),
            admin: Arc::new(tokio::sync::Mutex::new(admin)),
            created: Arc::new(Mutex::new(Vec::new())),
        })
    }

    async fn fresh_url(&self) -> anyhow::Result<String> {
        let name = format!("innohub_test_{}", Uuid::now_v7().simple());
        let mut admin = self.admin.lock().await;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .with_context(|| format!("creating database {name}"))?;
        // Throwaway databases need no durability across a server crash; the wait for the
        // WAL flush on every commit would dominate the write-heavy scenarios.
        admin
            .execute(format!("ALTER DATABASE {name} SET synchronous_commit = off").as_str())
            .await
            .with_context(|| format!("configuring database {name}"))?;
        drop(admin);
        self.created
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .push(name.clone());
        with_database(&self.admin_url, &name)
    }

    async fn cleanup(self) -> anyhow::Result<()> {
        let created = std::mem::take(
            &mut *self
                .created
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?,
        );
        let mut admin = self.admin.lock().await;
        for name in created {
            admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .with_context(|| format!("dropping database {name}"))?;
        }
        Ok(())
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .with_context(|| format!("{POSTGRES_URL_VAR} is not a URL: {url}"))?;
    let (authority, query) = match rest.split_once('?') {
        Some((path, query)) => (path.split('/').next().unwrap_or(path), Some(query)),
        None => (rest.split('/').next().unwrap_or(rest), None),
    };
    Ok(match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    })
}

/// A municipality by its code.
pub fn municipality(raw: &str) -> MunicipalityId {
    MunicipalityId::parse(raw).expect("valid municipality")
}

/// A caller without roles.
pub fn principal(user: &str, municipality_code: &str) -> Principal {
    Principal {
        user: UserId::parse(user).expect("valid user"),
        municipality: municipality(municipality_code),
        department: None,
        roles: BTreeSet::new(),
    }
}
