//! The gRPC server adapter of the funding service (`FundingService` of
//! `proto/innohub/funding/v1/service.proto`): each rpc turns its request into the domain's
//! command and hands it to [`FundingApp`], nothing else. The metadata, the error mapping and
//! the handler skeleton are `innohub_runtime::grpc`'s; the gateway reaches this server
//! through the generated client in both modes ([`channel`] in-process, or over HTTP/2 to
//! [`router`]).

use innohub_proto::innohub::common::v1::{CommandReply, GetHistoryRequest, HistoryReply};
use innohub_proto::innohub::funding::v1 as pb;
use innohub_runtime::grpc::{
    self, Failure, Reply, command_reply, handle, invalid, record_id as id,
};
use innohub_runtime::{Principal, Verifier};
use pb::funding_service_server::{FundingService, FundingServiceServer};
use prost::Name as _;
use tonic::Request;
use uuid::Uuid;

use crate::FundingApp;
use crate::domain::application::{ApplicationCommand as A, DecideApplication};
use crate::domain::fund::FundRecord;
use crate::domain::values::outcome;

/// The service as an axum router, to serve with `axum::serve` beside the operations
/// endpoints (distributed mode); `verifier` checks every caller's bearer token.
pub fn router(app: FundingApp, verifier: Verifier) -> axum::Router {
    grpc::router(FundingServiceServer::new(Server { app }), verifier)
}

/// A channel to the service running in this process (embedded mode): the generated client
/// calls the server as a tower service, with no socket.
pub fn channel(app: FundingApp) -> grpc::Channel {
    grpc::local(FundingServiceServer::new(Server { app }))
}

/// The `FundingService` implementation over the command side.
#[derive(Debug, Clone)]
struct Server {
    app: FundingApp,
}

impl Server {
    /// A command, made for the caller and given the fund applied to by `command`, on the
    /// application named by `raw_id`.
    async fn on_application(
        &self,
        call: &grpc::Call,
        raw_id: &str,
        command: impl Fn(Principal, &FundRecord) -> A,
    ) -> Result<CommandReply, Failure> {
        let outcome = self
            .app
            .on_application(call.context(), call.token.as_deref(), id(raw_id)?, command)
            .await;
        Ok(command_reply(outcome?))
    }
}

#[tonic::async_trait]
impl FundingService for Server {
    async fn create_fund(&self, request: Request<pb::CreateFundRequest>) -> Reply<CommandReply> {
        handle("CreateFund", request, |call, req| async move {
            let terms = req.terms.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app.create_fund(call.context(), terms).await?,
            ))
        })
        .await
    }

    async fn set_fund_budget(
        &self,
        request: Request<pb::SetFundBudgetRequest>,
    ) -> Reply<CommandReply> {
        handle("SetFundBudget", request, |call, req| async move {
            let fund = id(&req.fund_id)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .set_fund_budget(
                        call.context(),
                        call.token.as_deref(),
                        fund,
                        req.year,
                        req.budget,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn schedule_decision_round(
        &self,
        request: Request<pb::ScheduleDecisionRoundRequest>,
    ) -> Reply<CommandReply> {
        handle("ScheduleDecisionRound", request, |call, req| async move {
            let fund = id(&req.fund_id)?;
            let round = req.round.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app
                    .schedule_decision_round(call.context(), call.token.as_deref(), fund, round)
                    .await?,
            ))
        })
        .await
    }

    async fn draft_application(
        &self,
        request: Request<pb::DraftApplicationRequest>,
    ) -> Reply<CommandReply> {
        handle("DraftApplication", request, |call, req| async move {
            let fund = id(&req.fund_id)?;
            let details = req.details.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app
                    .draft_application(
                        call.context(),
                        call.token.as_deref(),
                        fund,
                        req.round_id,
                        details,
                        req.origin,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn update_application(
        &self,
        request: Request<pb::UpdateApplicationRequest>,
    ) -> Reply<CommandReply> {
        handle("UpdateApplication", request, |call, req| async move {
            let application = id(&req.application_id)?;
            let (details, mask) = (
                req.details.unwrap_or_default(),
                req.update_mask.unwrap_or_default(),
            );
            Ok::<_, Failure>(command_reply(
                self.app
                    .update_application(
                        call.context(),
                        call.token.as_deref(),
                        application,
                        details,
                        mask,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn submit_application(
        &self,
        request: Request<pb::SubmitApplicationRequest>,
    ) -> Reply<CommandReply> {
        handle("SubmitApplication", request, |call, req| async move {
            let application = id(&req.application_id)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .submit_application(call.context(), call.token.as_deref(), application)
                    .await?,
            ))
        })
        .await
    }

    async fn withdraw_application(
        &self,
        request: Request<pb::WithdrawApplicationRequest>,
    ) -> Reply<CommandReply> {
        handle("WithdrawApplication", request, |call, req| async move {
            self.on_application(&call, &req.application_id, |by, _| A::Withdraw {
                by,
                reason: req.reason.clone(),
            })
            .await
        })
        .await
    }

    async fn assign_reviewer(
        &self,
        request: Request<pb::AssignReviewerRequest>,
    ) -> Reply<CommandReply> {
        handle("AssignReviewer", request, |call, req| async move {
            self.on_application(&call, &req.application_id, |by, _| A::AssignReviewer {
                by,
                reviewer: req.reviewer.clone(),
            })
            .await
        })
        .await
    }

    async fn review_application(
        &self,
        request: Request<pb::ReviewApplicationRequest>,
    ) -> Reply<CommandReply> {
        handle("ReviewApplication", request, |call, req| async move {
            let review = req.review.unwrap_or_default();
            self.on_application(&call, &req.application_id, |by, fund| A::Review {
                by,
                fund: fund.clone(),
                review: review.clone(),
            })
            .await
        })
        .await
    }

    async fn decide_application(
        &self,
        request: Request<pb::DecideApplicationRequest>,
    ) -> Reply<CommandReply> {
        handle("DecideApplication", request, |call, req| async move {
            let application = id(&req.application_id)?;
            let outcome = outcome(req.outcome).map_err(invalid)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .decide_application(
                        call.context(),
                        call.token.as_deref(),
                        application,
                        |by, fund| DecideApplication {
                            by,
                            fund,
                            round_id: req.round_id.clone(),
                            outcome,
                            amount: req.amount.clone(),
                            conditions: req.conditions.clone(),
                            rationale: req.rationale.clone(),
                        },
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn disburse(&self, request: Request<pb::DisburseRequest>) -> Reply<CommandReply> {
        handle("Disburse", request, |call, req| async move {
            let application = id(&req.application_id)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .disburse(
                        call.context(),
                        call.token.as_deref(),
                        application,
                        req.amount,
                        req.date,
                        req.note,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn record_progress_report(
        &self,
        request: Request<pb::RecordProgressReportRequest>,
    ) -> Reply<CommandReply> {
        handle("RecordProgressReport", request, |call, req| async move {
            let report_id = Uuid::now_v7();
            let report = req.report.unwrap_or_default();
            self.on_application(&call, &req.application_id, |by, _| A::ReportProgress {
                by,
                report_id,
                report: report.clone(),
            })
            .await
        })
        .await
    }

    async fn return_unspent(
        &self,
        request: Request<pb::ReturnUnspentRequest>,
    ) -> Reply<CommandReply> {
        handle("ReturnUnspent", request, |call, req| async move {
            let application = id(&req.application_id)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .return_unspent(
                        call.context(),
                        call.token.as_deref(),
                        application,
                        req.amount,
                        req.note,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn get_history(&self, request: Request<GetHistoryRequest>) -> Reply<HistoryReply> {
        grpc::get_history(request, pb::FundCreated::PACKAGE, |call, id| async move {
            self.app
                .history(&call.principal, call.token.as_deref(), &id)
                .await
        })
        .await
    }
}
