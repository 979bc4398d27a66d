//! Command handling of the processes service: load → decide → append through
//! [`innohub_runtime::command::execute`], with the read rule applied first so that a record
//! the caller may not see answers `NOT_FOUND`, exactly as if it did not exist.

use innohub_runtime::command::{CommandContext, CommandError, Executed, execute, load};
use innohub_runtime::{Access, Aggregate, EventStore, Principal, StoredEvent, Viewer};
use uuid::Uuid;

use crate::ProcessError;
use crate::domain::assessment::AssessmentInput;
use crate::domain::backlog::{Backlog, BacklogCommand, Placement};
use crate::domain::details::ProcessFields;
use crate::domain::lifecycle::{Phase, Status};
use crate::domain::process::{ExperienceFields, Process, ProcessCommand};
use crate::domain::scoring::ScoringWeights;
use crate::domain::settings::{MunicipalitySettings, SettingsCommand};

/// The result type of every command.
pub type Outcome<A> = Result<Executed<A>, CommandError<ProcessError>>;

/// The processes service's command side.
#[derive(Debug, Clone)]
pub struct ProcessesApp {
    store: EventStore,
}

impl ProcessesApp {
    /// Serve commands against `store`.
    pub fn new(store: EventStore) -> Self {
        Self { store }
    }

    /// The store commands append to.
    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Report a new candidate; its id is returned in the result.
    pub async fn submit(&self, ctx: CommandContext<'_>, fields: ProcessFields) -> Outcome<Process> {
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        let request = format!("submit {fields:?}");
        execute(
            &self.store,
            &id.to_string(),
            ctx,
            &request,
            |state: &Process| {
                state.decide(ProcessCommand::Submit {
                    id,
                    by: by.clone(),
                    fields: fields.clone(),
                })
            },
        )
        .await
    }

    /// Run a command on an existing process the caller can read.
    async fn on_process(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        request: String,
        command: impl Fn() -> ProcessCommand,
    ) -> Outcome<Process> {
        let viewer = Viewer::new(ctx.principal.clone());
        execute(
            &self.store,
            &id.to_string(),
            ctx,
            &format!("{request} {id}"),
            |state: &Process| match &state.0 {
                Some(record) if record.access(&viewer) != Access::None => state.decide(command()),
                _ => Err(ProcessError::NotFound),
            },
        )
        .await
    }

    /// Change descriptive fields.
    pub async fn update(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        fields: ProcessFields,
    ) -> Outcome<Process> {
        let by = ctx.principal.clone();
        self.on_process(ctx, id, format!("update {fields:?}"), || {
            ProcessCommand::Update {
                by: by.clone(),
                fields: fields.clone(),
            }
        })
        .await
    }

    /// Record IT's assessment.
    pub async fn assess(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        assessment: AssessmentInput,
    ) -> Outcome<Process> {
        let by = ctx.principal.clone();
        self.on_process(ctx, id, format!("assess {assessment:?}"), || {
            ProcessCommand::Assess {
                by: by.clone(),
                assessment: assessment.clone(),
            }
        })
        .await
    }

    /// Move to another phase.
    pub async fn change_phase(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        to: Phase,
        reason: Option<String>,
    ) -> Outcome<Process> {
        let by = ctx.principal.clone();
        self.on_process(ctx, id, format!("phase {to:?} {reason:?}"), || {
            ProcessCommand::ChangePhase {
                by: by.clone(),
                to,
                reason: reason.clone(),
            }
        })
        .await
    }

    /// Change the status.
    pub async fn change_status(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        to: Status,
        reason: Option<String>,
    ) -> Outcome<Process> {
        let by = ctx.principal.clone();
        self.on_process(ctx, id, format!("status {to:?} {reason:?}"), || {
            ProcessCommand::ChangeStatus {
                by: by.clone(),
                to,
                reason: reason.clone(),
            }
        })
        .await
    }

    /// Comment; returns the new comment's id beside the outcome.
    pub async fn comment(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        text: String,
    ) -> (Uuid, Outcome<Process>) {
        let by = ctx.principal.clone();
        let comment_id = Uuid::now_v7();
        let outcome = self
            .on_process(ctx, id, format!("comment {text:?}"), || {
                ProcessCommand::Comment {
                    by: by.clone(),
                    comment_id,
                    text: text.clone(),
                }
            })
            .await;
        (comment_id, outcome)
    }

    /// Follow, or stop following.
    pub async fn follow(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        follow: bool,
    ) -> Outcome<Process> {
        let by = ctx.principal.clone();
        self.on_process(ctx, id, format!("follow {follow}"), || {
            if follow {
                ProcessCommand::Follow { by: by.clone() }
            } else {
                ProcessCommand::Unfollow { by: by.clone() }
            }
        })
        .await
    }

    /// Capture experience from operation.
    pub async fn record_experience(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        experience: ExperienceFields,
    ) -> Outcome<Process> {
        let by = ctx.principal.clone();
        self.on_process(ctx, id, format!("experience {experience:?}"), || {
            ProcessCommand::RecordExperience {
                by: by.clone(),
                experience: experience.clone(),
            }
        })
        .await
    }

    /// Place a process of the caller's municipality in its backlog ranking.
    pub async fn rank(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        placement: Placement,
    ) -> Outcome<Backlog> {
        self.own_process(&ctx, id).await?;
        let by = ctx.principal.clone();
        let stream = Backlog::stream_id(&by.municipality);
        let request = format!("rank {id} {placement:?}");
        execute(&self.store, &stream, ctx, &request, |state: &Backlog| {
            state.decide(BacklogCommand::Rank {
                by: by.clone(),
                process: id,
                placement,
            })
        })
        .await
    }

    /// Take a process out of the ranking.
    pub async fn unrank(&self, ctx: CommandContext<'_>, id: Uuid) -> Outcome<Backlog> {
        self.own_process(&ctx, id).await?;
        let by = ctx.principal.clone();
        let stream = Backlog::stream_id(&by.municipality);
        let request = format!("unrank {id}");
        execute(&self.store, &stream, ctx, &request, |state: &Backlog| {
            state.decide(BacklogCommand::Unrank {
                by: by.clone(),
                process: id,
            })
        })
        .await
    }

    /// Replace the caller's municipality's scoring weights.
    pub async fn set_scoring_weights(
        &self,
        ctx: CommandContext<'_>,
        weights: ScoringWeights,
    ) -> Outcome<MunicipalitySettings> {
        let by = ctx.principal.clone();
        let stream = MunicipalitySettings::stream_id(&by.municipality);
        let request = format!("weights {weights:?}");
        execute(
            &self.store,
            &stream,
            ctx,
            &request,
            |state: &MunicipalitySettings| {
                state.decide(SettingsCommand::SetScoringWeights {
                    by: by.clone(),
                    weights: weights.clone(),
                })
            },
        )
        .await
    }

    /// The events of a process the caller can read, oldest first (its audit trail). A
    /// process the caller may not read is `NOT_FOUND`, exactly like a missing one.
    pub async fn history(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Vec<StoredEvent>, CommandError<ProcessError>> {
        // One read: the events decide the access and are the answer.
        let events = self.store.read_stream(&id.to_string()).await?;
        let mut process = Process::default();
        for event in &events {
            process = process.evolve(&event.decode()?);
        }
        match process.0 {
            Some(record) if record.access(&Viewer::new(principal.clone())) != Access::None => {
                Ok(events)
            }
            _ => Err(CommandError::Domain(ProcessError::NotFound)),
        }
    }

    /// A process the caller's municipality owns and the caller can read.
    async fn own_process(
        &self,
        ctx: &CommandContext<'_>,
        id: Uuid,
    ) -> Result<(), CommandError<ProcessError>> {
        let (process, _) = load::<Process>(&self.store, &id.to_string()).await?;
        match process.0 {
            Some(r) if r.access(&Viewer::new(ctx.principal.clone())) == Access::Full => Ok(()),
            Some(r) if r.access(&Viewer::new(ctx.principal.clone())) == Access::Partner => {
                Err(CommandError::Domain(ProcessError::invalid(
                    "id",
                    "only your own municipality's processes can be ranked",
                )))
            }
            _ => Err(CommandError::Domain(ProcessError::NotFound)),
        }
    }
}
