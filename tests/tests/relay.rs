//! The outbox relay against the real PostgreSQL server and a real Kafka-protocol broker:
//! three relays drain one outbox concurrently (rows claimed with `FOR UPDATE SKIP LOCKED`)
//! and every aggregate's events still reach the topic exactly once each, in order; and three
//! replicas' relays (each on its own connection pool, their rounds pipelined) relay a few
//! aggregates' events while they are being appended, every event reaching the topic and each
//! aggregate's events first appearing in sequence order.
// Helpers outside the test functions fail the test loudly, like the tests themselves.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use innohub_proto::innohub::common::v1::EventEnvelope;
use innohub_runtime::kafka::relay::OutboxRelay;
use innohub_runtime::kafka::{KafkaConfig, events_topic};
use innohub_runtime::store::AppendRequest;
use innohub_runtime::{Database, EncodedEvent, EventStore, MunicipalityId, Principal, UserId};
use innohub_tests::distributed::{Broker, fresh_database};
use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use tokio::sync::watch;

/// Wait (at most two minutes) until the outbox of `store` is empty, then stop the relays.
async fn drain_then_stop(
    store: &EventStore,
    stop: &watch::Sender<bool>,
    relays: Vec<tokio::task::JoinHandle<()>>,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while store.outbox_len().await.expect("outbox") > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the outbox did not drain"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).expect("stop");
    for relay in relays {
        relay.await.expect("relay task");
    }
}

/// The service whose topic this test writes.
const SERVICE: &str = "relaytest";

/// Append `count` events to `aggregate` at `expected_version`, in one transaction.
async fn append(store: &EventStore, aggregate: &str, expected_version: i64, count: i64) {
    let municipality = MunicipalityId::parse("DK-0706").expect("municipality");
    let actor = Principal {
        user: UserId::parse("relay-test").expect("user"),
        municipality: municipality.clone(),
        department: None,
        roles: BTreeSet::new(),
    };
    store
        .append(AppendRequest {
            aggregate_type: "thing",
            aggregate_id: aggregate.to_owned(),
            expected_version,
            municipality,
            actor,
            correlation_id: uuid::Uuid::now_v7(),
            idempotency_key: None,
            request: "test".to_owned(),
            also: Vec::new(),
            // The store and the relay carry any bytes: this test is about the relay.
            events: (1..=count)
                .map(|n| EncodedEvent {
                    event_type: "ThingHappened",
                    payload: format!("{{\"n\":{}}}", expected_version + n).into_bytes(),
                })
                .collect(),
        })
        .await
        .expect("append");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_relays_publish_each_event_once_in_aggregate_order() {
    const AGGREGATES: usize = 20;
    const PER_AGGREGATE: i64 = 40;
    let broker = Broker::start(false).await.expect("broker");
    let db = Database::connect(&fresh_database("innohub_relay").await.expect("database"))
        .await
        .expect("connect");
    let store = EventStore::open(db, true).await.expect("store");
    let ids: Vec<String> = (0..AGGREGATES)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    // Interleaved, so every relay batch mixes aggregates.
    for sequence in 1..=PER_AGGREGATE {
        for id in &ids {
            append(&store, id, sequence - 1, 1).await;
        }
    }
    let total = AGGREGATES as i64 * PER_AGGREGATE;
    assert_eq!(store.outbox_len().await.expect("outbox"), total);

    let kafka = KafkaConfig {
        brokers: broker.address(),
        partitions: 3,
        replication: 1,
    };
    let (stop, shutdown) = watch::channel(false);
    let mut relays = Vec::new();
    for _ in 0..3 {
        let relay = OutboxRelay::new(store.clone(), &kafka, SERVICE).expect("relay");
        relays.push(tokio::spawn(relay.run(shutdown.clone())));
    }
    drain_then_stop(&store, &stop, relays).await;

    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.address())
        .set("group.id", format!("relay-test-{}", uuid::Uuid::now_v7()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer
        .subscribe(&[&events_topic(SERVICE)])
        .expect("subscribe");
    let mut by_key: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut seen = HashSet::new();
    let mut received = 0;
    while received < total {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("the topic holds every event")
            .expect("message");
        let envelope = EventEnvelope::decode(message.payload().expect("value")).expect("envelope");
        assert_eq!(message.key(), Some(envelope.aggregate_id.as_bytes()));
        assert!(
            seen.insert(envelope.event_id.clone()),
            "published twice: {envelope:?}"
        );
        by_key
            .entry(envelope.aggregate_id)
            .or_default()
            .push(envelope.sequence);
        received += 1;
    }
    assert_eq!(by_key.len(), AGGREGATES);
    let in_order: Vec<i64> = (1..=PER_AGGREGATE).collect();
    for (key, sequences) in &by_key {
        assert_eq!(sequences, &in_order, "aggregate {key} out of order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_relaying_while_appends_go_on_keep_each_aggregates_order() {
    const AGGREGATES: usize = 4;
    const PER_AGGREGATE: i64 = 300;
    const RELAYS: usize = 3;
    let broker = Broker::start(false).await.expect("broker");
    let url = fresh_database("innohub_relay").await.expect("database");
    // Each replica has its own pool, and learns at once only of the appends made through it.
    let mut stores = Vec::new();
    for _ in 0..RELAYS {
        let db = Database::connect(&url).await.expect("connect");
        stores.push(EventStore::open(db, true).await.expect("store"));
    }
    let kafka = KafkaConfig {
        brokers: broker.address(),
        partitions: 3,
        replication: 1,
    };
    let (stop, shutdown) = watch::channel(false);
    let relays: Vec<_> = stores
        .iter()
        .map(|store| {
            let relay = OutboxRelay::new(store.clone(), &kafka, SERVICE).expect("relay");
            tokio::spawn(relay.run(shutdown.clone()))
        })
        .collect();
    // One writer per aggregate, each through a replica, one to three events per append, while
    // the relays run: many small rounds in flight at once on every relay, each holding some
    // aggregate's newest events while a later round or another relay claims the next ones.
    let writers: Vec<_> = (0..AGGREGATES)
        .map(|w| {
            let store = stores[w % RELAYS].clone();
            tokio::spawn(async move {
                let id = uuid::Uuid::now_v7().to_string();
                let mut version = 0;
                while version < PER_AGGREGATE {
                    let count = (1 + (version + w as i64) % 3).min(PER_AGGREGATE - version);
                    append(&store, &id, version, count).await;
                    version += count;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }
    drain_then_stop(&stores[0], &stop, relays).await;

    // Read until every event was seen; a redelivered event (at-least-once) may come again.
    let total = AGGREGATES * PER_AGGREGATE as usize;
    let consumer = innohub_tests::distributed::reader(&broker.address(), &events_topic(SERVICE))
        .expect("consumer");
    let mut firsts: HashMap<String, Vec<i64>> = HashMap::new();
    let mut seen = HashSet::new();
    while seen.len() < total {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("the topic holds every event")
            .expect("message");
        let envelope = EventEnvelope::decode(message.payload().expect("value")).expect("envelope");
        assert_eq!(message.key(), Some(envelope.aggregate_id.as_bytes()));
        if seen.insert(envelope.event_id.clone()) {
            firsts
                .entry(envelope.aggregate_id)
                .or_default()
                .push(envelope.sequence);
        }
    }
    assert_eq!(firsts.len(), AGGREGATES);
    let in_order: Vec<i64> = (1..=PER_AGGREGATE).collect();
    for (key, sequences) in &firsts {
        assert_eq!(
            sequences, &in_order,
            "aggregate {key}: its events first appeared out of sequence order"
        );
    }
}
