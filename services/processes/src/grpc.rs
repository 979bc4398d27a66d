//! The gRPC server adapter of the processes service (`ProcessesService` of
//! `proto/innohub/processes/v1/service.proto`), and what its client shares with it: the
//! request metadata (principal, correlation id, trace context), the error mapping and,
//! in [`convert`], the conversions between the domain inputs and the protobuf messages in
//! both directions.
//!
//! The server does no command handling of its own: it reads the caller from the
//! metadata, turns the request into the domain inputs and calls the same
//! [`Processes::Local`] handle the gateway uses in embedded mode, so a command answers the
//! same over the network as in-process.

use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::command::CommandContext;
use innohub_runtime::{ErrorCode, Principal, telemetry};
use pb::processes_service_server::{ProcessesService, ProcessesServiceServer};
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};
use tracing::Instrument as _;
use uuid::Uuid;

use crate::ProcessesApp;
use crate::client::{Processes, ServiceError};

/// Metadata key of the caller: base64url (no padding) of the JSON of [`Principal`].
pub const PRINCIPAL_HEADER: &str = "x-innohub-principal";
/// Metadata key of the correlation id (a UUID) that ties together what one request caused.
pub const CORRELATION_HEADER: &str = "x-innohub-correlation-id";
/// Metadata key of the W3C Trace Context of the calling span.
pub const TRACEPARENT_HEADER: &str = "traceparent";

/// The gRPC service as an axum router: serve it with `axum::serve` (HTTP/2), or merge it
/// with other routes (health, metrics).
pub fn router(app: ProcessesApp) -> axum::Router {
    tonic::service::Routes::new(ProcessesServiceServer::new(Server {
        processes: Processes::Local(app),
    }))
    .into_axum_router()
}

/// The gRPC status code of a stable error code.
pub fn grpc_code(code: ErrorCode) -> tonic::Code {
    match code {
        ErrorCode::BadUserInput => tonic::Code::InvalidArgument,
        ErrorCode::Unauthenticated => tonic::Code::Unauthenticated,
        ErrorCode::Forbidden => tonic::Code::PermissionDenied,
        ErrorCode::NotFound => tonic::Code::NotFound,
        ErrorCode::Conflict => tonic::Code::Aborted,
        ErrorCode::Internal => tonic::Code::Internal,
    }
}

/// The stable error code of a gRPC status code; codes the service never sends (e.g.
/// `UNAVAILABLE` from the transport) are `INTERNAL`.
pub fn error_code(code: tonic::Code) -> ErrorCode {
    match code {
        tonic::Code::InvalidArgument => ErrorCode::BadUserInput,
        tonic::Code::Unauthenticated => ErrorCode::Unauthenticated,
        tonic::Code::PermissionDenied => ErrorCode::Forbidden,
        tonic::Code::NotFound => ErrorCode::NotFound,
        tonic::Code::Aborted => ErrorCode::Conflict,
        _ => ErrorCode::Internal,
    }
}

/// The status a service error leaves the service as. Internal errors are logged here
/// and sent as "internal error" only.
pub fn status(error: &ServiceError) -> Status {
    if error.code == ErrorCode::Internal {
        tracing::error!(error = %error.message, "internal error");
        Status::internal("internal error")
    } else {
        Status::new(grpc_code(error.code), error.message.clone())
    }
}

/// The value of the [`PRINCIPAL_HEADER`] metadata: base64url without padding of the
/// principal's JSON.
pub fn encode_principal(principal: &Principal) -> Result<String, serde_json::Error> {
    Ok(base64url::encode(&serde_json::to_vec(principal)?))
}

/// The principal in a [`PRINCIPAL_HEADER`] value.
pub fn decode_principal(value: &str) -> Result<Principal, String> {
    let json = base64url::decode(value)?;
    serde_json::from_slice(&json).map_err(|e| format!("not a principal: {e}"))
}

/// The caller named by the metadata, or `UNAUTHENTICATED`.
fn principal(metadata: &MetadataMap) -> Result<Principal, Status> {
    let value = metadata
        .get(PRINCIPAL_HEADER)
        .ok_or_else(|| Status::unauthenticated(format!("{PRINCIPAL_HEADER} is required")))?;
    value
        .to_str()
        .map_err(|e| e.to_string())
        .and_then(decode_principal)
        .map_err(|why| {
            tracing::warn!(%why, "invalid principal metadata");
            Status::unauthenticated(format!("{PRINCIPAL_HEADER} is invalid"))
        })
}

/// The correlation id of the metadata; a new one when it is absent or malformed.
fn correlation_id(metadata: &MetadataMap) -> Uuid {
    metadata
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or_else(Uuid::now_v7)
}

/// The span of one call, a child of the caller's trace when the metadata names one.
fn rpc_span(method: &'static str, metadata: &MetadataMap) -> tracing::Span {
    let span = tracing::info_span!("rpc", method);
    telemetry::set_parent(
        &span,
        metadata
            .get(TRACEPARENT_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    span
}

/// Who sends a command, as its metadata says.
struct Caller {
    principal: Principal,
    correlation_id: Uuid,
}

impl Caller {
    fn of(metadata: &MetadataMap) -> Result<Self, Status> {
        Ok(Self {
            principal: principal(metadata)?,
            correlation_id: correlation_id(metadata),
        })
    }

    /// The command context, with the request's idempotency key (empty = none).
    fn context<'a>(&'a self, idempotency_key: &'a str) -> CommandContext<'a> {
        CommandContext {
            principal: &self.principal,
            idempotency_key: (!idempotency_key.is_empty()).then_some(idempotency_key),
            correlation_id: self.correlation_id,
        }
    }
}

type RpcResult<T> = Result<Response<T>, Status>;

fn answer(result: Result<crate::client::Reply, ServiceError>) -> RpcResult<pb::CommandReply> {
    result
        .map(|reply| Response::new(convert::reply_to_pb(reply)))
        .map_err(|e| status(&e))
}

fn rejected(error: crate::ProcessError) -> Status {
    status(&ServiceError::from(error))
}

/// The `ProcessesService` implementation over the in-process handle.
#[derive(Debug, Clone)]
struct Server {
    processes: Processes,
}

#[tonic::async_trait]
impl ProcessesService for Server {
    async fn submit_process(
        &self,
        request: Request<pb::SubmitProcessRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("SubmitProcess", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let fields =
                convert::fields_from_pb(req.fields.unwrap_or_default()).map_err(rejected)?;
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.submit(ctx, fields).await)
        }
        .instrument(span)
        .await
    }

    async fn update_process(
        &self,
        request: Request<pb::UpdateProcessRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("UpdateProcess", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let fields =
                convert::fields_from_pb(req.fields.unwrap_or_default()).map_err(rejected)?;
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.update(ctx, id, fields).await)
        }
        .instrument(span)
        .await
    }

    async fn assess_process(
        &self,
        request: Request<pb::AssessProcessRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("AssessProcess", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let assessment = convert::assessment_from_pb(req.assessment.unwrap_or_default());
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.assess(ctx, id, assessment).await)
        }
        .instrument(span)
        .await
    }

    async fn change_process_phase(
        &self,
        request: Request<pb::ChangeProcessPhaseRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("ChangeProcessPhase", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let to = convert::phase_from_pb(req.to).map_err(rejected)?;
            let reason = convert::text_from_pb(req.reason);
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.change_phase(ctx, id, to, reason).await)
        }
        .instrument(span)
        .await
    }

    async fn change_process_status(
        &self,
        request: Request<pb::ChangeProcessStatusRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("ChangeProcessStatus", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let to = convert::status_from_pb(req.to).map_err(rejected)?;
            let reason = convert::text_from_pb(req.reason);
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.change_status(ctx, id, to, reason).await)
        }
        .instrument(span)
        .await
    }

    async fn comment_on_process(
        &self,
        request: Request<pb::CommentOnProcessRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("CommentOnProcess", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.comment(ctx, id, req.text).await)
        }
        .instrument(span)
        .await
    }

    async fn follow_process(
        &self,
        request: Request<pb::FollowProcessRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("FollowProcess", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.follow(ctx, id).await)
        }
        .instrument(span)
        .await
    }

    async fn unfollow_process(
        &self,
        request: Request<pb::UnfollowProcessRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("UnfollowProcess", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.unfollow(ctx, id).await)
        }
        .instrument(span)
        .await
    }

    async fn record_process_experience(
        &self,
        request: Request<pb::RecordProcessExperienceRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("RecordProcessExperience", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let experience = convert::experience_from_pb(req.experience.unwrap_or_default());
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.record_experience(ctx, id, experience).await)
        }
        .instrument(span)
        .await
    }

    async fn rank_process(
        &self,
        request: Request<pb::RankProcessRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("RankProcess", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let placement = convert::placement_from_pb(req.placement).map_err(rejected)?;
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.rank(ctx, id, placement).await)
        }
        .instrument(span)
        .await
    }

    async fn unrank_process(
        &self,
        request: Request<pb::UnrankProcessRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("UnrankProcess", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.unrank(ctx, id).await)
        }
        .instrument(span)
        .await
    }

    async fn set_scoring_weights(
        &self,
        request: Request<pb::SetScoringWeightsRequest>,
    ) -> RpcResult<pb::CommandReply> {
        let span = rpc_span("SetScoringWeights", request.metadata());
        async {
            let caller = Caller::of(request.metadata())?;
            let req = request.into_inner();
            let weights =
                convert::weights_from_pb(req.weights.unwrap_or_default()).map_err(rejected)?;
            let ctx = caller.context(&req.idempotency_key);
            answer(self.processes.set_scoring_weights(ctx, weights).await)
        }
        .instrument(span)
        .await
    }

    async fn get_process_history(
        &self,
        request: Request<pb::GetProcessHistoryRequest>,
    ) -> RpcResult<pb::ProcessHistoryReply> {
        let span = rpc_span("GetProcessHistory", request.metadata());
        async {
            let principal = principal(request.metadata())?;
            let req = request.into_inner();
            let id = convert::id_from_pb(&req.process_id).map_err(rejected)?;
            let events = self
                .processes
                .history(&principal, id)
                .await
                .map_err(|e| status(&e))?;
            Ok(Response::new(pb::ProcessHistoryReply {
                events: events
                    .into_iter()
                    .map(convert::history_event_to_pb)
                    .collect(),
            }))
        }
        .instrument(span)
        .await
    }
}

/// The domain inputs and answers of the processes service ⇄ the messages of
/// `service.proto`, both directions side by side. Domain → protobuf never fails (the
/// client's side); protobuf → domain checks only what the wire cannot guarantee (enum
/// values, ids) and leaves every other rule to the domain, so an invalid value is refused
/// with the domain's own message whichever way the command came.
pub mod convert {
    use chrono::{DateTime, Utc};
    use innohub_proto::innohub::common::v1::StringList;
    use innohub_proto::innohub::processes::v1 as pb;
    use innohub_runtime::{ErrorCode, Visibility};
    use pb::rank_process_request::Placement as PbPlacement;
    use uuid::Uuid;

    use crate::ProcessError;
    use crate::client::{HistoryEvent, Reply, ServiceError};
    use crate::domain::assessment::AssessmentInput;
    use crate::domain::backlog::Placement;
    use crate::domain::details::ProcessFields;
    use crate::domain::lifecycle::{Phase, Status};
    use crate::domain::process::ExperienceFields;
    use crate::domain::scoring::ScoringWeights;

    /// Optional text: absent is `""` on the wire.
    pub fn text_to_pb(text: Option<String>) -> String {
        text.unwrap_or_default()
    }

    /// Optional text: `""` is absent.
    pub fn text_from_pb(text: String) -> Option<String> {
        (!text.is_empty()).then_some(text)
    }

    /// A record id; one that is not a UUID names no record: `NOT_FOUND`.
    pub fn id_from_pb(raw: &str) -> Result<Uuid, ProcessError> {
        Uuid::parse_str(raw).map_err(|_| ProcessError::NotFound)
    }

    /// A raw number for an unsigned field: values that do not fit become `u32::MAX`,
    /// which breaks every rating and count rule the same way the original value does
    /// (the domain's messages name the allowed range, not the value).
    fn unsigned(raw: i64) -> u32 {
        u32::try_from(raw).unwrap_or(u32::MAX)
    }

    fn list_to_pb(list: Option<Vec<String>>) -> Option<StringList> {
        list.map(|values| StringList { values })
    }

    fn list_from_pb(list: Option<StringList>) -> Option<Vec<String>> {
        list.map(|l| l.values)
    }

    /// Process fields for submit and update.
    pub fn fields_to_pb(f: ProcessFields) -> pb::ProcessFields {
        pb::ProcessFields {
            title: f.title,
            short_description: f.short_description,
            long_description: f.long_description,
            pain_points: f.pain_points,
            wished_solution: f.wished_solution,
            departments: list_to_pb(f.departments),
            owner: f.owner,
            contact: f.contact,
            classification: f
                .classification
                .map(|(scheme, code)| pb::Classification { scheme, code }),
            legal_basis: f.legal_basis,
            domains: list_to_pb(f.domains),
            it_systems: list_to_pb(f.it_systems),
            technologies: list_to_pb(f.technologies),
            vendor: f.vendor,
            targets_citizens: f.targets_citizens,
            targets_companies: f.targets_companies,
            cases_per_year: f.cases_per_year,
            minutes_per_case: f.minutes_per_case,
            employees: f.employees,
            automation_share: f.automation_share,
            development_effort_hours: f.development_effort_hours,
            go_live_date: f.go_live_date,
            internal_notes: f.internal_notes,
            visibility: f.visibility.map(visibility_to_pb),
        }
    }

    /// Process fields from a request; only the visibility can be malformed here.
    pub fn fields_from_pb(f: pb::ProcessFields) -> Result<ProcessFields, ProcessError> {
        Ok(ProcessFields {
            title: f.title,
            short_description: f.short_description,
            long_description: f.long_description,
            pain_points: f.pain_points,
            wished_solution: f.wished_solution,
            departments: list_from_pb(f.departments),
            owner: f.owner,
            contact: f.contact,
            classification: f.classification.map(|c| (c.scheme, c.code)),
            legal_basis: f.legal_basis,
            domains: list_from_pb(f.domains),
            it_systems: list_from_pb(f.it_systems),
            technologies: list_from_pb(f.technologies),
            vendor: f.vendor,
            targets_citizens: f.targets_citizens,
            targets_companies: f.targets_companies,
            cases_per_year: f.cases_per_year,
            minutes_per_case: f.minutes_per_case,
            employees: f.employees,
            automation_share: f.automation_share,
            development_effort_hours: f.development_effort_hours,
            go_live_date: f.go_live_date,
            internal_notes: f.internal_notes,
            visibility: f.visibility.map(visibility_from_pb).transpose()?,
        })
    }

    /// An assessment: ratings outside `u32` travel as `u32::MAX` (still invalid).
    pub fn assessment_to_pb(a: AssessmentInput) -> pb::Assessment {
        let r = |v: Option<i64>| v.map(unsigned);
        pb::Assessment {
            rules_based: r(a.rules_based),
            structured_input: r(a.structured_input),
            input_quality: r(a.input_quality),
            process_stability: r(a.process_stability),
            case_variation: r(a.case_variation),
            documentation: r(a.documentation),
            data_sensitivity: r(a.data_sensitivity),
            quality_gain: r(a.quality_gain),
            speed_gain: r(a.speed_gain),
            routine_relief: r(a.routine_relief),
            strategic_fit: r(a.strategic_fit),
            risk: r(a.risk),
        }
    }

    /// An assessment from a request (the domain checks the ratings).
    pub fn assessment_from_pb(a: pb::Assessment) -> AssessmentInput {
        let r = |v: Option<u32>| v.map(i64::from);
        AssessmentInput {
            rules_based: r(a.rules_based),
            structured_input: r(a.structured_input),
            input_quality: r(a.input_quality),
            process_stability: r(a.process_stability),
            case_variation: r(a.case_variation),
            documentation: r(a.documentation),
            data_sensitivity: r(a.data_sensitivity),
            quality_gain: r(a.quality_gain),
            speed_gain: r(a.speed_gain),
            routine_relief: r(a.routine_relief),
            strategic_fit: r(a.strategic_fit),
            risk: r(a.risk),
        }
    }

    /// Experience: absent texts are `""` (the domain reads blank as absent too); a benefit
    /// outside `u32` travels as `u32::MAX` (still invalid).
    pub fn experience_to_pb(e: ExperienceFields) -> pb::Experience {
        pb::Experience {
            what_was_built: text_to_pb(e.what_was_built),
            technical_notes: text_to_pb(e.technical_notes),
            organisational_notes: text_to_pb(e.organisational_notes),
            run_frequency: text_to_pb(e.run_frequency),
            realised_benefit: e.realised_benefit.map(unsigned),
            realised_benefit_comment: text_to_pb(e.realised_benefit_comment),
            repository_url: text_to_pb(e.repository_url),
            decommission_date: text_to_pb(e.decommission_date),
        }
    }

    /// Experience from a request.
    pub fn experience_from_pb(e: pb::Experience) -> ExperienceFields {
        ExperienceFields {
            what_was_built: text_from_pb(e.what_was_built),
            technical_notes: text_from_pb(e.technical_notes),
            organisational_notes: text_from_pb(e.organisational_notes),
            run_frequency: text_from_pb(e.run_frequency),
            realised_benefit: e.realised_benefit.map(i64::from),
            realised_benefit_comment: text_from_pb(e.realised_benefit_comment),
            repository_url: text_from_pb(e.repository_url),
            decommission_date: text_from_pb(e.decommission_date),
        }
    }

    /// Scoring weights.
    pub fn weights_to_pb(w: &ScoringWeights) -> pb::ScoringWeights {
        pb::ScoringWeights {
            hours_saved: w.hours_saved,
            automation_potential: w.automation_potential,
            ease: w.ease,
            strategic_fit: w.strategic_fit,
            risk: w.risk,
        }
    }

    /// Scoring weights from a request, validated by the domain (absent: all zero, refused).
    pub fn weights_from_pb(w: pb::ScoringWeights) -> Result<ScoringWeights, ProcessError> {
        ScoringWeights::parse(
            w.hours_saved,
            w.automation_potential,
            w.ease,
            w.strategic_fit,
            w.risk,
        )
    }

    /// A phase.
    pub fn phase_to_pb(phase: Phase) -> i32 {
        let p = match phase {
            Phase::Idea => pb::Phase::Idea,
            Phase::PreAnalysis => pb::Phase::PreAnalysis,
            Phase::Specification => pb::Phase::Specification,
            Phase::Development => pb::Phase::Development,
            Phase::Implementation => pb::Phase::Implementation,
            Phase::Operation => pb::Phase::Operation,
            Phase::Decommissioned => pb::Phase::Decommissioned,
        };
        p as i32
    }

    /// A phase from a request; unspecified or unknown is refused.
    pub fn phase_from_pb(raw: i32) -> Result<Phase, ProcessError> {
        match pb::Phase::try_from(raw) {
            Ok(pb::Phase::Idea) => Ok(Phase::Idea),
            Ok(pb::Phase::PreAnalysis) => Ok(Phase::PreAnalysis),
            Ok(pb::Phase::Specification) => Ok(Phase::Specification),
            Ok(pb::Phase::Development) => Ok(Phase::Development),
            Ok(pb::Phase::Implementation) => Ok(Phase::Implementation),
            Ok(pb::Phase::Operation) => Ok(Phase::Operation),
            Ok(pb::Phase::Decommissioned) => Ok(Phase::Decommissioned),
            Ok(pb::Phase::Unspecified) | Err(_) => {
                Err(ProcessError::invalid("phase", "must be a known phase"))
            }
        }
    }

    /// A status.
    pub fn status_to_pb(status: Status) -> i32 {
        let s = match status {
            Status::NotAssessed => pb::Status::NotAssessed,
            Status::InProgress => pb::Status::InProgress,
            Status::OnHold => pb::Status::OnHold,
            Status::Rejected => pb::Status::Rejected,
            Status::Failed => pb::Status::Failed,
            Status::NotRelevant => pb::Status::NotRelevant,
        };
        s as i32
    }

    /// A status from a request; unspecified or unknown is refused.
    pub fn status_from_pb(raw: i32) -> Result<Status, ProcessError> {
        match pb::Status::try_from(raw) {
            Ok(pb::Status::NotAssessed) => Ok(Status::NotAssessed),
            Ok(pb::Status::InProgress) => Ok(Status::InProgress),
            Ok(pb::Status::OnHold) => Ok(Status::OnHold),
            Ok(pb::Status::Rejected) => Ok(Status::Rejected),
            Ok(pb::Status::Failed) => Ok(Status::Failed),
            Ok(pb::Status::NotRelevant) => Ok(Status::NotRelevant),
            Ok(pb::Status::Unspecified) | Err(_) => {
                Err(ProcessError::invalid("status", "must be a known status"))
            }
        }
    }

    /// A visibility.
    pub fn visibility_to_pb(visibility: Visibility) -> i32 {
        let v = match visibility {
            Visibility::Private => pb::Visibility::Private,
            Visibility::Municipality => pb::Visibility::Municipality,
            Visibility::Network => pb::Visibility::Network,
            Visibility::Public => pb::Visibility::Public,
        };
        v as i32
    }

    /// A visibility from a request; unspecified or unknown is refused.
    pub fn visibility_from_pb(raw: i32) -> Result<Visibility, ProcessError> {
        match pb::Visibility::try_from(raw) {
            Ok(pb::Visibility::Private) => Ok(Visibility::Private),
            Ok(pb::Visibility::Municipality) => Ok(Visibility::Municipality),
            Ok(pb::Visibility::Network) => Ok(Visibility::Network),
            Ok(pb::Visibility::Public) => Ok(Visibility::Public),
            Ok(pb::Visibility::Unspecified) | Err(_) => Err(ProcessError::invalid(
                "visibility",
                "must be PRIVATE, MUNICIPALITY, NETWORK or PUBLIC",
            )),
        }
    }

    /// Where to rank a process.
    pub fn placement_to_pb(placement: Placement) -> PbPlacement {
        match placement {
            Placement::Before(id) => PbPlacement::BeforeProcessId(id.to_string()),
            Placement::After(id) => PbPlacement::AfterProcessId(id.to_string()),
            Placement::Top => PbPlacement::Top(true),
            Placement::Bottom => PbPlacement::Bottom(true),
        }
    }

    /// Where to rank a process, from a request: exactly one placement; a neighbour that is
    /// not a UUID is not found.
    pub fn placement_from_pb(placement: Option<PbPlacement>) -> Result<Placement, ProcessError> {
        match placement {
            Some(PbPlacement::BeforeProcessId(id)) => Ok(Placement::Before(id_from_pb(&id)?)),
            Some(PbPlacement::AfterProcessId(id)) => Ok(Placement::After(id_from_pb(&id)?)),
            Some(PbPlacement::Top(true)) => Ok(Placement::Top),
            Some(PbPlacement::Bottom(true)) => Ok(Placement::Bottom),
            _ => Err(ProcessError::invalid(
                "placement",
                "give exactly one of before, after, top or bottom",
            )),
        }
    }

    /// A command's reply.
    pub fn reply_to_pb(reply: Reply) -> pb::CommandReply {
        pb::CommandReply {
            aggregate_id: reply.aggregate_id,
            version: reply.version,
            position: reply.position,
            replayed: reply.replayed,
            suggested_visibility: reply.suggested_visibility.map(visibility_to_pb),
        }
    }

    /// A command's reply from the service (an unknown suggested visibility is dropped).
    pub fn reply_from_pb(reply: pb::CommandReply) -> Reply {
        Reply {
            aggregate_id: reply.aggregate_id,
            version: reply.version,
            position: reply.position,
            replayed: reply.replayed,
            suggested_visibility: reply
                .suggested_visibility
                .and_then(|v| visibility_from_pb(v).ok()),
        }
    }

    /// An instant.
    pub fn timestamp_to_pb(at: DateTime<Utc>) -> prost_types::Timestamp {
        prost_types::Timestamp {
            seconds: at.timestamp(),
            // Always below 2·10⁹ (leap seconds included), so it fits.
            nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(i32::MAX),
        }
    }

    /// An instant; `None` if out of range.
    pub fn timestamp_from_pb(at: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).ok()?)
    }

    /// One event of a history.
    pub fn history_event_to_pb(e: HistoryEvent) -> pb::HistoryEvent {
        pb::HistoryEvent {
            sequence: e.sequence,
            event_type: e.event_type,
            occurred_at: Some(timestamp_to_pb(e.occurred_at)),
            actor_user: e.actor_user,
            actor_municipality: e.actor_municipality,
        }
    }

    /// One event of a history from the service; without a valid time it is malformed.
    pub fn history_event_from_pb(e: pb::HistoryEvent) -> Result<HistoryEvent, ServiceError> {
        let occurred_at = e
            .occurred_at
            .as_ref()
            .and_then(timestamp_from_pb)
            .ok_or_else(|| ServiceError {
                code: ErrorCode::Internal,
                message: format!("history event {} has no valid occurred_at", e.sequence),
            })?;
        Ok(HistoryEvent {
            sequence: e.sequence,
            event_type: e.event_type,
            occurred_at,
            actor_user: e.actor_user,
            actor_municipality: e.actor_municipality,
        })
    }
}

/// Base64url without padding (RFC 4648 §5), for the principal metadata.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize]));
            }
        }
        out
    }

    /// Accepts trailing `=` padding too.
    pub fn decode(text: &str) -> Result<Vec<u8>, String> {
        let text = text.trim_end_matches('=').as_bytes();
        if text.len() % 4 == 1 {
            return Err("bad base64url length".to_owned());
        }
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        for chunk in text.chunks(4) {
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                let v = ALPHABET
                    .iter()
                    .position(|a| a == c)
                    .ok_or_else(|| format!("not base64url: {:?}", char::from(*c)))?;
                n |= (v as u32) << (18 - 6 * i);
            }
            let bytes = n.to_be_bytes();
            out.extend_from_slice(&bytes[1..chunk.len()]);
        }
        Ok(out)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn round_trips_every_length() {
            let data: Vec<u8> = (0..=255u8).collect();
            for len in 0..40 {
                let encoded = encode(&data[..len]);
                assert!(!encoded.contains('='));
                assert_eq!(decode(&encoded).unwrap(), &data[..len]);
            }
            assert_eq!(decode(&encode(&data)).unwrap(), data);
        }

        #[test]
        fn matches_rfc_4648_vectors() {
            for (plain, coded) in [
                ("", ""),
                ("f", "Zg"),
                ("fo", "Zm8"),
                ("foo", "Zm9v"),
                ("foob", "Zm9vYg"),
                ("fooba", "Zm9vYmE"),
                ("foobar", "Zm9vYmFy"),
            ] {
                assert_eq!(encode(plain.as_bytes()), coded);
                assert_eq!(decode(coded).unwrap(), plain.as_bytes());
            }
            assert_eq!(encode(&[0xfb, 0xff]), "-_8");
            assert_eq!(decode("Zg==").unwrap(), b"f");
            assert!(decode("Z").is_err());
            assert!(decode("Zm9v+A").is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use innohub_runtime::{MunicipalityId, Role, UserId};

    use super::*;

    #[test]
    fn error_codes_round_trip_their_grpc_codes() {
        for code in [
            ErrorCode::BadUserInput,
            ErrorCode::Unauthenticated,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::Conflict,
            ErrorCode::Internal,
        ] {
            assert_eq!(error_code(grpc_code(code)), code);
        }
        assert_eq!(error_code(tonic::Code::Unavailable), ErrorCode::Internal);
    }

    #[test]
    fn principals_survive_the_metadata() {
        let principal = Principal {
            user: UserId::parse("søren.ærø@syddjurs.dk").unwrap(),
            municipality: MunicipalityId::parse("DK-0706").unwrap(),
            department: None,
            roles: BTreeSet::from([Role::ItPortfolio, Role::Employee]),
        };
        let encoded = encode_principal(&principal).unwrap();
        assert!(encoded.is_ascii());
        assert_eq!(decode_principal(&encoded).unwrap(), principal);
        assert!(decode_principal("bm90IGpzb24").is_err());
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let status = status(&ServiceError {
            code: ErrorCode::Internal,
            message: "disk on fire at /var/lib".to_owned(),
        });
        assert_eq!(status.code(), tonic::Code::Internal);
        assert_eq!(status.message(), "internal error");
    }
}
