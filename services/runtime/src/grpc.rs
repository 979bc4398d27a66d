//! What every service's gRPC side shares, written once (the contract is
//! `proto/innohub/common/v1/service.proto`):
//!
//! - the call metadata: the caller's bearer token ([`AUTHORIZATION_HEADER`], verified by the
//!   service itself: [`router`]), the idempotency key, the correlation id and the W3C
//!   `traceparent`, set by [`request`] on the client side and read by [`handle`] on the
//!   server side;
//! - the error mapping: stable [`ErrorCode`] ⇄ `tonic::Status` ([`status`], [`ServiceError`]);
//! - the handler skeleton [`handle`]: span, caller, command context, reply or status;
//! - [`Channel`]: how a generated client reaches a service, the same type in both modes:
//!   [`local`] runs the client over the in-process server as a tower service (no socket, no
//!   port), [`remote`] over HTTP/2;
//! - [`command_reply`] and [`history_reply`], the answers every service gives, and
//!   [`get_history`], the one `GetHistory` handler; [`Reply`],
//!   [`Failure`], [`record_id`] and [`invalid`], what every handler is written with.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;

use innohub_proto::innohub::common::v1::{CommandReply, GetHistoryRequest, HistoryReply};
use prost::Message;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::metadata::{Ascii, MetadataMap, MetadataValue};
use tonic::{Request, Response, Status};
use tower::ServiceExt as _;
use tower::util::BoxCloneSyncService;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::command::{CommandContext, CommandError, Executed, fingerprint};
use crate::{
    DomainError, ErrorCode, HasErrorCode, Principal, StoredEvent, Verifier, kafka, reflect,
    telemetry,
};

/// Metadata key of the caller's bearer token (`Bearer <token>`), which the service verifies.
pub const AUTHORIZATION_HEADER: &str = "authorization";
/// Metadata key of a command's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "x-innohub-idempotency-key";
/// Metadata key of the correlation id (a UUID) that ties together what one request caused.
pub const CORRELATION_HEADER: &str = "x-innohub-correlation-id";
/// Metadata key of the W3C Trace Context of the calling span.
pub const TRACEPARENT_HEADER: &str = "traceparent";
/// The longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The transport a generated client runs over, in either mode.
pub type Channel = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, TransportError>;

/// Why a call did not reach the service (a concrete type, so that resolvers' futures stay
/// `Send` for every lifetime).
#[derive(Debug)]
pub struct TransportError(tonic::codegen::StdError);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// A channel to a service server in this process: each call is encoded, handed to the
/// server's tower service and decoded again, exactly as over the network, without a socket.
pub fn local<S>(server: S) -> Channel
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    BoxCloneSyncService::new(
        server.map_err(|never: Infallible| -> TransportError { match never {} }),
    )
}

/// A channel to a service at `url` (e.g. `http://processes:50051`). The connection is made
/// on first use and re-made after failures; call it inside a Tokio runtime.
pub fn remote(url: &str) -> Result<Channel, tonic::transport::Error> {
    let channel = tonic::transport::Endpoint::from_shared(url.to_owned())?.connect_lazy();
    Ok(BoxCloneSyncService::new(
        channel.map_err(|e| TransportError(e.into())),
    ))
}

/// A service server as an axum router, to serve with `axum::serve` (HTTP/1.1 and h2c) beside
/// `/healthz`, `/readyz` and `/metrics`. Every call's bearer token is verified by `verifier`
/// before the service sees the call.
pub fn router<S>(server: S, verifier: Verifier) -> axum::Router
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    tonic::service::Routes::new(server)
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(verifier, authenticate))
}

// ------------------------------------------------------------------------------------------
// Errors
// ------------------------------------------------------------------------------------------

/// The gRPC status code of a stable error code.
pub fn grpc_code(code: ErrorCode) -> tonic::Code {
    match code {
        ErrorCode::BadUserInput => tonic::Code::InvalidArgument,
        ErrorCode::Unauthenticated => tonic::Code::Unauthenticated,
        ErrorCode::Forbidden => tonic::Code::PermissionDenied,
        ErrorCode::NotFound => tonic::Code::NotFound,
        ErrorCode::Conflict => tonic::Code::Aborted,
        ErrorCode::RateLimited => tonic::Code::ResourceExhausted,
        ErrorCode::Internal => tonic::Code::Internal,
    }
}

/// The stable error code of a gRPC status code; codes the services never send (e.g.
/// `UNAVAILABLE` from the transport) are `INTERNAL`.
pub fn error_code(code: tonic::Code) -> ErrorCode {
    match code {
        tonic::Code::InvalidArgument => ErrorCode::BadUserInput,
        tonic::Code::Unauthenticated => ErrorCode::Unauthenticated,
        tonic::Code::PermissionDenied => ErrorCode::Forbidden,
        tonic::Code::NotFound => ErrorCode::NotFound,
        tonic::Code::Aborted => ErrorCode::Conflict,
        tonic::Code::ResourceExhausted => ErrorCode::RateLimited,
        _ => ErrorCode::Internal,
    }
}

/// The status an error leaves a service as. Internal errors are logged here and sent as
/// "internal error" only.
pub fn status<E: HasErrorCode + fmt::Display + ?Sized>(error: &E) -> Status {
    let code = error.code();
    if code == ErrorCode::Internal {
        tracing::error!(error = %error, "internal error");
        Status::internal("internal error")
    } else {
        Status::new(grpc_code(code), error.to_string())
    }
}

/// Why a call to a service failed, as its caller sees it: the stable code and the message.
/// For `INTERNAL` the message is "internal error", or the transport's failure, for the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong; shown to clients unless the code is `INTERNAL`.
    pub message: String,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServiceError {}

impl HasErrorCode for ServiceError {
    fn code(&self) -> ErrorCode {
        self.code
    }
}

impl From<Status> for ServiceError {
    fn from(status: Status) -> Self {
        Self {
            code: error_code(status.code()),
            message: status.message().to_owned(),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Metadata
// ------------------------------------------------------------------------------------------

/// The caller of a call, as a server trusts it: put into the request's extensions by
/// [`router`] after it verified the call's bearer token (a service on the network), or by
/// [`request`] for a call that stays in this process ([`local`]: the gateway in front of it
/// verified the token). Extensions never cross a network, so no client can set this.
#[derive(Debug, Clone)]
struct Authenticated(Principal);

/// Who a call is made for, as the client side sends it.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The authenticated user.
    pub principal: &'a Principal,
    /// Their bearer token, relayed so that a service on the network verifies it itself.
    pub token: Option<&'a str>,
    /// The client's idempotency key (commands only).
    pub idempotency_key: Option<&'a str>,
    /// Ties together everything one user request caused.
    pub correlation_id: Option<Uuid>,
}

/// Call a service for `caller`: `call` gets a clone of `client` and the [`request`] of
/// `message`; a refusal comes back as the [`ServiceError`] of its stable code.
pub async fn send<C, M, R, F, Fut>(
    client: &C,
    caller: Caller<'_>,
    message: M,
    call: F,
) -> Result<R, ServiceError>
where
    C: Clone,
    F: FnOnce(C, Request<M>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let request = request(caller, message)?;
    Ok(call(client.clone(), request).await?.into_inner())
}

/// A request carrying `message` and the caller's metadata, with the current span's
/// `traceparent`.
pub fn request<M>(caller: Caller<'_>, message: M) -> Result<Request<M>, ServiceError> {
    let mut request = Request::new(message);
    request
        .extensions_mut()
        .insert(Authenticated(caller.principal.clone()));
    let ascii = |value: String| {
        MetadataValue::<Ascii>::try_from(value).map_err(|e| ServiceError {
            code: ErrorCode::Internal,
            message: format!("metadata: {e}"),
        })
    };
    let metadata = request.metadata_mut();
    if let Some(token) = caller.token {
        metadata.insert(AUTHORIZATION_HEADER, ascii(format!("Bearer {token}"))?);
    }
    if let Some(key) = caller.idempotency_key {
        // Only the client's key can hold what metadata cannot carry.
        let key = key.parse().map_err(|_| ServiceError {
            code: ErrorCode::BadUserInput,
            message: "idempotencyKey must be printable ASCII".into(),
        })?;
        metadata.insert(IDEMPOTENCY_HEADER, key);
    }
    if let Some(id) = caller.correlation_id {
        metadata.insert(CORRELATION_HEADER, ascii(id.to_string())?);
    }
    if let Some(traceparent) = telemetry::current_traceparent() {
        metadata.insert(TRACEPARENT_HEADER, ascii(traceparent)?);
    }
    Ok(request)
}

/// Verify the bearer token of a call that came over the network and put its caller into
/// the request; a call without a valid token is answered `UNAUTHENTICATED` here and never
/// reaches a handler.
async fn authenticate(
    axum::extract::State(verifier): axum::extract::State<Verifier>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // Whatever a client sent, only the verified token counts.
    request.extensions_mut().remove::<Authenticated>();
    let header = request
        .headers()
        .get(AUTHORIZATION_HEADER)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let verified = match header {
        Some(value) => verifier.verify_header(&value).await,
        None => Err(crate::AuthError(format!(
            "a bearer token is required ({AUTHORIZATION_HEADER} metadata)"
        ))),
    };
    match verified {
        Ok(principal) => {
            request.extensions_mut().insert(Authenticated(principal));
            next.run(request).await
        }
        Err(why) => Status::unauthenticated(why.to_string()).into_http(),
    }
}

/// A call as the server side received it.
#[derive(Debug, Clone)]
pub struct Call {
    /// The caller.
    pub principal: Principal,
    /// The caller's bearer token as the call carried it (none in-process without one), to
    /// relay to another service on their behalf.
    pub token: Option<String>,
    /// The client's idempotency key, if any.
    pub idempotency_key: Option<String>,
    /// The correlation id (a new one when the client sent none).
    pub correlation_id: Uuid,
    /// The method and a fingerprint of the request's bytes.
    request: String,
}

impl Call {
    /// The command context of this call.
    pub fn context(&self) -> CommandContext<'_> {
        CommandContext {
            principal: &self.principal,
            idempotency_key: self.idempotency_key.as_deref(),
            correlation_id: self.correlation_id,
            request: &self.request,
        }
    }

    fn of(
        method: &str,
        metadata: &MetadataMap,
        extensions: &tonic::Extensions,
        bytes: &[u8],
    ) -> Result<Self, Status> {
        let text = |key: &str| metadata.get(key).and_then(|v| v.to_str().ok());
        let Authenticated(principal) = extensions
            .get::<Authenticated>()
            .cloned()
            .ok_or_else(|| Status::unauthenticated("a bearer token is required"))?;
        let idempotency_key = match text(IDEMPOTENCY_HEADER) {
            Some(key) if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY => {
                return Err(Status::invalid_argument(format!(
                    "idempotencyKey must be 1 to {MAX_IDEMPOTENCY_KEY} characters"
                )));
            }
            key => key.map(str::to_owned),
        };
        let token = text(AUTHORIZATION_HEADER)
            .and_then(|v| crate::auth::bearer(v).ok())
            .map(str::to_owned);
        Ok(Self {
            principal,
            token,
            idempotency_key,
            correlation_id: text(CORRELATION_HEADER)
                .and_then(|v| Uuid::parse_str(v).ok())
                .unwrap_or_else(Uuid::now_v7),
            request: format!("{method} {}", fingerprint(bytes)),
        })
    }
}

/// The skeleton of every rpc handler: a span that continues the caller's trace, the
/// authenticated caller (`UNAUTHENTICATED` without one), then `handler` with the call and the
/// request message; its error leaves as the status of its stable code.
pub async fn handle<Req, Rep, E, F, Fut>(
    method: &'static str,
    request: Request<Req>,
    handler: F,
) -> Result<Response<Rep>, Status>
where
    Req: Message,
    E: HasErrorCode + fmt::Display,
    F: FnOnce(Call, Req) -> Fut,
    Fut: Future<Output = Result<Rep, E>>,
{
    let span = tracing::info_span!("rpc", method);
    telemetry::set_parent(
        &span,
        request
            .metadata()
            .get(TRACEPARENT_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    async move {
        let call = Call::of(
            method,
            request.metadata(),
            request.extensions(),
            &request.get_ref().encode_to_vec(),
        )?;
        handler(call, request.into_inner())
            .await
            .map(Response::new)
            .map_err(|e| status(&e))
    }
    .instrument(span)
    .await
}

/// What every rpc handler answers.
pub type Reply<T> = Result<Response<T>, Status>;

/// Why an rpc handler's command did not take effect: the domain's refusal or the store's
/// failure.
pub type Failure = CommandError<DomainError>;

/// A record id; one that is not a UUID names no record: `NOT_FOUND`.
pub fn record_id(raw: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(raw).map_err(|_| CommandError::Domain(DomainError::NotFound))
}

/// A request the domain refuses before anything is loaded.
pub fn invalid(error: DomainError) -> Failure {
    CommandError::Domain(error)
}

/// The handler of every service's `GetHistory`: the events of record `aggregate_id` the
/// caller may read, as `history` gives them for the call, answered by [`history_reply`]
/// (`package` is the events' protobuf package).
pub async fn get_history<F, Fut>(
    request: Request<GetHistoryRequest>,
    package: &str,
    history: F,
) -> Reply<HistoryReply>
where
    F: FnOnce(Call, String) -> Fut,
    Fut: Future<Output = Result<Vec<StoredEvent>, Failure>>,
{
    handle("GetHistory", request, |call, req| async move {
        let reader = call.principal.clone();
        let events = history(call, req.aggregate_id).await?;
        Ok::<_, Failure>(history_reply(&events, &reader, package)?)
    })
    .await
}

/// The reply to a command that took effect.
pub fn command_reply<A>(executed: Executed<A>) -> CommandReply {
    CommandReply {
        aggregate_id: executed.result.aggregate_id,
        version: executed.result.version,
        position: executed.result.position,
        replayed: executed.replayed,
    }
}

/// The audit trail of a record for `reader`, who may read it: every event's envelope, its
/// payload redacted by the contract's privacy marks ([`reflect::redact_payload`]) and the
/// actor's user id only for members of the actor's municipality. `package` is the protobuf
/// package of the events, e.g. `innohub.processes.v1`.
///
/// For a reader from another municipality than the record's (a partner), `events` are the
/// ones the service shows them, which may leave some of the stream out: what the envelopes
/// say beyond each event must not tell how many were left out, or which. Their `sequence`
/// is renumbered 1, 2, … in the order given (the reader's own gapless trail), and
/// `position`, `correlation_id` and `causation_id`, which count or link the owner's other
/// events, are cleared.
pub fn history_reply(
    events: &[StoredEvent],
    reader: &Principal,
    package: &str,
) -> Result<HistoryReply, crate::StoreError> {
    let reading = reader.municipality.as_str();
    let mut out = Vec::with_capacity(events.len());
    for (event, sequence) in events.iter().zip(1..) {
        let mut envelope = kafka::envelope(event);
        envelope.payload = reflect::redact_payload(
            &format!("{package}.{}", event.event_type),
            &event.payload,
            &event.municipality,
            reading,
        )
        .map_err(|e| crate::StoreError::Corrupt(format!("event {}: {e}", event.event_id)))?;
        if let Some(actor) = &mut envelope.actor
            && actor.municipality != reading
        {
            actor.user.clear();
        }
        if event.municipality != reading {
            envelope.sequence = sequence;
            envelope.position = 0;
            envelope.correlation_id.clear();
            envelope.causation_id.clear();
        }
        out.push(envelope);
    }
    Ok(HistoryReply { events: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_round_trip_their_grpc_codes() {
        for code in [
            ErrorCode::BadUserInput,
            ErrorCode::Unauthenticated,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::Conflict,
            ErrorCode::RateLimited,
            ErrorCode::Internal,
        ] {
            assert_eq!(error_code(grpc_code(code)), code);
        }
        assert_eq!(error_code(tonic::Code::Unavailable), ErrorCode::Internal);
    }

    #[test]
    fn a_partners_history_is_numbered_for_them_and_links_nothing_else() {
        use innohub_proto::innohub::processes::v1 as pb;
        use prost::Name as _;
        let phase = pb::ProcessPhaseChanged {
            from: pb::Phase::Idea as i32,
            to: pb::Phase::PreAnalysis as i32,
            reason: String::new(),
        };
        // The events a service shows: the 3rd and the 7th of their stream.
        let events: Vec<StoredEvent> = [3, 7]
            .into_iter()
            .map(|sequence| StoredEvent {
                position: 100 + sequence,
                event_id: Uuid::now_v7(),
                municipality: "DK-0706".into(),
                aggregate_type: "process".into(),
                aggregate_id: "p".into(),
                sequence,
                event_type: "ProcessPhaseChanged".into(),
                payload: phase.encode_to_vec(),
                actor_user: "ivan".into(),
                actor_municipality: "DK-0706".into(),
                occurred_at: chrono::Utc::now(),
                correlation_id: Uuid::now_v7(),
                causation_id: Some(Uuid::now_v7()),
            })
            .collect();
        let reader = |municipality: &str| Principal {
            user: crate::UserId::parse("someone").expect("user"),
            municipality: crate::MunicipalityId::parse(municipality).expect("municipality"),
            department: None,
            roles: Default::default(),
        };
        let package = pb::ProcessPhaseChanged::PACKAGE;
        let partner = history_reply(&events, &reader("SE-1283"), package).expect("reply");
        let seen: Vec<_> = partner
            .events
            .iter()
            .map(|e| {
                (
                    e.sequence,
                    e.position,
                    e.correlation_id.as_str(),
                    e.causation_id.as_str(),
                )
            })
            .collect();
        assert_eq!(seen, [(1, 0, "", ""), (2, 0, "", "")]);
        let member = history_reply(&events, &reader("DK-0706"), package).expect("reply");
        let sequences: Vec<_> = member
            .events
            .iter()
            .map(|e| (e.sequence, e.position))
            .collect();
        assert_eq!(sequences, [(3, 103), (7, 107)]);
        assert_eq!(
            member.events[0].correlation_id,
            events[0].correlation_id.to_string()
        );
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let status = status(&ServiceError {
            code: ErrorCode::Internal,
            message: "disk on fire at /var/lib".to_owned(),
        });
        assert_eq!(status.code(), tonic::Code::Internal);
        assert_eq!(status.message(), "internal error");
    }
}
