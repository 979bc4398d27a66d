//! Distributed mode: each part of innohub as its own process over PostgreSQL and Kafka.
//!
//! - `innohub processes`, `innohub directory`, `innohub ideas`, `innohub pilots`,
//!   `innohub funding`: a service each: gRPC commands, its own event store, and the outbox relay publishing to
//!   `innohub.<service>.events.v1`.
//! - `innohub projections`: consumes the events topics into the read models.
//! - `innohub projections rebuild`: replays a read model from the topics beside the live one
//!   and swaps it in at the end.
//! - `innohub gateway`: GraphQL; commands go to the services over gRPC, reads to the
//!   projections' read models.
//!
//! Every long-running process serves `/healthz`, `/readyz` and `/metrics`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use innohub_directory::DirectoryApp;
use innohub_ideas::IdeasApp;
use innohub_ideas::links::{self, OutcomeLinks};
use innohub_projections::ProcessQueries;
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;
use innohub_proto::innohub::funding::v1::funding_service_client::FundingServiceClient;
use innohub_proto::innohub::ideas::v1::ideas_service_client::IdeasServiceClient;
use innohub_proto::innohub::pilots::v1::pilots_service_client::PilotsServiceClient;
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::changes;
use innohub_runtime::kafka::KafkaConfig;
use innohub_runtime::kafka::relay::OutboxRelay;
use innohub_runtime::kafka::source::KafkaProjection;
use innohub_runtime::projection::Projection;
use innohub_runtime::{Backend, Database, EventStore, Verifier, grpc, ops};
use tokio::sync::watch;

use crate::auth::SignIn;
use crate::graphql::{self, Consistency, Services};
use crate::server::{AppState, EdgeArgs, router};

/// Open a PostgreSQL database; distributed mode runs on nothing else.
async fn postgres(url: &str) -> anyhow::Result<Database> {
    let db = Database::connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    anyhow::ensure!(
        db.backend() == Backend::Postgres,
        "distributed mode needs PostgreSQL (got {})",
        redact(url)
    );
    Ok(db)
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn listen(address: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    Ok(listener)
}

/// Serve `app` until ctrl-c or SIGTERM, then tell the background tasks to stop.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    stop: watch::Sender<bool>,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        crate::embedded::shutdown_signal().await;
        let _ = stop.send(true);
    })
    .await?;
    Ok(())
}

/// A service's process: its event store on `database_url`, the outbox relay publishing to
/// `innohub.<service>.events.v1`, and the gRPC router `build` makes beside the operations
/// endpoints. `build` may start followers of other services' topics ([`follow`]).
async fn service(
    service: &'static str,
    address: SocketAddr,
    database_url: &str,
    kafka: KafkaConfig,
    build: impl AsyncFnOnce(&mut Started) -> anyhow::Result<axum::Router>,
) -> anyhow::Result<()> {
    let db = postgres(database_url).await?;
    let store = EventStore::open(db.clone(), true).await?;
    let (stop, shutdown) = watch::channel(false);
    let relay = OutboxRelay::new(store.clone(), &kafka, service)?;
    let relay = tokio::spawn(relay.run(shutdown.clone()));
    let mut started = Started {
        store,
        db: db.clone(),
        kafka,
        shutdown,
        followers: Vec::new(),
    };
    let app = build(&mut started)
        .await?
        .merge(ops::router(ops::databases_ready(vec![db.clone()])));
    let listener = listen(address).await?;
    tracing::info!(address = %listener.local_addr()?, service, "service (gRPC) serving");
    serve(listener, app, stop).await?;
    let _ = relay.await;
    for follower in started.followers {
        let _ = follower.await;
    }
    db.close().await;
    Ok(())
}

/// What a service's builder starts from.
struct Started {
    /// The service's event store.
    store: EventStore,
    /// Its database (followers keep their checkpoints there).
    db: Database,
    kafka: KafkaConfig,
    shutdown: watch::Receiver<bool>,
    followers: Vec<tokio::task::JoinHandle<()>>,
}

impl Started {
    /// Follow `projection`'s source topic, checkpointed in the service's own database, until
    /// the service stops.
    async fn follow<P: Projection>(&mut self, projection: P) -> anyhow::Result<()> {
        let source = KafkaProjection::new(projection, self.db.clone(), self.kafka.clone()).await?;
        self.followers.push(consume(source, self.shutdown.clone()));
        Ok(())
    }
}

/// Run a Kafka consumer until `shutdown`, restarted with backoff when it fails.
fn consume<P: Projection>(
    source: KafkaProjection<P>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(500);
        loop {
            match source.run(shutdown.clone()).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::error!(group = source.group(), error = %e, retry_in = ?backoff, "consumer failed");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => return,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    })
}

/// How a service whose one peer is the directory serves its app: from its store, the
/// directory's client and the token verifier, its gRPC router.
pub type PeerRouter =
    fn(EventStore, DirectoryServiceClient<grpc::Channel>, Verifier) -> axum::Router;

/// `innohub processes`, `innohub pilots`, `innohub funding`: the service `name`, which asks the directory
/// service at `directory_url` who shares a network with a caller; `router` makes its gRPC
/// router from its store and the directory's client.
pub async fn beside_directory(
    name: &'static str,
    address: SocketAddr,
    database_url: &str,
    directory_url: &str,
    kafka: KafkaConfig,
    router: impl FnOnce(EventStore, DirectoryServiceClient<grpc::Channel>) -> axum::Router,
) -> anyhow::Result<()> {
    let directory = DirectoryServiceClient::new(remote("directory", directory_url)?);
    service(
        name,
        address,
        database_url,
        kafka,
        async |started: &mut Started| Ok(router(started.store.clone(), directory)),
    )
    .await
}

/// `innohub ideas`: it asks the directory service at `directory_url` who shares a network
/// with a caller, creates the processes and pilots spawned from ideas at `processes_url`
/// and `pilots_url`, and follows both services' topics to complete every such link on the
/// idea's side.
pub async fn ideas(
    address: SocketAddr,
    database_url: &str,
    reach: IdeasReach<'_>,
    kafka: KafkaConfig,
    verifier: Verifier,
) -> anyhow::Result<()> {
    let directory = DirectoryServiceClient::new(remote("directory", reach.directory_url)?);
    let processes = ProcessesServiceClient::new(remote("processes", reach.processes_url)?);
    let pilots = PilotsServiceClient::new(remote("pilots", reach.pilots_url)?);
    service(
        innohub_ideas::SERVICE,
        address,
        database_url,
        kafka,
        async |started: &mut Started| {
            let app = IdeasApp::new(started.store.clone())
                .with_directory(directory)
                .with_processes(processes)
                .with_pilots(pilots);
            for outcome in [links::PROCESS, links::PILOT] {
                started
                    .follow(OutcomeLinks::new(app.clone(), outcome))
                    .await?;
            }
            Ok(innohub_ideas::grpc::router(app, verifier))
        },
    )
    .await
}

/// The services the ideas service reaches, by their gRPC addresses.
#[derive(Debug, Clone, Copy)]
pub struct IdeasReach<'a> {
    /// The directory service (who shares a network with a caller).
    pub directory_url: &'a str,
    /// The processes service (processes spawned from ideas).
    pub processes_url: &'a str,
    /// The pilots service (pilots started from ideas).
    pub pilots_url: &'a str,
}

/// The channel to the `what` service at `url`.
fn remote(what: &str, url: &str) -> anyhow::Result<grpc::Channel> {
    grpc::remote(url).with_context(|| format!("{what} service address {url}"))
}

/// `innohub directory`.
pub async fn directory(
    address: SocketAddr,
    database_url: &str,
    kafka: KafkaConfig,
    verifier: Verifier,
) -> anyhow::Result<()> {
    service(
        innohub_directory::SERVICE,
        address,
        database_url,
        kafka,
        async |started: &mut Started| {
            let app = DirectoryApp::new(started.store.clone());
            Ok(innohub_directory::grpc::router(app, verifier))
        },
    )
    .await
}

/// `innohub projections`: a consumer per read model, each restarted with backoff when it
/// fails.
pub async fn projections(
    address: SocketAddr,
    database_url: &str,
    kafka: KafkaConfig,
) -> anyhow::Result<()> {
    let views = postgres(database_url).await?;
    views.migrate(&innohub_projections::migrations()).await?;
    let (stop, shutdown) = watch::channel(false);
    let mut consumers = Consumers {
        views: views.clone(),
        kafka,
        shutdown,
        running: Vec::new(),
    };
    innohub_projections::for_each(&mut consumers).await?;
    let listener = listen(address).await?;
    tracing::info!(address = %listener.local_addr()?, "projections service serving");
    serve(
        listener,
        ops::router(ops::databases_ready(vec![views.clone()])),
        stop,
    )
    .await?;
    for consumer in consumers.running {
        let _ = consumer.await;
    }
    views.close().await;
    Ok(())
}

/// The projections service's consumers, one per read model.
struct Consumers {
    views: Database,
    kafka: KafkaConfig,
    shutdown: watch::Receiver<bool>,
    running: Vec<tokio::task::JoinHandle<()>>,
}

impl innohub_projections::Visitor for Consumers {
    type Error = anyhow::Error;

    async fn visit<P: Projection + Copy>(&mut self, projection: P) -> anyhow::Result<()> {
        let source =
            KafkaProjection::new(projection, self.views.clone(), self.kafka.clone()).await?;
        self.running.push(consume(source, self.shutdown.clone()));
        Ok(())
    }
}

/// `innohub projections rebuild`: the read model named `name`, replayed from its topic.
struct Rebuild<'a> {
    name: &'a str,
    database_url: &'a str,
    kafka: KafkaConfig,
    done: bool,
}

impl innohub_projections::Visitor for Rebuild<'_> {
    type Error = anyhow::Error;

    async fn visit<P: Projection + Copy>(&mut self, projection: P) -> anyhow::Result<()> {
        if projection.name() != self.name {
            return Ok(());
        }
        let views = postgres(self.database_url).await?;
        views.migrate(&innohub_projections::migrations()).await?;
        let source = KafkaProjection::new(projection, views.clone(), self.kafka.clone()).await?;
        let mut stderr = std::io::stderr();
        let report = source
            .rebuild(&innohub_projections::migrations(), |done, total| {
                let _ = write!(stderr, "\r{}", progress_bar(done, total));
                let _ = stderr.flush();
            })
            .await?;
        eprintln!();
        println!(
            "rebuilt {}: {} events in {:.1} s ({:.0} events/s){}",
            self.name,
            report.events,
            report.elapsed.as_secs_f64(),
            report.events_per_second(),
            if report.skipped > 0 {
                format!(", {} undecodable messages skipped", report.skipped)
            } else {
                String::new()
            }
        );
        views.close().await;
        self.done = true;
        Ok(())
    }
}

/// `innohub projections rebuild`.
pub async fn rebuild(
    projection: &str,
    database_url: &str,
    kafka: KafkaConfig,
) -> anyhow::Result<()> {
    let mut rebuild = Rebuild {
        name: projection,
        database_url,
        kafka,
        done: false,
    };
    innohub_projections::for_each(&mut rebuild).await?;
    if !rebuild.done {
        let known: Vec<_> = innohub_projections::names()
            .await
            .into_values()
            .flatten()
            .collect();
        anyhow::bail!(
            "unknown projection {projection:?}; known: {}",
            known.join(", ")
        );
    }
    Ok(())
}

fn progress_bar(done: u64, total: u64) -> String {
    const WIDTH: u64 = 40;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH) as usize;
    format!(
        "[{}{}] {done}/{total} events",
        "#".repeat(filled),
        ".".repeat(WIDTH as usize - filled)
    )
}

/// `innohub gateway`.
pub async fn gateway(
    address: SocketAddr,
    reach: GatewayReach<'_>,
    views_url: &str,
    sign_in: SignIn,
    edge: EdgeArgs,
) -> anyhow::Result<()> {
    let views = postgres(views_url).await?;
    let services = Services {
        processes: ProcessesServiceClient::new(remote("processes", reach.processes_url)?),
        ideas: IdeasServiceClient::new(remote("ideas", reach.ideas_url)?),
        pilots: PilotsServiceClient::new(remote("pilots", reach.pilots_url)?),
        funding: FundingServiceClient::new(remote("funding", reach.funding_url)?),
        directory: DirectoryServiceClient::new(remote("directory", reach.directory_url)?),
        queries: ProcessQueries::new(views.clone()),
        views: views.clone(),
        consistency: Consistency::applied(views.clone(), innohub_projections::names().await),
        changes: changes::feed(),
    };
    let (stop, shutdown) = watch::channel(false);
    // The projections announce what they commit with PostgreSQL NOTIFY: no polling.
    tokio::spawn(changes::listen(
        views.clone(),
        services.changes.clone(),
        shutdown,
    ));
    let state = AppState::new(
        graphql::schema(services),
        sign_in,
        views.clone(),
        vec![views.clone()],
        &edge,
    )?;
    let listener = listen(address).await?;
    tracing::info!(address = %listener.local_addr()?, ?reach, "gateway serving GraphQL (distributed)");
    serve(listener, router(state), stop).await?;
    views.close().await;
    Ok(())
}

/// The services the gateway sends commands to, by their gRPC addresses.
#[derive(Debug, Clone, Copy)]
pub struct GatewayReach<'a> {
    /// The processes service.
    pub processes_url: &'a str,
    /// The directory service.
    pub directory_url: &'a str,
    /// The ideas service.
    pub ideas_url: &'a str,
    /// The pilots service.
    pub pilots_url: &'a str,
    /// The funding service.
    pub funding_url: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact("postgres://app@db/x"), "postgres://app@db/x");
    }

    #[test]
    fn progress_bar_fills() {
        assert!(progress_bar(0, 10).starts_with("[........"));
        assert!(progress_bar(10, 10).starts_with("[########################################]"));
        assert!(progress_bar(0, 0).contains("0/0"));
    }
}
