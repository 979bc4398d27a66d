//! Mutations of the processes context. Each accepts an optional `idempotencyKey`: a retry
//! with the same key returns the first result and records nothing new.

use async_graphql::{Context, Enum, ID, Object};
use innohub_processes::domain::backlog::Placement;
use innohub_processes::domain::scoring::ScoringWeights as DomainWeights;
use innohub_processes::{Reply, ServiceError};
use innohub_runtime::ErrorCode;
use uuid::Uuid;

use super::types::{
    AssessmentInput, ExperienceInput, Phase, ProcessPayload, ScoringWeights, Status,
    SubmitProcessInput, UpdateProcessInput,
};
use super::{command_context, error, from_service, principal, record_id, services};

/// The mutation root.
pub struct Mutation;

/// Where to rank a process when no neighbour is named.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RankEnd {
    /// First in the backlog.
    Top,
    /// Last among the ranked processes.
    Bottom,
}

/// The payload of a command on a process: the reply names the process.
fn payload(reply: Result<Reply, ServiceError>) -> async_graphql::Result<ProcessPayload> {
    let reply = reply.map_err(from_service)?;
    let id = reply.aggregate_id.parse::<Uuid>().map_err(|e| {
        from_service(ServiceError {
            code: ErrorCode::Internal,
            message: format!("reply names no process ({:?}): {e}", reply.aggregate_id),
        })
    })?;
    Ok(payload_of(id, &reply))
}

/// The payload of a command about process `id` (the reply may name another aggregate).
fn payload_of(id: Uuid, reply: &Reply) -> ProcessPayload {
    ProcessPayload {
        id,
        token: reply.position,
        replayed: reply.replayed,
    }
}

#[Object]
impl Mutation {
    /// Report a work process as a candidate for automation. It starts in phase IDEA with
    /// status NOT_ASSESSED.
    async fn submit_process(
        &self,
        ctx: &Context<'_>,
        input: SubmitProcessInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        payload(services(ctx).processes.submit(cmd, input.into()).await)
    }

    /// Change descriptive fields (reporter, owner, a lead of its department, IT portfolio).
    async fn update_process(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProcessInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        payload(
            services(ctx)
                .processes
                .update(cmd, record_id(&id)?, input.into())
                .await,
        )
    }

    /// Record IT's assessment (it_portfolio).
    async fn assess_process(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AssessmentInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        payload(
            services(ctx)
                .processes
                .assess(cmd, record_id(&id)?, input.into())
                .await,
        )
    }

    /// Move to the next phase, or back with a reason (it_portfolio).
    async fn change_process_phase(
        &self,
        ctx: &Context<'_>,
        id: ID,
        phase: Phase,
        reason: Option<String>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        payload(
            services(ctx)
                .processes
                .change_phase(cmd, record_id(&id)?, phase.into(), reason)
                .await,
        )
    }

    /// Change the status; ON_HOLD, REJECTED, FAILED and NOT_RELEVANT need a reason (it_portfolio).
    async fn change_process_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: Status,
        reason: Option<String>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        payload(
            services(ctx)
                .processes
                .change_status(cmd, record_id(&id)?, status.into(), reason)
                .await,
        )
    }

    /// Place a process in your municipality's backlog ranking: before or after a ranked
    /// process, or at the top or bottom (it_portfolio).
    async fn rank_process(
        &self,
        ctx: &Context<'_>,
        id: ID,
        before: Option<ID>,
        after: Option<ID>,
        end: Option<RankEnd>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let placement = match (before, after, end) {
            (Some(b), None, None) => Placement::Before(record_id(&b)?),
            (None, Some(a), None) => Placement::After(record_id(&a)?),
            (None, None, Some(RankEnd::Top)) => Placement::Top,
            (None, None, Some(RankEnd::Bottom)) => Placement::Bottom,
            _ => {
                return Err(error(
                    ErrorCode::BadUserInput,
                    "give exactly one of before, after or end",
                ));
            }
        };
        let id = record_id(&id)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        let reply = services(ctx)
            .processes
            .rank(cmd, id, placement)
            .await
            .map_err(from_service)?;
        Ok(payload_of(id, &reply))
    }

    /// Take a process out of the explicit ranking; it follows by score again (it_portfolio).
    async fn unrank_process(
        &self,
        ctx: &Context<'_>,
        id: ID,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let id = record_id(&id)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        let reply = services(ctx)
            .processes
            .unrank(cmd, id)
            .await
            .map_err(from_service)?;
        Ok(payload_of(id, &reply))
    }

    /// Comment on a process you can read, also as a partner.
    async fn comment_on_process(
        &self,
        ctx: &Context<'_>,
        id: ID,
        text: String,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        payload(
            services(ctx)
                .processes
                .comment(cmd, record_id(&id)?, text)
                .await,
        )
    }

    /// Follow (bookmark) a process you can read, also as a partner.
    async fn follow_process(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, None)?;
        payload(services(ctx).processes.follow(cmd, record_id(&id)?).await)
    }

    /// Stop following a process.
    async fn unfollow_process(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, None)?;
        payload(services(ctx).processes.unfollow(cmd, record_id(&id)?).await)
    }

    /// Capture what was learned, from phase OPERATION (reporter, owner, IT portfolio).
    async fn record_process_experience(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ExperienceInput,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ProcessPayload> {
        let p = principal(ctx)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        payload(
            services(ctx)
                .processes
                .record_experience(cmd, record_id(&id)?, input.into())
                .await,
        )
    }

    /// Set your municipality's priority weights; every process is re-scored
    /// (municipality_admin). Returns the consistency token.
    async fn set_scoring_weights(
        &self,
        ctx: &Context<'_>,
        weights: ScoringWeights,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<String> {
        let p = principal(ctx)?;
        let weights = DomainWeights::parse(
            weights.hours_saved,
            weights.automation_potential,
            weights.ease,
            weights.strategic_fit,
            weights.risk,
        )
        .map_err(from_service)?;
        let cmd = command_context(p, idempotency_key.as_deref())?;
        let reply = services(ctx)
            .processes
            .set_scoring_weights(cmd, weights)
            .await
            .map_err(from_service)?;
        Ok(reply.position.to_string())
    }
}
