//! The harness every service's gRPC test (`services/<context>/tests/grpc.rs`) is written
//! with: the service served over a real network (its `grpc::router` served by axum on a free
//! local port, verifying development tokens of [`test_keys`]) and in-process (its
//! `grpc::channel`, no socket), both on one SQLite event store in a fresh temporary
//! directory ([`Served`]); routers served beside it ([`Server`]); callers ([`person`]), their
//! tokens ([`token_for`]), a call made for them ([`send`], [`rpc!`](crate::rpc)) and one that
//! only claims a caller
//! ([`forged_request`]).
//!
//! A test helper reports a broken setup by panicking, with what failed.
#![allow(clippy::expect_used)]

use std::collections::BTreeSet;
use std::future::Future;
use std::path::PathBuf;

use innohub_proto::innohub::common::v1 as pb;
use prost::Message as _;
use tokio::task::JoinHandle;
use tonic::metadata::MetadataValue;
use uuid::Uuid;

use crate::auth::DevKeys;
use crate::grpc::{Caller, Channel, ServiceError, remote};
use crate::{
    Database, DepartmentId, EventStore, MunicipalityId, Principal, Role, UserId, Verifier,
};

/// The keys of the development tokens every served test service accepts.
pub fn test_keys() -> DevKeys {
    DevKeys::from_secret(b"the innohub grpc tests' secret")
}

/// The verifier of a served test service: development tokens of [`test_keys`].
pub fn test_verifier() -> Verifier {
    Verifier::development(test_keys())
}

/// A token for `by`, valid for an hour, that every served test service accepts.
pub fn token_for(by: &Principal) -> String {
    test_keys()
        .mint(by, 1)
        .expect("a development token for a test principal")
}

/// A principal: `user` of `municipality` (and `department`, if any) in `roles`.
pub fn person(
    user: &str,
    municipality: &str,
    department: Option<&str>,
    roles: &[Role],
) -> Principal {
    Principal {
        user: UserId::parse(user).expect("a valid test user"),
        municipality: MunicipalityId::parse(municipality).expect("a valid test municipality"),
        department: department
            .map(|department| DepartmentId::parse(department).expect("a valid test department")),
        roles: roles.iter().copied().collect::<BTreeSet<_>>(),
    }
}

/// Call `client` for `by` (with an idempotency key, maybe), with a token of
/// [`token_for`]: `call` is given a clone of the client and the request. A refusal comes back
/// as its stable code and message.
pub async fn send<C, M, R, F, Fut>(
    client: &C,
    by: &Principal,
    key: Option<&str>,
    message: M,
    call: F,
) -> Result<R, ServiceError>
where
    C: Clone,
    F: FnOnce(C, tonic::Request<M>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let token = token_for(by);
    let caller = Caller {
        principal: by,
        token: Some(&token),
        idempotency_key: key,
        correlation_id: None,
    };
    crate::grpc::send(client, caller, message, call).await
}

/// Call rpc `method` of `client` with `request` for `by` ([`send`], without an idempotency
/// key): `rpc!(client, &by, plan_pilot(request))`.
#[macro_export]
macro_rules! rpc {
    ($client:expr, $by:expr, $method:ident($request:expr)) => {
        $crate::testing::send($client, $by, None, $request, |mut c, r| async move {
            c.$method(r).await
        })
    };
}

/// A request of `message` that claims `principal` in the metadata services trusted before
/// they verified tokens themselves (`x-innohub-principal-bin`), with `authorization` metadata
/// (if any): a served service must find its caller UNAUTHENTICATED unless `authorization`
/// is a valid bearer token, and never take the claim.
pub fn forged_request<M>(
    message: M,
    principal: &pb::Principal,
    authorization: Option<&str>,
) -> tonic::Request<M> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert_bin(
        "x-innohub-principal-bin",
        MetadataValue::from_bytes(&principal.encode_to_vec()),
    );
    if let Some(value) = authorization {
        request.metadata_mut().insert(
            "authorization",
            value.parse().expect("authorization metadata in ASCII"),
        );
    }
    request
}

/// A router served on a free local port until dropped.
pub struct Server {
    /// Where it is served (`http://127.0.0.1:<port>`).
    pub url: String,
    task: JoinHandle<()>,
}

impl Server {
    /// Serve `router` on a free local port.
    pub async fn start(router: axum::Router) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free local port");
        let port = listener
            .local_addr()
            .expect("the bound port's address")
            .port();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("serving the test router");
        });
        Server {
            url: format!("http://127.0.0.1:{port}"),
            task,
        }
    }

    /// A channel to it over the network.
    pub fn remote(&self) -> Channel {
        remote(&self.url).expect("a channel to the served router")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A service served on a fresh event store, with a client over the network and one
/// in-process; the store's directory is removed when it is dropped.
pub struct Served<A, C> {
    /// Where the service is served.
    pub url: String,
    /// A client over the network.
    pub remote: C,
    /// A client in-process, on the same app.
    pub local: C,
    /// The app both clients reach.
    pub app: A,
    /// The app's event store.
    pub store: EventStore,
    /// The temporary directory of the store (and of any [`Served::open_store`]).
    pub dir: PathBuf,
    server: Server,
}

impl<A: Clone, C> Served<A, C> {
    /// Open a fresh store in a fresh temporary directory, build the service's `app` on it,
    /// serve its `router` (verifying tokens of [`test_keys`]) and make a `client` over the
    /// network and one over its in-process `channel`. For a service, e.g.
    /// `Served::start(ProcessesApp::new, grpc::router, grpc::channel, Client::new)`.
    pub async fn start(
        app: impl FnOnce(EventStore) -> A,
        router: impl FnOnce(A, Verifier) -> axum::Router,
        channel: impl FnOnce(A) -> Channel,
        client: impl Fn(Channel) -> C,
    ) -> Self {
        let dir = std::env::temp_dir().join(format!("innohub-test-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let store = open(&dir, "events.sqlite").await;
        let app = app(store.clone());
        let server = Server::start(router(app.clone(), test_verifier())).await;
        Served {
            url: server.url.clone(),
            remote: client(server.remote()),
            local: client(channel(app.clone())),
            app,
            store,
            dir,
            server,
        }
    }
}

impl<A, C> Served<A, C> {
    /// Another event store in the same directory, in the file `name` (e.g. another
    /// service's served beside this one).
    pub async fn open_store(&self, name: &str) -> EventStore {
        open(&self.dir, name).await
    }
}

impl<A, C> Drop for Served<A, C> {
    fn drop(&mut self) {
        self.server.task.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The SQLite event store in `dir/name`, created if missing.
async fn open(dir: &std::path::Path, name: &str) -> EventStore {
    let db = Database::connect(&Database::sqlite_url(&dir.join(name)))
        .await
        .expect("a SQLite database in the test directory");
    EventStore::open(db, false)
        .await
        .expect("an event store on the test database")
}
