//! Today, as every rule that depends on the date reads it (a challenge open for ideas, an
//! action item overdue): the UTC date, or `INNOHUB_TODAY` when it is set to an ISO date, so
//! that tests and demos run on a fixed day. One function for the services, the read side
//! and the demo alike.

use chrono::{NaiveDate, Utc};

/// The environment variable that fixes today (an ISO date, e.g. `2026-06-15`).
pub const TODAY_VARIABLE: &str = "INNOHUB_TODAY";

/// Today: [`TODAY_VARIABLE`] if it holds an ISO date, else the UTC date (a malformed value is
/// logged and ignored).
pub fn today() -> NaiveDate {
    match std::env::var(TODAY_VARIABLE) {
        Ok(raw) => raw.trim().parse().unwrap_or_else(|_| {
            tracing::warn!(%raw, "{TODAY_VARIABLE} is not an ISO date; using today");
            Utc::now().date_naive()
        }),
        Err(_) => Utc::now().date_naive(),
    }
}
