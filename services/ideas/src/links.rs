//! What an idea became, recorded on both sides (`proto/innohub/common/v1/link.proto`).
//!
//! A spawn is two writes in two stores: the processes service records the new process with
//! its `origin` (the idea), then this service records the process as the idea's outcome
//! ([`spawn_process`]). A crash between the two must not leave a one-sided link, so the
//! idea's side is also completed from the process's own event: [`OutcomeLinks`] follows the
//! processes service's events (its store embedded, its topic distributed) and links every
//! process born from an idea to that idea. Linking is idempotent, so the second write and
//! the follower may both try: one appends, the other finds the link there. Pilots and fund
//! applications born from an idea will be followed the same way.

use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::ideas::v1::SpawnReply;
use innohub_proto::innohub::processes::v1 as processes;
use innohub_runtime::command::{CommandContext, CommandError, fingerprint};
use innohub_runtime::grpc::{self, Caller, ServiceError, command_reply};
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::{
    ErrorCode, MunicipalityId, Principal, RecordLink, Role, StoredEvent, UserId, failpoint,
};
use prost::Name as _;
use sqlx::AnyConnection;
use uuid::Uuid;

use crate::domain::values::Stage;
use crate::{IdeasApp, IdeasError, SERVICE};

/// The record kind of an idea in links.
pub const IDEA: &str = "idea";
/// The processes service, as links name it.
const PROCESSES: &str = "processes";
/// A process, as links name it.
const PROCESS: &str = "process";
/// Where a test stops the service between the two writes of a spawn.
pub const SPAWN_BETWEEN_WRITES: &str = "ideas.spawn.between-writes";
/// Who the follower's links are recorded as (the history shows it completed them).
const FOLLOWER: &str = "innohub-links";

/// A refusal of another service, as this service's own.
fn refused_by(service: &str, e: ServiceError) -> CommandError<IdeasError> {
    CommandError::Domain(match e.code {
        ErrorCode::BadUserInput => IdeasError::Rule(e.message),
        ErrorCode::Forbidden => IdeasError::Forbidden(e.message),
        ErrorCode::NotFound => IdeasError::NotFound,
        code => IdeasError::Internal(format!("{service}: {code} {}", e.message)),
    })
}

/// Create a process from the idea `idea_id` through the processes service with the caller's
/// `token`, then record it as the idea's outcome. Only an innovation lead of the idea's
/// municipality may; a stopped idea spawns nothing. A retry with the same idempotency key
/// gets the same process.
pub async fn spawn_process(
    app: &IdeasApp,
    ctx: CommandContext<'_>,
    token: Option<&str>,
    idea_id: Uuid,
    details: processes::ProcessDetails,
) -> Result<SpawnReply, CommandError<IdeasError>> {
    let processes = app.processes().ok_or_else(|| {
        CommandError::Domain(IdeasError::Internal(
            "the ideas service was started without the processes service".into(),
        ))
    })?;
    let by = ctx.principal;
    let (idea, _) = app.readable_idea(by, token, idea_id).await?;
    let municipality = idea.municipality().clone();
    if !by.is_member_of(&municipality) || !by.has(Role::InnovationLead) {
        return Err(CommandError::Domain(IdeasError::Forbidden(
            "spawning a process from an idea needs the innovation_lead role in its municipality"
                .into(),
        )));
    }
    if idea.stage() == Stage::Stopped {
        return Err(CommandError::Domain(IdeasError::Rule(
            "the idea is STOPPED: it spawns nothing".into(),
        )));
    }
    let origin = RecordLink::new(SERVICE, IDEA, idea_id, municipality.clone());
    // The same key for a retry of the same spawn; a different one for another idea.
    let key = ctx.idempotency_key.map(|key| {
        format!(
            "spawn-{}",
            fingerprint(format!("{idea_id}/{key}").as_bytes())
        )
    });
    let caller = Caller {
        principal: by,
        token,
        idempotency_key: key.as_deref(),
        correlation_id: Some(ctx.correlation_id),
    };
    let request = processes::SubmitProcessRequest {
        details: Some(details),
        origin: Some(RecordRef::from(&origin)),
    };
    let outcome = grpc::send(
        processes,
        caller,
        request,
        |mut client, request| async move { client.submit_process(request).await },
    )
    .await
    .map_err(|e| refused_by(PROCESSES, e))?;
    failpoint::reach(SPAWN_BETWEEN_WRITES);
    let process = Uuid::parse_str(&outcome.aggregate_id).map_err(|_| {
        CommandError::Domain(IdeasError::Internal(format!(
            "processes answered with a process id that is not a UUID: {}",
            outcome.aggregate_id
        )))
    })?;
    let link = RecordLink::new(PROCESSES, PROCESS, process, municipality);
    let linked = app
        .link_outcome(ctx, idea_id, RecordRef::from(&link))
        .await?;
    Ok(SpawnReply {
        idea: Some(command_reply(linked)),
        outcome: Some(outcome),
    })
}

/// The follower that completes the idea's side of every process spawned from an idea,
/// from the process's `ProcessSubmitted` (see the module docs). It keeps no table of its
/// own: only its checkpoint, in the database it is given.
#[derive(Debug, Clone)]
pub struct OutcomeLinks {
    app: IdeasApp,
}

impl OutcomeLinks {
    /// Link outcomes through `app`.
    pub fn new(app: IdeasApp) -> Self {
        Self { app }
    }

    /// Record `event`'s process as the outcome of the idea it was spawned from, if it was.
    async fn follow(&self, event: &StoredEvent) -> Result<(), ProjectionError> {
        if event.event_type != processes::ProcessSubmitted::NAME {
            return Ok(());
        }
        let submitted = event.message::<processes::ProcessSubmitted>()?;
        let Some(origin) = submitted.origin else {
            return Ok(());
        };
        let origin = RecordLink::try_from(&origin)
            .map_err(|e| ProjectionError::refused(event, format!("origin: {e}")))?;
        if !origin.is(SERVICE, IDEA) {
            return Ok(());
        }
        let municipality = MunicipalityId::parse(&submitted.municipality)
            .map_err(|e| ProjectionError::refused(event, format!("municipality: {e}")))?;
        let principal = Principal {
            user: UserId::parse(FOLLOWER).map_err(ProjectionError::Corrupt)?,
            municipality: municipality.clone(),
            department: None,
            roles: Default::default(),
        };
        let outcome = RecordRef {
            context: PROCESSES.into(),
            kind: PROCESS.into(),
            id: submitted.process_id.clone(),
            municipality: submitted.municipality.clone(),
        };
        let request = format!("LinkOutcome/{}", submitted.process_id);
        let ctx = CommandContext {
            principal: &principal,
            idempotency_key: None,
            correlation_id: event.correlation_id,
            request: &request,
        };
        match self.app.link_outcome(ctx, origin.id(), outcome).await {
            Ok(_) => Ok(()),
            // A process that names an idea that is not there, or another municipality's:
            // nothing to complete.
            Err(CommandError::Domain(why)) => {
                tracing::warn!(process = submitted.process_id, idea = %origin.id(), %why, "process names an idea it cannot be linked to");
                Ok(())
            }
            Err(CommandError::Store(e)) => Err(e.into()),
        }
    }
}

impl Projection for OutcomeLinks {
    fn name(&self) -> &'static str {
        "ideas_outcome_links"
    }

    fn source(&self) -> &'static str {
        PROCESSES
    }

    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    async fn apply<'a>(
        &'a self,
        _conn: &'a mut AnyConnection,
        events: &'a [&'a StoredEvent],
    ) -> Result<(), ProjectionError> {
        for event in events {
            self.follow(event).await?;
        }
        Ok(())
    }
}
