//! Command handling of the processes service: load → decide → append through
//! [`innohub_runtime::command::execute`], with the read rule applied first so that a record
//! the caller may not see answers `NOT_FOUND`, exactly as if it did not exist.

use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::command::{CommandContext, CommandError, Executed, execute, load};
use innohub_runtime::{Access, Aggregate, EventStore, Principal, StoredEvent, Viewer};
use uuid::Uuid;

use crate::ProcessError;
use crate::domain::backlog::{Backlog, BacklogCommand};
use crate::domain::process::{Process, ProcessCommand};
use crate::domain::scoring::ScoringWeights;
use crate::domain::settings::{MunicipalitySettings, SettingsCommand};

/// The longest aggregate id there is (`settings:` and a municipality); longer ones name none.
const MAX_AGGREGATE_ID: usize = 64;

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
    pub async fn submit(
        &self,
        ctx: CommandContext<'_>,
        details: pb::ProcessDetails,
    ) -> Outcome<Process> {
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        execute(&self.store, &id.to_string(), ctx, |state: &Process| {
            state.decide(ProcessCommand::Submit {
                id,
                by: by.clone(),
                details: details.clone(),
            })
        })
        .await
    }

    /// Run a command, made for the caller, on an existing process the caller can read.
    pub async fn on_process(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        command: impl Fn(Principal) -> ProcessCommand,
    ) -> Outcome<Process> {
        let viewer = Viewer::new(ctx.principal.clone());
        execute(
            &self.store,
            &id.to_string(),
            ctx,
            |state: &Process| match &state.0 {
                Some(record) if record.access(&viewer) != Access::None => {
                    state.decide(command(viewer.principal.clone()))
                }
                _ => Err(ProcessError::NotFound),
            },
        )
        .await
    }

    /// Run a command, made for the caller, on their municipality's backlog about process
    /// `id`, which must be one of their municipality's own.
    pub async fn on_backlog(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        command: impl Fn(Principal) -> BacklogCommand,
    ) -> Outcome<Backlog> {
        self.own_process(&ctx, id).await?;
        let by = ctx.principal.clone();
        let stream = Backlog::stream_id(&by.municipality);
        execute(&self.store, &stream, ctx, |state: &Backlog| {
            state.decide(command(by.clone()))
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
        execute(&self.store, &stream, ctx, |state: &MunicipalitySettings| {
            state.decide(SettingsCommand::SetScoringWeights {
                by: by.clone(),
                weights: weights.clone(),
            })
        })
        .await
    }

    /// The events of a record the caller can read, oldest first (its audit trail): a
    /// process by the read rule; a municipality's backlog or settings by its members only.
    /// Anything else is `NOT_FOUND`, exactly like a record that does not exist.
    pub async fn history(
        &self,
        principal: &Principal,
        aggregate_id: &str,
    ) -> Result<Vec<StoredEvent>, CommandError<ProcessError>> {
        if aggregate_id.len() > MAX_AGGREGATE_ID {
            return Err(CommandError::Domain(ProcessError::NotFound));
        }
        // One read: the events decide the access and are the answer.
        let events = self.store.read_stream(aggregate_id).await?;
        let readable = match events.first() {
            Some(first) if first.aggregate_type == Process::TYPE => {
                let mut process = Process::default();
                for event in &events {
                    process = process.evolve(&event.decode()?);
                }
                process
                    .0
                    .is_some_and(|r| r.access(&Viewer::new(principal.clone())) != Access::None)
            }
            Some(first) => {
                [Backlog::TYPE, MunicipalitySettings::TYPE].contains(&first.aggregate_type.as_str())
                    && first.municipality == principal.municipality.as_str()
            }
            None => false,
        };
        if readable {
            Ok(events)
        } else {
            Err(CommandError::Domain(ProcessError::NotFound))
        }
    }

    /// A process the caller's municipality owns and the caller can read.
    async fn own_process(
        &self,
        ctx: &CommandContext<'_>,
        id: Uuid,
    ) -> Result<(), CommandError<ProcessError>> {
        let (process, _) = load::<Process>(&self.store, &id.to_string()).await?;
        match process
            .0
            .map(|r| r.access(&Viewer::new(ctx.principal.clone())))
        {
            Some(Access::Full) => Ok(()),
            Some(Access::Partner) => Err(CommandError::Domain(ProcessError::invalid(
                "id",
                "only your own municipality's processes can be ranked",
            ))),
            _ => Err(CommandError::Domain(ProcessError::NotFound)),
        }
    }
}
