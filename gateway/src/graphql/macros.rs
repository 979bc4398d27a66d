//! The macros every context's GraphQL shares, declared once (this module comes first in
//! `graphql/mod.rs`, so every context module sees them):
//!
//! - `command!`: send a command to a service through its generated client with the
//!   caller's metadata and the idempotency key, the reply as it is or as a payload;
//! - `payload!`: the payload of commands about one kind of record (its id, the consistency
//!   token naming the service's store, whether the command was replayed, and if asked the
//!   record itself once the read models include the command);
//! - `give!`: give an update input's fields, under their own names, to a `Given` (the
//!   contract's message and the mask that names them).

/// Send a command: `$method` of `services(ctx).$service` with `$request`, the caller's
/// metadata and the idempotency key `$key` (an `Option<String>`); the service's reply, or
/// with `as $payload` the payload made `From` it.
macro_rules! command {
    ($ctx:expr, $service:ident, $key:expr => $method:ident($request:expr)) => {
        $crate::graphql::call(
            $ctx,
            &$crate::graphql::services($ctx).$service,
            $key.as_deref(),
            $request,
            |mut client, request| async move { client.$method(request).await },
        )
        .await?
    };
    ($ctx:expr, $service:ident, $key:expr => $method:ident($request:expr) as $payload:ident) => {
        $payload::from(command!($ctx, $service, $key => $method($request)))
    };
}

/// Declares the payload of commands about one kind of record, whose consistency tokens
/// name the store `$store`: the record's id, the token and whether the command was
/// replayed; with `$record: $type = $read`, also the field `$record`, the record as
/// `$read(ctx, &token, &id)` reads it (after the token).
macro_rules! payload {
    ($(#[$doc:meta])* $name:ident, store = $store:expr
        $(, $(#[$record_doc:meta])* $record:ident: $type:ty = $read:path)? $(,)?) => {
        $(#[$doc])*
        pub struct $name {
            /// The record's id.
            pub id: String,
            /// Where the command's last event is.
            pub token: $crate::graphql::ConsistencyToken,
            /// The idempotency key had been used: nothing new was recorded.
            pub replayed: bool,
        }

        impl From<innohub_proto::innohub::common::v1::CommandReply> for $name {
            fn from(reply: innohub_proto::innohub::common::v1::CommandReply) -> Self {
                Self {
                    token: $crate::graphql::ConsistencyToken::at($store, reply.position),
                    id: reply.aggregate_id,
                    replayed: reply.replayed,
                }
            }
        }

        $(#[$doc])*
        #[async_graphql::Object]
        impl $name {
            /// The record's id.
            async fn id(&self) -> async_graphql::ID {
                async_graphql::ID(self.id.clone())
            }
            /// Pass to a query's `consistency` argument to read your own write. Opaque.
            async fn consistency_token(&self) -> String {
                self.token.to_string()
            }
            /// True when an earlier call with the same idempotency key already did this.
            async fn replayed(&self) -> bool {
                self.replayed
            }
            $(
                $(#[$record_doc])*
                async fn $record(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                ) -> async_graphql::Result<$type> {
                    $read(ctx, &self.token, &self.id).await
                }
            )?
        }
    };
}

/// Give `$input`'s fields to `$given` under their own names, which are the contract's.
macro_rules! give {
    ($given:expr, $input:expr; $($field:ident),* $(,)?) => {
        $($given.set(stringify!($field), $input.$field, |d, v| d.$field = v);)*
    };
}
