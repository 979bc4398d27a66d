//! Prometheus metrics of an innohub process: a fixed set of counters and gauges, rendered in
//! the text exposition format at `/metrics` (see [`crate::ops`]). Each process exposes the
//! ones it moves; the others stay at zero.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A counter or gauge with its exposition metadata.
struct Metric {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
}

macro_rules! metrics {
    ($( $field:ident : $atomic:ty = ($name:literal, $kind:literal, $help:literal) ),* $(,)?) => {
        /// The process's metrics.
        pub struct Metrics {
            $( #[doc = $help] pub $field: $atomic, )*
        }

        /// The one registry of this process.
        pub static METRICS: Metrics = Metrics {
            $( $field: <$atomic>::new(0), )*
        };

        impl Metrics {
            fn each(&self) -> Vec<(Metric, i128)> {
                vec![$( (
                    Metric { name: $name, help: $help, kind: $kind },
                    self.$field.load(Ordering::Relaxed) as i128,
                ), )*]
            }
        }
    };
}

metrics! {
    commands_ok: AtomicU64 = ("innohub_commands_succeeded_total", "counter", "Commands that were accepted (including idempotent replays)."),
    commands_rejected: AtomicU64 = ("innohub_commands_rejected_total", "counter", "Commands refused by a domain rule, validation or access."),
    commands_failed: AtomicU64 = ("innohub_commands_failed_total", "counter", "Commands that failed with an internal or conflict error."),
    appends: AtomicU64 = ("innohub_events_appended_total", "counter", "Events appended to the event store."),
    store_commits: AtomicU64 = ("innohub_store_commits_total", "counter", "Transactions that committed appends to the event store; on SQLite concurrent appends share one, so fewer than the appends."),
    conflicts: AtomicU64 = ("innohub_append_conflicts_total", "counter", "Appends that lost a concurrency race (each retried)."),
    outbox_backlog: AtomicI64 = ("innohub_outbox_backlog", "gauge", "Outbox rows waiting to be published, as of the relay's last look."),
    relay_published: AtomicU64 = ("innohub_relay_published_total", "counter", "Events the outbox relay published and the broker acknowledged."),
    relay_failures: AtomicU64 = ("innohub_relay_failures_total", "counter", "Relay rounds that failed (broker or database down); retried with backoff."),
    consumer_lag: AtomicI64 = ("innohub_consumer_lag", "gauge", "Messages on the consumed topics not yet applied (high watermark minus position)."),
    events_applied: AtomicU64 = ("innohub_projection_events_applied_total", "counter", "Events applied to read models."),
    events_refused: AtomicU64 = ("innohub_projection_events_refused_total", "counter", "Events a projection could not apply: dead-lettered in distributed mode, skipped (and logged) in embedded mode."),
    duplicates_skipped: AtomicU64 = ("innohub_projection_duplicates_total", "counter", "Redelivered events skipped because they were already applied."),
    held_events: AtomicI64 = ("innohub_projection_held_events", "gauge", "Events held because they arrived before their aggregate's previous event; each is applied right after it. Above zero for long: an event is missing."),
    sequence_gaps: AtomicU64 = ("innohub_projection_sequence_gaps_total", "counter", "Events that arrived before their aggregate's previous event (held, not applied, never dead-lettered)."),
    consumer_rewinds: AtomicU64 = ("innohub_consumer_rewinds_total", "counter", "Times a consumer found offsets the broker had skipped and read the partition again from before them."),
    consumer_offsets_lost: AtomicU64 = ("innohub_consumer_offsets_lost_total", "counter", "Offsets a consumer went on without: deleted from the topic before they were applied, or missing after re-reading from the partition's start."),
    dead_letters: AtomicU64 = ("innohub_dead_letters_total", "counter", "Messages sent to the dead-letter topic."),
    ws_connections: AtomicI64 = ("innohub_ws_connections", "gauge", "Open GraphQL WebSocket connections."),
    subscriptions: AtomicI64 = ("innohub_subscriptions", "gauge", "Active GraphQL subscriptions over all connections."),
    ws_dropped_slow: AtomicU64 = ("innohub_ws_dropped_slow_total", "counter", "WebSocket connections closed because the client did not read its messages in time."),
}

impl Metrics {
    /// Add one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (m, value) in self.each() {
            let _ = writeln!(out, "# HELP {} {}", m.name, m.help);
            let _ = writeln!(out, "# TYPE {} {}", m.name, m.kind);
            let _ = writeln!(out, "{} {value}", m.name);
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let name = "innohub_tokio_alive_tasks";
            let _ = writeln!(
                out,
                "# HELP {name} Tasks alive in the async runtime (a leak shows as growth)."
            );
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {}", runtime.metrics().num_alive_tasks());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric_with_its_value() {
        Metrics::inc(&METRICS.dead_letters);
        let text = METRICS.render();
        assert!(text.contains("# TYPE innohub_dead_letters_total counter\n"));
        let line = text
            .lines()
            .find(|l| l.starts_with("innohub_dead_letters_total "))
            .expect("line");
        let value: u64 = line
            .rsplit(' ')
            .next()
            .expect("value")
            .parse()
            .expect("number");
        assert!(value >= 1);
        assert!(text.contains("# TYPE innohub_outbox_backlog gauge\n"));
    }
}
