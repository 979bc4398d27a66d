//! Embedded mode: every service, the projections and the gateway in one process on SQLite
//! files in the data directory (`events.sqlite`: the event store, `views.sqlite`: read models).
//! The gateway calls each service through its generated gRPC client over the in-process
//! server, exactly as in distributed mode but without a socket.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use innohub_directory::DirectoryApp;
use innohub_funding::FundingApp;
use innohub_ideas::IdeasApp;
use innohub_ideas::links::{self, OutcomeLinks};
use innohub_pilots::PilotsApp;
use innohub_processes::ProcessesApp;
use innohub_projections::ProcessQueries;
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;
use innohub_proto::innohub::funding::v1::funding_service_client::FundingServiceClient;
use innohub_proto::innohub::ideas::v1::ideas_service_client::IdeasServiceClient;
use innohub_proto::innohub::pilots::v1::pilots_service_client::PilotsServiceClient;
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::changes::{self, ChangeFeed};
use innohub_runtime::projection::{Projection, ProjectionRunner};
use innohub_runtime::{Database, EventStore};
use tokio::sync::watch;

use crate::auth::SignIn;
use crate::graphql::{self, Consistency, Services};
use crate::server::{AppState, EdgeArgs, router};

/// Open the stores, start the projection and return the services, and whether the store
/// held no events yet.
pub async fn start(
    data_dir: &Path,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(Services, Vec<Database>, bool)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let events = Database::connect(&Database::sqlite_url(&data_dir.join("events.sqlite"))).await?;
    let views = Database::connect(&Database::sqlite_url(&data_dir.join("views.sqlite"))).await?;
    // The store first: it is the source of truth, and its refusal the one to read first.
    let store = EventStore::open(events.clone(), false).await?;
    views.migrate(&innohub_projections::migrations()).await?;
    let empty = store.head() == 0;
    // Every read model, each tailing the one store (a projection skips the other services'
    // events).
    let mut runners = Runners {
        store: store.clone(),
        views: views.clone(),
        progress: BTreeMap::new(),
        runs: Vec::new(),
        changes: changes::feed(),
    };
    innohub_projections::for_each(&mut runners).await?;
    let directory = DirectoryServiceClient::new(innohub_directory::grpc::channel(
        DirectoryApp::new(store.clone()),
    ));
    let processes = ProcessesServiceClient::new(innohub_processes::grpc::channel(
        ProcessesApp::new(store.clone()).with_directory(directory.clone()),
    ));
    let pilots = PilotsServiceClient::new(innohub_pilots::grpc::channel(
        PilotsApp::new(store.clone()).with_directory(directory.clone()),
    ));
    let funding = FundingServiceClient::new(innohub_funding::grpc::channel(
        FundingApp::new(store.clone()).with_directory(directory.clone()),
    ));
    let ideas = IdeasApp::new(store.clone())
        .with_directory(directory.clone())
        .with_processes(processes.clone())
        .with_pilots(pilots.clone());
    // The ideas service completes the links of processes and pilots spawned from ideas
    // from their services' events, as any read model follows them.
    for outcome in [links::PROCESS, links::PILOT] {
        runners
            .follow(OutcomeLinks::new(ideas.clone(), outcome))
            .await?;
    }
    runners.spawn(shutdown);
    let services = Services {
        processes,
        ideas: IdeasServiceClient::new(innohub_ideas::grpc::channel(ideas)),
        pilots,
        funding,
        directory,
        queries: ProcessQueries::new(views.clone()),
        views: views.clone(),
        consistency: Consistency::Local(runners.progress),
        changes: runners.changes,
    };
    Ok((services, vec![events, views], empty))
}

/// The projection runners of embedded mode: caught up before serving, then kept current.
struct Runners {
    store: EventStore,
    views: Database,
    /// Each runner's progress, by the service whose events feed it.
    progress: BTreeMap<&'static str, Vec<watch::Receiver<i64>>>,
    /// The runners, to start once all have caught up.
    runs: Vec<Box<dyn FnOnce(watch::Receiver<bool>) + Send>>,
    /// Where the runners announce what they committed (the live subscriptions' feed).
    changes: ChangeFeed,
}

impl innohub_projections::Visitor for Runners {
    type Error = anyhow::Error;

    /// Catch the read model `projection` up with the store, to be kept current by
    /// [`Runners::spawn`]; reads with a consistency token wait for it.
    async fn visit<P: Projection + Copy>(&mut self, projection: P) -> anyhow::Result<()> {
        let source = projection.source();
        let progress = self.follow(projection).await?;
        self.progress.entry(source).or_default().push(progress);
        Ok(())
    }
}

impl Runners {
    /// Catch `projection` up with the store, to be kept current by [`Runners::spawn`];
    /// returns its progress.
    async fn follow<P: Projection>(
        &mut self,
        projection: P,
    ) -> anyhow::Result<watch::Receiver<i64>> {
        let runner = ProjectionRunner::new(projection, self.store.clone(), self.views.clone())
            .await?
            .with_changes(self.changes.clone());
        runner.catch_up().await?;
        let progress = runner.progress();
        self.runs.push(Box::new(move |shutdown| {
            tokio::spawn(runner.run(shutdown));
        }));
        Ok(progress)
    }

    /// Keep every runner current until `shutdown`.
    fn spawn(&mut self, shutdown: watch::Receiver<bool>) {
        for run in self.runs.drain(..) {
            run(shutdown.clone());
        }
    }
}

/// Serve GraphQL until ctrl-c or SIGTERM.
pub async fn serve(
    listen: SocketAddr,
    data_dir: &Path,
    sign_in: SignIn,
    edge: EdgeArgs,
    demo: bool,
) -> anyhow::Result<()> {
    let (stop, shutdown) = watch::channel(false);
    let (services, databases, empty) = start(data_dir, shutdown).await?;
    match (demo, empty) {
        (true, true) => crate::demo::load(&services).await?,
        (true, false) => tracing::info!("store is not empty; demo not loaded"),
        (false, _) => {}
    }
    let views = services.views.clone();
    let state = AppState::new(
        graphql::schema(services),
        sign_in,
        views,
        databases.clone(),
        &edge,
    )?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    tracing::info!(address = %listener.local_addr()?, data_dir = %data_dir.display(), "innohub serving GraphQL (embedded)");
    println!("innohub listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    })
    .await?;
    for db in databases {
        db.close().await;
    }
    Ok(())
}

pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
