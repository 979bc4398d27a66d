//! HTTP: GraphiQL at `/`, GraphQL at `POST /graphql`, and the operations endpoints
//! (`/healthz`, `/readyz`, `/metrics`). The bearer token is verified here, once per request,
//! into the [`Caller`] resolvers read; a `traceparent` header continues the caller's trace.
//! Parsed documents are kept by their text ([`ParsedQueries`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::http::GraphiQLSource;
use async_graphql::parser::types::ExecutableDocument;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use innohub_runtime::{Database, ops, telemetry};
use tower_http::limit::RequestBodyLimitLayer;
use tracing::Instrument as _;

use crate::auth::TokenKeys;
use crate::graphql::{Caller, InnohubSchema, ensure_codes};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: InnohubSchema,
    /// Token verification.
    pub keys: TokenKeys,
    /// Databases checked by `/readyz`.
    pub databases: Vec<Database>,
    /// Documents already parsed.
    pub parsed: ParsedQueries,
}

/// GraphQL documents parsed before, by their text. Clients send the same few documents with
/// other variables, and parsing one costs about a tenth of a mutation. Every request is
/// still validated and checked against the limits; documents that do not parse, and long
/// ones, are not kept, and a flood of new ones empties the cache instead of growing it.
#[derive(Clone, Default)]
pub struct ParsedQueries(Arc<Mutex<HashMap<String, ExecutableDocument>>>);

/// Documents kept at most.
const PARSED_KEPT: usize = 256;
/// The longest document kept, in bytes.
const PARSED_LONGEST: usize = 16 * 1024;

impl ParsedQueries {
    /// Give `request` its parsed document, from the cache or parsed now.
    fn prepare(&self, request: &mut async_graphql::Request) {
        if request.query.len() > PARSED_LONGEST {
            return;
        }
        let kept = self
            .0
            .lock()
            .ok()
            .and_then(|cache| cache.get(&request.query).cloned());
        let document = match kept {
            Some(document) => document,
            // The schema reports what does not parse.
            None => match async_graphql::parser::parse_query(&request.query) {
                Ok(document) => {
                    if let Ok(mut cache) = self.0.lock() {
                        if cache.len() >= PARSED_KEPT {
                            cache.clear();
                        }
                        cache.insert(request.query.clone(), document.clone());
                    }
                    document
                }
                Err(_) => return,
            },
        };
        request.set_parsed_query(document);
    }
}

/// The router.
pub fn router(state: AppState) -> Router {
    let ready = ops::databases_ready(state.databases.clone());
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphiql).post(graphql))
        // The GraphQL extractor streams the body itself, so the limit must wrap the service.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .with_state(state)
        .merge(ops::router(ready))
}

async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

fn caller(keys: &TokenKeys, headers: &HeaderMap) -> Caller {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Caller::Anonymous;
    };
    let token = value.to_str().ok().and_then(|v| {
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
    });
    match token {
        Some(token) => match keys.verify(token.trim()) {
            Ok(principal) => Caller::Authenticated(principal),
            Err(why) => Caller::Rejected(why),
        },
        None => Caller::Rejected("the Authorization header must be 'Bearer <token>'".into()),
    }
}

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let mut request = request.into_inner().data(caller(&state.keys, &headers));
    state.parsed.prepare(&mut request);
    let span = tracing::info_span!(
        "graphql",
        operation = request.operation_name.as_deref().unwrap_or("")
    );
    telemetry::set_parent(
        &span,
        headers.get("traceparent").and_then(|v| v.to_str().ok()),
    );
    let mut response = state.schema.execute(request).instrument(span).await;
    ensure_codes(&mut response);
    response.into()
}
