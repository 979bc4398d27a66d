//! The outbox relay against the real PostgreSQL server and a real Kafka-protocol broker:
//! three relays drain one outbox concurrently (rows claimed with `FOR UPDATE SKIP LOCKED`)
//! and every aggregate's events still reach the topic exactly once each, in order.

use std::collections::{BTreeMap, BTreeSet, HashSet};
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

/// The service whose topic this test writes.
const SERVICE: &str = "relaytest";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_relays_publish_each_event_once_in_aggregate_order() {
    const AGGREGATES: usize = 20;
    const PER_AGGREGATE: i64 = 40;
    let broker = Broker::start(false).await.expect("broker");
    let db = Database::connect(&fresh_database("innohub_relay").await.expect("database"))
        .await
        .expect("connect");
    let store = EventStore::open(db, true).await.expect("store");
    let municipality = MunicipalityId::parse("DK-0706").expect("municipality");
    let actor = Principal {
        user: UserId::parse("relay-test").expect("user"),
        municipality: municipality.clone(),
        department: None,
        roles: BTreeSet::new(),
    };
    let ids: Vec<String> = (0..AGGREGATES)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    // Interleaved, so every relay batch mixes aggregates.
    for sequence in 1..=PER_AGGREGATE {
        for id in &ids {
            store
                .append(AppendRequest {
                    aggregate_type: "thing",
                    aggregate_id: id.clone(),
                    expected_version: sequence - 1,
                    municipality: municipality.clone(),
                    actor: actor.clone(),
                    correlation_id: uuid::Uuid::now_v7(),
                    idempotency_key: None,
                    request: "test".to_owned(),
                    // The store and the relay carry any bytes: this test is about the relay.
                    events: vec![EncodedEvent {
                        event_type: "ThingHappened",
                        payload: format!("{{\"n\":{sequence}}}").into_bytes(),
                    }],
                })
                .await
                .expect("append");
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
