//! A GraphQL-over-WebSocket client for the black-box tests: the `graphql-transport-ws`
//! protocol on the app's `/graphql`, spoken by hand so the tests see every message and every
//! close code the server sends.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures::{SinkExt as _, StreamExt as _};
use innohub_tests::App;
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The subprotocol the gateway speaks.
pub const SUBPROTOCOL: &str = "graphql-transport-ws";

/// What the server sent: a protocol message, or the end of the connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A `graphql-transport-ws` message (`connection_ack`, `next`, `error`, `complete`, …).
    Message(Value),
    /// The connection ended: the close frame's code and reason, or `None` when it ended
    /// without one (reset, EOF).
    Closed(Option<(u16, String)>),
}

/// One WebSocket connection to `/graphql`.
pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Messages read while waiting for something else (another subscription's), in order.
    pending: VecDeque<Value>,
    /// How the connection ended, once it has.
    closed: Option<Option<(u16, String)>>,
}

/// The app's `/graphql` as a `ws://` URL.
pub fn ws_url(app: &App) -> String {
    format!("{}/graphql", app.url.replacen("http://", "ws://", 1))
}

/// A `connection_init` payload with `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> Value {
    json!({ "Authorization": format!("Bearer {token}") })
}

/// The upgrade request for `/graphql` with the `graphql-transport-ws` subprotocol.
fn request(app: &App) -> anyhow::Result<tungstenite::handshake::client::Request> {
    let mut request = ws_url(app).into_client_request()?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    Ok(request)
}

impl Socket {
    /// Open a connection (the upgrade only; no `connection_init` yet). The server must
    /// choose the `graphql-transport-ws` subprotocol.
    pub async fn open(app: &App) -> anyhow::Result<Socket> {
        let (stream, response) = tokio_tungstenite::connect_async(request(app)?)
            .await
            .context("WebSocket upgrade of /graphql")?;
        Self::opened(stream, &response)
    }

    /// [`Self::open`] over a TCP socket with a receive buffer of `bytes` (the kernel's
    /// minimum applies): a client that stops reading fills it, and then the server's
    /// buffers, quickly.
    pub async fn open_with_receive_buffer(app: &App, bytes: u32) -> anyhow::Result<Socket> {
        let address = app
            .url
            .strip_prefix("http://")
            .context("an http:// app")?
            .parse()?;
        let socket = TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(bytes)?;
        let tcp = socket.connect(address).await?;
        let (stream, response) =
            tokio_tungstenite::client_async(request(app)?, MaybeTlsStream::Plain(tcp))
                .await
                .context("WebSocket upgrade of /graphql")?;
        Self::opened(stream, &response)
    }

    fn opened(
        stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
        response: &tungstenite::handshake::client::Response,
    ) -> anyhow::Result<Socket> {
        let chosen = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok());
        if chosen != Some(SUBPROTOCOL) {
            bail!("the server chose subprotocol {chosen:?}, not {SUBPROTOCOL}");
        }
        Ok(Socket {
            stream,
            pending: VecDeque::new(),
            closed: None,
        })
    }

    /// Open a connection and initialise it with `Authorization: Bearer <token>`; the
    /// server must acknowledge.
    pub async fn connect(app: &App, token: &str) -> anyhow::Result<Socket> {
        let mut socket = Self::open(app).await?;
        socket.init(bearer(token)).await?;
        Ok(socket)
    }

    /// [`Self::connect`], then start `subscriptions`, each an id, a query and its variables.
    pub async fn subscribed(
        app: &App,
        token: &str,
        subscriptions: &[(&str, &str, Value)],
    ) -> anyhow::Result<Socket> {
        let mut socket = Self::connect(app, token).await?;
        for (id, query, variables) in subscriptions {
            socket.subscribe(id, query, variables.clone()).await?;
        }
        Ok(socket)
    }

    /// Send `connection_init` with `payload` and wait (5 s at most) for the
    /// `connection_ack`.
    pub async fn init(&mut self, payload: Value) -> anyhow::Result<()> {
        match self.init_answer(payload, Duration::from_secs(5)).await? {
            Event::Message(m) if m["type"] == "connection_ack" => Ok(()),
            other => bail!("connection_init was answered with {other:?}"),
        }
    }

    /// Send `connection_init` with `payload`; the first thing the server answers within
    /// `timeout`: a message or the close.
    pub async fn init_answer(
        &mut self,
        payload: Value,
        timeout: Duration,
    ) -> anyhow::Result<Event> {
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await?;
        self.event(timeout)
            .await?
            .context("no answer to connection_init")
    }

    /// Send a protocol message.
    pub async fn send(&mut self, message: Value) -> anyhow::Result<()> {
        self.stream
            .send(Message::text(message.to_string()))
            .await
            .context("sending on the WebSocket")
    }

    /// Start subscription `id`: `query` with `variables`.
    pub async fn subscribe(
        &mut self,
        id: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<()> {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await
    }

    /// Stop subscription `id`.
    pub async fn complete(&mut self, id: &str) -> anyhow::Result<()> {
        self.send(json!({ "id": id, "type": "complete" })).await
    }

    /// The next thing the server sends within `timeout` (`None` if nothing came): a message
    /// set aside earlier first. Protocol pings are answered on the way.
    pub async fn event(&mut self, timeout: Duration) -> anyhow::Result<Option<Event>> {
        if let Some(message) = self.pending.pop_front() {
            return Ok(Some(Event::Message(message)));
        }
        self.read(Instant::now() + timeout).await
    }

    /// Read from the wire until `deadline`.
    async fn read(&mut self, deadline: Instant) -> anyhow::Result<Option<Event>> {
        if let Some(closed) = &self.closed {
            return Ok(Some(Event::Closed(closed.clone())));
        }
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return Ok(None),
                Ok(frame) => frame,
            };
            let ended = match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value =
                        serde_json::from_str(&text).with_context(|| format!("not JSON: {text}"))?;
                    if message["type"] == "ping" {
                        // A pong that cannot be sent: the server has gone; the next read
                        // says how.
                        let _ = self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Ok(Some(Event::Message(message)));
                }
                Some(Ok(Message::Close(frame))) => {
                    frame.map(|f| (u16::from(f.code), f.reason.to_string()))
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => None,
            };
            self.closed = Some(ended.clone());
            return Ok(Some(Event::Closed(ended)));
        }
    }

    /// The next message of subscription `id` within `timeout`, any type; messages of other
    /// subscriptions are set aside. An error if the connection ends or nothing comes.
    pub async fn message_for(&mut self, id: &str, timeout: Duration) -> anyhow::Result<Value> {
        if let Some(i) = self.pending.iter().position(|m| m["id"] == id) {
            return self.pending.remove(i).context("a pending message");
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.read(deadline).await? {
                None => bail!("nothing for subscription {id} within {timeout:?}"),
                Some(Event::Closed(how)) => {
                    bail!("the connection closed ({how:?}) before subscription {id} got a message")
                }
                Some(Event::Message(m)) if m["id"] == id => return Ok(m),
                Some(Event::Message(m)) => self.pending.push_back(m),
            }
        }
    }

    /// The next `next` payload of subscription `id` that carries data without errors,
    /// within `timeout`; an `error`, a `complete` or errors in the payload fail.
    pub async fn next_for(&mut self, id: &str, timeout: Duration) -> anyhow::Result<Value> {
        let message = self.message_for(id, timeout).await?;
        let payload = &message["payload"];
        if message["type"] != "next"
            || payload.get("errors").is_some_and(|e| !e.is_null())
            || payload["data"].is_null()
        {
            bail!("subscription {id}: expected data, got {message:#}");
        }
        Ok(payload["data"].clone())
    }

    /// The errors subscription `id` ended with, within `timeout`: those of an `error`
    /// message, or of a `next` with errors (followed by `complete`, which is consumed).
    pub async fn errors_for(&mut self, id: &str, timeout: Duration) -> anyhow::Result<Value> {
        let message = self.message_for(id, timeout).await?;
        let errors = match message["type"].as_str() {
            Some("error") => message["payload"].clone(),
            Some("next") if message["payload"]["errors"].is_array() => {
                if !message["payload"]["data"].is_null() {
                    bail!("subscription {id}: data with the errors: {message:#}");
                }
                let end = self.message_for(id, timeout).await?;
                if end["type"] != "complete" {
                    bail!("subscription {id}: after its errors came {end:#}, not complete");
                }
                message["payload"]["errors"].clone()
            }
            _ => bail!("subscription {id}: expected errors, got {message:#}"),
        };
        if errors.as_array().is_none_or(|e| e.is_empty()) {
            bail!("subscription {id}: no errors in {message:#}");
        }
        Ok(errors)
    }

    /// Everything subscription `id` gets during `window` (set-aside messages included).
    pub async fn during(&mut self, id: &str, window: Duration) -> anyhow::Result<Vec<Value>> {
        let deadline = Instant::now() + window;
        let mut got: Vec<Value> = Vec::new();
        let mut kept = VecDeque::new();
        for m in self.pending.drain(..) {
            if m["id"] == id {
                got.push(m);
            } else {
                kept.push_back(m);
            }
        }
        self.pending = kept;
        loop {
            match self.read(deadline).await? {
                None => return Ok(got),
                Some(Event::Closed(how)) => {
                    bail!("the connection closed ({how:?}) during the window")
                }
                Some(Event::Message(m)) if m["id"] == id => got.push(m),
                Some(Event::Message(m)) => self.pending.push_back(m),
            }
        }
    }

    /// Every message (of any subscription) the server sends during `window`, set-aside
    /// ones first.
    pub async fn all_during(&mut self, window: Duration) -> anyhow::Result<Vec<Value>> {
        let deadline = Instant::now() + window;
        let mut got: Vec<Value> = self.pending.drain(..).collect();
        loop {
            match self.read(deadline).await? {
                None => return Ok(got),
                Some(Event::Closed(how)) => {
                    bail!("the connection closed ({how:?}) during the window")
                }
                Some(Event::Message(m)) => got.push(m),
            }
        }
    }

    /// Read everything until the connection ends, at most `timeout`; how it ended.
    pub async fn closed(&mut self, timeout: Duration) -> anyhow::Result<Option<(u16, String)>> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.read(deadline).await? {
                None => bail!("the connection was not closed within {timeout:?}"),
                Some(Event::Closed(how)) => return Ok(how),
                Some(Event::Message(_)) => {}
            }
        }
    }

    /// Close the connection normally and wait (5 s at most) for the server's close.
    pub async fn close(mut self) -> anyhow::Result<()> {
        if self.closed.is_some() {
            return Ok(());
        }
        self.stream
            .close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await
            .context("closing the WebSocket")?;
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(_)) = self.stream.next().await {}
        })
        .await;
        Ok(())
    }
}

/// The code of the first error in a list of GraphQL errors.
pub fn first_code(errors: &Value) -> String {
    errors[0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_owned()
}

/// `connection_init` with `payload` (`what` names the case) is answered by closing the
/// connection with `code`; the close's reason.
pub async fn init_is_closed_with(app: &App, payload: Value, code: u16, what: &str) -> String {
    let mut socket = Socket::open(app).await.expect("open");
    let answer = socket
        .init_answer(payload, Duration::from_secs(5))
        .await
        .expect("an answer to connection_init");
    match answer {
        Event::Closed(Some((got, reason))) => {
            assert_eq!(got, code, "{what}: closed with {got} {reason:?}");
            reason
        }
        other => panic!("{what}: expected a close with {code}, got {other:?}"),
    }
}

/// Subscribing to `query` with `variables` as `token` ends with NOT_FOUND exactly as with
/// `id` set to an id no record has, and delivers nothing: a record the subscriber may not
/// read is as unknown to a subscription as to a query.
pub async fn subscription_hidden_like_missing(
    app: &App,
    token: &str,
    query: &str,
    variables: Value,
) {
    let mut socket = Socket::connect(app, token).await.expect("connect");
    let mut missing = variables.clone();
    missing["id"] = json!(super::NOBODY);
    socket
        .subscribe("hidden", query, variables)
        .await
        .expect("subscribe");
    socket
        .subscribe("missing", query, missing)
        .await
        .expect("subscribe");
    let wait = Duration::from_secs(5);
    let hidden = socket.errors_for("hidden", wait).await.expect("errors");
    let none = socket.errors_for("missing", wait).await.expect("errors");
    assert_eq!(first_code(&hidden), "NOT_FOUND", "{query}: {hidden:#}");
    assert_eq!(hidden, none, "{query}: a hidden record looks missing");
    socket.close().await.expect("close");
}

/// A value of the app's `/metrics`: the sum over the lines of `name` (with any labels).
pub async fn metric(app: &App, name: &str) -> anyhow::Result<f64> {
    let text = app
        .client()
        .get(format!("{}/metrics", app.url))
        .send()
        .await?
        .text()
        .await?;
    let mut found = None;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let value = match rest.chars().next() {
            Some(' ') => rest.trim(),
            Some('{') => rest.rsplit_once('}').map_or("", |(_, v)| v.trim()),
            _ => continue,
        };
        let value: f64 = value
            .parse()
            .with_context(|| format!("metric line {line:?}"))?;
        *found.get_or_insert(0.0) += value;
    }
    found.with_context(|| format!("no metric {name} in /metrics:\n{text}"))
}
