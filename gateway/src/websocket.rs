//! GraphQL over WebSocket at `/graphql`: the `graphql-transport-ws` protocol, for the live
//! subscriptions (`crate::graphql::Subscription`).
//!
//! - **Signed in by `connection_init`**: its payload carries the bearer token
//!   (`{"Authorization": "Bearer …"}`, or `{"token": "…"}`), verified exactly as an HTTP
//!   request's header is ([`crate::server::caller`], OIDC included), and counted against the
//!   caller's rate limit. No valid token, an unregistered municipality or no
//!   `connection_init` within [`INIT_TIMEOUT`]: the connection is closed (4403, 4408).
//! - **Never longer than the token**: at the token's expiry the connection is closed with
//!   4401; the client reconnects with a fresh token.
//! - **The read rule per subscriber**: each subscription reads as the connection's caller.
//! - **A slow client is dropped, never the server slowed**: the subscriptions run whatever
//!   the client reads (a half-done read never holds a database connection while it waits),
//!   and their messages queue for the writer, at most [`BUFFER`] of them behind a write
//!   buffer of at most [`MAX_WRITE_BUFFER`]; a client whose queue is full, or that does not
//!   take a message within [`SEND_TIMEOUT`], is disconnected
//!   (`innohub_ws_dropped_slow_total`).
//! - **No dead connections**: the server pings every `--ws-keepalive` seconds (30); a client
//!   that sends nothing, not even the pong, for three of them is closed with 3008.
//! - **Subscriptions only**: queries and mutations are HTTP requests (with their rate limit
//!   and checks); over the socket they are refused with `BAD_USER_INPUT`.
//! - At most [`crate::graphql::MAX_SUBSCRIPTIONS`] subscriptions per connection; open
//!   connections are counted in `innohub_ws_connections`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_graphql::http::{
    ClientMessage, WebSocket as GraphqlWebSocket, WebSocketProtocols as Protocols, WsMessage,
};
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response as GraphqlResponse};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, Stream, StreamExt};
use innohub_runtime::auth::expires_at;
use innohub_runtime::metrics::METRICS;
use tokio::time::Instant;

use futures::stream::BoxStream;
use innohub_runtime::ErrorCode;

use crate::graphql::{Caller, Connection, InnohubSchema, ensure_codes, error};
use crate::server::{AppState, MAX_BODY_BYTES, caller};

/// The one protocol spoken.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// How long a new connection may take to send `connection_init`.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the client may take to accept one message before it is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The protocol's ping; the client answers with a pong.
const PING: &str = r#"{"type":"ping"}"#;
/// Pings a client may leave unanswered (sending nothing at all) before it is disconnected
/// (close 3008).
const SILENT_PINGS: u32 = 3;
/// The most bytes waiting to be written to one connection.
pub const MAX_WRITE_BUFFER: usize = 1024 * 1024;
/// The most messages waiting for one connection's writer (behind its write buffer); one
/// more and the client is dropped as slow.
pub const BUFFER: usize = 64;

/// Close codes of the protocol (and ours).
mod close {
    /// The token expired: reconnect with a new one.
    pub const EXPIRED: u16 = 4401;
    /// No valid token, or the caller may not use innohub.
    pub const FORBIDDEN: u16 = 4403;
    /// No `connection_init` in time.
    pub const INIT_TIMEOUT: u16 = 4408;
    /// Over the caller's rate limit.
    pub const TOO_MANY: u16 = 4429;
    /// A message the protocol does not allow here.
    pub const BAD_REQUEST: u16 = 4400;
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
}

/// Counts an open connection in `innohub_ws_connections` while it lives.
struct Counted;

impl Counted {
    fn new() -> Self {
        METRICS.ws_connections.fetch_add(1, Ordering::Relaxed);
        Self
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        METRICS.ws_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The schema as the socket runs it: subscription operations only, and every error with a
/// stable code (as over HTTP).
#[derive(Clone)]
struct Subscriptions(InnohubSchema);

impl Subscriptions {
    /// Whether `request` runs a subscription (the executor reports a document that does
    /// not parse or names no such operation).
    fn subscribes(request: &Request) -> bool {
        let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
            return true;
        };
        let name = request.operation_name.as_deref();
        let ty = match (name, document.operations.iter().next()) {
            (None, Some((_, operation))) => Some(operation.node.ty),
            (Some(name), _) => document
                .operations
                .iter()
                .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
                .map(|(_, operation)| operation.node.ty),
            (None, None) => None,
        };
        ty.is_none_or(|ty| ty == OperationType::Subscription)
    }
}

impl Executor for Subscriptions {
    async fn execute(&self, request: Request) -> GraphqlResponse {
        let mut response = self.0.execute(request).await;
        ensure_codes(&mut response);
        response
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, GraphqlResponse> {
        if !Self::subscribes(&request) {
            let mut refused = error(
                ErrorCode::BadUserInput,
                "only subscriptions run over the WebSocket; send queries and mutations as \
                 HTTP POST /graphql",
            )
            .into_server_error(Default::default());
            // It is about the whole request, no place in it.
            refused.locations.clear();
            let refused = GraphqlResponse::from_errors(vec![refused]);
            return futures::stream::once(futures::future::ready(refused)).boxed();
        }
        Executor::execute_stream(&self.0, request, session_data)
            .map(|mut response| {
                ensure_codes(&mut response);
                response
            })
            .boxed()
    }
}

/// Upgrade `GET /graphql` to a GraphQL WebSocket; a client that does not offer
/// `graphql-transport-ws` is refused with 400.
pub fn upgrade(state: AppState, address: SocketAddr, upgrade: WebSocketUpgrade) -> Response {
    let upgrade = upgrade.protocols([PROTOCOL]);
    if upgrade.selected_protocol().is_none() {
        return (
            StatusCode::BAD_REQUEST,
            format!("a GraphQL WebSocket speaks the {PROTOCOL} protocol (Sec-WebSocket-Protocol)"),
        )
            .into_response();
    }
    upgrade
        .max_message_size(MAX_BODY_BYTES)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .on_upgrade(move |socket| serve(socket, state, address))
}

/// One connection, from `connection_init` to its close.
async fn serve(socket: WebSocket, state: AppState, address: SocketAddr) {
    let _counted = Counted::new();
    let (mut sink, mut source) = socket.split();
    let (caller, expires) = match signed_in(&state, address, &mut source).await {
        Ok(signed_in) => signed_in,
        Err((code, reason)) => {
            let _ = close_with(&mut sink, code, &reason).await;
            return;
        }
    };
    let mut data = Data::default();
    data.insert(caller);
    data.insert(Connection::default());
    // `connection_init` was handled here; the protocol engine gets one without a payload
    // and acknowledges it.
    let init = ClientMessage::ConnectionInit { payload: None };
    let messages =
        futures::stream::once(futures::future::ready(Ok(init))).chain(client_messages(source));
    let executor = Subscriptions(state.schema().clone());
    let keepalive = state.keepalive();
    let protocol = GraphqlWebSocket::from_message_stream(executor, messages, Protocols::GraphQLWS)
        .connection_data(data)
        .keepalive_timeout(keepalive.map(|ping| ping * SILENT_PINGS));
    // The protocol engine is polled all the time, whatever the client reads: a
    // subscription half-way through a read (holding a database connection) must finish it.
    // What it sends waits in a bounded queue for the writer.
    let (queue, mut queued) = tokio::sync::mpsc::channel(BUFFER);
    let ended = {
        let produce = produce(protocol, (expires, keepalive), queue);
        let write = async {
            while let Some(frame) = queued.recv().await {
                match tokio::time::timeout(SEND_TIMEOUT, sink.send(frame)).await {
                    Ok(Ok(())) => {}
                    // The client went away.
                    Ok(Err(_)) => return Ended::Gone,
                    Err(_) => return Ended::Slow,
                }
            }
            Ended::Gone
        };
        tokio::pin!(produce, write);
        tokio::select! {
            ended = &mut produce => match ended {
                // Flush what is queued (the writer ends when the queue is empty), then close;
                // a client that takes longer than one message's time is slow.
                Ended::Close(code, reason) => match tokio::time::timeout(SEND_TIMEOUT, write).await {
                    Ok(Ended::Gone) => Ended::Close(code, reason),
                    Ok(other) => other,
                    Err(_) => Ended::Slow,
                },
                other => other,
            },
            ended = &mut write => ended,
        }
    };
    match ended {
        Ended::Close(code, reason) => {
            let _ = close_with(&mut sink, code, &reason).await;
        }
        Ended::Slow => {
            METRICS.ws_dropped_slow.fetch_add(1, Ordering::Relaxed);
            tracing::info!(%address, "dropped a WebSocket client that did not read its messages");
        }
        Ended::Gone => {}
    }
}

/// How a connection ends.
enum Ended {
    /// Closed by the server with this code and reason.
    Close(u16, String),
    /// The client did not take its messages: dropped.
    Slow,
    /// The client went away.
    Gone,
}

/// Run the protocol engine until it ends or the token `expires`, queueing what it sends and
/// a ping every `keepalive`; a full queue means the client does not read.
async fn produce(
    mut protocol: impl Stream<Item = WsMessage> + Unpin,
    (expires, keepalive): (Instant, Option<Duration>),
    queue: tokio::sync::mpsc::Sender<Message>,
) -> Ended {
    let expiry = tokio::time::sleep_until(expires);
    tokio::pin!(expiry);
    let mut pings = keepalive.map(|every| tokio::time::interval_at(Instant::now() + every, every));
    let ping = async |pings: &mut Option<tokio::time::Interval>| match pings {
        Some(pings) => pings.tick().await,
        None => std::future::pending().await,
    };
    loop {
        let message = tokio::select! {
            message = protocol.next() => message,
            () = &mut expiry => return Ended::Close(close::EXPIRED, "the token expired".into()),
            _ = ping(&mut pings) => Some(WsMessage::Text(PING.to_owned())),
        };
        let frame = match message {
            Some(WsMessage::Text(text)) => Message::Text(text.into()),
            Some(WsMessage::Close(code, reason)) => return Ended::Close(code, reason),
            None => return Ended::Close(close::NORMAL, String::new()),
        };
        match queue.try_send(frame) {
            Ok(()) => {}
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => return Ended::Slow,
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => return Ended::Gone,
        }
    }
}

/// The caller named by the connection's first message, which must be `connection_init`,
/// and when their token expires; or the close code and reason.
async fn signed_in(
    state: &AppState,
    address: SocketAddr,
    source: &mut (impl Stream<Item = Result<Message, axum::Error>> + Unpin),
) -> Result<(Caller, Instant), (u16, String)> {
    let first = tokio::time::timeout(INIT_TIMEOUT, first_text(source))
        .await
        .map_err(|_| {
            (
                close::INIT_TIMEOUT,
                "Connection initialisation timeout".to_owned(),
            )
        })?
        .ok_or((close::NORMAL, String::new()))?;
    let Ok(ClientMessage::ConnectionInit { payload }) = ClientMessage::from_bytes(first.as_bytes())
    else {
        return Err((
            close::BAD_REQUEST,
            "the first message must be connection_init".into(),
        ));
    };
    let token = payload.as_ref().and_then(bearer_of);
    let mut headers = HeaderMap::new();
    if let Some(token) = &token {
        let value = HeaderValue::from_str(token).map_err(|_| {
            (
                close::FORBIDDEN,
                "Forbidden: the token is not a header value".to_owned(),
            )
        })?;
        headers.insert(header::AUTHORIZATION, value);
    }
    let caller = caller(state, &headers).await;
    if let Err(wait) = state.limit(&caller, address) {
        return Err((
            close::TOO_MANY,
            format!("too many requests; retry in {} s", wait.as_secs().max(1)),
        ));
    }
    if let Some((_, why)) = caller.refusal() {
        return Err((close::FORBIDDEN, format!("Forbidden: {why}")));
    }
    let Caller::Authenticated(_, token) = &caller else {
        return Err((close::FORBIDDEN, "Forbidden".into()));
    };
    let expires = expiry(expires_at(token).unwrap_or(i64::MAX));
    Ok((caller, expires))
}

/// The `Authorization` value of a `connection_init` payload: `Authorization` (any case)
/// as it is, or `token` as a bearer token.
fn bearer_of(payload: &serde_json::Value) -> Option<String> {
    let object = payload.as_object()?;
    let header = object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.as_str());
    match (header, object.get("token").and_then(|v| v.as_str())) {
        (Some(header), _) => Some(header.to_owned()),
        (None, Some(token)) => Some(format!("Bearer {token}")),
        (None, None) => None,
    }
}

/// When a connection whose token expires at `exp` (seconds since the epoch) closes: then,
/// or, for a token accepted within the clock-skew leeway after it, when that ends.
fn expiry(exp: i64) -> Instant {
    let now = chrono::Utc::now().timestamp();
    let leeway = innohub_runtime::auth::LEEWAY_SECONDS as i64;
    let at = if exp > now { exp } else { exp + leeway };
    let left = u64::try_from(at.saturating_sub(now)).unwrap_or(0);
    // Far enough for "never" without overflowing the clock.
    Instant::now() + Duration::from_secs(left.min(10 * 365 * 24 * 3600))
}

/// The first text (or binary) message; `None` when the client closed first.
async fn first_text(
    source: &mut (impl Stream<Item = Result<Message, axum::Error>> + Unpin),
) -> Option<String> {
    while let Some(Ok(message)) = source.next().await {
        match message {
            Message::Text(text) => return Some(text.to_string()),
            Message::Binary(bytes) => return Some(String::from_utf8_lossy(&bytes).into_owned()),
            Message::Close(_) => return None,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    None
}

/// The protocol messages of the rest of the connection; ends when the client closes.
fn client_messages(
    source: impl Stream<Item = Result<Message, axum::Error>>,
) -> impl Stream<Item = serde_json::Result<ClientMessage>> {
    source
        .take_while(|m| {
            futures::future::ready(matches!(m, Ok(m) if !matches!(m, Message::Close(_))))
        })
        .filter_map(|m| {
            futures::future::ready(match m {
                Ok(Message::Text(text)) => Some(ClientMessage::from_bytes(text.as_bytes())),
                Ok(Message::Binary(bytes)) => Some(ClientMessage::from_bytes(&bytes)),
                _ => None,
            })
        })
}

/// `reason` cut to the 123 bytes a close frame holds (at a character boundary, with an
/// ellipsis): a longer one makes the frame invalid, and the client would see no reason at all.
fn fitting(reason: &str) -> String {
    const MAX: usize = 123;
    if reason.len() <= MAX {
        return reason.to_owned();
    }
    let mut end = MAX - '…'.len_utf8();
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &reason[..end])
}

/// Close the connection with `code` and `reason`.
async fn close_with(
    sink: &mut (impl futures::Sink<Message, Error = axum::Error> + Unpin),
    code: u16,
    reason: &str,
) -> Result<(), axum::Error> {
    let frame = CloseFrame {
        code,
        reason: fitting(reason).into(),
    };
    tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Close(Some(frame))))
        .await
        .unwrap_or(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_reason_is_cut_to_what_a_close_frame_holds() {
        assert_eq!(fitting("Forbidden"), "Forbidden");
        let long = "Forbidden: municipality Åre kommun (SE-2321) är inte registrerad ".repeat(3);
        let cut = fitting(&long);
        assert!(
            cut.len() <= 123 && cut.ends_with('…'),
            "{} bytes",
            cut.len()
        );
        assert!(long.starts_with(cut.trim_end_matches('…')));
    }

    #[test]
    fn the_token_is_read_from_the_authorization_entry_or_token() {
        let header = serde_json::json!({ "authorization": "Bearer abc" });
        assert_eq!(bearer_of(&header).as_deref(), Some("Bearer abc"));
        let token = serde_json::json!({ "token": "abc" });
        assert_eq!(bearer_of(&token).as_deref(), Some("Bearer abc"));
        assert_eq!(bearer_of(&serde_json::json!({})), None);
        assert_eq!(bearer_of(&serde_json::json!("Bearer abc")), None);
    }
}
