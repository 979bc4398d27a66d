//! Distributed mode's transport: events leave a service's store through the outbox relay
//! ([`relay`]) as protobuf [`EventEnvelope`]s on `innohub.<service>.events.v1`, and reach read
//! models through the Kafka event source ([`source`]). The store keeps each event as its
//! contract message's bytes, so the envelope carries them as they are: nothing is translated
//! on the way.

pub mod cursor;
pub mod relay;
mod sequence;
pub mod source;

use std::time::Duration;

use chrono::{DateTime, Utc};
use innohub_proto::innohub::common::v1::{Actor, EventEnvelope};
use prost::Message as _;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Headers as _, Message as _, OwnedMessage};
use rdkafka::producer::FutureProducer;
use rdkafka::types::RDKafkaErrorCode;
use uuid::Uuid;

use crate::StoredEvent;

/// The events topic of a service.
pub fn events_topic(service: &str) -> String {
    format!("innohub.{service}.events.v1")
}

/// Where undecodable messages go, with the reason in the `deadletter-reason` header.
pub const DEADLETTER_TOPIC: &str = "innohub.deadletter.v1";

/// The most records innohub's producers put in one record batch; a consumer (re)starts this
/// many offsets before its position, so that its first fetch begins at or before the batch
/// holding that position (see [`cursor`]).
pub const MAX_BATCH_RECORDS: usize = 1_000;

/// The schema version of the envelopes this build writes and the highest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// How to reach the brokers and how to create topics.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `host:port[,host:port…]`.
    pub brokers: String,
    /// Partitions of a topic created at start-up.
    pub partitions: i32,
    /// Replication factor of a topic created at start-up.
    pub replication: i32,
}

impl KafkaConfig {
    /// A client configuration with the brokers set.
    pub fn client(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        config
    }

    /// A producer as innohub publishes: idempotent (no duplicates or reordering within a
    /// partition on retries), acknowledged by all in-sync replicas, at most
    /// [`MAX_BATCH_RECORDS`] records a batch, giving up on a message after 15 s so that the
    /// caller can back off and retry.
    pub fn producer(&self) -> Result<FutureProducer, rdkafka::error::KafkaError> {
        self.client()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "2")
            .set("batch.num.messages", MAX_BATCH_RECORDS.to_string())
            .set("message.timeout.ms", "15000")
            .create()
    }

    /// Create `topics` unless they exist, with unlimited retention: the topics are the log
    /// read models are rebuilt from.
    pub async fn ensure_topics(&self, topics: &[&str]) -> Result<(), rdkafka::error::KafkaError> {
        let admin: AdminClient<DefaultClientContext> = self.client().create()?;
        let new: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|t| {
                NewTopic::new(
                    t,
                    self.partitions,
                    TopicReplication::Fixed(self.replication),
                )
                .set("retention.ms", "-1")
                .set("retention.bytes", "-1")
            })
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        for result in admin.create_topics(&new, &options).await? {
            match result {
                Ok(topic) => tracing::info!(topic, "created topic"),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => {
                    return Err(rdkafka::error::KafkaError::AdminOp(code)).inspect_err(|_| {
                        tracing::error!(topic, ?code, "cannot create topic");
                    });
                }
            }
        }
        Ok(())
    }
}

/// The envelope of a stored event, with its payload as stored.
pub fn envelope(event: &StoredEvent) -> EventEnvelope {
    EventEnvelope {
        event_id: event.event_id.to_string(),
        municipality: event.municipality.clone(),
        aggregate_type: event.aggregate_type.clone(),
        aggregate_id: event.aggregate_id.clone(),
        sequence: event.sequence,
        position: event.position,
        event_type: event.event_type.clone(),
        occurred_at: Some(prost_types::Timestamp {
            seconds: event.occurred_at.timestamp(),
            nanos: event.occurred_at.timestamp_subsec_nanos() as i32,
        }),
        actor: Some(Actor {
            user: event.actor_user.clone(),
            municipality: event.actor_municipality.clone(),
        }),
        correlation_id: event.correlation_id.to_string(),
        causation_id: event
            .causation_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
        payload: event.payload.clone(),
        schema_version: SCHEMA_VERSION,
    }
}

/// Decode a Kafka message value into the stored event it carries, or say why it cannot be.
/// The payload is left to the projection, which decodes the message it names.
pub fn decode(value: Option<&[u8]>) -> Result<StoredEvent, String> {
    let value = value.ok_or("the message has no value")?;
    let envelope =
        EventEnvelope::decode(value).map_err(|e| format!("not an EventEnvelope: {e}"))?;
    if envelope.schema_version == 0 || envelope.schema_version > SCHEMA_VERSION {
        return Err(format!(
            "unknown schema version {} (this build reads 1 to {SCHEMA_VERSION})",
            envelope.schema_version
        ));
    }
    let uuid = |field: &str, raw: &str| {
        Uuid::parse_str(raw).map_err(|e| format!("{field} {raw:?} is not a UUID: {e}"))
    };
    let occurred_at = envelope
        .occurred_at
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, u32::try_from(t.nanos).ok()?))
        .ok_or("occurred_at is missing or out of range")?;
    let actor = envelope.actor.ok_or("actor is missing")?;
    if envelope.aggregate_id.is_empty() || envelope.municipality.is_empty() {
        return Err("aggregate_id and municipality are required".into());
    }
    if envelope.sequence < 1 || envelope.position < 1 {
        return Err("sequence and position must be positive".into());
    }
    if envelope.event_type.is_empty() {
        return Err("event_type is required".into());
    }
    Ok(StoredEvent {
        position: envelope.position,
        event_id: uuid("event_id", &envelope.event_id)?,
        municipality: envelope.municipality,
        aggregate_type: envelope.aggregate_type,
        aggregate_id: envelope.aggregate_id,
        sequence: envelope.sequence,
        event_type: envelope.event_type,
        payload: envelope.payload,
        actor_user: actor.user,
        actor_municipality: actor.municipality,
        occurred_at,
        correlation_id: uuid("correlation_id", &envelope.correlation_id)?,
        causation_id: if envelope.causation_id.is_empty() {
            None
        } else {
            Some(uuid("causation_id", &envelope.causation_id)?)
        },
    })
}

/// A header of `message` as text, if it has it.
pub fn header(message: &OwnedMessage, name: &str) -> Option<String> {
    message
        .headers()?
        .iter()
        .find(|h| h.key == name)
        .and_then(|h| h.value)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::to_owned)
}

/// Header names on innohub messages.
pub mod headers {
    /// The envelope's event type, so consumers can filter without decoding.
    pub const EVENT_TYPE: &str = "event-type";
    /// W3C trace context of the command that caused the event.
    pub const TRACEPARENT: &str = "traceparent";
    /// On dead letters: why the message could not be used.
    pub const DEADLETTER_REASON: &str = "deadletter-reason";
    /// On dead letters: where the message came from (`topic/partition/offset`).
    pub const DEADLETTER_SOURCE: &str = "deadletter-source";
}
