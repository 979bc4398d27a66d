//! Mutations of the processes context: each builds the contract's request from its input
//! and sends it through [`super::call`]. Each accepts an optional `idempotencyKey`: a retry
//! with the same key returns the first result and records nothing new.

use async_graphql::{Context, Enum, ID, Object};
use innohub_proto::innohub::common::v1::CommandReply;
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::ErrorCode;
use pb::rank_process_request::Placement;
use uuid::Uuid;

use super::types::{
    Assessment, ExperienceInput, Given, Phase, ProcessPayload, ScoringWeights, Status,
    SubmitProcessInput, UpdateProcessInput,
};
use super::{ConsistencyToken, error, from_service, principal, record_id};

/// The processes context's mutations (part of the mutation root, [`super::Mutation`]).
#[derive(Default)]
pub struct ProcessesMutation;

/// Where to rank a process when no neighbour is named.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RankEnd {
    /// First in the backlog.
    Top,
    /// Last among the ranked processes.
    Bottom,
}

/// The consistency token of a processes command's reply.
fn token(reply: &CommandReply) -> ConsistencyToken {
    ConsistencyToken::at(innohub_processes::SERVICE, reply.position)
}

/// The payload of a command about process `id` (the reply may name another aggregate).
fn payload_of(id: Uuid, reply: &CommandReply) -> ProcessPayload {
    ProcessPayload {
        id,
        token: token(reply),
        replayed: reply.replayed,
    }
}

/// The payload of a command whose reply names the process.
fn payload(reply: CommandReply) -> async_graphql::Result<ProcessPayload> {
    let id = reply.aggregate_id.parse::<Uuid>().map_err(|e| {
        from_service(innohub_runtime::grpc::ServiceError {
            code: ErrorCode::Internal,
            message: format!("reply names no process ({:?}): {e}", reply.aggregate_id),
        })
    })?;
    Ok(payload_of(id, &reply))
}

/// The request `$request` to move process `$id` to `$to` for `$reason`: phase and status
/// changes have the same shape.
macro_rules! transition {
    ($request:ident: $id:expr => $to:expr, $reason:expr) => {
        pb::$request {
            process_id: $id.to_string(),
            to: $to as i32,
            reason: $reason.unwrap_or_default(),
        }
    };
}

#[Object]
impl ProcessesMutation {
    /// Report a work process as a candidate for automation. It starts in phase IDEA with
    /// status NOT_ASSESSED.
    async fn submit_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new process.")] input: SubmitProcessInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let request = pb::SubmitProcessRequest {
            details: Some(input.into()),
            origin: None,
        };
        payload(command!(ctx, processes, idempotency_key => submit_process(request)))
    }

    /// Change descriptive fields (reporter, owner, a lead of its department, IT portfolio).
    async fn update_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process's id.")] id: ID,
        #[graphql(desc = "The fields to change; absent fields keep their value.")]
        input: UpdateProcessInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let given = Given::from(input);
        let request = pb::UpdateProcessRequest {
            process_id: id.to_string(),
            details: Some(given.details),
            update_mask: Some(given.mask),
        };
        payload(command!(ctx, processes, idempotency_key => update_process(request)))
    }

    /// Record IT's assessment (it_portfolio).
    async fn assess_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process's id.")] id: ID,
        #[graphql(
            desc = "The whole assessment (it replaces any earlier one); leave out what is unknown."
        )]
        input: Assessment,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let request = pb::AssessProcessRequest {
            process_id: id.to_string(),
            assessment: Some(input.into()),
        };
        payload(command!(ctx, processes, idempotency_key => assess_process(request)))
    }

    /// Move to the next phase, or back with a reason (it_portfolio).
    async fn change_process_phase(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process's id.")] id: ID,
        #[graphql(
            desc = "The new phase: the next one, or an earlier one (it_portfolio, with a reason)."
        )]
        phase: Phase,
        #[graphql(desc = "Why; required when moving backward.")] reason: Option<String>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let to = pb::Phase::from(phase);
        let request = transition!(ChangeProcessPhaseRequest: id => to, reason);
        payload(command!(ctx, processes, idempotency_key => change_process_phase(request)))
    }

    /// Change the status; ON_HOLD, REJECTED, FAILED and NOT_RELEVANT need a reason (it_portfolio).
    async fn change_process_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process's id.")] id: ID,
        #[graphql(desc = "The new status.")] status: Status,
        #[graphql(desc = "Why; required for ON_HOLD, REJECTED, FAILED and NOT_RELEVANT.")]
        reason: Option<String>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let to = pb::Status::from(status);
        let request = transition!(ChangeProcessStatusRequest: id => to, reason);
        payload(command!(ctx, processes, idempotency_key => change_process_status(request)))
    }

    /// Place a process in your municipality's backlog ranking: before or after a ranked
    /// process, or at the top or bottom (it_portfolio).
    async fn rank_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process to place.")] id: ID,
        #[graphql(
            desc = "Place it just before this ranked process (give one of before, after and end)."
        )]
        before: Option<ID>,
        #[graphql(desc = "Place it just after this ranked process.")] after: Option<ID>,
        #[graphql(desc = "Place it at the TOP or the BOTTOM of the ranked processes.")] end: Option<
            RankEnd,
        >,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        principal(ctx)?;
        let placement = match (before, after, end) {
            (Some(b), None, None) => Placement::BeforeProcessId(b.to_string()),
            (None, Some(a), None) => Placement::AfterProcessId(a.to_string()),
            (None, None, Some(RankEnd::Top)) => Placement::Top(true),
            (None, None, Some(RankEnd::Bottom)) => Placement::Bottom(true),
            _ => {
                return Err(error(
                    ErrorCode::BadUserInput,
                    "give exactly one of before, after or end",
                ));
            }
        };
        let request = pb::RankProcessRequest {
            process_id: id.to_string(),
            placement: Some(placement),
        };
        let reply = command!(ctx, processes, idempotency_key => rank_process(request));
        Ok(payload_of(record_id(&id)?, &reply))
    }

    /// Take a process out of the explicit ranking; it follows by score again (it_portfolio).
    async fn unrank_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process to take out of the ranking.")] id: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let request = pb::UnrankProcessRequest {
            process_id: id.to_string(),
        };
        let reply = command!(ctx, processes, idempotency_key => unrank_process(request));
        Ok(payload_of(record_id(&id)?, &reply))
    }

    /// Comment on a process you can read, also as a partner.
    async fn comment_on_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process's id.")] id: ID,
        #[graphql(desc = "The comment, plain text.")] text: String,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let request = pb::CommentOnProcessRequest {
            process_id: id.to_string(),
            text,
        };
        payload(command!(ctx, processes, idempotency_key => comment_on_process(request)))
    }

    /// Follow (bookmark) a process you can read, also as a partner.
    async fn follow_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process's id.")] id: ID,
    ) -> async_graphql::Result<ProcessPayload> {
        let request = pb::FollowProcessRequest {
            process_id: id.to_string(),
        };
        payload(command!(ctx, processes, None::<String> => follow_process(request)))
    }

    /// Stop following a process.
    async fn unfollow_process(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The process's id.")] id: ID,
    ) -> async_graphql::Result<ProcessPayload> {
        let request = pb::UnfollowProcessRequest {
            process_id: id.to_string(),
        };
        payload(command!(ctx, processes, None::<String> => unfollow_process(request)))
    }

    /// Capture what was learned, from phase OPERATION (reporter, owner, IT portfolio).
    async fn record_process_experience(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a process in OPERATION.")] id: ID,
        #[graphql(desc = "The whole experience (it replaces any earlier one).")]
        input: ExperienceInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let request = pb::RecordProcessExperienceRequest {
            process_id: id.to_string(),
            experience: Some(input.into()),
        };
        payload(command!(ctx, processes, idempotency_key => record_process_experience(request)))
    }

    /// Set your municipality's priority weights; every process is re-scored
    /// (municipality_admin). Returns the consistency token.
    async fn set_scoring_weights(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new weights, each 0 to 10, not all zero.")] weights: ScoringWeights,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<String> {
        let request = pb::SetScoringWeightsRequest {
            weights: Some(weights.into()),
        };
        let reply = command!(ctx, processes, idempotency_key => set_scoring_weights(request));
        Ok(token(&reply).to_string())
    }
}
