//! The GraphQL schema: one API over every service for many municipalities. Resolvers only
//! translate: commands go to the services' command side, reads to the projections' queries,
//! and every error leaves with a stable `extensions.code`.

mod mutation;
mod query;
mod types;

use std::time::Duration;

use async_graphql::{EmptySubscription, ErrorExtensions, Schema};
use innohub_processes::Processes;
use innohub_projections::ProcessQueries;
use innohub_runtime::command::CommandContext;
use innohub_runtime::{ErrorCode, HasErrorCode, Principal, Viewer};
use uuid::Uuid;

pub use crate::consistency::Consistency;
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
    /// Processes commands and history: in-process (embedded) or over gRPC (distributed).
    pub processes: Processes,
    /// Processes read models.
    pub queries: ProcessQueries,
    /// How far the read models have caught up.
    pub consistency: Consistency,
}

/// The caller, as the HTTP layer found them.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A verified token.
    Authenticated(Principal),
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
        Some(Caller::Authenticated(p)) => Ok(p),
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

/// A command's context from the caller and an optional idempotency key.
pub fn command_context<'a>(
    principal: &'a Principal,
    idempotency_key: Option<&'a str>,
) -> async_graphql::Result<CommandContext<'a>> {
    if let Some(key) = idempotency_key
        && (key.is_empty() || key.len() > 200)
    {
        return Err(error(
            ErrorCode::BadUserInput,
            "idempotencyKey must be 1 to 200 characters",
        ));
    }
    Ok(CommandContext {
        principal,
        idempotency_key,
        correlation_id: Uuid::now_v7(),
    })
}

/// Wait (bounded) until the read models include `token`; reads then serve what they have.
pub async fn consistent(services: &Services, token: Option<&str>) -> async_graphql::Result<()> {
    let Some(token) = token else {
        return Ok(());
    };
    let position: i64 = token.parse().map_err(|_| {
        error(
            ErrorCode::BadUserInput,
            "consistency must be a token returned by a mutation",
        )
    })?;
    if !services.consistency.wait(position, CONSISTENCY_WAIT).await {
        tracing::warn!(
            position,
            "read models did not catch up in time; serving what they have"
        );
    }
    Ok(())
}

/// Parse an `ID` into a record id; a malformed one is simply not found.
pub fn record_id(id: &async_graphql::ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| error(ErrorCode::NotFound, "not found"))
}
