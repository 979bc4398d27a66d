//! Queries: processes, the prioritised backlog, the status overview, history (of the
//! processes', the ideas', the pilots' and the funding's records) and weights; and what every context's
//! paged lists share: [`page`] (the arguments), [`connection`] (the page as a connection),
//! [`ListInfo`] (its `totalCount`, by what the list is: [`Counted`]) and, for the lists of
//! records newest first (ideas, pilots), the whole query: [`newest_first`] ([`NewestFirst`]).

use std::borrow::Cow;
use std::fmt::Display;
use std::future::Future;

use async_graphql::connection::{Connection, CursorType as _, Edge, EmptyFields, OpaqueCursor};
use async_graphql::{
    Context, ID, Json, Object, ObjectType, OutputType, SimpleObject, TypeName, Value,
};
use chrono::{DateTime, Utc};
use innohub_projections::keyset::{Cursor, Listed};
use innohub_projections::queries::{
    NotAPosition, Page, Position, ProcessFilter as Filter, ProcessList, QueryError,
};
use innohub_proto::innohub::common::v1::{GetHistoryRequest, HistoryReply};
use innohub_proto::innohub::funding::v1 as funding;
use innohub_proto::innohub::ideas::v1 as ideas;
use innohub_proto::innohub::pilots::v1 as pilots;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::reflect::to_json;
use innohub_runtime::{ErrorCode, Viewer};
use prost::Name as _;

use super::types::{
    Phase, Process, ProcessFilter, ScoringWeights, Status, municipality, named_or_own,
};
use super::{call, error, from_service, principal, reader, record_id, services};

/// The processes context's queries (part of the query root, [`super::Query`]).
#[derive(Default)]
pub struct ProcessesQuery;

/// What a list is (its filter, for processes also which list), to count it for a viewer.
pub(super) trait Counted: Send + Sync + 'static {
    /// The GraphQL name of its [`ListInfo`].
    const LIST_INFO: &'static str;

    /// How many records of the list `viewer` may read.
    fn count(
        &self,
        ctx: &Context<'_>,
        viewer: &Viewer,
    ) -> impl Future<Output = async_graphql::Result<i64>> + Send;
}

/// Extra fields on connections: what the list is, to count it when asked.
pub struct ListInfo<F> {
    viewer: Viewer,
    list: F,
}

impl<F> ListInfo<F> {
    /// The list `list` as `viewer` reads it.
    pub(super) fn new(viewer: Viewer, list: F) -> Self {
        Self { viewer, list }
    }
}

impl<F: Counted> TypeName for ListInfo<F> {
    fn type_name() -> Cow<'static, str> {
        F::LIST_INFO.into()
    }
}

#[Object(name_type)]
impl<F: Counted> ListInfo<F> {
    /// How many match in all (counted only when you ask for it).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        self.list.count(ctx, &self.viewer).await
    }
}

impl Counted for (ProcessList, Filter) {
    const LIST_INFO: &'static str = "ListInfo";

    async fn count(&self, ctx: &Context<'_>, viewer: &Viewer) -> async_graphql::Result<i64> {
        services(ctx)
            .queries
            .count(viewer, self.0, &self.1)
            .await
            .map_err(from_service)
    }
}

/// A page of processes.
pub type ProcessConnection =
    Connection<OpaqueCursor<String>, Process, ListInfo<(ProcessList, Filter)>, EmptyFields>;

/// `page` as a connection after a cursor (`after`) or from the start: each item as
/// `object`, at its cursor's text; `info`, what the list is, gives its extra fields.
pub(super) fn connection<V, C: Display, T: OutputType, I: ObjectType>(
    after: bool,
    page: Page<V, C>,
    info: I,
    object: fn(V) -> T,
) -> Connection<OpaqueCursor<String>, T, I, EmptyFields> {
    let mut connection = Connection::with_additional_fields(after, page.has_next, info);
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|(view, at)| Edge::new(OpaqueCursor(at.to_string()), object(view))),
    );
    connection
}

const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 100;

/// A page's size (`first`: 20 if not given, at most 100) and where it starts (the `after`
/// cursor, read by `parse`); `BAD_USER_INPUT` for a size out of range or a cursor that
/// `parse` does not read.
pub(super) fn page<P>(
    first: Option<i32>,
    after: Option<String>,
    parse: impl FnOnce(&str) -> Result<P, NotAPosition>,
) -> async_graphql::Result<(usize, Option<P>)> {
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
    let after = after
        .map(|cursor| {
            let OpaqueCursor(raw) =
                OpaqueCursor::<String>::decode_cursor(&cursor).map_err(|_| NotAPosition)?;
            parse(&raw)
        })
        .transpose()
        .map_err(|e| error(ErrorCode::BadUserInput, format!("after is {e}")))?;
    Ok((first, after))
}

/// Records read newest first, by a list's filter (`Filter`), paged by keyset.
pub(super) trait NewestFirst: Send + Sync {
    /// The list.
    type List: Listed;
    /// What it holds.
    type View;
    /// What narrows it, which can count it.
    type Filter: Counted;

    /// Up to `first` records `viewer` may read that `filter` matches, after `after`.
    fn newest_first(
        &self,
        viewer: &Viewer,
        filter: &Self::Filter,
        after: Option<&Cursor<Self::List>>,
        first: i64,
    ) -> impl Future<Output = Result<Page<Self::View, Cursor<Self::List>>, QueryError>> + Send;
}

/// A connection of `first` (≤ 100) records of `queries`' list after the `after` cursor,
/// narrowed by `filter` (made once the page's arguments are read), each as `object`.
pub(super) async fn newest_first<Q: NewestFirst, T: OutputType>(
    ctx: &Context<'_>,
    queries: Q,
    (first, after): (Option<i32>, Option<String>),
    filter: impl FnOnce() -> async_graphql::Result<Q::Filter>,
    consistency: Option<String>,
    object: fn(Q::View) -> T,
) -> async_graphql::Result<Connection<OpaqueCursor<String>, T, ListInfo<Q::Filter>, EmptyFields>> {
    let (first, after) = page(first, after, Cursor::<Q::List>::parse)?;
    let filter = filter()?;
    let viewer = reader(ctx, consistency.as_deref()).await?;
    let page = queries
        .newest_first(&viewer, &filter, after.as_ref(), first as i64)
        .await
        .map_err(from_service)?;
    Ok(connection(
        after.is_some(),
        page,
        ListInfo::new(viewer, filter),
        object,
    ))
}

/// `first` (≤ 100) processes of a list after the `after` cursor.
async fn list(
    ctx: &Context<'_>,
    list: ProcessList,
    filter: Option<ProcessFilter>,
    first: Option<i32>,
    after: Option<String>,
    consistency: Option<String>,
) -> async_graphql::Result<ProcessConnection> {
    let (first, after) = page(first, after, |raw| Position::parse(list, raw))?;
    let viewer = reader(ctx, consistency.as_deref()).await?;
    let services = services(ctx);
    let filter = filter.unwrap_or_default().into_filter()?;
    let page = services
        .queries
        .processes(&viewer, list, &filter, after.as_ref(), first as i64)
        .await
        .map_err(from_service)?;
    Ok(connection(
        after.is_some(),
        page,
        ListInfo::new(viewer, (list, filter)),
        Process,
    ))
}

/// Processes in one phase × status cell of a department.
#[derive(SimpleObject)]
pub struct StatusCell {
    /// Null when you see another municipality's overview (departments are not shared).
    department: Option<String>,
    /// The phase counted.
    phase: Phase,
    /// The status counted.
    status: Status,
    /// How many processes (that you may see) are in this phase and status.
    count: i64,
}

/// Counts by phase × status per department.
#[derive(SimpleObject)]
pub struct StatusOverview {
    /// The municipality counted, e.g. DK-0706.
    municipality: String,
    /// A process that names several departments counts in each of them.
    cells: Vec<StatusCell>,
}

/// The prefix of the ids of the ideas context's criteria streams.
const IDEA_CRITERIA: &str = "idea-criteria:";

/// The stable code of an error, if it has one.
fn code(e: &async_graphql::Error) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// An id of a record (a UUID) rather than of a municipality's stream.
fn is_record(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok()
}

/// The services that keep records with a history, in the order `history` asks them about
/// a record id.
#[derive(Clone, Copy)]
enum Keeper {
    Processes,
    Ideas,
    Pilots,
    Funding,
}

/// The events of a record kept by `keeper`, and the package of their messages.
async fn history_from(
    ctx: &Context<'_>,
    keeper: Keeper,
    request: GetHistoryRequest,
) -> async_graphql::Result<(HistoryReply, &'static str)> {
    let services = services(ctx);
    Ok(match keeper {
        Keeper::Processes => (
            call(
                ctx,
                &services.processes,
                None,
                request,
                |mut c, r| async move { c.get_history(r).await },
            )
            .await?,
            pb::ProcessSubmitted::PACKAGE,
        ),
        Keeper::Ideas => (
            call(ctx, &services.ideas, None, request, |mut c, r| async move {
                c.get_history(r).await
            })
            .await?,
            ideas::IdeaSubmitted::PACKAGE,
        ),
        Keeper::Pilots => (
            call(
                ctx,
                &services.pilots,
                None,
                request,
                |mut c, r| async move { c.get_history(r).await },
            )
            .await?,
            pilots::PilotPlanned::PACKAGE,
        ),
        Keeper::Funding => (
            call(
                ctx,
                &services.funding,
                None,
                request,
                |mut c, r| async move { c.get_history(r).await },
            )
            .await?,
            funding::FundCreated::PACKAGE,
        ),
    })
}

/// One event in a record's history: the audit trail.
#[derive(SimpleObject)]
pub struct HistoryEntry {
    /// 1-based position in the record's stream.
    sequence: i64,
    /// e.g. ProcessSubmitted: the message of `proto/innohub/processes/v1/events.proto`.
    r#type: String,
    /// When it happened.
    occurred_at: DateTime<Utc>,
    /// Who; null unless from your own municipality.
    actor: Option<String>,
    /// The municipality of whoever did it, e.g. SE-1283.
    actor_municipality: String,
    /// The event itself, by the protobuf JSON mapping (camelCase fields, enums by name),
    /// without what you may not see: people of other municipalities, and for partners
    /// internal fields.
    data: Json<serde_json::Value>,
}

/// The caller, as the token says.
#[derive(SimpleObject)]
pub struct Me {
    /// Your user id, as the token's subject says.
    user: String,
    /// Your municipality, e.g. DK-0706.
    municipality: String,
    /// Your department id; null when the token names none.
    department: Option<String>,
    /// Your roles, e.g. employee, it_portfolio, innovation_lead, fund_manager,
    /// municipality_admin.
    roles: Vec<String>,
}

#[Object]
impl ProcessesQuery {
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
        #[graphql(desc = "The process's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Process> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let services = services(ctx);
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
        #[graphql(desc = "Only what matches every field given.")] filter: Option<ProcessFilter>,
        #[graphql(desc = "How many to return, 0 to 100 (20 when not given).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor: the previous page's `pageInfo.endCursor`.")]
        after: Option<String>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
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
        #[graphql(desc = "Only what matches every field given.")] filter: Option<ProcessFilter>,
        #[graphql(desc = "How many to return, 0 to 100 (20 when not given).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor: the previous page's `pageInfo.endCursor`.")]
        after: Option<String>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<ProcessConnection> {
        list(ctx, ProcessList::Backlog, filter, first, after, consistency).await
    }

    /// Counts by phase × status per department of a municipality (yours by default), over
    /// what you may see.
    async fn status_overview(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A municipality code, e.g. DK-0706; yours when not given.")] municipality: Option<String>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<StatusOverview> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let services = services(ctx);
        let municipality = named_or_own(&viewer, municipality.as_deref())?;
        let cells = services
            .queries
            .status_overview(&viewer, &municipality)
            .await
            .map_err(from_service)?;
        Ok(StatusOverview {
            municipality: municipality.to_string(),
            cells: cells
                .into_iter()
                .map(|c| {
                    Ok(StatusCell {
                        department: c.department,
                        phase: Phase::try_from(c.phase as i32)?,
                        status: Status::try_from(c.status as i32)?,
                        count: c.count,
                    })
                })
                .collect::<async_graphql::Result<_>>()?,
        })
    }

    /// Every event of a record, oldest first: type, time, actor and the event itself. `id` is
    /// a process id, an idea, challenge, workshop, action item, pilot, fund or application
    /// id, a fund's period `fund-period:<fund>:<year>`, or your municipality's
    /// `backlog:<municipality>`, `settings:<municipality>` or `idea-criteria:<municipality>`.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A record id, or a stream id such as `backlog:<municipality>`.")] id: ID,
    ) -> async_graphql::Result<Vec<HistoryEntry>> {
        // The service applies the read rule: a record the caller may not read is not found.
        let request = GetHistoryRequest {
            aggregate_id: id.to_string(),
        };
        let (reply, package) = if id.starts_with(IDEA_CRITERIA) {
            history_from(ctx, Keeper::Ideas, request).await?
        } else if id.starts_with(innohub_funding::PERIOD_PREFIX) {
            history_from(ctx, Keeper::Funding, request).await?
        } else if !is_record(&id) {
            history_from(ctx, Keeper::Processes, request).await?
        } else {
            // A record id: the service that does not know it answers NOT_FOUND, and the
            // next is asked.
            let mut found = history_from(ctx, Keeper::Processes, request.clone()).await;
            for keeper in [Keeper::Ideas, Keeper::Pilots, Keeper::Funding] {
                match found {
                    Err(e) if code(&e) == Some(ErrorCode::NotFound.as_str()) => {
                        found = history_from(ctx, keeper, request.clone()).await;
                    }
                    _ => break,
                }
            }
            found?
        };
        reply
            .events
            .into_iter()
            .map(|e| {
                let internal = |why: String| {
                    from_service(innohub_runtime::grpc::ServiceError {
                        code: ErrorCode::Internal,
                        message: format!("history event {}: {why}", e.sequence),
                    })
                };
                let full_name = format!("{package}.{}", e.event_type);
                let data = to_json(&full_name, &e.payload).map_err(|x| internal(x.to_string()))?;
                let occurred_at = e
                    .occurred_at
                    .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?))
                    .ok_or_else(|| internal("no valid occurred_at".into()))?;
                let actor = e.actor.unwrap_or_default();
                Ok(HistoryEntry {
                    sequence: e.sequence,
                    r#type: e.event_type,
                    occurred_at,
                    actor: (!actor.user.is_empty()).then_some(actor.user),
                    actor_municipality: actor.municipality,
                    data: Json(data),
                })
            })
            .collect()
    }

    /// A municipality's priority weights (yours by default).
    async fn scoring_weights(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A municipality code, e.g. DK-0706; yours when not given.")] municipality: Option<String>,
    ) -> async_graphql::Result<ScoringWeights> {
        let p = principal(ctx)?;
        let municipality = match municipality {
            Some(m) => self::municipality(&m)?,
            None => p.municipality.clone(),
        };
        let weights = services(ctx)
            .queries
            .scoring_weights(&municipality)
            .await
            .map_err(from_service)?;
        Ok(weights.into())
    }
}
