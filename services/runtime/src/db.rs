//! Database connections for both backends through one `sqlx::Any` surface: SQLite (embedded
//! mode, one writer connection so writers queue instead of failing) and PostgreSQL.

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
}

static DRIVERS: Once = Once::new();

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
                                // 32 MiB of page cache per connection: read models are scanned.
                                "PRAGMA cache_size = -32768",
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
                .max_connections(16)
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

    /// The URL of a SQLite file, created if missing.
    pub fn sqlite_url(path: &Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    /// Which engine this is.
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
    /// version range and tolerates the others' applied versions.
    pub async fn migrate(
        &self,
        migrations: &Migrations,
    ) -> Result<(), sqlx::migrate::MigrateError> {
        let migrator = match self.backend {
            Backend::Sqlite => &migrations.sqlite,
            Backend::Postgres => &migrations.postgres,
        };
        let mut migrator = Migrator {
            migrations: migrator.migrations.clone(),
            ..Migrator::DEFAULT
        };
        migrator.set_ignore_missing(true);
        migrator.run(&self.writer).await
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
