//! The one handle the gateway reaches the processes service through, in both modes:
//! [`Processes::Local`] calls [`ProcessesApp`] in-process (embedded mode),
//! [`Processes::Remote`] calls the `ProcessesService` over gRPC (distributed mode). Both
//! answer a command with the same [`Reply`] or [`ServiceError`]; the gRPC server itself
//! answers through a `Local` handle, so the two cannot drift apart.

use std::fmt;

use chrono::{DateTime, Utc};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::command::{CommandContext, CommandError, Executed};
use innohub_runtime::{ErrorCode, HasErrorCode, Principal, StoredEvent, Visibility, telemetry};
use pb::processes_service_client::ProcessesServiceClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use crate::ProcessError;
use crate::app::{Outcome, ProcessesApp};
use crate::domain::assessment::AssessmentInput;
use crate::domain::backlog::Placement;
use crate::domain::details::ProcessFields;
use crate::domain::lifecycle::{Phase, Status};
use crate::domain::process::{ExperienceFields, Process};
use crate::domain::scoring::ScoringWeights;
use crate::grpc::{self, CORRELATION_HEADER, PRINCIPAL_HEADER, TRACEPARENT_HEADER, convert};

/// The processes service, in this process or behind gRPC.
#[derive(Debug, Clone)]
pub enum Processes {
    /// In-process (embedded mode, and the gRPC server itself).
    Local(ProcessesApp),
    /// Over gRPC (distributed mode).
    Remote(ProcessesServiceClient<Channel>),
}

/// The answer to a command that took effect (now, or earlier with the same idempotency key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The aggregate the command acted on: the process id, or the municipality's backlog
    /// (`backlog:<municipality>`, rank and unrank) or settings (`settings:<municipality>`,
    /// scoring weights).
    pub aggregate_id: String,
    /// The aggregate's version after the command.
    pub version: i64,
    /// Global position of the command's last event: the consistency token.
    pub position: i64,
    /// The idempotency key had been used: nothing new was recorded.
    pub replayed: bool,
    /// Only from a phase change: PUBLIC when the process is now in OPERATION and not yet
    /// public.
    pub suggested_visibility: Option<Visibility>,
}

/// Why a call to the service failed, with its stable code. For `INTERNAL` the message is
/// for the logs only (remotely it is just "internal error"; locally it holds the cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The stable code.
    pub code: ErrorCode,
    /// What went wrong; shown to clients unless the code is `INTERNAL`.
    pub message: String,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ServiceError {}

impl HasErrorCode for ServiceError {
    fn code(&self) -> ErrorCode {
        self.code
    }
}

impl From<CommandError<ProcessError>> for ServiceError {
    fn from(e: CommandError<ProcessError>) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<ProcessError> for ServiceError {
    fn from(e: ProcessError) -> Self {
        CommandError::Domain(e).into()
    }
}

impl From<tonic::Status> for ServiceError {
    fn from(status: tonic::Status) -> Self {
        Self {
            code: grpc::error_code(status.code()),
            message: status.message().to_owned(),
        }
    }
}

/// One event in a process's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    /// 1-based position in the process's stream.
    pub sequence: i64,
    /// e.g. `ProcessSubmitted`.
    pub event_type: String,
    /// When it was recorded.
    pub occurred_at: DateTime<Utc>,
    /// Who caused it (personal data: show it only within `actor_municipality`).
    pub actor_user: String,
    /// The municipality the actor acted in.
    pub actor_municipality: String,
}

impl From<StoredEvent> for HistoryEvent {
    fn from(e: StoredEvent) -> Self {
        Self {
            sequence: e.sequence,
            event_type: e.event_type,
            occurred_at: e.occurred_at,
            actor_user: e.actor_user,
            actor_municipality: e.actor_municipality,
        }
    }
}

/// The reply of a command executed in-process.
fn local<A>(outcome: Outcome<A>) -> Result<Reply, ServiceError> {
    let Executed {
        result, replayed, ..
    } = outcome?;
    Ok(Reply {
        aggregate_id: result.aggregate_id,
        version: result.version,
        position: result.position,
        replayed,
        suggested_visibility: None,
    })
}

/// The request of a call with its metadata: the principal, the correlation id (commands)
/// and the current trace context.
fn outgoing<M>(
    principal: &Principal,
    correlation_id: Option<Uuid>,
    message: M,
) -> Result<tonic::Request<M>, ServiceError> {
    let internal = |what: &str, e: &dyn fmt::Display| ServiceError {
        code: ErrorCode::Internal,
        message: format!("{what}: {e}"),
    };
    let ascii = |what: &str, value: String| {
        MetadataValue::<Ascii>::try_from(value).map_err(|e| internal(what, &e))
    };
    let mut request = tonic::Request::new(message);
    let encoded =
        grpc::encode_principal(principal).map_err(|e| internal("encoding the principal", &e))?;
    let metadata = request.metadata_mut();
    metadata.insert(PRINCIPAL_HEADER, ascii("principal metadata", encoded)?);
    if let Some(id) = correlation_id {
        metadata.insert(
            CORRELATION_HEADER,
            ascii("correlation metadata", id.to_string())?,
        );
    }
    if let Some(traceparent) = telemetry::current_traceparent() {
        metadata.insert(
            TRACEPARENT_HEADER,
            ascii("traceparent metadata", traceparent)?,
        );
    }
    Ok(request)
}

/// A command request with the context's metadata.
fn command<M>(ctx: &CommandContext<'_>, message: M) -> Result<tonic::Request<M>, ServiceError> {
    outgoing(ctx.principal, Some(ctx.correlation_id), message)
}

/// The idempotency key as the wire carries it (empty = none).
fn key(ctx: &CommandContext<'_>) -> String {
    ctx.idempotency_key.unwrap_or_default().to_owned()
}

/// The reply of a command executed remotely.
fn remote(
    result: Result<tonic::Response<pb::CommandReply>, tonic::Status>,
) -> Result<Reply, ServiceError> {
    Ok(convert::reply_from_pb(result?.into_inner()))
}

impl Processes {
    /// A handle on the service at `url` (e.g. `http://processes:50051`). The connection
    /// is made on first use and re-made after failures; call it inside a Tokio runtime.
    pub fn connect(url: &str) -> Result<Self, tonic::transport::Error> {
        let channel = Endpoint::from_shared(url.to_owned())?.connect_lazy();
        Ok(Processes::Remote(ProcessesServiceClient::new(channel)))
    }

    /// Report a new process; the reply's `aggregate_id` is its id.
    pub async fn submit(
        &self,
        ctx: CommandContext<'_>,
        fields: ProcessFields,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.submit(ctx, fields).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::SubmitProcessRequest {
                        idempotency_key: key(&ctx),
                        fields: Some(convert::fields_to_pb(fields)),
                    },
                )?;
                remote(client.clone().submit_process(request).await)
            }
        }
    }

    /// Change some details of a process.
    pub async fn update(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        fields: ProcessFields,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.update(ctx, id, fields).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::UpdateProcessRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                        fields: Some(convert::fields_to_pb(fields)),
                    },
                )?;
                remote(client.clone().update_process(request).await)
            }
        }
    }

    /// Set (replace) the assessment of a process.
    pub async fn assess(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        assessment: AssessmentInput,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.assess(ctx, id, assessment).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::AssessProcessRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                        assessment: Some(convert::assessment_to_pb(assessment)),
                    },
                )?;
                remote(client.clone().assess_process(request).await)
            }
        }
    }

    /// Move a process to another phase; the reply may suggest making it public.
    pub async fn change_phase(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        to: Phase,
        reason: Option<String>,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => {
                let outcome = app.change_phase(ctx, id, to, reason).await;
                let suggested = outcome.as_ref().ok().and_then(|e| suggest_public(&e.state));
                local(outcome).map(|reply| Reply {
                    suggested_visibility: suggested,
                    ..reply
                })
            }
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::ChangeProcessPhaseRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                        to: convert::phase_to_pb(to),
                        reason: convert::text_to_pb(reason),
                    },
                )?;
                remote(client.clone().change_process_phase(request).await)
            }
        }
    }

    /// Change the status of a process.
    pub async fn change_status(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        to: Status,
        reason: Option<String>,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.change_status(ctx, id, to, reason).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::ChangeProcessStatusRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                        to: convert::status_to_pb(to),
                        reason: convert::text_to_pb(reason),
                    },
                )?;
                remote(client.clone().change_process_status(request).await)
            }
        }
    }

    /// Comment on a process the caller can read.
    pub async fn comment(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        text: String,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.comment(ctx, id, text).await.1),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::CommentOnProcessRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                        text,
                    },
                )?;
                remote(client.clone().comment_on_process(request).await)
            }
        }
    }

    /// Follow a process the caller can read.
    pub async fn follow(&self, ctx: CommandContext<'_>, id: Uuid) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.follow(ctx, id, true).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::FollowProcessRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                    },
                )?;
                remote(client.clone().follow_process(request).await)
            }
        }
    }

    /// Stop following a process.
    pub async fn unfollow(&self, ctx: CommandContext<'_>, id: Uuid) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.follow(ctx, id, false).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::UnfollowProcessRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                    },
                )?;
                remote(client.clone().unfollow_process(request).await)
            }
        }
    }

    /// Record (replace) the experience with a process in operation.
    pub async fn record_experience(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        experience: ExperienceFields,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.record_experience(ctx, id, experience).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::RecordProcessExperienceRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                        experience: Some(convert::experience_to_pb(experience)),
                    },
                )?;
                remote(client.clone().record_process_experience(request).await)
            }
        }
    }

    /// Place a process in the caller's municipality's backlog; the reply's `aggregate_id`
    /// is the backlog's.
    pub async fn rank(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        placement: Placement,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.rank(ctx, id, placement).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::RankProcessRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                        placement: Some(convert::placement_to_pb(placement)),
                    },
                )?;
                remote(client.clone().rank_process(request).await)
            }
        }
    }

    /// Take a process out of the explicit ranking.
    pub async fn unrank(&self, ctx: CommandContext<'_>, id: Uuid) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.unrank(ctx, id).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::UnrankProcessRequest {
                        idempotency_key: key(&ctx),
                        process_id: id.to_string(),
                    },
                )?;
                remote(client.clone().unrank_process(request).await)
            }
        }
    }

    /// Replace the caller's municipality's scoring weights; the reply's `aggregate_id` is
    /// the settings'.
    pub async fn set_scoring_weights(
        &self,
        ctx: CommandContext<'_>,
        weights: ScoringWeights,
    ) -> Result<Reply, ServiceError> {
        match self {
            Processes::Local(app) => local(app.set_scoring_weights(ctx, weights).await),
            Processes::Remote(client) => {
                let request = command(
                    &ctx,
                    pb::SetScoringWeightsRequest {
                        idempotency_key: key(&ctx),
                        weights: Some(convert::weights_to_pb(&weights)),
                    },
                )?;
                remote(client.clone().set_scoring_weights(request).await)
            }
        }
    }

    /// The events of a process the caller can read, oldest first; `NOT_FOUND` for one the
    /// caller may not read, exactly as for one that does not exist.
    pub async fn history(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Vec<HistoryEvent>, ServiceError> {
        match self {
            Processes::Local(app) => Ok(app
                .history(principal, id)
                .await?
                .into_iter()
                .map(HistoryEvent::from)
                .collect()),
            Processes::Remote(client) => {
                let request = outgoing(
                    principal,
                    None,
                    pb::GetProcessHistoryRequest {
                        process_id: id.to_string(),
                    },
                )?;
                client
                    .clone()
                    .get_process_history(request)
                    .await?
                    .into_inner()
                    .events
                    .into_iter()
                    .map(convert::history_event_from_pb)
                    .collect()
            }
        }
    }
}

/// PUBLIC when the process is in operation and not yet public.
fn suggest_public(process: &Process) -> Option<Visibility> {
    process
        .0
        .as_ref()
        .filter(|r| r.phase == Phase::Operation && r.details.visibility != Visibility::Public)
        .map(|_| Visibility::Public)
}
