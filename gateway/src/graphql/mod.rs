//! The GraphQL schema: one API over every service for many municipalities. Resolvers only
//! translate GraphQL ⇄ the contract's messages: commands go to the services through their
//! generated gRPC clients (in-process in embedded mode, over the network in distributed
//! mode), reads to the projections' queries, and every error leaves with a stable
//! `extensions.code`.

mod literals;
mod mutation;
mod query;
mod types;

use std::future::Future;
use std::time::Duration;

use async_graphql::{EmptySubscription, ErrorExtensions, Schema};
use innohub_projections::ProcessQueries;
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::grpc::{self, Caller as Metadata, Channel, ServiceError};
use innohub_runtime::{ErrorCode, HasErrorCode, Principal, Viewer};
use uuid::Uuid;

pub use crate::consistency::{Consistency, ConsistencyToken};
pub use literals::EnumInputs;
pub use mutation::Mutation;
pub use query::Query;

/// The schema type.
pub type InnohubSchema = Schema<Query, Mutation, EmptySubscription>;

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
    /// Processes read models.
    pub queries: ProcessQueries,
    /// How far the read models have caught up.
    pub consistency: Consistency,
}

/// The caller, as the HTTP layer found them.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A verified token: who it names, and the token, which is relayed to the services so
    /// that they verify it themselves.
    Authenticated(Principal, String),
    /// No `Authorization` header.
    Anonymous,
    /// A token that failed verification, and why.
    Rejected(String),
}

/// Build the schema with its limits.
pub fn schema(services: Services) -> InnohubSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .data(services)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(8)
        .finish()
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

/// The authenticated principal, or `UNAUTHENTICATED`.
pub fn principal<'a>(ctx: &'a async_graphql::Context<'_>) -> async_graphql::Result<&'a Principal> {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Authenticated(p, _)) => Ok(p),
        Some(Caller::Rejected(why)) => Err(error(ErrorCode::Unauthenticated, why.clone())),
        _ => Err(error(
            ErrorCode::Unauthenticated,
            "a bearer token is required",
        )),
    }
}

/// The caller as the read rule sees them.
pub fn viewer(ctx: &async_graphql::Context<'_>) -> async_graphql::Result<Viewer> {
    principal(ctx).map(|p| Viewer::new(p.clone()))
}

/// The services.
pub fn services<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a Services {
    ctx.data_unchecked::<Services>()
}

/// Call a service for `caller`: `call` gets a client and the request carrying `message`
/// with the caller's metadata; a refusal comes back with its stable code.
pub async fn send<C, M, R, F, Fut>(
    client: &C,
    caller: Metadata<'_>,
    message: M,
    call: F,
) -> Result<R, ServiceError>
where
    C: Clone,
    F: FnOnce(C, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let request = grpc::request(caller, message)?;
    Ok(call(client.clone(), request).await?.into_inner())
}

/// [`send`] for the authenticated caller of a GraphQL request, with a new correlation id.
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
    send(client, caller, message, call)
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
