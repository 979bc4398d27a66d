//! The operations endpoints every innohub process serves: `/healthz` (the process runs),
//! `/readyz` (its databases answer and it can do its work) and `/metrics` (Prometheus).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::Database;
use crate::metrics::METRICS;

/// A readiness check: `Err(reason)` when the process cannot serve.
pub type ReadyCheck =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// Ready when every database answers.
pub fn databases_ready(databases: Vec<Database>) -> ReadyCheck {
    Arc::new(move || {
        let databases = databases.clone();
        Box::pin(async move {
            for db in &databases {
                db.ping().await.map_err(|e| format!("database: {e}"))?;
            }
            Ok(())
        })
    })
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn router(ready: ReadyCheck) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/readyz",
            get(move || {
                let ready = ready.clone();
                async move {
                    match ready().await {
                        Ok(()) => (StatusCode::OK, "ready".to_owned()),
                        Err(why) => {
                            tracing::warn!(reason = %why, "not ready");
                            (StatusCode::SERVICE_UNAVAILABLE, why)
                        }
                    }
                }
            }),
        )
        .route("/metrics", get(metrics))
}

async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        METRICS.render(),
    )
}
