//! innohub-projections: read models built from events only, and the queries on them. It
//! decodes the contract's messages (`innohub-proto`) and links no service crate.
//!
//! - [`process_views`]: the projection that keeps one row per process (score, rank, facets,
//!   comments) from the processes events.
//! - [`access`]: the read rule in SQL and the partner redaction: the ONE place the read path
//!   decides what a viewer may see.
//! - [`filter`]: how lists are narrowed, and the facets a process is filed under.
//! - [`queries`]: the prioritised backlog, process lists, the status overview, comments.

pub mod access;
pub mod filter;
pub mod process_views;
pub mod queries;

pub use process_views::ProcessViews;
pub use queries::ProcessQueries;

use innohub_runtime::db::{Migrations, Retired};

/// Migrations of the read-model tables (the same SQL serves both backends).
pub fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("./migrations"),
        postgres: sqlx::migrate!("./migrations"),
        retired: Retired {
            versions: &[3001, 3002],
            what: "read models with JSON records",
        },
    }
}
