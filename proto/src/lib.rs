//! innohub contracts: the event envelope, the events and the gRPC services, generated
//! from the `.proto` files under `proto/innohub/` (compiled at build time with protox, so
//! no `protoc` is needed).
//!
//! - [`innohub::common::v1`]: [`EventEnvelope`](innohub::common::v1::EventEnvelope), the
//!   frame of every event on the Kafka topics `innohub.<service>.events.v1`, and small
//!   shared types.
//!   What every service API shares (`CommandReply`, the history) and the field privacy
//!   marks (`Sensitivity`) are there too.
//! - [`innohub::processes::v1`]: the events of the processes context (one message per
//!   event type) and its gRPC service `ProcessesService` (client and server).
//! - [`innohub::directory::v1`]: the events of the directory context (municipalities,
//!   departments, networks) and its gRPC service `DirectoryService`.
//! - [`innohub::ideas::v1`]: the events of the ideas context (challenges, ideas, criteria,
//!   workshops, action items) and its gRPC service `IdeasService`.
//! - [`innohub::pilots::v1`]: the events of the pilots context (plan, run, evaluation,
//!   decision, benefits and their measurements) and its gRPC service `PilotsService`.
//! - [`innohub::funding::v1`]: the events of the funding context (funds, their budgets per
//!   year and decision rounds, applications, reviews, decisions, disbursements) and its
//!   gRPC service `FundingService`.
//! - [`innohub::projections::v1`]: the records the read models store (`ProcessRecord`,
//!   `IdeaRecord`, `PilotRecord`, `FundRecord`, `FundLedgerRecord`, `ApplicationRecord`).
//!
//! These messages are the ONE schema of every fact. A service stores each event as the
//! encoded message (`M::encode_to_vec()`) beside its type name (`M::NAME`, every generated
//! message implements [`prost::Name`]); the outbox relay puts those bytes into an
//! `EventEnvelope` as they are; projections decode the same message. Partners may consume
//! the topics with the same `.proto` files from any language. [`descriptor_pool`] holds
//! the descriptors of all of them, for code that works on any message (history rendering,
//! redaction, field masks).
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

    /// The directory context: municipalities, departments and networks.
    pub mod directory {
        /// Package `innohub.directory.v1`.
        pub mod v1 {
            #![allow(missing_docs, clippy::all, clippy::pedantic)]
            include!(concat!(env!("OUT_DIR"), "/innohub.directory.v1.rs"));
        }
    }

    /// The ideas context: challenges, ideas, criteria, workshops and action items.
    pub mod ideas {
        /// Package `innohub.ideas.v1`.
        pub mod v1 {
            #![allow(missing_docs, clippy::all, clippy::pedantic)]
            include!(concat!(env!("OUT_DIR"), "/innohub.ideas.v1.rs"));
        }
    }

    /// The pilots context: plan, run, evaluation, decision and benefits of a pilot.
    pub mod pilots {
        /// Package `innohub.pilots.v1`.
        pub mod v1 {
            #![allow(missing_docs, clippy::all, clippy::pedantic)]
            include!(concat!(env!("OUT_DIR"), "/innohub.pilots.v1.rs"));
        }
    }

    /// The funding context: funds, budgets, rounds, applications, reviews, decisions and money.
    pub mod funding {
        /// Package `innohub.funding.v1`.
        pub mod v1 {
            #![allow(missing_docs, clippy::all, clippy::pedantic)]
            include!(concat!(env!("OUT_DIR"), "/innohub.funding.v1.rs"));
        }
    }

    /// The records the read models keep.
    pub mod projections {
        /// Package `innohub.projections.v1`.
        pub mod v1 {
            #![allow(missing_docs, clippy::all, clippy::pedantic)]
            include!(concat!(env!("OUT_DIR"), "/innohub.projections.v1.rs"));
        }
    }
}

/// The encoded `google.protobuf.FileDescriptorSet` of all innohub `.proto` files (with
/// their imports and comments), e.g. for gRPC server reflection or a schema registry.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/innohub_descriptor.bin"));

/// The name of a contract enum value without its enum's prefix, e.g. `PRE_ANALYSIS` for
/// `PHASE_PRE_ANALYSIS` (for enums whose names are one word: `Phase`, `Status`,
/// `Visibility`).
pub fn short_name(name: &str) -> &str {
    name.split_once('_').map_or(name, |(_, rest)| rest)
}

/// The descriptors of every innohub message, with their options (the `sensitivity` marks),
/// decoded once from [`FILE_DESCRIPTOR_SET`].
pub fn descriptor_pool() -> &'static prost_reflect::DescriptorPool {
    static POOL: std::sync::LazyLock<prost_reflect::DescriptorPool> =
        std::sync::LazyLock::new(|| {
            // The set was produced by protox from these very files at build time.
            #[allow(clippy::expect_used)]
            prost_reflect::DescriptorPool::decode(FILE_DESCRIPTOR_SET)
                .expect("the built-in descriptor set decodes")
        });
    &POOL
}
