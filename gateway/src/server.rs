//! HTTP: GraphQL at `/graphql` as the GraphQL-over-HTTP specification says, GraphiQL at `/`
//! (served from files in the binary, [`crate::graphiql`]), and the operations endpoints
//! (`/healthz`, `/readyz`, `/metrics`).
//!
//! - A POST body must be `application/json` (`415` otherwise): a browser can send
//!   `text/plain` or a form across sites without asking first, JSON it cannot.
//! - The response is `application/json` or `application/graphql-response+json`, as the
//!   `Accept` header asks (`406` when it accepts neither). Under the latter, a request that
//!   fails before execution (parse, validation, variable coercion) is `400`.
//! - A GET runs a query from the URL's parameters; a mutation over GET is `405`. A GET
//!   without parameters is the GraphiQL page.
//! - The bearer token is verified once per request into the [`Caller`] that resolvers read,
//!   and its municipality admitted: a token for a municipality the directory does not know is
//!   `FORBIDDEN` (but a platform administrator's, who registers municipalities); the caller's
//!   network partners come with it, for the read rule. Each caller (by principal, or by address without a valid token) is rate limited
//!   ([`crate::limits`], `429` with `Retry-After`); CORS is allowed for configured origins.
//! - A `traceparent` header continues the caller's trace; parsed documents are kept by
//!   their text ([`ParsedQueries`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};
use async_graphql::{ServerError, Value};
use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use innohub_projections::DirectoryQueries;
use innohub_runtime::auth::{NOT_BEARER, bearer};
use innohub_runtime::{Database, ErrorCode, Role, Verifier, Viewer, ops, telemetry};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tracing::Instrument as _;

use crate::auth::SignIn;
use crate::dashboard::Login;
use crate::graphql::{Caller, EnumInputs, InnohubSchema, ensure_codes};
use crate::limits::RateLimiter;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// How the edge treats callers (flags of `serve` and `gateway`).
#[derive(clap::Args, Clone, Debug)]
pub struct EdgeArgs {
    /// Requests a minute per signed-in caller (0: no limit).
    #[arg(long, env = "INNOHUB_RATE_LIMIT", default_value_t = 600)]
    pub rate_limit: u32,
    /// Requests a minute per client address for requests without a valid token (0: no
    /// limit).
    #[arg(long, env = "INNOHUB_RATE_LIMIT_ANONYMOUS", default_value_t = 60)]
    pub rate_limit_anonymous: u32,
    /// Requests a caller may send at once before the per-minute rate holds them back.
    #[arg(long, env = "INNOHUB_RATE_LIMIT_BURST", default_value_t = 60)]
    pub rate_limit_burst: u32,
    /// Web origins whose pages may call the API from a browser (CORS), comma-separated,
    /// e.g. `https://intranet.example.dk`. None by default: same origin only.
    #[arg(long, env = "INNOHUB_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origin: Vec<String>,
    /// Seconds between the server's pings on a subscriptions WebSocket; a client that sends
    /// nothing (not even the pong) for three of them is disconnected (0: no pings).
    #[arg(long, env = "INNOHUB_WS_KEEPALIVE", default_value_t = 30)]
    pub ws_keepalive: u64,
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    schema: InnohubSchema,
    /// Token verification.
    verifier: Verifier,
    /// Who is registered, and who shares a network with whom.
    directory: DirectoryQueries,
    /// Databases checked by `/readyz`.
    databases: Vec<Database>,
    /// Documents already parsed and checked.
    parsed: ParsedQueries,
    limits: Arc<Limits>,
    cors: Vec<HeaderValue>,
    /// The identity provider the dashboard signs in with, if any.
    login: Option<Login>,
    /// How often a WebSocket is pinged, if at all.
    keepalive: Option<Duration>,
}

impl AppState {
    /// The services the schema serves (for the plain HTTP endpoints, the exports).
    pub fn services(&self) -> Option<&crate::graphql::Services> {
        self.schema.data()
    }

    /// The GraphQL schema.
    pub fn schema(&self) -> &InnohubSchema {
        &self.schema
    }

    /// How often a subscriptions WebSocket is pinged, if at all.
    pub fn keepalive(&self) -> Option<Duration> {
        self.keepalive
    }

    /// Count a request of `caller` from `address` against its rate limit: how long to wait
    /// when it is over.
    pub(crate) fn limit(&self, caller: &Caller, address: SocketAddr) -> Result<(), Duration> {
        let limited = match caller {
            Caller::Authenticated(viewer, _) => self.limits.principal.as_ref().map(|l| {
                let p = &viewer.principal;
                l.check(&format!("{}/{}", p.municipality, p.user))
            }),
            _ => self
                .limits
                .anonymous
                .as_ref()
                .map(|l| l.check(&address.ip().to_string())),
        };
        limited.unwrap_or(Ok(()))
    }
}

/// The rate limits, each absent when turned off.
struct Limits {
    principal: Option<RateLimiter>,
    anonymous: Option<RateLimiter>,
}

impl AppState {
    /// The edge of `schema`, signing callers in as `SignIn` says.
    pub fn new(
        schema: InnohubSchema,
        SignIn { verifier, login }: SignIn,
        views: Database,
        databases: Vec<Database>,
        edge: &EdgeArgs,
    ) -> anyhow::Result<Self> {
        let cors = edge
            .cors_origin
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .map(|o| {
                HeaderValue::from_str(o.trim_end_matches('/'))
                    .map_err(|_| anyhow::anyhow!("--cors-origin {o:?} is not a valid origin"))
            })
            .collect::<anyhow::Result<_>>()?;
        let enums = EnumInputs::from_sdl(&schema.sdl()).map_err(anyhow::Error::msg)?;
        Ok(Self {
            schema,
            verifier,
            directory: DirectoryQueries::new(views),
            databases,
            parsed: ParsedQueries::new(enums),
            limits: Arc::new(Limits {
                principal: RateLimiter::new(edge.rate_limit, edge.rate_limit_burst),
                anonymous: RateLimiter::new(edge.rate_limit_anonymous, edge.rate_limit_burst),
            }),
            cors,
            login,
            keepalive: (edge.ws_keepalive > 0).then(|| Duration::from_secs(edge.ws_keepalive)),
        })
    }
}

/// GraphQL documents parsed and checked before, by their text. Clients send the same few
/// documents with other variables, and parsing one costs about a tenth of a mutation. Every
/// request is still validated and checked against the limits; documents that do not parse,
/// and long ones, are not kept, and a flood of new ones empties the cache instead of growing
/// it.
#[derive(Clone)]
pub struct ParsedQueries {
    kept: Arc<Mutex<HashMap<String, ExecutableDocument>>>,
    enums: Arc<EnumInputs>,
}

/// Documents kept at most.
const PARSED_KEPT: usize = 256;
/// The longest document kept, in bytes.
const PARSED_LONGEST: usize = 16 * 1024;

impl ParsedQueries {
    fn new(enums: EnumInputs) -> Self {
        Self {
            kept: Arc::default(),
            enums: Arc::new(enums),
        }
    }

    /// The parsed and checked document of `query`; `None` when it does not parse (the
    /// schema reports why).
    fn document(&self, query: &str) -> Result<Option<ExecutableDocument>, ServerError> {
        let kept = self
            .kept
            .lock()
            .ok()
            .and_then(|cache| cache.get(query).cloned());
        if let Some(document) = kept {
            return Ok(Some(document));
        }
        let Ok(document) = async_graphql::parser::parse_query(query) else {
            return Ok(None);
        };
        self.enums.check(&document)?;
        if query.len() <= PARSED_LONGEST
            && let Ok(mut cache) = self.kept.lock()
        {
            if cache.len() >= PARSED_KEPT {
                cache.clear();
            }
            cache.insert(query.to_owned(), document.clone());
        }
        Ok(Some(document))
    }
}

/// The router.
pub fn router(state: AppState) -> Router {
    let login = state.login.clone();
    let ready = ops::databases_ready(state.databases.clone());
    let cors = (!state.cors.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(state.cors.clone()))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::HeaderName::from_static("traceparent"),
            ])
            .expose_headers([header::RETRY_AFTER])
            .max_age(Duration::from_secs(3600))
    });
    let api = Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/export/processes.xlsx", get(crate::export::xlsx))
        .route("/export/processes.csv", get(crate::export::csv))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .with_state(state);
    let api = match cors {
        Some(cors) => api.layer(cors),
        None => api,
    };
    api.merge(ops::router(ready))
        .merge(crate::graphiql::routes())
        .merge(crate::dashboard::routes(login))
}

async fn graphiql() -> Response {
    crate::graphiql::page().await
}

/// The media type of a response, as the client's `Accept` chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `application/json`: what clients older than the spec expect; always `200`.
    Json,
    /// `application/graphql-response+json`: request errors are `4xx`.
    GraphqlResponse,
}

impl Format {
    const JSON: &str = "application/json";
    const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }

    /// The format the `Accept` header prefers: the highest `q` of the two media types (the
    /// spec's own on a tie), `application/json` for `*/*`, `application/*` or no header;
    /// `None` when it accepts neither.
    fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let Some(accept) = headers.get(header::ACCEPT) else {
            return Some(Format::Json);
        };
        let accept = accept.to_str().ok()?;
        let mut best: Option<(f32, u8, Format)> = None;
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            // Exact types beat wildcards at the same q.
            let (format, rank) = match media.as_str() {
                Self::GRAPHQL_RESPONSE => (Format::GraphqlResponse, 3),
                Self::JSON => (Format::Json, 2),
                "application/*" | "*/*" => (Format::Json, 1),
                _ => continue,
            };
            if q <= 0.0 {
                continue;
            }
            if best.is_none_or(|(bq, brank, _)| q > bq || (q == bq && rank > brank)) {
                best = Some((q, rank, format));
            }
        }
        best.map(|(_, _, format)| format)
    }
}

/// A response of only errors, with `status` and the error's stable `code`.
fn failure(
    status: StatusCode,
    format: Format,
    code: ErrorCode,
    message: impl Into<String>,
) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message.into(), "extensions": { "code": code.as_str() } }]
    });
    (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        body.to_string(),
    )
        .into_response()
}

/// `POST /graphql`: a JSON body `{query, operationName?, variables?, extensions?}`.
async fn graphql_post(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(format) = Format::negotiate(&headers) else {
        return not_acceptable();
    };
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(Format::JSON));
    if !json {
        return failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format,
            ErrorCode::BadUserInput,
            "a GraphQL request is a POST with Content-Type: application/json",
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return failure(
                StatusCode::BAD_REQUEST,
                format,
                ErrorCode::BadUserInput,
                format!("the body is not a GraphQL request: {e}"),
            );
        }
    };
    execute(&state, address, &headers, format, request, false).await
}

/// `GET /graphql?query=…&operationName=…&variables=…`: a query from the URL; a WebSocket
/// upgrade: the live subscriptions ([`crate::websocket`]); without a query, the GraphiQL
/// page.
async fn graphql_get(
    State(state): State<AppState>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    socket: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    match socket {
        Ok(socket) => return crate::websocket::upgrade(state, address, socket),
        Err(refused) if headers.contains_key(header::UPGRADE) => return refused.into_response(),
        Err(_) => {}
    }
    let Some(query) = params.get("query") else {
        return graphiql().await;
    };
    let Some(format) = Format::negotiate(&headers) else {
        return not_acceptable();
    };
    let mut request = async_graphql::Request::new(query.clone());
    if let Some(name) = params.get("operationName").filter(|n| !n.is_empty()) {
        request = request.operation_name(name.clone());
    }
    if let Some(variables) = params.get("variables").filter(|v| !v.is_empty()) {
        match serde_json::from_str(variables) {
            Ok(variables) => request = request.variables(variables),
            Err(e) => {
                return failure(
                    StatusCode::BAD_REQUEST,
                    format,
                    ErrorCode::BadUserInput,
                    format!("variables must be a JSON object: {e}"),
                );
            }
        }
    }
    execute(&state, address, &headers, format, request, true).await
}

fn not_acceptable() -> Response {
    failure(
        StatusCode::NOT_ACCEPTABLE,
        Format::Json,
        ErrorCode::BadUserInput,
        "Accept must allow application/graphql-response+json or application/json",
    )
}

/// Verify the bearer token, if any, and admit its municipality: a registered one, with its
/// network partners from the directory's read model, or any for a platform administrator
/// (who registers the others).
pub async fn caller(state: &AppState, headers: &HeaderMap) -> Caller {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Caller::Anonymous;
    };
    let Ok(value) = value.to_str() else {
        return Caller::Rejected(NOT_BEARER.into());
    };
    let token = match bearer(value) {
        Ok(token) => token,
        Err(why) => return Caller::Rejected(why.to_string()),
    };
    let principal = match state.verifier.verify(token).await {
        Ok(principal) => principal,
        Err(why) => return Caller::Rejected(why.to_string()),
    };
    let tenant = match state.directory.tenant(&principal.municipality).await {
        Ok(tenant) => tenant,
        Err(e) => {
            tracing::error!(error = %e, "reading the directory");
            return Caller::Rejected("the directory is not available; try again".into());
        }
    };
    let network_partners = match tenant {
        Some(partners) => partners,
        None if principal.has(Role::PlatformAdmin) => Default::default(),
        None => return Caller::Unregistered(principal.municipality),
    };
    Caller::Authenticated(
        Viewer {
            principal,
            network_partners,
        },
        token.to_owned(),
    )
}

/// Why a caller may not use an HTTP endpoint outside GraphQL: the status and a JSON body
/// `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl Refusal {
    /// A refusal with `code`'s status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = match code {
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code.as_str(), "message": self.message }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The caller of a plain HTTP endpoint (the exports) as the read rule sees them: the same
/// verification, admission and rate limit as GraphQL.
pub async fn viewer_of(
    state: &AppState,
    address: SocketAddr,
    headers: &HeaderMap,
) -> Result<Viewer, Refusal> {
    let caller = caller(state, headers).await;
    if let Err(wait) = state.limit(&caller, address) {
        return Err(Refusal::new(
            ErrorCode::RateLimited,
            format!("too many requests; retry in {} s", wait.as_secs().max(1)),
        ));
    }
    match caller {
        Caller::Authenticated(viewer, _) => Ok(viewer),
        other => {
            let (code, message) = other
                .refusal()
                .unwrap_or((ErrorCode::Unauthenticated, String::new()));
            Err(Refusal::new(code, message))
        }
    }
}

/// A request error when a variable of a non-null type without a default is missing or null
/// (the spec's variable coercion; async-graphql reports it only when a field reads it).
fn required_variables(
    document: &ExecutableDocument,
    request: &async_graphql::Request,
) -> Result<(), ServerError> {
    // Which operation runs is the executor's to report when it is ambiguous.
    let Some(operation) = operation(document, request.operation_name.as_deref()) else {
        return Ok(());
    };
    for variable in &operation.variable_definitions {
        let variable = &variable.node;
        let given = request
            .variables
            .get(variable.name.node.as_str())
            .is_some_and(|v| *v != Value::Null);
        if !variable.var_type.node.nullable && variable.default_value.is_none() && !given {
            return Err(ServerError::new(
                format!(
                    "variable ${} of type {} is required but not provided",
                    variable.name.node, variable.var_type.node
                ),
                Some(variable.name.pos),
            ));
        }
    }
    Ok(())
}

/// The operation a request runs, if the document names one unambiguously.
fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next()?,
        _ => return None,
    };
    Some(&operation.node)
}

async fn execute(
    state: &AppState,
    address: SocketAddr,
    headers: &HeaderMap,
    format: Format,
    request: async_graphql::Request,
    over_get: bool,
) -> Response {
    let caller = caller(state, headers).await;
    let limited = state.limit(&caller, address);
    if let Err(wait) = limited {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut response = failure(
            StatusCode::TOO_MANY_REQUESTS,
            format,
            ErrorCode::RateLimited,
            format!("too many requests; retry in {seconds} s"),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return response;
    }
    let mut request = request.data(caller);
    match state.parsed.document(&request.query) {
        Ok(Some(document)) => {
            if over_get
                && operation(&document, request.operation_name.as_deref()).map(|op| op.ty)
                    != Some(OperationType::Query)
            {
                let mut response = failure(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format,
                    ErrorCode::BadUserInput,
                    "only queries run over GET; send mutations as a POST",
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
            if let Err(error) = required_variables(&document, &request) {
                let mut response = async_graphql::Response::from_errors(vec![error]);
                ensure_codes(&mut response);
                return respond(format, &response);
            }
            request.set_parsed_query(document);
        }
        // The schema reports the parse error.
        Ok(None) => {}
        Err(error) => {
            let mut response = async_graphql::Response::from_errors(vec![error]);
            ensure_codes(&mut response);
            return respond(format, &response);
        }
    }
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
    respond(format, &response)
}

/// The HTTP response of a GraphQL response: under `application/graphql-response+json` a
/// request error (no data, and no error raised by a field) is `400`.
fn respond(format: Format, response: &async_graphql::Response) -> Response {
    let request_error = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let status = match format {
        Format::GraphqlResponse if request_error => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    match serde_json::to_vec(response) {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, format.content_type())],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                format,
                ErrorCode::Internal,
                "internal error",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Format> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("")),
        );
        Format::negotiate(&headers)
    }

    #[test]
    fn accept_chooses_the_format() {
        assert_eq!(Format::negotiate(&HeaderMap::new()), Some(Format::Json));
        assert_eq!(accept("application/json"), Some(Format::Json));
        assert_eq!(
            accept("application/graphql-response+json"),
            Some(Format::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(Format::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Some(Format::Json)
        );
        assert_eq!(accept("*/*"), Some(Format::Json));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }
}
