//! innohub contracts: the event envelope, the events and the gRPC services, generated
//! from the `.proto` files under `proto/innohub/` (compiled at build time with protox, so
//! no `protoc` is needed).
//!
//! - [`innohub::common::v1`]: [`EventEnvelope`](innohub::common::v1::EventEnvelope), the
//!   frame of every event on the Kafka topics `innohub.<service>.events.v1`, and small
//!   shared types.
//! - [`innohub::processes::v1`]: the events of the processes context (one message per
//!   event type) and its gRPC service `ProcessesService` (client and server).
//!
//! An event travels as `EventEnvelope { event_type: M::NAME, payload: M::encode_to_vec(),
//! .. }` where `M` is the event message; every generated message implements
//! [`prost::Name`]. The domain services keep their events as JSON in their own stores;
//! these messages are the wire contract with Kafka consumers, including partners, who may
//! use the same `.proto` files from any language.
//!
//! # Evolution rules
//!
//! - Never renumber a field, change its type, or reuse a number or a name; removed fields
//!   become `reserved`.
//! - Only add fields, messages, enum values and rpcs. Consumers ignore unknown fields and
//!   skip unknown event types.
//! - A breaking change is a new package (`v2`) and a new topic.
//! - The golden samples in `tests/golden/` must keep decoding: never re-bless them to
//!   make a change pass.

/// The generated code, one module per protobuf package.
pub mod innohub {
    /// Types shared by all contexts.
    pub mod common {
        /// Package `innohub.common.v1`.
        pub mod v1 {
            #![allow(missing_docs, clippy::all, clippy::pedantic)]
            include!(concat!(env!("OUT_DIR"), "/innohub.common.v1.rs"));
        }
    }

    /// The processes context: automation-candidate processes.
    pub mod processes {
        /// Package `innohub.processes.v1`.
        pub mod v1 {
            #![allow(missing_docs, clippy::all, clippy::pedantic)]
            include!(concat!(env!("OUT_DIR"), "/innohub.processes.v1.rs"));
        }
    }
}

/// The encoded `google.protobuf.FileDescriptorSet` of all innohub `.proto` files (with
/// their imports and comments), e.g. for gRPC server reflection or a schema registry.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/innohub_descriptor.bin"));
