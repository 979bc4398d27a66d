//! GraphQL of the directory context (`innohub.directory.v1`): registered municipalities and
//! their departments, and networks of municipalities. Queries read the directory read models
//! ([`DirectoryQueries`]) with their rules (departments for the municipality's own members
//! and platform administrators; a network only for its members and invitees); mutations
//! build the contract's requests and send them to the directory service through
//! [`super::call`]. No domain rule is checked here: the service validates what it is sent.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use innohub_projections::DirectoryQueries;
use innohub_projections::directory_views::{
    DepartmentView, MunicipalityView, NetworkMemberView, NetworkView,
};
use innohub_proto::innohub::directory::v1 as pb;
use innohub_runtime::ErrorCode;

use super::types::{contract_enum, municipality, unknown};
use super::{consistent, error, from_service, principal, services, token};

contract_enum! {
    /// How many people live in a municipality, in bands.
    SizeBand => SizeBand {
        /// Fewer than 10,000 inhabitants.
        #[graphql(name = "UNDER_10K")]
        Under10k,
        /// 10,000 to 29,999.
        #[graphql(name = "FROM_10K_TO_30K")]
        SizeBand10kTo30k,
        /// 30,000 to 59,999.
        #[graphql(name = "FROM_30K_TO_60K")]
        SizeBand30kTo60k,
        /// 60,000 to 99,999.
        #[graphql(name = "FROM_60K_TO_100K")]
        SizeBand60kTo100k,
        /// 100,000 or more.
        #[graphql(name = "FROM_100K")]
        SizeBand100kAndMore,
    }
}

/// The directory's read models on the services' read-model database.
fn queries(ctx: &Context<'_>) -> DirectoryQueries {
    DirectoryQueries::new(services(ctx).views.clone())
}

/// A stored time (RFC 3339).
fn time(raw: &str) -> async_graphql::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            from_service(innohub_runtime::grpc::ServiceError {
                code: ErrorCode::Internal,
                message: format!("stored time {raw:?}: {e}"),
            })
        })
}

/// A registered municipality.
pub struct Municipality(MunicipalityView);

/// A registered municipality.
#[Object]
impl Municipality {
    /// Its id, e.g. DK-0706 (country, dash, official code).
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// ISO 3166-1 alpha-2 country code.
    async fn country(&self) -> &str {
        &self.0.profile.country
    }
    /// The official municipality code in its country.
    async fn code(&self) -> &str {
        &self.0.profile.code
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.profile.name
    }
    /// Inhabitants when registered.
    async fn inhabitants(&self) -> i64 {
        i64::from(self.0.profile.inhabitants)
    }
    /// The band its inhabitants fall in.
    async fn size_band(&self) -> async_graphql::Result<SizeBand> {
        SizeBand::try_from(self.0.profile.size_band)
    }
    /// When it was registered.
    async fn registered_at(&self) -> async_graphql::Result<DateTime<Utc>> {
        time(&self.0.registered_at)
    }
    /// Its departments (a tree by `parent`), sorted by id, retired ones included; null
    /// unless you belong to this municipality or are a platform administrator.
    async fn departments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Vec<Department>>> {
        let principal = principal(ctx)?;
        let id = municipality(&self.0.id)?;
        let departments = queries(ctx)
            .departments(principal, &id)
            .await
            .map_err(from_service)?;
        Ok(departments.map(|d| d.into_iter().map(Department).collect()))
    }
}

/// A department (org unit) of a municipality.
pub struct Department(DepartmentView);

/// A department (org unit) of a municipality.
#[Object]
impl Department {
    /// Its id: the slug tokens name in their department claim.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The department it belongs under; null at the top level.
    async fn parent(&self) -> Option<ID> {
        self.0.parent.clone().map(ID)
    }
    /// Retired: kept in the records that name it, nothing new is filed under it.
    async fn retired(&self) -> bool {
        self.0.retired
    }
}

/// A network of municipalities that share NETWORK-visible records.
pub struct Network(NetworkView);

/// A network of municipalities that share NETWORK-visible records.
#[Object]
impl Network {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The founding municipality.
    async fn founder(&self) -> ID {
        ID(self.0.founder.clone())
    }
    /// When it was created.
    async fn created_at(&self) -> async_graphql::Result<DateTime<Utc>> {
        time(&self.0.created_at)
    }
    /// Its current members, sorted by municipality.
    async fn members(&self) -> Vec<NetworkMember> {
        self.0.members.iter().cloned().map(NetworkMember).collect()
    }
    /// Municipalities invited that have not accepted yet, sorted by municipality.
    async fn invitations(&self) -> Vec<NetworkMember> {
        self.0
            .invitations
            .iter()
            .cloned()
            .map(NetworkMember)
            .collect()
    }
}

/// A municipality's place in a network: a member, or invited.
pub struct NetworkMember(NetworkMemberView);

/// A municipality's place in a network: a member, or invited.
#[Object]
impl NetworkMember {
    /// The municipality's id.
    async fn municipality(&self) -> ID {
        ID(self.0.municipality.clone())
    }
    /// The municipality's name.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// Since when it is a member (or invited).
    async fn since(&self) -> async_graphql::Result<DateTime<Utc>> {
        time(&self.0.since)
    }
}

/// The directory context's queries (part of the query root, [`super::Query`]).
#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// Every registered municipality, sorted by id.
    async fn municipalities(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<Municipality>> {
        principal(ctx)?;
        consistent(services(ctx), token(consistency.as_deref())?.as_ref()).await;
        let all = queries(ctx).municipalities().await.map_err(from_service)?;
        Ok(all.into_iter().map(Municipality).collect())
    }

    /// One municipality; null when it is not registered.
    async fn municipality(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The municipality code, e.g. DK-0706.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Option<Municipality>> {
        let principal = principal(ctx)?;
        consistent(services(ctx), token(consistency.as_deref())?.as_ref()).await;
        let id = municipality(id.as_str())?;
        let found = queries(ctx)
            .municipality(principal, &id)
            .await
            .map_err(from_service)?;
        Ok(found.map(|m| Municipality(m.municipality)))
    }

    /// The networks your municipality is a member of or invited to, by name.
    async fn networks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<Network>> {
        let principal = principal(ctx)?;
        consistent(services(ctx), token(consistency.as_deref())?.as_ref()).await;
        let networks = queries(ctx)
            .networks(principal)
            .await
            .map_err(from_service)?;
        Ok(networks.into_iter().map(Network).collect())
    }

    /// One network your municipality is a member of or invited to; null otherwise.
    async fn network(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The network's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Option<Network>> {
        let principal = principal(ctx)?;
        consistent(services(ctx), token(consistency.as_deref())?.as_ref()).await;
        let network = queries(ctx)
            .network(principal, id.as_str())
            .await
            .map_err(from_service)?;
        Ok(network.map(Network))
    }
}

/// A municipality to register.
#[derive(InputObject)]
pub struct RegisterMunicipalityInput {
    /// ISO 3166-1 alpha-2 country code: DK, SE, NO, FI or IS.
    pub country: String,
    /// The official municipality code in that country, e.g. 0706.
    pub code: String,
    /// Its name.
    pub name: String,
    /// How many people live there (the size band follows from it).
    pub inhabitants: i64,
}

/// A department to add to your municipality's tree.
#[derive(InputObject)]
pub struct AddDepartmentInput {
    /// Its id: the slug tokens name, e.g. "social"; never reused.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The department it belongs under; none for a top-level department.
    pub parent: Option<String>,
}

payload! {
    /// The result of a directory command.
    DirectoryPayload,
    store = innohub_directory::SERVICE
}

/// The directory context's mutations (part of the mutation root, [`super::Mutation`]).
#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Register a municipality: tokens naming it are admitted from now on (platform_admin).
    async fn register_municipality(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The municipality to register.")] input: RegisterMunicipalityInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DirectoryPayload> {
        principal(ctx)?;
        let inhabitants = u32::try_from(input.inhabitants).map_err(|_| {
            error(
                ErrorCode::BadUserInput,
                format!(
                    "inhabitants: must be between 0 and {}, got {}",
                    u32::MAX,
                    input.inhabitants
                ),
            )
        })?;
        let request = pb::RegisterMunicipalityRequest {
            profile: Some(pb::MunicipalityProfile {
                country: input.country,
                code: input.code,
                name: input.name,
                inhabitants,
                size_band: pb::SizeBand::Unspecified as i32,
            }),
        };
        Ok(
            command!(ctx, directory, idempotency_key => register_municipality(request) as DirectoryPayload),
        )
    }

    /// Add a department to your municipality's tree (municipality_admin).
    async fn add_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new department.")] input: AddDepartmentInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DirectoryPayload> {
        let request = pb::AddDepartmentRequest {
            department: Some(pb::DepartmentAdded {
                department_id: input.id,
                name: input.name,
                parent_id: input.parent.unwrap_or_default(),
            }),
        };
        Ok(command!(ctx, directory, idempotency_key => add_department(request) as DirectoryPayload))
    }

    /// Rename a department of your municipality (municipality_admin).
    async fn rename_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The department's id.")] id: ID,
        #[graphql(desc = "Its new name.")] name: String,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DirectoryPayload> {
        let request = pb::RenameDepartmentRequest {
            department: Some(pb::DepartmentRenamed {
                department_id: id.to_string(),
                name,
            }),
        };
        Ok(
            command!(ctx, directory, idempotency_key => rename_department(request) as DirectoryPayload),
        )
    }

    /// Retire a department of your municipality that has no active children
    /// (municipality_admin).
    async fn retire_department(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The department's id.")] id: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DirectoryPayload> {
        let request = pb::RetireDepartmentRequest {
            department_id: id.to_string(),
        };
        Ok(
            command!(ctx, directory, idempotency_key => retire_department(request) as DirectoryPayload),
        )
    }

    /// Create a network; your municipality is its first member (municipality_admin).
    async fn create_network(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The network's name.")] name: String,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DirectoryPayload> {
        let request = pb::CreateNetworkRequest { name };
        Ok(command!(ctx, directory, idempotency_key => create_network(request) as DirectoryPayload))
    }

    /// Invite a registered municipality into a network your municipality is a member of
    /// (municipality_admin).
    async fn invite_to_network(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The network's id.")] network: ID,
        #[graphql(desc = "The municipality to invite, a code such as SE-1283.")] municipality: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DirectoryPayload> {
        let request = pb::InviteToNetworkRequest {
            network_id: network.to_string(),
            municipality: municipality.to_string(),
        };
        Ok(
            command!(ctx, directory, idempotency_key => invite_to_network(request) as DirectoryPayload),
        )
    }

    /// Accept your municipality's invitation into a network (municipality_admin).
    async fn accept_network_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of the network your municipality is invited to.")] network: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DirectoryPayload> {
        let request = pb::AcceptNetworkInvitationRequest {
            network_id: network.to_string(),
        };
        Ok(
            command!(ctx, directory, idempotency_key => accept_network_invitation(request) as DirectoryPayload),
        )
    }

    /// Leave a network: sharing through it ends now (municipality_admin).
    async fn leave_network(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The network's id.")] network: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<DirectoryPayload> {
        let request = pb::LeaveNetworkRequest {
            network_id: network.to_string(),
        };
        Ok(command!(ctx, directory, idempotency_key => leave_network(request) as DirectoryPayload))
    }
}
