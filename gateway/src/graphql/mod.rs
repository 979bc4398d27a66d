//! The GraphQL schema: one API over every service for many municipalities. Resolvers only
//! translate GraphQL ⇄ the contract's messages: commands go to the services through their
//! generated gRPC clients (in-process in embedded mode, over the network in distributed
//! mode), reads to the projections' queries, and every error leaves with a stable
//! `extensions.code`.

#[macro_use]
mod macros;

mod directory;
mod funding;
mod funding_commands;
mod funding_types;
mod idea_commands;
mod ideas;
mod literals;
mod mutation;
mod overview;
mod pilot_commands;
mod pilot_types;
mod pilots;
mod query;
mod reuse;
mod subscription;
mod types;

use std::future::Future;
use std::time::Duration;

use async_graphql::{ErrorExtensions, MergedObject, Schema};
use innohub_projections::ProcessQueries;
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;
use innohub_proto::innohub::funding::v1::funding_service_client::FundingServiceClient;
use innohub_proto::innohub::ideas::v1::ideas_service_client::IdeasServiceClient;
use innohub_proto::innohub::pilots::v1::pilots_service_client::PilotsServiceClient;
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::changes::ChangeFeed;
use innohub_runtime::grpc::{self, Caller as Metadata, Channel};
use innohub_runtime::{Database, ErrorCode, HasErrorCode, MunicipalityId, Principal, Viewer};
use uuid::Uuid;

pub use crate::consistency::{Consistency, ConsistencyToken};
pub use literals::EnumInputs;
pub use subscription::{Connection, Subscription};
pub use types::ProcessFilter;

/// The query root: each context's queries, merged.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Query(
    query::ProcessesQuery,
    directory::DirectoryQuery,
    overview::OverviewQuery,
    reuse::ReuseQuery,
    ideas::IdeasQuery,
    pilots::PilotsQuery,
    funding::FundingQuery,
);

/// The mutation root: each context's mutations, merged.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(
    mutation::ProcessesMutation,
    directory::DirectoryMutation,
    reuse::ReuseMutation,
    idea_commands::IdeasMutation,
    pilot_commands::PilotsMutation,
    funding_commands::FundingMutation,
);

/// The schema type.
pub type InnohubSchema = Schema<Query, Mutation, Subscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Most expensive query accepted (a field costs 1; lists multiply by `first`).
pub const MAX_COMPLEXITY: usize = 5_000;
/// How long a read waits for the views to reach a consistency token.
const CONSISTENCY_WAIT: Duration = Duration::from_secs(5);

/// What resolvers need: the services and the read models.
#[derive(Clone)]
pub struct Services {
    /// The processes service's client: in-process (embedded) or over gRPC (distributed).
    pub processes: ProcessesServiceClient<Channel>,
    /// The directory service's client, the same way.
    pub directory: DirectoryServiceClient<Channel>,
    /// The ideas service's client, the same way.
    pub ideas: IdeasServiceClient<Channel>,
    /// The pilots service's client, the same way.
    pub pilots: PilotsServiceClient<Channel>,
    /// The funding service's client, the same way.
    pub funding: FundingServiceClient<Channel>,
    /// Processes read models.
    pub queries: ProcessQueries,
    /// The read-model database every projection writes (for the queries of the other
    /// read models).
    pub views: Database,
    /// How far the read models have caught up.
    pub consistency: Consistency,
    /// What the read models have just committed: the live subscriptions' feed.
    pub changes: ChangeFeed,
}

/// The caller, as the HTTP layer found them.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A verified token of a registered municipality: who it names, with their network
    /// partners as the directory's read model knows them, and the token, which is relayed to
    /// the services so that they verify it themselves.
    Authenticated(Viewer, String),
    /// No `Authorization` header.
    Anonymous,
    /// A token that failed verification, and why.
    Rejected(String),
    /// A valid token for a municipality the directory does not know.
    Unregistered(MunicipalityId),
}

impl Caller {
    /// The refusal of a caller that may not act, or `None` for an authenticated one.
    pub fn refusal(&self) -> Option<(ErrorCode, String)> {
        match self {
            Caller::Authenticated(..) => None,
            Caller::Rejected(why) => Some((ErrorCode::Unauthenticated, why.clone())),
            Caller::Anonymous => Some((
                ErrorCode::Unauthenticated,
                "a bearer token is required".into(),
            )),
            Caller::Unregistered(municipality) => Some((
                ErrorCode::Forbidden,
                format!(
                    "municipality {municipality} is not registered in innohub; a platform \
                     administrator registers it (registerMunicipality)"
                ),
            )),
        }
    }
}

/// Build the schema with its limits.
pub fn schema(services: Services) -> InnohubSchema {
    builder().data(services).finish()
}

/// The schema's SDL, as `gateway/schema.graphql` holds it (`innohub schema`).
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The roots and limits that [`schema`] and [`sdl`] share.
fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(8)
}

/// An error with a stable code.
pub fn error(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.as_str()))
}

/// Map a service error: domain messages pass through; internal ones are logged, not shown.
pub fn from_service<E: HasErrorCode + std::fmt::Display>(e: E) -> async_graphql::Error {
    let code = e.code();
    if code == ErrorCode::Internal {
        tracing::error!(error = %e, "internal error");
        error(code, "internal error")
    } else {
        error(code, e.to_string())
    }
}

/// Give every error without a code one: errors the executor raises before any resolver runs
/// (parse, validation, variable coercion, limits) are the client's.
pub fn ensure_codes(response: &mut async_graphql::Response) {
    for e in &mut response.errors {
        let ext = e.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", ErrorCode::BadUserInput.as_str());
        }
    }
}

/// The authenticated caller as the read rule sees them; `UNAUTHENTICATED` without a valid
/// token, `FORBIDDEN` for an unregistered municipality.
pub fn authenticated<'a>(ctx: &'a async_graphql::Context<'_>) -> async_graphql::Result<&'a Viewer> {
    let caller = ctx.data_opt::<Caller>().unwrap_or(&Caller::Anonymous);
    match (caller, caller.refusal()) {
        (Caller::Authenticated(viewer, _), _) => Ok(viewer),
        (_, Some((code, message))) => Err(error(code, message)),
        (_, None) => Err(error(
            ErrorCode::Unauthenticated,
            "a bearer token is required",
        )),
    }
}

/// The authenticated principal (see [`authenticated`]).
pub fn principal<'a>(ctx: &'a async_graphql::Context<'_>) -> async_graphql::Result<&'a Principal> {
    authenticated(ctx).map(|viewer| &viewer.principal)
}

/// The caller as the read rule sees them (see [`authenticated`]).
pub fn viewer(ctx: &async_graphql::Context<'_>) -> async_graphql::Result<Viewer> {
    authenticated(ctx).cloned()
}

/// The services.
pub fn services<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

/// [`grpc::send`] for the authenticated caller of a GraphQL request, with a new correlation id.
pub async fn call<C, M, R, F, Fut>(
    ctx: &async_graphql::Context<'_>,
    client: &C,
    idempotency_key: Option<&str>,
    message: M,
    call: F,
) -> async_graphql::Result<R>
where
    C: Clone,
    F: FnOnce(C, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let token = match ctx.data_opt::<Caller>() {
        Some(Caller::Authenticated(_, token)) => Some(token.as_str()),
        _ => None,
    };
    let caller = Metadata {
        principal: principal(ctx)?,
        token,
        idempotency_key,
        correlation_id: Some(Uuid::now_v7()),
    };
    grpc::send(client, caller, message, call)
        .await
        .map_err(from_service)
}

/// Wait (bounded) until the read models include `token`; reads then serve what they have.
pub async fn consistent(services: &Services, token: Option<&ConsistencyToken>) {
    let Some(token) = token else {
        return;
    };
    if !services.consistency.wait(token, CONSISTENCY_WAIT).await {
        tracing::warn!(
            %token,
            "read models did not catch up in time; serving what they have"
        );
    }
}

/// The caller as the read rule sees them once the read models include `token` (see
/// [`consistent`]). After the wait the caller's network partners are read again: the token
/// may be of the acceptance or the leave that changed them, which the partners read when
/// the request came in do not include.
pub async fn reader_after(
    ctx: &async_graphql::Context<'_>,
    token: Option<&ConsistencyToken>,
) -> async_graphql::Result<Viewer> {
    let viewer = viewer(ctx)?;
    if token.is_none() {
        return Ok(viewer);
    }
    let services = services(ctx);
    consistent(services, token).await;
    refreshed(services, viewer).await
}

/// `viewer` with their network partners as the directory's read model knows them now.
pub async fn refreshed(services: &Services, mut viewer: Viewer) -> async_graphql::Result<Viewer> {
    let directory = innohub_projections::DirectoryQueries::new(services.views.clone());
    if let Some(partners) = directory
        .tenant(&viewer.principal.municipality)
        .await
        .map_err(from_service)?
    {
        viewer.network_partners = partners;
    }
    Ok(viewer)
}

/// [`reader_after`] a client's `consistency` argument.
pub async fn reader(
    ctx: &async_graphql::Context<'_>,
    consistency: Option<&str>,
) -> async_graphql::Result<Viewer> {
    reader_after(ctx, token(consistency)?.as_ref()).await
}

/// A client's `consistency` argument, which must be a token a mutation returned.
pub fn token(raw: Option<&str>) -> async_graphql::Result<Option<ConsistencyToken>> {
    raw.map(|raw| {
        raw.parse().map_err(|_| {
            error(
                ErrorCode::BadUserInput,
                "consistency must be a token returned by a mutation",
            )
        })
    })
    .transpose()
}

/// Parse an `ID` into a record id; a malformed one is simply not found.
pub fn record_id(id: &async_graphql::ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| error(ErrorCode::NotFound, "not found"))
}
