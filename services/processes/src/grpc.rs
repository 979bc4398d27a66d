//! The gRPC server adapter of the processes service (`ProcessesService` of
//! `proto/innohub/processes/v1/service.proto`): each rpc turns its request into the domain's
//! command and hands it to [`ProcessesApp`], nothing else. The metadata, the error mapping
//! and the handler skeleton are `innohub_runtime::grpc`'s; the gateway reaches this server
//! through the generated client in both modes ([`channel`] in-process, or over HTTP/2 to
//! [`router`]).

use innohub_proto::innohub::common::v1::{CommandReply, GetHistoryRequest, HistoryReply};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::grpc::{
    self, Failure, Reply, command_reply, handle, invalid, record_id as id,
};
use innohub_runtime::{Principal, Verifier};
use pb::processes_service_server::{ProcessesService, ProcessesServiceServer};
use prost::Name as _;
use tonic::Request;
use uuid::Uuid;

use crate::ProcessesApp;
use crate::domain::backlog::{BacklogCommand, Placement};
use crate::domain::lifecycle::{phase, status};
use crate::domain::process::ProcessCommand as C;
use crate::domain::scoring::ScoringWeights;

/// The service as an axum router, to serve with `axum::serve` beside the operations
/// endpoints (distributed mode); `verifier` checks every caller's bearer token.
pub fn router(app: ProcessesApp, verifier: Verifier) -> axum::Router {
    grpc::router(ProcessesServiceServer::new(Server { app }), verifier)
}

/// A channel to the service running in this process (embedded mode): the generated client
/// calls the server as a tower service, with no socket.
pub fn channel(app: ProcessesApp) -> grpc::Channel {
    grpc::local(ProcessesServiceServer::new(Server { app }))
}

/// Optional text: `""` is absent.
fn text(raw: String) -> Option<String> {
    (!raw.is_empty()).then_some(raw)
}

/// The `ProcessesService` implementation over the command side.
#[derive(Debug, Clone)]
struct Server {
    app: ProcessesApp,
}

impl Server {
    /// A command, made for the caller by `command`, on the process named by `raw_id`.
    async fn on_process(
        &self,
        call: &grpc::Call,
        token: Option<&str>,
        raw_id: &str,
        command: impl Fn(Principal) -> C,
    ) -> Result<CommandReply, Failure> {
        let outcome = self
            .app
            .on_process_for(call.context(), token, id(raw_id)?, command)
            .await;
        Ok(command_reply(outcome?))
    }
}

#[tonic::async_trait]
impl ProcessesService for Server {
    async fn submit_process(
        &self,
        request: Request<pb::SubmitProcessRequest>,
    ) -> Reply<CommandReply> {
        handle("SubmitProcess", request, |call, req| async move {
            let details = req.details.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app.submit(call.context(), details, req.origin).await?,
            ))
        })
        .await
    }

    async fn update_process(
        &self,
        request: Request<pb::UpdateProcessRequest>,
    ) -> Reply<CommandReply> {
        handle("UpdateProcess", request, |call, req| async move {
            let (details, mask) = (
                req.details.unwrap_or_default(),
                req.update_mask.unwrap_or_default(),
            );
            self.on_process(&call, call.token.as_deref(), &req.process_id, |by| {
                C::Update {
                    by,
                    details: details.clone(),
                    mask: mask.clone(),
                }
            })
            .await
        })
        .await
    }

    async fn assess_process(
        &self,
        request: Request<pb::AssessProcessRequest>,
    ) -> Reply<CommandReply> {
        handle("AssessProcess", request, |call, req| async move {
            let assessment = req.assessment.unwrap_or_default();
            self.on_process(&call, call.token.as_deref(), &req.process_id, |by| {
                C::Assess { by, assessment }
            })
            .await
        })
        .await
    }

    async fn change_process_phase(
        &self,
        request: Request<pb::ChangeProcessPhaseRequest>,
    ) -> Reply<CommandReply> {
        handle("ChangeProcessPhase", request, |call, req| async move {
            let (to, reason) = (phase(req.to).map_err(invalid)?, text(req.reason));
            self.on_process(&call, call.token.as_deref(), &req.process_id, |by| {
                C::ChangePhase {
                    by,
                    to,
                    reason: reason.clone(),
                }
            })
            .await
        })
        .await
    }

    async fn change_process_status(
        &self,
        request: Request<pb::ChangeProcessStatusRequest>,
    ) -> Reply<CommandReply> {
        handle("ChangeProcessStatus", request, |call, req| async move {
            let to = status(req.to).map_err(invalid)?;
            let reason = text(req.reason);
            self.on_process(&call, call.token.as_deref(), &req.process_id, |by| {
                C::ChangeStatus {
                    by,
                    to,
                    reason: reason.clone(),
                }
            })
            .await
        })
        .await
    }

    async fn comment_on_process(
        &self,
        request: Request<pb::CommentOnProcessRequest>,
    ) -> Reply<CommandReply> {
        handle("CommentOnProcess", request, |call, req| async move {
            let comment_id = Uuid::now_v7();
            self.on_process(&call, call.token.as_deref(), &req.process_id, |by| {
                C::Comment {
                    by,
                    comment_id,
                    text: req.text.clone(),
                }
            })
            .await
        })
        .await
    }

    async fn follow_process(
        &self,
        request: Request<pb::FollowProcessRequest>,
    ) -> Reply<CommandReply> {
        handle("FollowProcess", request, |call, req| async move {
            self.on_process(&call, call.token.as_deref(), &req.process_id, |by| {
                C::Follow { by }
            })
            .await
        })
        .await
    }

    async fn unfollow_process(
        &self,
        request: Request<pb::UnfollowProcessRequest>,
    ) -> Reply<CommandReply> {
        handle("UnfollowProcess", request, |call, req| async move {
            self.on_process(&call, call.token.as_deref(), &req.process_id, |by| {
                C::Unfollow { by }
            })
            .await
        })
        .await
    }

    async fn record_process_experience(
        &self,
        request: Request<pb::RecordProcessExperienceRequest>,
    ) -> Reply<CommandReply> {
        handle("RecordProcessExperience", request, |call, req| async move {
            let experience = req.experience.unwrap_or_default();
            self.on_process(&call, call.token.as_deref(), &req.process_id, |by| {
                C::RecordExperience {
                    by,
                    experience: experience.clone(),
                }
            })
            .await
        })
        .await
    }

    async fn rank_process(&self, request: Request<pb::RankProcessRequest>) -> Reply<CommandReply> {
        handle("RankProcess", request, |call, req| async move {
            let process = id(&req.process_id)?;
            let placement = Placement::try_from(req.placement).map_err(invalid)?;
            let rank = |by| BacklogCommand::Rank {
                by,
                process,
                placement,
            };
            Ok::<_, Failure>(command_reply(
                self.app.on_backlog(call.context(), process, rank).await?,
            ))
        })
        .await
    }

    async fn unrank_process(
        &self,
        request: Request<pb::UnrankProcessRequest>,
    ) -> Reply<CommandReply> {
        handle("UnrankProcess", request, |call, req| async move {
            let process = id(&req.process_id)?;
            let unrank = |by| BacklogCommand::Unrank { by, process };
            Ok::<_, Failure>(command_reply(
                self.app.on_backlog(call.context(), process, unrank).await?,
            ))
        })
        .await
    }

    async fn set_scoring_weights(
        &self,
        request: Request<pb::SetScoringWeightsRequest>,
    ) -> Reply<CommandReply> {
        handle("SetScoringWeights", request, |call, req| async move {
            let weights =
                ScoringWeights::try_from(req.weights.unwrap_or_default()).map_err(invalid)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .set_scoring_weights(call.context(), weights)
                    .await?,
            ))
        })
        .await
    }

    async fn adopt_process(
        &self,
        request: Request<pb::AdoptProcessRequest>,
    ) -> Reply<CommandReply> {
        handle("AdoptProcess", request, |call, req| async move {
            let origin = id(&req.process_id)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .adopt(
                        call.context(),
                        call.token.as_deref(),
                        origin,
                        req.departments,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn create_umbrella(
        &self,
        request: Request<pb::CreateUmbrellaRequest>,
    ) -> Reply<CommandReply> {
        handle("CreateUmbrella", request, |call, req| async move {
            Ok::<_, Failure>(command_reply(
                self.app
                    .create_umbrella(call.context(), req.title, req.description, req.visibility)
                    .await?,
            ))
        })
        .await
    }

    async fn add_to_umbrella(
        &self,
        request: Request<pb::AddToUmbrellaRequest>,
    ) -> Reply<CommandReply> {
        handle("AddToUmbrella", request, |call, req| async move {
            let (umbrella, process) = (id(&req.umbrella_id)?, id(&req.process_id)?);
            Ok::<_, Failure>(command_reply(
                self.app
                    .umbrella_member(
                        call.context(),
                        call.token.as_deref(),
                        umbrella,
                        process,
                        true,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn remove_from_umbrella(
        &self,
        request: Request<pb::RemoveFromUmbrellaRequest>,
    ) -> Reply<CommandReply> {
        handle("RemoveFromUmbrella", request, |call, req| async move {
            let (umbrella, process) = (id(&req.umbrella_id)?, id(&req.process_id)?);
            Ok::<_, Failure>(command_reply(
                self.app
                    .umbrella_member(
                        call.context(),
                        call.token.as_deref(),
                        umbrella,
                        process,
                        false,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn get_history(&self, request: Request<GetHistoryRequest>) -> Reply<HistoryReply> {
        grpc::get_history(
            request,
            pb::ProcessSubmitted::PACKAGE,
            |call, id| async move {
                self.app
                    .history(&call.principal, call.token.as_deref(), &id)
                    .await
            },
        )
        .await
    }
}
