//! Tracing for every innohub process: `tracing` to stderr (filter `INNOHUB_LOG`, default
//! `info`), OpenTelemetry spans exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is
//! set (protocol from `OTEL_EXPORTER_OTLP_PROTOCOL`, protobuf by default; info-level spans
//! whatever `INNOHUB_LOG` says), and W3C
//! `traceparent` propagation so that one trace spans mutation → service → Kafka → projection.
//!
//! In the distributed processes spans get OpenTelemetry ids whether or not they are exported,
//! so the `traceparent` carried in gRPC metadata and Kafka headers always names the trace of
//! the command. Embedded mode without an exporter gives them none: nothing it does leaves the
//! process, and the ids would cost every request.

use std::collections::HashMap;

use opentelemetry::Context;
use opentelemetry::propagation::TextMapPropagator as _;
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The installed tracer; [`Telemetry::shutdown`] flushes spans not yet exported.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

impl Telemetry {
    /// Flush and stop the exporter.
    pub fn shutdown(self) {
        if let Err(e) = self.provider.shutdown() {
            eprintln!("telemetry shutdown: {e}");
        }
    }
}

/// Install the global subscriber for the process `component` (e.g. `gateway`): its
/// OpenTelemetry service name is `innohub-<component>` unless `OTEL_SERVICE_NAME` says
/// otherwise.
pub fn init(component: &str) -> Result<Telemetry, Box<dyn std::error::Error + Send + Sync>> {
    let service_name = std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| format!("innohub-{component}"));
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service_name)
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    let exporting = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| !v.is_empty());
    let tracing_ids = exporting || component != "embedded";
    if exporting {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    let tracer = provider.tracer("innohub");
    let filter = tracing_subscriber::EnvFilter::try_from_env("INNOHUB_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The log filter only quietens stderr: spans still reach OpenTelemetry, so trace
    // context is carried on even when the log level is `warn`.
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .with(tracing_ids.then(|| {
            tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
        }))
        .try_init()?;
    if exporting {
        tracing::info!("exporting traces over OTLP");
    }
    Ok(Telemetry { provider })
}

/// The W3C `traceparent` of the current span, if it belongs to a trace.
pub fn current_traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    if !context.span().span_context().is_valid() {
        return None;
    }
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&context, &mut carrier);
    carrier.remove("traceparent")
}

/// Make `span` a child of the trace named by `traceparent` (ignored when absent or invalid).
pub fn set_parent(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(context) = traceparent.and_then(extract) {
        // Without the OpenTelemetry layer (some tests) there is nothing to link.
        let _ = span.set_parent(context);
    }
}

/// Tie a span that works on a batch to the traces of the batch's events: a child of the trace
/// when there is one (the usual case when load is light, so one trace runs from the command
/// to the read model), else a link to each.
pub fn join_traces<'a>(span: &tracing::Span, traceparents: impl IntoIterator<Item = &'a str>) {
    let contexts: Vec<Context> = traceparents.into_iter().filter_map(extract).collect();
    match contexts.as_slice() {
        [one] => {
            let _ = span.set_parent(one.clone());
        }
        many => {
            for context in many {
                span.add_link(context.span().span_context().clone());
            }
        }
    }
}

fn extract(traceparent: &str) -> Option<Context> {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let context = TraceContextPropagator::new().extract(&carrier);
    context.span().span_context().is_valid().then_some(context)
}

/// The trace id (32 hex digits) of a `traceparent`.
pub fn trace_id(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.split('-');
    let _version = parts.next()?;
    let id = parts.next()?;
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_id_is_the_second_field() {
        assert_eq!(
            trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        assert_eq!(trace_id("garbage"), None);
    }
}
