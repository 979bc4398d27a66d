//! The gRPC server adapter of the ideas service (`IdeasService` of
//! `proto/innohub/ideas/v1/service.proto`): each rpc turns its request into the domain's
//! command and hands it to [`IdeasApp`], nothing else. The metadata, the error mapping and
//! the handler skeleton are `innohub_runtime::grpc`'s; the gateway reaches this server
//! through the generated client in both modes ([`channel`] in-process, or over HTTP/2 to
//! [`router`]).

use innohub_proto::innohub::common::v1::{CommandReply, GetHistoryRequest, HistoryReply};
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_runtime::grpc::{
    self, Failure, Reply, command_reply, handle, invalid, record_id as id,
};
use innohub_runtime::{Principal, Verifier};
use pb::ideas_service_server::{IdeasService, IdeasServiceServer};
use prost::Name as _;
use tonic::Request;
use uuid::Uuid;

use crate::domain::action_item::ActionItemCommand as A;
use crate::domain::challenge::ChallengeCommand as Ch;
use crate::domain::idea::IdeaCommand as I;
use crate::domain::values::{outcome, stage};
use crate::{IdeasApp, links};

/// The service as an axum router, to serve with `axum::serve` beside the operations
/// endpoints (distributed mode); `verifier` checks every caller's bearer token.
pub fn router(app: IdeasApp, verifier: Verifier) -> axum::Router {
    grpc::router(IdeasServiceServer::new(Server { app }), verifier)
}

/// A channel to the service running in this process (embedded mode): the generated client
/// calls the server as a tower service, with no socket.
pub fn channel(app: IdeasApp) -> grpc::Channel {
    grpc::local(IdeasServiceServer::new(Server { app }))
}

/// The `IdeasService` implementation over the command side.
#[derive(Debug, Clone)]
struct Server {
    app: IdeasApp,
}

impl Server {
    /// A command, made for the caller by `command`, on the idea named by `raw_id`.
    async fn on_idea(
        &self,
        call: &grpc::Call,
        raw_id: &str,
        command: impl Fn(Principal) -> I,
    ) -> Result<CommandReply, Failure> {
        let outcome = self
            .app
            .on_idea(call.context(), call.token.as_deref(), id(raw_id)?, command)
            .await;
        Ok(command_reply(outcome?))
    }

    /// A command, made for the caller by `command`, on the challenge named by `raw_id`.
    async fn on_challenge(
        &self,
        call: &grpc::Call,
        raw_id: &str,
        command: impl Fn(Principal) -> Ch,
    ) -> Result<CommandReply, Failure> {
        let outcome = self
            .app
            .on_challenge(call.context(), id(raw_id)?, command)
            .await;
        Ok(command_reply(outcome?))
    }

    /// A command, made for the caller by `command`, on the action item named by `raw_id`.
    async fn on_action_item(
        &self,
        call: &grpc::Call,
        raw_id: &str,
        command: impl Fn(Principal) -> A,
    ) -> Result<CommandReply, Failure> {
        let outcome = self
            .app
            .on_action_item(call.context(), id(raw_id)?, command)
            .await;
        Ok(command_reply(outcome?))
    }
}

#[tonic::async_trait]
impl IdeasService for Server {
    async fn create_challenge(
        &self,
        request: Request<pb::CreateChallengeRequest>,
    ) -> Reply<CommandReply> {
        handle("CreateChallenge", request, |call, req| async move {
            let details = req.details.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app
                    .create_challenge(call.context(), details, req.draft)
                    .await?,
            ))
        })
        .await
    }

    async fn open_challenge(
        &self,
        request: Request<pb::OpenChallengeRequest>,
    ) -> Reply<CommandReply> {
        handle("OpenChallenge", request, |call, req| async move {
            self.on_challenge(&call, &req.challenge_id, |by| Ch::Open { by })
                .await
        })
        .await
    }

    async fn close_challenge(
        &self,
        request: Request<pb::CloseChallengeRequest>,
    ) -> Reply<CommandReply> {
        handle("CloseChallenge", request, |call, req| async move {
            self.on_challenge(&call, &req.challenge_id, |by| Ch::Close {
                by,
                reason: req.reason.clone(),
            })
            .await
        })
        .await
    }

    async fn submit_idea(&self, request: Request<pb::SubmitIdeaRequest>) -> Reply<CommandReply> {
        handle("SubmitIdea", request, |call, req| async move {
            let details = req.details.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app.submit_idea(call.context(), details).await?,
            ))
        })
        .await
    }

    async fn update_idea(&self, request: Request<pb::UpdateIdeaRequest>) -> Reply<CommandReply> {
        handle("UpdateIdea", request, |call, req| async move {
            let idea = id(&req.idea_id)?;
            let (details, mask) = (
                req.details.unwrap_or_default(),
                req.update_mask.unwrap_or_default(),
            );
            Ok::<_, Failure>(command_reply(
                self.app
                    .update_idea(call.context(), call.token.as_deref(), idea, details, mask)
                    .await?,
            ))
        })
        .await
    }

    async fn decide_idea_gate(
        &self,
        request: Request<pb::DecideIdeaGateRequest>,
    ) -> Reply<CommandReply> {
        handle("DecideIdeaGate", request, |call, req| async move {
            let to = stage(req.to).map_err(invalid)?;
            let likely_outcome = outcome(req.likely_outcome).map_err(invalid)?;
            self.on_idea(&call, &req.idea_id, |by| I::DecideGate {
                by,
                to,
                rationale: req.rationale.clone(),
                likely_outcome,
            })
            .await
        })
        .await
    }

    async fn support_idea(&self, request: Request<pb::SupportIdeaRequest>) -> Reply<CommandReply> {
        handle("SupportIdea", request, |call, req| async move {
            self.on_idea(&call, &req.idea_id, |by| I::Support { by })
                .await
        })
        .await
    }

    async fn withdraw_support(
        &self,
        request: Request<pb::WithdrawSupportRequest>,
    ) -> Reply<CommandReply> {
        handle("WithdrawSupport", request, |call, req| async move {
            self.on_idea(&call, &req.idea_id, |by| I::Withdraw { by })
                .await
        })
        .await
    }

    async fn comment_on_idea(
        &self,
        request: Request<pb::CommentOnIdeaRequest>,
    ) -> Reply<CommandReply> {
        handle("CommentOnIdea", request, |call, req| async move {
            let comment_id = Uuid::now_v7();
            self.on_idea(&call, &req.idea_id, |by| I::Comment {
                by,
                comment_id,
                text: req.text.clone(),
            })
            .await
        })
        .await
    }

    async fn set_idea_criteria(
        &self,
        request: Request<pb::SetIdeaCriteriaRequest>,
    ) -> Reply<CommandReply> {
        handle("SetIdeaCriteria", request, |call, req| async move {
            Ok::<_, Failure>(command_reply(
                self.app.set_criteria(call.context(), req.criteria).await?,
            ))
        })
        .await
    }

    async fn score_idea(&self, request: Request<pb::ScoreIdeaRequest>) -> Reply<CommandReply> {
        handle("ScoreIdea", request, |call, req| async move {
            let idea = id(&req.idea_id)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .score_idea(call.context(), call.token.as_deref(), idea, req.scores)
                    .await?,
            ))
        })
        .await
    }

    async fn record_workshop(
        &self,
        request: Request<pb::RecordWorkshopRequest>,
    ) -> Reply<CommandReply> {
        handle("RecordWorkshop", request, |call, req| async move {
            let details = req.details.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app.record_workshop(call.context(), details).await?,
            ))
        })
        .await
    }

    async fn add_action_item(
        &self,
        request: Request<pb::AddActionItemRequest>,
    ) -> Reply<CommandReply> {
        handle("AddActionItem", request, |call, req| async move {
            let workshop = id(&req.workshop_id)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .add_action_item(
                        call.context(),
                        workshop,
                        &req.idea_id,
                        req.title,
                        req.owner,
                        req.deadline,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn complete_action_item(
        &self,
        request: Request<pb::CompleteActionItemRequest>,
    ) -> Reply<CommandReply> {
        handle("CompleteActionItem", request, |call, req| async move {
            self.on_action_item(&call, &req.item_id, |by| A::Complete { by })
                .await
        })
        .await
    }

    async fn drop_action_item(
        &self,
        request: Request<pb::DropActionItemRequest>,
    ) -> Reply<CommandReply> {
        handle("DropActionItem", request, |call, req| async move {
            self.on_action_item(&call, &req.item_id, |by| A::Drop {
                by,
                reason: req.reason.clone(),
            })
            .await
        })
        .await
    }

    async fn spawn_process_from_idea(
        &self,
        request: Request<pb::SpawnProcessFromIdeaRequest>,
    ) -> Reply<pb::SpawnReply> {
        handle("SpawnProcessFromIdea", request, |call, req| async move {
            let idea = id(&req.idea_id)?;
            let details = req.details.unwrap_or_default();
            links::spawn_process(
                &self.app,
                call.context(),
                call.token.as_deref(),
                idea,
                details,
            )
            .await
        })
        .await
    }

    async fn start_pilot_from_idea(
        &self,
        request: Request<pb::StartPilotFromIdeaRequest>,
    ) -> Reply<pb::SpawnReply> {
        handle("StartPilotFromIdea", request, |call, req| async move {
            let idea = id(&req.idea_id)?;
            let plan = req.plan.unwrap_or_default();
            links::start_pilot(&self.app, call.context(), call.token.as_deref(), idea, plan).await
        })
        .await
    }

    async fn get_history(&self, request: Request<GetHistoryRequest>) -> Reply<HistoryReply> {
        grpc::get_history(request, pb::IdeaSubmitted::PACKAGE, |call, id| async move {
            self.app
                .history(&call.principal, call.token.as_deref(), &id)
                .await
        })
        .await
    }
}
