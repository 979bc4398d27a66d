//! innohub-projections: read models built from events only, and the queries on them.
//!
//! - [`process_views`]: the projection that keeps one row per process (score, rank, facets,
//!   comments) from the processes events.
//! - [`access`]: the read rule in SQL and the partner redaction: the ONE place the read path
//!   decides what a viewer may see.
//! - [`queries`]: the prioritised backlog, process lists, the status overview, comments.
//! - [`sql`]: a small statement builder with numbered parameters for both backends.

pub mod access;
pub mod process_views;
pub mod queries;
pub mod sql;

pub use process_views::ProcessViews;
pub use queries::ProcessQueries;

use innohub_runtime::db::Migrations;

/// Migrations of the read-model tables (the same SQL serves both backends).
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("./migrations"),
        postgres: sqlx::migrate!("./migrations"),
    }
}
