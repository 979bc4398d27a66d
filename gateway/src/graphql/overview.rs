//! GraphQL of the views across municipalities and time: `crossMunicipalOverview`, the
//! processes shared with the caller grouped by classification
//! ([`innohub_projections::overview`]), and `statusHistory`, a municipality's counts by
//! phase × status at the end of each quarter, from the events
//! ([`innohub_projections::timeline`]). Both read through the read rule in the projections;
//! nothing here decides who sees what.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use innohub_projections::directory_views::size_band_name;
use innohub_projections::overview::{self, ClassificationPrefix, OverviewFilter as Filter};
use innohub_projections::timeline::{self, SpanError};
use innohub_projections::{HistoryQueries, OverviewQueries};
use innohub_proto::innohub::directory::v1 as directory;
use innohub_runtime::ErrorCode;

use super::directory::SizeBand;
use super::types::{Phase, Process, Status, municipality};
use super::{error, from_service, reader, services};

/// The overview's and the history's queries (part of the query root, [`super::Query`]).
#[derive(Default)]
pub struct OverviewQuery;

/// Members per group unless `first` says otherwise.
const DEFAULT_MEMBERS: usize = 20;
/// Most members per group.
const MAX_MEMBERS: usize = 100;

/// A classification code prefix within a scheme.
#[derive(InputObject)]
pub struct ClassificationPrefixInput {
    /// e.g. `KLE`.
    scheme: String,
    /// e.g. `27.24`: matches `27.24.00` and `27.24.10`; empty or absent matches every code
    /// of the scheme.
    code_prefix: Option<String>,
}

/// Narrows the cross-municipal overview; every part is optional.
#[derive(InputObject, Default)]
pub struct OverviewFilter {
    /// Classified under this scheme and code prefix.
    classification: Option<ClassificationPrefixInput>,
    /// In this domain.
    domain: Option<String>,
    /// Using this technology.
    technology: Option<String>,
    /// Using this IT system.
    it_system: Option<String>,
    /// Only processes of the municipalities that are members of this network now. A
    /// network your municipality is not a member of shows nothing.
    network: Option<ID>,
    /// Only processes of municipalities of this size.
    size_band: Option<SizeBand>,
}

impl From<OverviewFilter> for Filter {
    fn from(f: OverviewFilter) -> Self {
        Filter {
            classification: f.classification.map(|c| ClassificationPrefix {
                scheme: c.scheme,
                code_prefix: c.code_prefix.unwrap_or_default(),
            }),
            domain: f.domain,
            technology: f.technology,
            it_system: f.it_system,
            network: f.network.map(|n| n.to_string()),
            size_band: f
                .size_band
                .map(|b| size_band_name(directory::SizeBand::from(b)).to_owned()),
        }
    }
}

/// How many of a group's processes use an IT system or a technology.
#[derive(SimpleObject)]
pub struct Usage {
    /// The IT system or technology.
    name: String,
    /// How many of the group's shared processes name it.
    count: i64,
}

impl From<overview::Usage> for Usage {
    fn from(u: overview::Usage) -> Self {
        Self {
            name: u.name,
            count: u.count,
        }
    }
}

/// The processes shared with you that have one classification (or none).
#[derive(SimpleObject)]
pub struct OverviewGroup {
    /// The classification's scheme, e.g. `KLE`; null for the unclassified processes.
    scheme: Option<String>,
    /// The code within the scheme, e.g. `27.24.00`; null for the unclassified processes.
    code: Option<String>,
    /// How many municipalities have one of these processes in OPERATION.
    municipalities_in_operation: i64,
    /// How many municipalities have one of these processes, in any phase.
    municipalities: i64,
    /// How many processes the group has.
    process_count: i64,
    /// Potential hours saved per year, summed over the group's processes in OPERATION.
    hours_saved_in_operation: f64,
    /// Potential hours saved per year, summed over all the group's processes.
    hours_saved: f64,
    /// The most used IT systems (at most 5), most used first, ties by name.
    it_systems: Vec<Usage>,
    /// The most used technologies (at most 5), the same way.
    technologies: Vec<Usage>,
    /// The group's first processes (`first` of them): in OPERATION first, then by hours
    /// saved. Other municipalities' processes are redacted as everywhere.
    members: Vec<Process>,
}

impl From<overview::OverviewGroup> for OverviewGroup {
    fn from(g: overview::OverviewGroup) -> Self {
        let (scheme, code) = g.classification.map(|c| (c.scheme, c.code)).unzip();
        Self {
            scheme,
            code,
            municipalities_in_operation: g.municipalities_in_operation,
            municipalities: g.municipalities,
            process_count: g.processes,
            hours_saved_in_operation: g.hours_saved_in_operation,
            hours_saved: g.hours_saved,
            it_systems: g.it_systems.into_iter().map(Into::into).collect(),
            technologies: g.technologies.into_iter().map(Into::into).collect(),
            members: g.members.into_iter().map(Process).collect(),
        }
    }
}

/// Processes in one phase × status cell of a department at a quarter's end.
#[derive(SimpleObject)]
pub struct HistoryCell {
    /// Null when you see another municipality's history (departments are not shared).
    department: Option<String>,
    /// The phase counted.
    phase: Phase,
    /// The status counted.
    status: Status,
    /// How many processes (that you may see) were in this phase and status at the quarter's
    /// end.
    count: i64,
}

/// The counts at the end of one quarter.
#[derive(SimpleObject)]
pub struct QuarterStatus {
    /// e.g. `2026-Q3`.
    quarter: String,
    /// The quarter's last day; it counts what had happened by the end of it (UTC).
    end: NaiveDate,
    /// Cells with no process are left out. A process that names several departments counts
    /// in each of them.
    cells: Vec<HistoryCell>,
}

#[Object]
impl OverviewQuery {
    /// The processes shared with you across municipalities (PUBLIC ones, and NETWORK ones
    /// of your municipality and your network partners; never PRIVATE or MUNICIPALITY ones),
    /// grouped by classification, the groups with most municipalities in OPERATION first.
    /// `first`: members per group, 0 to 100 (20 by default). Every number counts only
    /// processes shared with you.
    #[graphql(complexity = "first.unwrap_or(20).max(1) as usize * child_complexity + 1")]
    async fn cross_municipal_overview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only what matches every field given.")] filter: Option<OverviewFilter>,
        #[graphql(desc = "Members per group, 0 to 100 (20 when not given).")] first: Option<i32>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<OverviewGroup>> {
        let first = match first {
            None => DEFAULT_MEMBERS,
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| *n <= MAX_MEMBERS)
                .ok_or_else(|| {
                    error(
                        ErrorCode::BadUserInput,
                        format!("first must be 0 to {MAX_MEMBERS}"),
                    )
                })?,
        };
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let services = services(ctx);
        // The members' records are read only when they are asked for.
        let members = if ctx.look_ahead().field("members").exists() {
            first
        } else {
            0
        };
        let groups = OverviewQueries::new(services.views.clone())
            .cross_municipal(&viewer, &filter.unwrap_or_default().into(), members)
            .await
            .map_err(from_service)?;
        Ok(groups.into_iter().map(Into::into).collect())
    }

    /// A municipality's counts by phase × status at the end of every quarter whose last day
    /// lies in `[from, to]` (at most 40 quarters), oldest first, computed from the events:
    /// a past quarter gives the same answer whenever it is asked. Each process counts in
    /// the state it was in at the quarter's end, and only if you may see it in that state;
    /// per department for your own municipality.
    async fn status_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The municipality code, e.g. DK-0706.")] municipality: ID,
        #[graphql(desc = "The first day: quarters that end on or after it count.")] from: NaiveDate,
        #[graphql(desc = "The last day: quarters that end on or before it count.")] to: NaiveDate,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<QuarterStatus>> {
        let municipality = self::municipality(municipality.as_str())?;
        let quarters = timeline::quarters_ending(from, to).map_err(|e| match e {
            SpanError::Reversed | SpanError::TooLong(_) => {
                error(ErrorCode::BadUserInput, e.to_string())
            }
        })?;
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let services = services(ctx);
        let history = HistoryQueries::new(services.views.clone())
            .status_history(&viewer, &municipality, &quarters)
            .await
            .map_err(from_service)?;
        history
            .into_iter()
            .map(|q| {
                let end = q.quarter.end().ok_or_else(|| {
                    error(ErrorCode::BadUserInput, "a quarter beyond the calendar")
                })?;
                let cells = q
                    .cells
                    .into_iter()
                    .map(|c| {
                        Ok(HistoryCell {
                            department: c.department,
                            phase: Phase::try_from(c.phase as i32)?,
                            status: Status::try_from(c.status as i32)?,
                            count: c.count,
                        })
                    })
                    .collect::<async_graphql::Result<_>>()?;
                Ok(QuarterStatus {
                    quarter: q.quarter.to_string(),
                    end,
                    cells,
                })
            })
            .collect()
    }
}
