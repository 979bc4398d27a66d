//! Reuse across municipalities in GraphQL: adoption (`adoptProcess`, and on `Process` the
//! fields `adoptedFrom` and `adoptions`) and umbrella groups (`createUmbrella`,
//! `addToUmbrella`, `removeFromUmbrella`, the queries `umbrellas` and `umbrella`, and
//! `Process.umbrellas`). Commands go to the processes service; reads to the `reuse_views`
//! read models ([`innohub_projections::ReuseQueries`]), which show processes only through
//! the one read rule.

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use innohub_projections::ReuseQueries;
use innohub_projections::reuse_views::{AdoptedFrom, Adoption as AdoptionRow, UmbrellaView};
use innohub_proto::innohub::common::v1::CommandReply;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::grpc::Channel;
use innohub_runtime::{Access, ErrorCode, Visibility as Rule};
use uuid::Uuid;

use super::types::{Phase, Process, ProcessPayload, Visibility};
use super::{
    ConsistencyToken, Services, call, error, from_service, reader, reader_after, record_id,
    services, viewer,
};

/// The reuse queries (part of the query root, [`super::Query`]).
#[derive(Default)]
pub struct ReuseQuery;

/// The reuse mutations (part of the mutation root, [`super::Mutation`]).
#[derive(Default)]
pub struct ReuseMutation;

fn queries(services: &Services) -> ReuseQueries {
    ReuseQueries::new(services.views.clone(), services.queries.clone())
}

fn consistency_of(reply: &CommandReply) -> ConsistencyToken {
    ConsistencyToken::at(innohub_processes::SERVICE, reply.position)
}

fn id_of(reply: &CommandReply, what: &str) -> async_graphql::Result<Uuid> {
    reply.aggregate_id.parse::<Uuid>().map_err(|e| {
        from_service(innohub_runtime::grpc::ServiceError {
            code: ErrorCode::Internal,
            message: format!("reply names no {what} ({:?}): {e}", reply.aggregate_id),
        })
    })
}

fn visibility_of(rule: Rule) -> Visibility {
    match rule {
        Rule::Private => Visibility::Private,
        Rule::Municipality => Visibility::Municipality,
        Rule::Network => Visibility::Network,
        Rule::Public => Visibility::Public,
    }
}

/// A group of similar processes, local (PRIVATE, MUNICIPALITY: the municipality's own
/// processes) or shared (NETWORK, PUBLIC: also other municipalities' shared processes).
pub struct Umbrella(UmbrellaView);

/// A group of similar processes, local (PRIVATE, MUNICIPALITY: the municipality's own
/// processes) or shared (NETWORK, PUBLIC: also other municipalities' shared processes).
#[Object]
impl Umbrella {
    /// The umbrella's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The owning municipality.
    async fn municipality(&self) -> &str {
        self.0.municipality.as_str()
    }
    /// True when another municipality shares it with you.
    async fn shared_with_you(&self) -> bool {
        self.0.access == Access::Partner
    }
    /// Its name.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What the grouped processes have in common; null when not told.
    async fn description(&self) -> Option<&str> {
        (!self.0.description.is_empty()).then_some(self.0.description.as_str())
    }
    /// Who may see it; NETWORK and PUBLIC umbrellas may also hold other municipalities' shared
    /// processes.
    async fn visibility(&self) -> Visibility {
        visibility_of(self.0.visibility)
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The members you may see (partners' redacted), in the order they were added.
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Process>> {
        let viewer = viewer(ctx)?;
        Ok(queries(services(ctx))
            .members(&viewer, &self.0)
            .await
            .map_err(from_service)?
            .into_iter()
            .map(Process)
            .collect())
    }
}

/// Where an adopted process was copied from.
pub struct AdoptionOrigin(AdoptedFrom);

/// Where an adopted process was copied from.
#[Object]
impl AdoptionOrigin {
    /// The origin's municipality.
    async fn municipality(&self) -> &str {
        self.0.municipality.as_str()
    }
    /// The origin's id, when you may see the origin.
    async fn id(&self) -> Option<ID> {
        self.0.process.as_ref().map(|p| ID(p.id.to_string()))
    }
    /// The origin, when you may see it.
    async fn process(&self) -> Option<Process> {
        self.0.process.clone().map(Process)
    }
}

/// An adoption of a process by another municipality.
pub struct Adoption(AdoptionRow);

/// An adoption of a process by another municipality.
#[Object]
impl Adoption {
    /// The adopting municipality.
    async fn municipality(&self) -> &str {
        self.0.municipality.as_str()
    }
    /// The adopted copy's id, when you may see the copy.
    async fn id(&self) -> Option<ID> {
        self.0.process.as_ref().map(|p| ID(p.id.to_string()))
    }
    /// The adopted copy's phase, when you may see the copy.
    async fn phase(&self) -> async_graphql::Result<Option<Phase>> {
        self.0
            .process
            .as_ref()
            .map(|p| Phase::try_from(p.phase as i32))
            .transpose()
    }
    /// The adopted copy, when you may see it.
    async fn process(&self) -> Option<Process> {
        self.0.process.clone().map(Process)
    }
    /// When it was adopted.
    async fn adopted_at(&self) -> DateTime<Utc> {
        self.0.adopted_at
    }
}

/// `Process.adoptedFrom`: where `process` was adopted from, if it was.
pub async fn adopted_from(
    ctx: &Context<'_>,
    process: &Process,
) -> async_graphql::Result<Option<AdoptionOrigin>> {
    let viewer = viewer(ctx)?;
    Ok(queries(services(ctx))
        .adopted_from(&viewer, process.0.id)
        .await
        .map_err(from_service)?
        .map(AdoptionOrigin))
}

/// `Process.adoptions`: who adopted `process`, oldest first.
pub async fn adoptions(
    ctx: &Context<'_>,
    process: &Process,
) -> async_graphql::Result<Vec<Adoption>> {
    let viewer = viewer(ctx)?;
    Ok(queries(services(ctx))
        .adoptions(&viewer, process.0.id)
        .await
        .map_err(from_service)?
        .into_iter()
        .map(Adoption)
        .collect())
}

/// `Process.umbrellas`: the umbrellas you may see that hold `process`.
pub async fn umbrellas_of(
    ctx: &Context<'_>,
    process: &Process,
) -> async_graphql::Result<Vec<Umbrella>> {
    let viewer = viewer(ctx)?;
    Ok(queries(services(ctx))
        .umbrellas_of(&viewer, process.0.id)
        .await
        .map_err(from_service)?
        .into_iter()
        .map(Umbrella)
        .collect())
}

#[Object]
impl ReuseQuery {
    /// Every umbrella group you may see (yours and those shared with you), by title.
    async fn umbrellas(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<Umbrella>> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let services = services(ctx);
        Ok(queries(services)
            .umbrellas(&viewer)
            .await
            .map_err(from_service)?
            .into_iter()
            .map(Umbrella)
            .collect())
    }

    /// One umbrella group; NOT_FOUND unless you may see it.
    async fn umbrella(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The umbrella's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Umbrella> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let services = services(ctx);
        queries(services)
            .umbrella(&viewer, record_id(&id)?)
            .await
            .map_err(from_service)?
            .map(Umbrella)
            .ok_or_else(|| error(ErrorCode::NotFound, "not found"))
    }
}

/// A new umbrella group.
#[derive(InputObject)]
pub struct CreateUmbrellaInput {
    /// At most 80 characters.
    title: String,
    /// What the members have in common.
    description: Option<String>,
    /// Who may read it; MUNICIPALITY if not given. PRIVATE and MUNICIPALITY umbrellas hold
    /// only your municipality's processes.
    visibility: Option<Visibility>,
}

/// The result of a command on an umbrella.
pub struct UmbrellaPayload {
    id: Uuid,
    token: ConsistencyToken,
    replayed: bool,
}

/// The result of a command on an umbrella.
#[Object]
impl UmbrellaPayload {
    /// The umbrella's id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    /// Pass to a query's `consistency` argument to read your own write. Opaque.
    async fn consistency_token(&self) -> String {
        self.token.to_string()
    }
    /// True when an earlier call with the same idempotency key already did this.
    async fn replayed(&self) -> bool {
        self.replayed
    }
    /// The umbrella as it is after the command (waits for the views to include it).
    async fn umbrella(&self, ctx: &Context<'_>) -> async_graphql::Result<Umbrella> {
        let viewer = reader_after(ctx, Some(&self.token)).await?;
        queries(services(ctx))
            .umbrella(&viewer, self.id)
            .await
            .map_err(from_service)?
            .map(Umbrella)
            .ok_or_else(|| error(ErrorCode::NotFound, "not found"))
    }
}

/// Send an umbrella command of the processes service for the caller; its payload.
async fn umbrella_command<M, F, Fut>(
    ctx: &Context<'_>,
    idempotency_key: Option<String>,
    request: M,
    method: F,
) -> async_graphql::Result<UmbrellaPayload>
where
    F: FnOnce(ProcessesServiceClient<Channel>, tonic::Request<M>) -> Fut,
    Fut: std::future::Future<Output = Result<tonic::Response<CommandReply>, tonic::Status>>,
{
    let client = &services(ctx).processes;
    let reply = call(ctx, client, idempotency_key.as_deref(), request, method).await?;
    umbrella_payload(&reply)
}

/// The umbrella's and the process's ids of a membership change.
fn member(umbrella: &ID, process: &ID) -> async_graphql::Result<(String, String)> {
    Ok((
        record_id(umbrella)?.to_string(),
        record_id(process)?.to_string(),
    ))
}

fn umbrella_payload(reply: &CommandReply) -> async_graphql::Result<UmbrellaPayload> {
    Ok(UmbrellaPayload {
        id: id_of(reply, "umbrella")?,
        token: consistency_of(reply),
        replayed: reply.replayed,
    })
}

#[Object]
impl ReuseMutation {
    /// Adopt another municipality's process that is shared with you: a new IDEA-phase
    /// process in your municipality with its shareable fields (never people, internal notes
    /// or departments), you as reporter, visibility MUNICIPALITY, and a permanent link to
    /// the origin. `departments` default to your own department.
    async fn adopt_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the process shared with you.")] id: ID,
        #[graphql(
            desc = "Departments of your municipality that will do the work; your own department when not given."
        )]
        departments: Option<Vec<String>>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let request = pb::AdoptProcessRequest {
            process_id: record_id(&id)?.to_string(),
            departments: departments.unwrap_or_default(),
        };
        let client = &services(ctx).processes;
        let reply = call(
            ctx,
            client,
            idempotency_key.as_deref(),
            request,
            |mut c, r| async move { c.adopt_process(r).await },
        )
        .await?;
        Ok(ProcessPayload {
            id: id_of(&reply, "process")?,
            token: consistency_of(&reply),
            replayed: reply.replayed,
        })
    }

    /// Create an umbrella group in your municipality (it_portfolio).
    async fn create_umbrella(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new umbrella.")] input: CreateUmbrellaInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<UmbrellaPayload> {
        let request = pb::CreateUmbrellaRequest {
            title: input.title,
            description: input.description.unwrap_or_default(),
            visibility: input
                .visibility
                .map_or(pb::Visibility::Unspecified, pb::Visibility::from)
                as i32,
        };
        umbrella_command(ctx, idempotency_key, request, |mut c, r| async move {
            c.create_umbrella(r).await
        })
        .await
    }

    /// Add a process you may see to an umbrella of your municipality (it_portfolio).
    async fn add_to_umbrella(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The umbrella's id.")] umbrella: ID,
        #[graphql(desc = "The id of the process to add.")] process: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<UmbrellaPayload> {
        let (umbrella_id, process_id) = member(&umbrella, &process)?;
        let request = pb::AddToUmbrellaRequest {
            umbrella_id,
            process_id,
        };
        umbrella_command(ctx, idempotency_key, request, |mut c, r| async move {
            c.add_to_umbrella(r).await
        })
        .await
    }

    /// Remove a member from an umbrella of your municipality (it_portfolio).
    async fn remove_from_umbrella(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The umbrella's id.")] umbrella: ID,
        #[graphql(desc = "The id of the process to remove.")] process: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<UmbrellaPayload> {
        let (umbrella_id, process_id) = member(&umbrella, &process)?;
        let request = pb::RemoveFromUmbrellaRequest {
            umbrella_id,
            process_id,
        };
        umbrella_command(ctx, idempotency_key, request, |mut c, r| async move {
            c.remove_from_umbrella(r).await
        })
        .await
    }
}
