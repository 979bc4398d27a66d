//! The Kafka event source against a real Kafka-protocol broker (Tansu) and the real
//! PostgreSQL server, with a projection that records the order in which it was given events:
//! a consumer that stops inside one of the broker's record batches resumes with the rest of
//! the batch (Tansu 0.6 answers a fetch from inside a batch with the next batch); a partition
//! whose offsets jump is read again until the skipped records arrive; and an event that
//! arrives before its aggregate's previous event is neither applied past the gap nor
//! dead-lettered, and is applied once the missing event arrives.
// Helpers outside the test functions fail the test loudly, like the tests themselves.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use innohub_runtime::kafka::source::KafkaProjection;
use innohub_runtime::kafka::{DEADLETTER_TOPIC, KafkaConfig, envelope, events_topic};
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::sql::Rows;
use innohub_runtime::{Database, StoredEvent};
use innohub_tests::distributed::{Broker, Cluster, drain, fresh_database};
use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::AnyConnection;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The service whose topic the test projection reads.
const SOURCE: &str = "sourcetest";

/// Records every event it is given, in order, in table `given`; refuses to go on (as a
/// database that is down) once it has applied `fail_after` events (a batch at a time).
struct Given {
    applied: Arc<AtomicUsize>,
    fail_after: usize,
}

impl Projection for Given {
    fn name(&self) -> &'static str {
        "given"
    }

    fn source(&self) -> &'static str {
        SOURCE
    }

    fn tables(&self) -> &'static [&'static str] {
        &["given"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        if self.applied.load(Ordering::SeqCst) >= self.fail_after {
            return Err(ProjectionError::Database(sqlx::Error::PoolTimedOut));
        }
        let mut rows = Rows::new("INSERT INTO given (aggregate_id, sequence)", "");
        for event in events {
            rows.push(vec![
                event.aggregate_id.as_str().into(),
                event.sequence.into(),
            ]);
        }
        rows.execute(conn).await?;
        self.applied.fetch_add(events.len(), Ordering::SeqCst);
        Ok(())
    }
}

/// The envelope of event `sequence` of `aggregate`.
fn event(aggregate: &str, sequence: i64) -> Vec<u8> {
    envelope(&StoredEvent {
        position: 1,
        event_id: Uuid::now_v7(),
        municipality: "DK-0706".into(),
        aggregate_type: "note".into(),
        aggregate_id: aggregate.into(),
        sequence,
        event_type: "Noted".into(),
        payload: Vec::new(),
        actor_user: "tester".into(),
        actor_municipality: "DK-0706".into(),
        occurred_at: chrono::Utc::now(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
    })
    .encode_to_vec()
}

/// A broker, a read-model database with table `given`, and how to reach both.
struct Rig {
    broker: Broker,
    views: Database,
    url: String,
    kafka: KafkaConfig,
}

impl Rig {
    async fn new() -> Rig {
        let broker = Broker::start(false).await.expect("broker");
        let url = fresh_database("innohub_e2e_source")
            .await
            .expect("database");
        let views = Database::connect(&url).await.expect("connect");
        sqlx::query(
            "CREATE TABLE given (applied BIGSERIAL PRIMARY KEY, aggregate_id TEXT NOT NULL, sequence BIGINT NOT NULL)",
        )
        .execute(views.writer())
        .await
        .expect("table");
        let kafka = KafkaConfig {
            brokers: broker.address(),
            partitions: 1,
            replication: 1,
        };
        kafka
            .ensure_topics(&[&events_topic(SOURCE), DEADLETTER_TOPIC])
            .await
            .expect("topics");
        Rig {
            broker,
            views,
            url,
            kafka,
        }
    }

    /// Publish `events` (aggregate, bytes) to partition 0, all at once: with a long linger
    /// the producer puts them in one record batch. Returns their offsets.
    async fn publish(&self, events: &[(String, Vec<u8>)]) -> Vec<i64> {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &self.kafka.brokers)
            .set("linger.ms", "200")
            .create()
            .expect("producer");
        let topic = events_topic(SOURCE);
        let deliveries: Vec<_> = events
            .iter()
            .map(|(key, value)| {
                producer
                    .send_result(
                        FutureRecord::to(&topic)
                            .partition(0)
                            .key(key.as_str())
                            .payload(value),
                    )
                    .map_err(|(e, _)| e)
                    .expect("enqueue")
            })
            .collect();
        let mut offsets = Vec::new();
        for delivery in deliveries {
            let delivered = delivery.await.expect("delivery").map_err(|(e, _)| e);
            offsets.push(delivered.expect("acknowledged").offset);
        }
        offsets
    }

    /// Run the projection in the background, `batch` messages a transaction, refusing to go
    /// on after `fail_after` events, until the returned sender is told to stop.
    fn feed(&self, fail_after: usize, batch: usize) -> (watch::Sender<bool>, JoinHandle<()>) {
        let (stop, shutdown) = watch::channel(false);
        let (views, kafka) = (self.views.clone(), self.kafka.clone());
        let task = tokio::spawn(async move {
            let projection = Given {
                applied: Arc::new(AtomicUsize::new(0)),
                fail_after,
            };
            KafkaProjection::new(projection, views, kafka)
                .await
                .expect("source")
                .with_batch(batch)
                .run(shutdown)
                .await
                .expect("run");
        });
        (stop, task)
    }

    /// [`Rig::feed`] until table `given` holds `rows` rows (at most a minute), then let it
    /// settle and stop it.
    async fn run_until(&self, fail_after: usize, batch: usize, rows: i64, what: &str) {
        let (stop, task) = self.feed(fail_after, batch);
        Cluster::eventually(Duration::from_secs(60), what, || async {
            Ok(self.count("SELECT COUNT(*) FROM given").await >= rows)
        })
        .await
        .expect(what);
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.send(true).expect("stop");
        task.await.expect("stopped");
    }

    /// What the projection was given, in order.
    async fn given(&self) -> Vec<(String, i64)> {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&self.url)
            .await
            .expect("connect");
        sqlx::query_as("SELECT aggregate_id, sequence FROM given ORDER BY applied")
            .fetch_all(&mut conn)
            .await
            .expect("given")
    }

    async fn count(&self, sql: &str) -> i64 {
        Cluster::scalar(&self.url, sql).await.expect(sql)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_projection_stopped_inside_a_record_batch_resumes_with_the_rest_of_it() {
    let rig = Rig::new().await;
    let events: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("note-{i}"), event(&format!("note-{i}"), 1)))
        .collect();
    let offsets = rig.publish(&events).await;
    assert!(offsets.windows(2).all(|w| w[1] == w[0] + 1), "{offsets:?}");

    // Seven events a transaction; the second transaction fails until the projection stops.
    rig.run_until(7, 7, 7, "seven events applied").await;
    assert_eq!(rig.given().await.len(), 7, "stopped inside the batch");

    // Started again, it applies the other thirteen, each once.
    rig.run_until(usize::MAX, 7, 20, "all twenty applied").await;
    let mut applied: Vec<String> = rig.given().await.into_iter().map(|(a, _)| a).collect();
    applied.sort();
    let mut expected: Vec<String> = events.into_iter().map(|(a, _)| a).collect();
    expected.sort();
    assert_eq!(applied, expected, "every event once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_partition_whose_offsets_jump_is_read_again_until_the_skipped_records_arrive() {
    let rig = Rig::new().await;
    // One batch larger than a consumer's restart margin (innohub's producers never write
    // one), then another: stopped 1,200 records into the first, the consumer restarts 1,000
    // before that, inside the batch, and the broker answers with the second batch.
    let first: Vec<(String, Vec<u8>)> = (0..1_500)
        .map(|i| (format!("a-{i}"), event(&format!("a-{i}"), 1)))
        .collect();
    let second: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| (format!("b-{i}"), event(&format!("b-{i}"), 1)))
        .collect();
    rig.publish(&first).await;
    rig.publish(&second).await;

    rig.run_until(1_200, 1_200, 1_200, "1,200 events applied")
        .await;

    let rewinds = || {
        innohub_runtime::metrics::METRICS
            .consumer_rewinds
            .load(Ordering::Relaxed)
    };
    let before = rewinds();
    rig.run_until(usize::MAX, 1_000, 1_510, "every event applied")
        .await;
    assert!(
        rewinds() > before,
        "the consumer saw the jump and read again"
    );
    let applied = rig.given().await;
    let distinct: std::collections::BTreeSet<&String> = applied.iter().map(|(a, _)| a).collect();
    assert_eq!(
        (applied.len(), distinct.len()),
        (1_510, 1_510),
        "every event once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_before_its_predecessor_is_held_not_dead_lettered_and_applied_after_it() {
    let rig = Rig::new().await;
    let (stop, task) = rig.feed(usize::MAX, 1_000);

    // The second event of `x` arrives first; `y`'s first event after it shows the consumer
    // has read past it.
    let x2 = event("x", 2);
    rig.publish(&[("x".into(), x2.clone())]).await;
    rig.publish(&[("y".into(), event("y", 1))]).await;
    Cluster::eventually(Duration::from_secs(60), "y applied", || async {
        Ok(rig.given().await.contains(&("y".into(), 1)))
    })
    .await
    .expect("y");
    assert_eq!(
        rig.given().await,
        [("y".to_owned(), 1)],
        "x#2 is not applied"
    );
    assert_eq!(
        rig.count("SELECT COUNT(*) FROM held_events WHERE aggregate_id = 'x' AND sequence = 2")
            .await,
        1,
        "x#2 is held"
    );
    assert!(
        innohub_runtime::metrics::METRICS
            .held_events
            .load(Ordering::Relaxed)
            >= 1,
        "the gauge shows it"
    );

    // The missing event arrives (and x#2 is redelivered): both are applied once, in order.
    rig.publish(&[("x".into(), event("x", 1)), ("x".into(), x2)])
        .await;
    Cluster::eventually(Duration::from_secs(60), "x applied", || async {
        Ok(rig.given().await.len() >= 3)
    })
    .await
    .expect("x");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        rig.given().await,
        [
            ("y".to_owned(), 1),
            ("x".to_owned(), 1),
            ("x".to_owned(), 2)
        ]
    );
    assert_eq!(rig.count("SELECT COUNT(*) FROM held_events").await, 0);
    stop.send(true).expect("stop");
    task.await.expect("stopped");

    let dead = drain(
        &rig.broker.address(),
        DEADLETTER_TOPIC,
        Duration::from_secs(5),
    )
    .await
    .expect("dead letters");
    assert!(dead.is_empty(), "nothing is dead-lettered: {dead:?}");
}
