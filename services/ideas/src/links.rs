//! What an idea became, recorded on both sides (`proto/innohub/common/v1/link.proto`).
//!
//! A spawn is two writes in two stores: the other service records the new record (a
//! process, a pilot) with its `origin` (the idea), then this service records it as the
//! idea's outcome ([`spawn_process`], [`start_pilot`]). A crash between the two must not
//! leave a one-sided link, so the idea's side is also completed from the new record's own
//! first event: an [`OutcomeLinks`] follows each of those services' events (its store
//! embedded, its topic distributed) and links every record born from an idea to that idea.
//! Linking is idempotent, so the second write and the follower may both try: one appends,
//! the other finds the link there. Fund applications born from an idea will be one more
//! [`OutcomeKind`].

use std::fmt;

use innohub_proto::innohub::common::v1::{CommandReply, RecordRef};
use innohub_proto::innohub::ideas::v1::SpawnReply;
use innohub_proto::innohub::pilots::v1 as pilots;
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
/// Where a test stops the service between the two writes of a spawn (of either kind).
pub const SPAWN_BETWEEN_WRITES: &str = "ideas.spawn.between-writes";
/// Who the follower's links are recorded as (the history shows it completed them).
const FOLLOWER: &str = "innohub-links";

/// A kind of record an idea can become in another service.
#[derive(Clone, Copy)]
pub struct OutcomeKind {
    /// The service the record is born in, as links name it.
    context: &'static str,
    /// Its aggregate type there.
    kind: &'static str,
    /// The name of the follower of that service's events.
    follower: &'static str,
    /// The id, municipality and origin of a record born by `event`, if `event` is the
    /// record's first event.
    birth: fn(&StoredEvent) -> Result<Option<Birth>, ProjectionError>,
}

impl fmt::Debug for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.context, self.kind)
    }
}

/// What the first event of a record tells about its birth.
struct Birth {
    id: String,
    municipality: String,
    origin: Option<RecordRef>,
}

/// A process of the processes service, born from `ProcessSubmitted`.
pub const PROCESS: OutcomeKind = OutcomeKind {
    context: "processes",
    kind: "process",
    follower: "ideas_outcome_links",
    birth: |event| {
        if event.event_type != processes::ProcessSubmitted::NAME {
            return Ok(None);
        }
        let m = event.message::<processes::ProcessSubmitted>()?;
        Ok(Some(Birth {
            id: m.process_id,
            municipality: m.municipality,
            origin: m.origin,
        }))
    },
};

/// A pilot of the pilots service, born from `PilotPlanned`.
pub const PILOT: OutcomeKind = OutcomeKind {
    context: "pilots",
    kind: "pilot",
    follower: "ideas_pilot_links",
    birth: |event| {
        if event.event_type != pilots::PilotPlanned::NAME {
            return Ok(None);
        }
        let m = event.message::<pilots::PilotPlanned>()?;
        Ok(Some(Birth {
            id: m.pilot_id,
            municipality: m.municipality,
            origin: m.origin,
        }))
    },
};

/// A refusal of another service, as this service's own.
fn refused_by(service: &str, e: ServiceError) -> CommandError<IdeasError> {
    CommandError::Domain(match e.code {
        ErrorCode::BadUserInput => IdeasError::Rule(e.message),
        ErrorCode::Forbidden => IdeasError::Forbidden(e.message),
        ErrorCode::NotFound => IdeasError::NotFound,
        code => IdeasError::Internal(format!("{service}: {code} {}", e.message)),
    })
}

/// The client of `outcome`'s service, or why there is none.
fn reach<C>(client: Option<&C>, outcome: OutcomeKind) -> Result<&C, CommandError<IdeasError>> {
    client.ok_or_else(|| {
        CommandError::Domain(IdeasError::Internal(format!(
            "the ideas service was started without the {} service",
            outcome.context
        )))
    })
}

/// Create a process from the idea `idea_id` through the processes service with the caller's
/// `token`, then record it as the idea's outcome ([`spawn`]).
pub async fn spawn_process(
    app: &IdeasApp,
    ctx: CommandContext<'_>,
    token: Option<&str>,
    idea_id: Uuid,
    details: processes::ProcessDetails,
) -> Result<SpawnReply, CommandError<IdeasError>> {
    let client = reach(app.processes(), PROCESS)?;
    spawn(app, ctx, token, idea_id, PROCESS, async |caller, origin| {
        let request = processes::SubmitProcessRequest {
            details: Some(details),
            origin: Some(origin),
        };
        grpc::send(client, caller, request, |mut c, r| async move {
            c.submit_process(r).await
        })
        .await
    })
    .await
}

/// Plan a pilot from the idea `idea_id` through the pilots service with the caller's
/// `token`, then record it as the idea's outcome ([`spawn`]).
pub async fn start_pilot(
    app: &IdeasApp,
    ctx: CommandContext<'_>,
    token: Option<&str>,
    idea_id: Uuid,
    plan: pilots::PilotPlan,
) -> Result<SpawnReply, CommandError<IdeasError>> {
    let client = reach(app.pilots(), PILOT)?;
    spawn(app, ctx, token, idea_id, PILOT, async |caller, origin| {
        let request = pilots::PlanPilotRequest {
            plan: Some(plan),
            origin: Some(origin),
        };
        grpc::send(client, caller, request, |mut c, r| async move {
            c.plan_pilot(r).await
        })
        .await
    })
    .await
}

/// The one spawn: only an innovation lead of the idea's municipality may, and a stopped
/// idea spawns nothing. `create` asks the other service to create the record with the
/// idea as its origin (the caller's token relayed, an idempotency key derived from the
/// client's, so a retry gets the same record); then the record is linked as the idea's
/// outcome.
async fn spawn(
    app: &IdeasApp,
    ctx: CommandContext<'_>,
    token: Option<&str>,
    idea_id: Uuid,
    into: OutcomeKind,
    create: impl AsyncFnOnce(Caller<'_>, RecordRef) -> Result<CommandReply, ServiceError>,
) -> Result<SpawnReply, CommandError<IdeasError>> {
    let by = ctx.principal;
    let (idea, _) = app.readable_idea(by, token, idea_id).await?;
    let municipality = idea.municipality().clone();
    if !by.is_member_of(&municipality) || !by.has(Role::InnovationLead) {
        return Err(CommandError::Domain(IdeasError::Forbidden(format!(
            "creating a {} from an idea needs the innovation_lead role in its municipality",
            into.kind
        ))));
    }
    if idea.stage() == Stage::Stopped {
        return Err(CommandError::Domain(IdeasError::Rule(
            "the idea is STOPPED: it spawns nothing".into(),
        )));
    }
    let origin = RecordLink::new(SERVICE, IDEA, idea_id, municipality.clone());
    // The same key for a retry of the same spawn; a different one for another idea or kind.
    let key = ctx.idempotency_key.map(|key| {
        let seed = format!("{idea_id}/{}/{key}", into.kind);
        format!("spawn-{}", fingerprint(seed.as_bytes()))
    });
    let caller = Caller {
        principal: by,
        token,
        idempotency_key: key.as_deref(),
        correlation_id: Some(ctx.correlation_id),
    };
    let outcome = create(caller, RecordRef::from(&origin))
        .await
        .map_err(|e| refused_by(into.context, e))?;
    failpoint::reach(SPAWN_BETWEEN_WRITES);
    let record = Uuid::parse_str(&outcome.aggregate_id).map_err(|_| {
        CommandError::Domain(IdeasError::Internal(format!(
            "{} answered with an id that is not a UUID: {}",
            into.context, outcome.aggregate_id
        )))
    })?;
    let link = RecordLink::new(into.context, into.kind, record, municipality);
    let linked = app
        .link_outcome(ctx, idea_id, RecordRef::from(&link))
        .await?;
    Ok(SpawnReply {
        idea: Some(command_reply(linked)),
        outcome: Some(outcome),
    })
}

/// The follower that completes the idea's side of every record of one [`OutcomeKind`]
/// spawned from an idea, from the record's first event (see the module docs). It keeps no
/// table of its own: only its checkpoint, in the database it is given.
#[derive(Debug, Clone)]
pub struct OutcomeLinks {
    app: IdeasApp,
    of: OutcomeKind,
}

impl OutcomeLinks {
    /// Link the outcomes of kind `of` through `app`.
    pub fn new(app: IdeasApp, of: OutcomeKind) -> Self {
        Self { app, of }
    }

    /// Record `event`'s record as the outcome of the idea it was born from, if it was.
    async fn follow(&self, event: &StoredEvent) -> Result<(), ProjectionError> {
        let Some(birth) = (self.of.birth)(event)? else {
            return Ok(());
        };
        let Some(origin) = birth.origin else {
            return Ok(());
        };
        let origin = RecordLink::try_from(&origin)
            .map_err(|e| ProjectionError::refused(event, format!("origin: {e}")))?;
        if !origin.is(SERVICE, IDEA) {
            return Ok(());
        }
        let municipality = MunicipalityId::parse(&birth.municipality)
            .map_err(|e| ProjectionError::refused(event, format!("municipality: {e}")))?;
        let principal = Principal {
            user: UserId::parse(FOLLOWER).map_err(ProjectionError::Corrupt)?,
            municipality,
            department: None,
            roles: Default::default(),
        };
        let outcome = RecordRef {
            context: self.of.context.into(),
            kind: self.of.kind.into(),
            id: birth.id.clone(),
            municipality: birth.municipality,
        };
        let request = format!("LinkOutcome/{}", birth.id);
        let ctx = CommandContext {
            principal: &principal,
            idempotency_key: None,
            correlation_id: event.correlation_id,
            request: &request,
        };
        match self.app.link_outcome(ctx, origin.id(), outcome).await {
            Ok(_) => Ok(()),
            // A record that names an idea that is not there, or another municipality's:
            // nothing to complete.
            Err(CommandError::Domain(why)) => {
                tracing::warn!(record = birth.id, kind = self.of.kind, idea = %origin.id(), %why, "a record names an idea it cannot be linked to");
                Ok(())
            }
            Err(CommandError::Store(e)) => Err(e.into()),
        }
    }
}

impl Projection for OutcomeLinks {
    fn name(&self) -> &'static str {
        self.of.follower
    }

    fn source(&self) -> &'static str {
        self.of.context
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
