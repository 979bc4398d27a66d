//! Embedded mode: every service, the projections and the gateway in one process on SQLite
//! files in the data directory (`events.sqlite`: the event store, `views.sqlite`: read models).
//! The gateway calls each service through its generated gRPC client over the in-process
//! server, exactly as in distributed mode but without a socket.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use innohub_processes::ProcessesApp;
use innohub_projections::{ProcessQueries, ProcessViews};
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::projection::{Projection as _, ProjectionRunner};
use innohub_runtime::{Database, EventStore};
use tokio::sync::watch;

use innohub_runtime::Verifier;

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
    let runner = ProjectionRunner::new(ProcessViews, store.clone(), views.clone()).await?;
    let consistency =
        Consistency::Local(BTreeMap::from([(ProcessViews.source(), runner.progress())]));
    runner.catch_up().await?;
    tokio::spawn(runner.run(shutdown));
    let services = Services {
        processes: ProcessesServiceClient::new(innohub_processes::grpc::channel(
            ProcessesApp::new(store),
        )),
        queries: ProcessQueries::new(views.clone()),
        consistency,
    };
    Ok((services, vec![events, views], empty))
}

/// Serve GraphQL until ctrl-c or SIGTERM.
pub async fn serve(
    listen: SocketAddr,
    data_dir: &Path,
    verifier: Verifier,
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
    let state = AppState::new(
        graphql::schema(services),
        verifier,
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
