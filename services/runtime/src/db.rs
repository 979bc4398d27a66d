//! Database connections for both backends through one `sqlx::Any` surface: SQLite (embedded
//! mode, one writer connection so writers queue instead of failing) and PostgreSQL; and the
//! migrations of each component, which refuse a database written in a retired format.

use std::path::Path;
use std::str::FromStr;
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

/// Which SQL engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded mode: one file, WAL.
    Sqlite,
    /// Distributed mode.
    Postgres,
}

/// A connected database: a writer pool and a reader pool (the same pool for PostgreSQL).
#[derive(Debug, Clone)]
pub struct Database {
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
}

/// Migrations of one component, per backend.
pub struct Migrations {
    /// Applied on SQLite.
    pub sqlite: Migrator,
    /// Applied on PostgreSQL.
    pub postgres: Migrator,
    /// Earlier formats of the component that this build refuses to read.
    pub retired: Retired,
}

/// Migration versions of a component's earlier, incompatible format.
#[derive(Debug, Clone, Copy)]
pub struct Retired {
    /// Versions that only a database in the old format has applied.
    pub versions: &'static [i64],
    /// What the old format held, for the message, e.g. "an event store with JSON payloads".
    pub what: &'static str,
}

/// A database in a format this build does not read.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "this database holds {what}, written by an earlier, unreleased innohub (migrations \
     {versions:?}); this build cannot read it and will not misread it: start from an empty \
     database (embedded mode: move the data directory aside), or rebuild read models with \
     `innohub projections rebuild` into an empty database"
)]
pub struct RetiredFormat {
    /// What it holds.
    pub what: &'static str,
    /// The retired versions it has applied.
    pub versions: Vec<i64>,
}

/// Why migrating failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The database is in a retired format.
    #[error(transparent)]
    Retired(#[from] RetiredFormat),
    /// Migrating failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<MigrateError> for sqlx::Error {
    fn from(e: MigrateError) -> Self {
        match e {
            MigrateError::Retired(r) => sqlx::Error::Configuration(Box::new(r)),
            MigrateError::Migrate(e) => e.into(),
        }
    }
}

static DRIVERS: Once = Once::new();

/// The variable that caps each PostgreSQL pool (every process holds one per database): a
/// positive number, else [`DEFAULT_POSTGRES_POOL`].
pub const POSTGRES_POOL_VARIABLE: &str = "INNOHUB_DATABASE_POOL_SIZE";
/// Connections per PostgreSQL pool unless [`POSTGRES_POOL_VARIABLE`] says otherwise.
pub const DEFAULT_POSTGRES_POOL: u32 = 16;

/// The cap of a PostgreSQL pool: [`POSTGRES_POOL_VARIABLE`] if it is a positive number.
fn postgres_pool_size() -> u32 {
    std::env::var(POSTGRES_POOL_VARIABLE)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_POSTGRES_POOL)
}

impl Database {
    /// Connect to `sqlite://…` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        if url.starts_with("sqlite:") {
            let options = AnyConnectOptions::from_str(url)?;
            let pool = |max: u32| {
                AnyPoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA busy_timeout = 10000",
                                "PRAGMA foreign_keys = ON",
                                // 16 MiB of page cache per connection (five per
                                // database): reads go through indexes, and 32 MiB
                                // was no faster (README, Benchmark).
                                "PRAGMA cache_size = -16384",
                            ] {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
            };
            let writer = pool(1).await?;
            let reader = pool(4).await?;
            Ok(Self {
                backend: Backend::Sqlite,
                writer,
                reader,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(postgres_pool_size())
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            Ok(Self {
                backend: Backend::Postgres,
                writer: pool.clone(),
                reader: pool,
            })
        } else {
            Err(sqlx::Error::Configuration(
                format!("unsupported database url {url:?}: use sqlite:// or postgres://").into(),
            ))
        }
    }

    /// Another connection to this PostgreSQL database whose unqualified names resolve in
    /// `schema` only (its `search_path`): statements written for the live tables work on
    /// copies there, and cannot touch the live ones.
    pub async fn in_schema(&self, schema: &str) -> Result<Self, sqlx::Error> {
        let mut url = self.writer.connect_options().database_url.clone();
        url.query_pairs_mut()
            .append_pair("options[search_path]", schema);
        Self::connect(url.as_str()).await
    }

    /// The URL of a SQLite file, created if missing.
    pub fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// The URL it was connected with (credentials included: never log it).
    pub fn url(&self) -> String {
        self.writer.connect_options().database_url.to_string()
    }

    /// Which engine it is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool that writes (a single connection on SQLite).
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// The pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Apply a component's migrations. Components share a database, so each keeps its own
    /// version range and tolerates the others' applied versions. A database that has applied
    /// one of the component's retired versions is refused before anything is changed.
    pub async fn migrate(&self, migrations: &Migrations) -> Result<(), MigrateError> {
        let applied = self.applied_migrations().await?;
        let retired: Vec<i64> = migrations
            .retired
            .versions
            .iter()
            .copied()
            .filter(|v| applied.contains(v))
            .collect();
        if !retired.is_empty() {
            return Err(RetiredFormat {
                what: migrations.retired.what,
                versions: retired,
            }
            .into());
        }
        let migrator = match self.backend {
            Backend::Sqlite => &migrations.sqlite,
            Backend::Postgres => &migrations.postgres,
        };
        let mut migrator = Migrator {
            migrations: migrator.migrations.clone(),
            ..Migrator::DEFAULT
        };
        migrator.set_ignore_missing(true);
        Ok(migrator.run(&self.writer).await?)
    }

    /// The migration versions applied to this database (none on a new one).
    async fn applied_migrations(&self) -> Result<Vec<i64>, sqlx::migrate::MigrateError> {
        let exists = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename = '_sqlx_migrations'"
            }
        };
        let tables: i64 = sqlx::query_scalar(exists).fetch_one(&self.writer).await?;
        if tables == 0 {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
            .fetch_all(&self.writer)
            .await?)
    }

    /// Check that the database answers.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map(|_| ())
    }

    /// Close both pools.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
