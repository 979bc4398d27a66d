//! Queries: processes, the prioritised backlog, the status overview, history and weights.

use async_graphql::connection::{Connection, Edge, EmptyFields, OpaqueCursor};
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use innohub_projections::queries::{Page, ProcessFilter as Filter, ProcessList};
use innohub_runtime::{ErrorCode, MunicipalityId};

use super::types::{Phase, Process, ScoringWeights, Status};
use super::{consistent, error, from_service, principal, record_id, services, viewer};
use innohub_projections::access::ProcessView;

/// The query root.
pub struct Query;

/// Narrows a list of processes.
#[derive(InputObject, Default)]
pub struct ProcessFilter {
    /// Owning municipality, e.g. SE-1283 (the backlog defaults to yours).
    municipality: Option<String>,
    department: Option<String>,
    phase: Option<Phase>,
    status: Option<Status>,
    domain: Option<String>,
    /// A classification or its prefix, e.g. "KLE 27".
    classification: Option<String>,
    technology: Option<String>,
    /// Case-insensitive text in the title.
    title_contains: Option<String>,
    /// Backlog only: include rejected, failed, not relevant and operational processes.
    include_closed: Option<bool>,
}

fn municipality(raw: &str) -> async_graphql::Result<MunicipalityId> {
    MunicipalityId::parse(raw).map_err(|e| error(ErrorCode::BadUserInput, e))
}

impl ProcessFilter {
    fn into_filter(self) -> async_graphql::Result<Filter> {
        Ok(Filter {
            municipality: self.municipality.as_deref().map(municipality).transpose()?,
            department: self.department,
            phase: self.phase.map(Into::into),
            status: self.status.map(Into::into),
            domain: self.domain,
            classification: self.classification,
            technology: self.technology,
            title_contains: self.title_contains,
            include_closed: self.include_closed.unwrap_or(false),
        })
    }
}

/// Extra fields on process connections.
#[derive(SimpleObject)]
pub struct ListInfo {
    /// How many match in all.
    total_count: i64,
}

/// A page of processes.
pub type ProcessConnection = Connection<OpaqueCursor<i64>, Process, ListInfo, EmptyFields>;

const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 100;

/// Forward pagination over offsets: `first` (≤ 100) items after the `after` cursor.
async fn paginate<F, Fut>(
    after: Option<String>,
    first: Option<i32>,
    fetch: F,
) -> async_graphql::Result<ProcessConnection>
where
    F: FnOnce(i64, i64) -> Fut,
    Fut: std::future::Future<Output = async_graphql::Result<Page<ProcessView>>>,
{
    let first = match first {
        None => DEFAULT_PAGE,
        Some(n) if (0..=MAX_PAGE as i32).contains(&n) => n as usize,
        Some(_) => {
            return Err(error(
                ErrorCode::BadUserInput,
                format!("first must be 0 to {MAX_PAGE}"),
            ));
        }
    };
    let offset = match after {
        None => 0,
        Some(cursor) => {
            let OpaqueCursor(position) =
                <OpaqueCursor<i64> as async_graphql::connection::CursorType>::decode_cursor(
                    &cursor,
                )
                .map_err(|_| {
                    error(
                        ErrorCode::BadUserInput,
                        "after is not a cursor from this list",
                    )
                })?;
            position + 1
        }
    };
    let page = fetch(offset, first as i64).await?;
    let has_next = offset + (page.items.len() as i64) < page.total;
    let mut connection = Connection::with_additional_fields(
        offset > 0,
        has_next,
        ListInfo {
            total_count: page.total,
        },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .enumerate()
            .map(|(i, view)| Edge::new(OpaqueCursor(offset + i as i64), Process(view))),
    );
    Ok(connection)
}

async fn list(
    ctx: &Context<'_>,
    kind: ProcessList,
    filter: Option<ProcessFilter>,
    first: Option<i32>,
    after: Option<String>,
    consistency: Option<String>,
) -> async_graphql::Result<ProcessConnection> {
    let viewer = viewer(ctx)?;
    let services = services(ctx);
    consistent(services, consistency.as_deref()).await?;
    let filter = filter.unwrap_or_default().into_filter()?;
    paginate(after, first, |offset, limit| async move {
        services
            .queries
            .processes(&viewer, kind, &filter, offset, limit)
            .await
            .map_err(from_service)
    })
    .await
}

/// Processes in one phase × status cell of a department.
#[derive(SimpleObject)]
pub struct StatusCell {
    /// Null when you see another municipality's overview (departments are not shared).
    department: Option<String>,
    phase: Phase,
    status: Status,
    count: i64,
}

/// Counts by phase × status per department.
#[derive(SimpleObject)]
pub struct StatusOverview {
    municipality: String,
    /// A process that names several departments counts in each of them.
    cells: Vec<StatusCell>,
}

/// One event in a record's history: the audit trail.
#[derive(SimpleObject)]
pub struct HistoryEntry {
    /// 1-based position in the record's stream.
    sequence: i64,
    /// e.g. ProcessSubmitted.
    r#type: String,
    occurred_at: DateTime<Utc>,
    /// Who; null unless from your own municipality.
    actor: Option<String>,
    actor_municipality: String,
}

/// The caller, as the token says.
#[derive(SimpleObject)]
pub struct Me {
    user: String,
    municipality: String,
    department: Option<String>,
    roles: Vec<String>,
}

#[Object]
impl Query {
    /// Who you are.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let p = principal(ctx)?;
        Ok(Me {
            user: p.user.to_string(),
            municipality: p.municipality.to_string(),
            department: p.department.as_ref().map(ToString::to_string),
            roles: p.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        })
    }

    /// One process; NOT_FOUND if it does not exist or is not shared with you.
    async fn process(
        &self,
        ctx: &Context<'_>,
        id: ID,
        consistency: Option<String>,
    ) -> async_graphql::Result<Process> {
        let viewer = viewer(ctx)?;
        let services = services(ctx);
        consistent(services, consistency.as_deref()).await?;
        services
            .queries
            .get(&viewer, record_id(&id)?)
            .await
            .map_err(from_service)?
            .map(Process)
            .ok_or_else(|| error(ErrorCode::NotFound, "not found"))
    }

    /// Every process you may see (yours and what others share), newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn processes(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProcessFilter>,
        first: Option<i32>,
        after: Option<String>,
        consistency: Option<String>,
    ) -> async_graphql::Result<ProcessConnection> {
        list(ctx, ProcessList::All, filter, first, after, consistency).await
    }

    /// The prioritised backlog of a municipality (yours by default): explicitly ranked
    /// processes first, the rest by priority score. Closed processes are left out unless
    /// `filter.includeClosed`.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn backlog(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProcessFilter>,
        first: Option<i32>,
        after: Option<String>,
        consistency: Option<String>,
    ) -> async_graphql::Result<ProcessConnection> {
        list(ctx, ProcessList::Backlog, filter, first, after, consistency).await
    }

    /// Counts by phase × status per department of a municipality (yours by default), over
    /// what you may see.
    async fn status_overview(
        &self,
        ctx: &Context<'_>,
        municipality: Option<String>,
        consistency: Option<String>,
    ) -> async_graphql::Result<StatusOverview> {
        let viewer = viewer(ctx)?;
        let services = services(ctx);
        consistent(services, consistency.as_deref()).await?;
        let municipality = match municipality {
            Some(m) => self::municipality(&m)?,
            None => viewer.principal.municipality.clone(),
        };
        let cells = services
            .queries
            .status_overview(&viewer, &municipality)
            .await
            .map_err(from_service)?;
        Ok(StatusOverview {
            municipality: municipality.to_string(),
            cells: cells
                .into_iter()
                .map(|c| StatusCell {
                    department: c.department,
                    phase: c.phase.into(),
                    status: c.status.into(),
                    count: c.count,
                })
                .collect(),
        })
    }

    /// Every event of a record, oldest first: type, time and actor.
    async fn history(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Vec<HistoryEntry>> {
        let viewer = viewer(ctx)?;
        let id = record_id(&id)?;
        // The service applies the read rule: a record the caller may not read is not found.
        let events = services(ctx)
            .processes
            .history(&viewer.principal, id)
            .await
            .map_err(from_service)?;
        Ok(events
            .into_iter()
            .map(|e| HistoryEntry {
                sequence: e.sequence,
                r#type: e.event_type,
                occurred_at: e.occurred_at,
                actor: (e.actor_municipality == viewer.principal.municipality.as_str())
                    .then_some(e.actor_user),
                actor_municipality: e.actor_municipality,
            })
            .collect())
    }

    /// A municipality's priority weights (yours by default).
    async fn scoring_weights(
        &self,
        ctx: &Context<'_>,
        municipality: Option<String>,
    ) -> async_graphql::Result<ScoringWeights> {
        let p = principal(ctx)?;
        let municipality = match municipality {
            Some(m) => self::municipality(&m)?,
            None => p.municipality.clone(),
        };
        let w = services(ctx)
            .queries
            .scoring_weights(&municipality)
            .await
            .map_err(from_service)?;
        Ok(ScoringWeights {
            hours_saved: w.hours_saved,
            automation_potential: w.automation_potential,
            ease: w.ease,
            strategic_fit: w.strategic_fit,
            risk: w.risk,
        })
    }
}
