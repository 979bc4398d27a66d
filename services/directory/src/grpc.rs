//! The gRPC server adapter of the directory service (`DirectoryService` of
//! `proto/innohub/directory/v1/service.proto`): each rpc turns its request into the domain's
//! command and hands it to [`DirectoryApp`], nothing else. The metadata, the error mapping
//! and the handler skeleton are `innohub_runtime::grpc`'s; the gateway reaches this server
//! through the generated client in both modes ([`channel`] in-process, or over HTTP/2 to
//! [`router`]).

use innohub_proto::innohub::common::v1::{CommandReply, GetHistoryRequest, HistoryReply};
use innohub_proto::innohub::directory::v1 as pb;
use innohub_runtime::grpc::{
    self, Failure, Reply, command_reply, handle, invalid, record_id as network_id,
};
use innohub_runtime::{Principal, Verifier};
use pb::directory_service_server::{DirectoryService, DirectoryServiceServer};
use prost::Name as _;
use tonic::Request;

use crate::DirectoryApp;
use crate::domain::municipality::MunicipalityCommand as M;
use crate::domain::network::NetworkCommand as N;
use crate::domain::values::{Profile, municipality_id};

/// The service as an axum router, to serve with `axum::serve` beside the operations
/// endpoints (distributed mode); `verifier` checks every caller's bearer token.
pub fn router(app: DirectoryApp, verifier: Verifier) -> axum::Router {
    grpc::router(DirectoryServiceServer::new(Server { app }), verifier)
}

/// A channel to the service running in this process (embedded mode): the generated client
/// calls the server as a tower service, with no socket.
pub fn channel(app: DirectoryApp) -> grpc::Channel {
    grpc::local(DirectoryServiceServer::new(Server { app }))
}

/// The `DirectoryService` implementation over the command side.
#[derive(Debug, Clone)]
struct Server {
    app: DirectoryApp,
}

impl Server {
    /// A command, made for the caller by `command`, on their own municipality.
    async fn on_municipality(
        &self,
        call: &grpc::Call,
        command: impl Fn(Principal) -> M,
    ) -> Result<CommandReply, Failure> {
        Ok(command_reply(
            self.app.on_municipality(call.context(), command).await?,
        ))
    }

    /// A command, made for the caller by `command`, on the network named by `raw_id`.
    async fn on_network(
        &self,
        call: &grpc::Call,
        raw_id: &str,
        command: impl Fn(Principal) -> N,
    ) -> Result<CommandReply, Failure> {
        let outcome = self
            .app
            .on_network(call.context(), network_id(raw_id)?, command)
            .await;
        Ok(command_reply(outcome?))
    }
}

#[tonic::async_trait]
impl DirectoryService for Server {
    async fn register_municipality(
        &self,
        request: Request<pb::RegisterMunicipalityRequest>,
    ) -> Reply<CommandReply> {
        handle("RegisterMunicipality", request, |call, req| async move {
            // The profile names the stream, so it is checked before anything is loaded.
            let profile = Profile::try_from(req.profile.unwrap_or_default()).map_err(invalid)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .register_municipality(call.context(), profile)
                    .await?,
            ))
        })
        .await
    }

    async fn add_department(
        &self,
        request: Request<pb::AddDepartmentRequest>,
    ) -> Reply<CommandReply> {
        handle("AddDepartment", request, |call, req| async move {
            let department = req.department.unwrap_or_default();
            self.on_municipality(&call, |by| M::AddDepartment {
                by,
                department: department.clone(),
            })
            .await
        })
        .await
    }

    async fn rename_department(
        &self,
        request: Request<pb::RenameDepartmentRequest>,
    ) -> Reply<CommandReply> {
        handle("RenameDepartment", request, |call, req| async move {
            let department = req.department.unwrap_or_default();
            self.on_municipality(&call, |by| M::RenameDepartment {
                by,
                department: department.clone(),
            })
            .await
        })
        .await
    }

    async fn retire_department(
        &self,
        request: Request<pb::RetireDepartmentRequest>,
    ) -> Reply<CommandReply> {
        handle("RetireDepartment", request, |call, req| async move {
            self.on_municipality(&call, |by| M::RetireDepartment {
                by,
                department_id: req.department_id.clone(),
            })
            .await
        })
        .await
    }

    async fn create_network(
        &self,
        request: Request<pb::CreateNetworkRequest>,
    ) -> Reply<CommandReply> {
        handle("CreateNetwork", request, |call, req| async move {
            Ok::<_, Failure>(command_reply(
                self.app.create_network(call.context(), req.name).await?,
            ))
        })
        .await
    }

    async fn invite_to_network(
        &self,
        request: Request<pb::InviteToNetworkRequest>,
    ) -> Reply<CommandReply> {
        handle("InviteToNetwork", request, |call, req| async move {
            let id = network_id(&req.network_id)?;
            let municipality =
                municipality_id("municipality", &req.municipality).map_err(invalid)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .invite_to_network(call.context(), id, municipality)
                    .await?,
            ))
        })
        .await
    }

    async fn accept_network_invitation(
        &self,
        request: Request<pb::AcceptNetworkInvitationRequest>,
    ) -> Reply<CommandReply> {
        handle("AcceptNetworkInvitation", request, |call, req| async move {
            self.on_network(&call, &req.network_id, |by| N::Accept { by })
                .await
        })
        .await
    }

    async fn leave_network(
        &self,
        request: Request<pb::LeaveNetworkRequest>,
    ) -> Reply<CommandReply> {
        handle("LeaveNetwork", request, |call, req| async move {
            self.on_network(&call, &req.network_id, |by| N::Leave { by })
                .await
        })
        .await
    }

    async fn get_network_partners(
        &self,
        request: Request<pb::GetNetworkPartnersRequest>,
    ) -> Reply<pb::NetworkPartners> {
        handle("GetNetworkPartners", request, |call, _| async move {
            let partners = self
                .app
                .network_partners(&call.principal.municipality)
                .await
                .map_err(Failure::from)?;
            Ok::<_, Failure>(pb::NetworkPartners {
                municipalities: partners.iter().map(ToString::to_string).collect(),
            })
        })
        .await
    }

    async fn get_history(&self, request: Request<GetHistoryRequest>) -> Reply<HistoryReply> {
        grpc::get_history(
            request,
            pb::MunicipalityRegistered::PACKAGE,
            |call, id| async move { self.app.history(&call.principal, &id).await },
        )
        .await
    }
}
