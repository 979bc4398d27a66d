//! innohub-projections: read models built from events only, and the queries on them. It
//! decodes the contract's messages (`innohub-proto`) and links no service crate.
//!
//! - [`process_views`]: the projection that keeps one row per process (score, rank, facets,
//!   comments) from the processes events.
//! - [`directory_views`]: the directory's read models (municipalities, departments,
//!   networks) and their queries, among them the gateway's tenant check.
//! - [`access`]: the read rule in SQL and the partner redaction: the ONE place the read path
//!   decides what a viewer may see.
//! - [`filter`]: how lists are narrowed, and the facets a process is filed under.
//! - [`queries`]: the prioritised backlog, process lists, the status overview, comments.
//! - [`overview`]: the cross-municipal overview of shared processes by classification.
//! - [`reuse_views`]: adoption links and umbrella groups, and their queries.
//! - [`timeline`]: the `process_timeline` projection and the quarterly status history.
//! - [`idea_views`]: the projection that keeps one row per idea (stage, gates, support,
//!   comments, reviewers' values, outcomes, the stages entered) and each municipality's
//!   criteria, from the ideas events; [`idea_queries`] reads it by the one read rule,
//!   [`idea_score`] scores an idea with the criteria in force, [`idea_funnel`] folds the
//!   innovation funnel.
//! - [`challenge_views`]: challenges, workshops and action items, and their queries.
//! - [`pilot_views`]: the projection that keeps one row per pilot (plan, status, origin,
//!   start, observations, incidents, benefits and their measurements, evaluation,
//!   decisions) from the pilots events; [`pilot_queries`] reads it by the one read rule, with
//!   plan completeness, lens means and realisation from `innohub-pilot-rules`, and the
//!   portfolio; [`innovation_funnel`] folds ideas, processes, pilots and fund applications
//!   into one funnel.
//! - [`funding_views`]: the projection that keeps the funding records, each from one stream:
//!   funds (terms, rounds), the ledger of each fund and year and the money of each grant
//!   (from the period's stream), applications (details, status, reviews, decision, progress
//!   reports, origin); [`funding_queries`] reads them by the one read rule: funds with their
//!   ledgers, a year's ledger, the application pipeline, an application with its reviews
//!   (reviewers hidden from its applicants) and its grant's money.
//! - [`keyset`]: what the newest-first lists of ideas and pilots share (cursor, read rule,
//!   paging); `records`: what the projections that keep one record per aggregate (ideas,
//!   pilots) do alike in a batch (load, facets, write).

pub mod access;
pub mod challenge_views;
pub mod directory_views;
pub mod filter;
pub mod funding_queries;
pub mod funding_views;
pub mod idea_funnel;
pub mod idea_queries;
pub mod idea_score;
pub mod idea_views;
pub mod innovation_funnel;
pub mod keyset;
pub mod overview;
pub mod pilot_queries;
pub mod pilot_views;
pub mod process_views;
pub mod queries;
mod records;
pub mod reuse_views;
pub mod timeline;

pub use challenge_views::ChallengeViews;
pub use directory_views::{DirectoryQueries, DirectoryViews};
pub use funding_queries::FundingQueries;
pub use funding_views::FundingViews;
pub use idea_queries::IdeaQueries;
pub use idea_views::IdeaViews;
pub use overview::OverviewQueries;
pub use pilot_queries::PilotQueries;
pub use pilot_views::PilotViews;
pub use process_views::ProcessViews;
pub use queries::ProcessQueries;
pub use reuse_views::{ReuseQueries, ReuseViews};
pub use timeline::{HistoryQueries, ProcessTimeline};

use std::collections::BTreeMap;

use innohub_runtime::db::{Migrations, Retired};
use innohub_runtime::projection::Projection;

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

/// Something to do with each read model: start its runner (embedded), consume its topic
/// (distributed), find it by name (rebuild). [`for_each`] hands it every one.
pub trait Visitor {
    /// Why it failed.
    type Error;

    /// Do it with `projection`.
    fn visit<P: Projection + Copy>(
        &mut self,
        projection: P,
    ) -> impl Future<Output = Result<(), Self::Error>>;
}

/// Hand `visitor` every read model innohub keeps: the one list that both modes run.
pub async fn for_each<V: Visitor>(visitor: &mut V) -> Result<(), V::Error> {
    visitor.visit(ProcessViews).await?;
    visitor.visit(DirectoryViews).await?;
    visitor.visit(ProcessTimeline).await?;
    visitor.visit(ReuseViews).await?;
    visitor.visit(IdeaViews).await?;
    visitor.visit(ChallengeViews).await?;
    visitor.visit(PilotViews).await?;
    visitor.visit(FundingViews).await?;
    Ok(())
}

/// The names of the read models, by the service whose events feed them.
#[derive(Default)]
struct Names(BTreeMap<&'static str, Vec<&'static str>>);

impl Visitor for Names {
    type Error = std::convert::Infallible;

    async fn visit<P: Projection + Copy>(&mut self, projection: P) -> Result<(), Self::Error> {
        self.0
            .entry(projection.source())
            .or_default()
            .push(projection.name());
        Ok(())
    }
}

/// Every read model's name, by the service whose events feed it.
pub async fn names() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut names = Names::default();
    match for_each(&mut names).await {
        Ok(()) => names.0,
    }
}
