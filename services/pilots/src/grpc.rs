//! The gRPC server adapter of the pilots service (`PilotsService` of
//! `proto/innohub/pilots/v1/service.proto`): each rpc turns its request into the domain's
//! command and hands it to [`PilotsApp`], nothing else. The metadata, the error mapping and
//! the handler skeleton are `innohub_runtime::grpc`'s; the gateway reaches this server
//! through the generated client in both modes ([`channel`] in-process, or over HTTP/2 to
//! [`router`]).

use innohub_proto::innohub::common::v1::{CommandReply, GetHistoryRequest, HistoryReply};
use innohub_proto::innohub::pilots::v1 as pb;
use innohub_runtime::grpc::{
    self, Failure, Reply, command_reply, handle, invalid, record_id as id,
};
use innohub_runtime::{Principal, Verifier};
use pb::pilots_service_server::{PilotsService, PilotsServiceServer};
use prost::Name as _;
use tonic::Request;
use uuid::Uuid;

use crate::PilotsApp;
use crate::domain::pilot::PilotCommand as P;
use crate::domain::values::decision;

/// The service as an axum router, to serve with `axum::serve` beside the operations
/// endpoints (distributed mode); `verifier` checks every caller's bearer token.
pub fn router(app: PilotsApp, verifier: Verifier) -> axum::Router {
    grpc::router(PilotsServiceServer::new(Server { app }), verifier)
}

/// A channel to the service running in this process (embedded mode): the generated client
/// calls the server as a tower service, with no socket.
pub fn channel(app: PilotsApp) -> grpc::Channel {
    grpc::local(PilotsServiceServer::new(Server { app }))
}

/// The `PilotsService` implementation over the command side.
#[derive(Debug, Clone)]
struct Server {
    app: PilotsApp,
}

impl Server {
    /// A command, made for the caller by `command`, on the pilot named by `raw_id`.
    async fn on_pilot(
        &self,
        call: &grpc::Call,
        raw_id: &str,
        command: impl Fn(Principal) -> P,
    ) -> Result<CommandReply, Failure> {
        let outcome = self
            .app
            .on_pilot(call.context(), call.token.as_deref(), id(raw_id)?, command)
            .await;
        Ok(command_reply(outcome?))
    }
}

#[tonic::async_trait]
impl PilotsService for Server {
    async fn plan_pilot(&self, request: Request<pb::PlanPilotRequest>) -> Reply<CommandReply> {
        handle("PlanPilot", request, |call, req| async move {
            let plan = req.plan.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app
                    .plan_pilot(call.context(), plan, req.origin)
                    .await?,
            ))
        })
        .await
    }

    async fn update_pilot_plan(
        &self,
        request: Request<pb::UpdatePilotPlanRequest>,
    ) -> Reply<CommandReply> {
        handle("UpdatePilotPlan", request, |call, req| async move {
            let pilot = id(&req.pilot_id)?;
            let (plan, mask) = (
                req.plan.unwrap_or_default(),
                req.update_mask.unwrap_or_default(),
            );
            Ok::<_, Failure>(command_reply(
                self.app
                    .update_plan(call.context(), call.token.as_deref(), pilot, plan, mask)
                    .await?,
            ))
        })
        .await
    }

    async fn start_pilot(&self, request: Request<pb::StartPilotRequest>) -> Reply<CommandReply> {
        handle("StartPilot", request, |call, req| async move {
            let pilot = id(&req.pilot_id)?;
            Ok::<_, Failure>(command_reply(
                self.app
                    .start_pilot(call.context(), call.token.as_deref(), pilot)
                    .await?,
            ))
        })
        .await
    }

    async fn record_observation(
        &self,
        request: Request<pb::RecordObservationRequest>,
    ) -> Reply<CommandReply> {
        handle("RecordObservation", request, |call, req| async move {
            let observation_id = Uuid::now_v7();
            let observation = req.observation.unwrap_or_default();
            self.on_pilot(&call, &req.pilot_id, |by| P::RecordObservation {
                by,
                observation_id,
                observation: observation.clone(),
            })
            .await
        })
        .await
    }

    async fn record_incident(
        &self,
        request: Request<pb::RecordIncidentRequest>,
    ) -> Reply<CommandReply> {
        handle("RecordIncident", request, |call, req| async move {
            let incident_id = Uuid::now_v7();
            let incident = req.incident.unwrap_or_default();
            self.on_pilot(&call, &req.pilot_id, |by| P::RecordIncident {
                by,
                incident_id,
                incident: incident.clone(),
            })
            .await
        })
        .await
    }

    async fn define_benefit(
        &self,
        request: Request<pb::DefineBenefitRequest>,
    ) -> Reply<CommandReply> {
        handle("DefineBenefit", request, |call, req| async move {
            let new_id = Uuid::now_v7();
            let benefit = req.benefit.unwrap_or_default();
            self.on_pilot(&call, &req.pilot_id, |by| P::DefineBenefit {
                by,
                benefit_id: req.benefit_id.clone(),
                new_id,
                benefit: benefit.clone(),
            })
            .await
        })
        .await
    }

    async fn record_measurement(
        &self,
        request: Request<pb::RecordMeasurementRequest>,
    ) -> Reply<CommandReply> {
        handle("RecordMeasurement", request, |call, req| async move {
            let pilot = id(&req.pilot_id)?;
            let reading = req.reading.unwrap_or_default();
            Ok::<_, Failure>(command_reply(
                self.app
                    .record_measurement(
                        call.context(),
                        call.token.as_deref(),
                        pilot,
                        req.benefit_id,
                        reading,
                    )
                    .await?,
            ))
        })
        .await
    }

    async fn evaluate_pilot(
        &self,
        request: Request<pb::EvaluatePilotRequest>,
    ) -> Reply<CommandReply> {
        handle("EvaluatePilot", request, |call, req| async move {
            let evaluation = req.evaluation.unwrap_or_default();
            self.on_pilot(&call, &req.pilot_id, |by| P::Evaluate {
                by,
                evaluation: evaluation.clone(),
            })
            .await
        })
        .await
    }

    async fn decide_pilot(&self, request: Request<pb::DecidePilotRequest>) -> Reply<CommandReply> {
        handle("DecidePilot", request, |call, req| async move {
            let decision = decision(req.decision).map_err(invalid)?;
            let basis = req.basis.unwrap_or_default();
            self.on_pilot(&call, &req.pilot_id, |by| P::Decide {
                by,
                decision,
                new_end_date: req.new_end_date.clone(),
                why_stopped: req.why_stopped.clone(),
                basis: basis.clone(),
            })
            .await
        })
        .await
    }

    async fn get_history(&self, request: Request<GetHistoryRequest>) -> Reply<HistoryReply> {
        grpc::get_history(request, pb::PilotPlanned::PACKAGE, |call, id| async move {
            self.app
                .history(&call.principal, call.token.as_deref(), &id)
                .await
        })
        .await
    }
}
