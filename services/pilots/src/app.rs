//! Command handling of the pilots service: load → decide → append through
//! [`innohub_runtime::command::execute`], with the read rule applied first so that a pilot
//! the caller may not see answers `NOT_FOUND`, exactly as if it did not exist: the one read
//! rule of its plan's visibility and departments ([`PilotRecord::access`]), partners
//! included ([`innohub_runtime::readable`]); with a directory ([`PilotsApp::with_directory`]) the caller's network partners
//! are asked of it ([`innohub_runtime::partners`]) only when the pilot in question is
//! NETWORK-visible and the caller is not a member of its municipality.
//!
//! What a command needs besides the pilot, "today" ([`innohub_runtime::clock::today`], or
//! the clock of [`PilotsApp::with_today`]), is read here and handed to the domain, which
//! decides.

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::{self as common, RecordRef};
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;
use innohub_proto::innohub::pilots::v1 as pb;
use innohub_runtime::command::{CommandContext, CommandError, Executed, execute};
use innohub_runtime::grpc::Channel;
use innohub_runtime::partners::Partners;
use innohub_runtime::readable;
use innohub_runtime::trail::PartnerTrail;
use innohub_runtime::{Aggregate, EventStore, Principal, StoreError, StoredEvent};
use prost::Name as _;
use prost_types::FieldMask;
use uuid::Uuid;

use crate::PilotsError;
use crate::domain::pilot::{Pilot, PilotCommand, PilotRecord};

/// The longest aggregate id there is (a UUID); longer ones name none.
const MAX_AGGREGATE_ID: usize = 64;

/// The result type of every command.
pub type Outcome<A> = Result<Executed<A>, CommandError<PilotsError>>;

/// The pilots service's command side.
#[derive(Clone)]
pub struct PilotsApp {
    store: EventStore,
    partners: Partners,
    today: fn() -> NaiveDate,
}

impl std::fmt::Debug for PilotsApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PilotsApp")
            .field("store", &self.store)
            .field("partners", &self.partners)
            .finish()
    }
}

impl PilotsApp {
    /// Serve commands against `store`, with today from [`innohub_runtime::clock::today`].
    /// Without a directory ([`Self::with_directory`]) no caller has network partners:
    /// NETWORK pilots are their municipality's only.
    pub fn new(store: EventStore) -> Self {
        Self {
            store,
            partners: Partners::default(),
            today: innohub_runtime::clock::today,
        }
    }

    /// Ask `directory` for callers' network partners when the read rule needs them.
    pub fn with_directory(mut self, directory: DirectoryServiceClient<Channel>) -> Self {
        self.partners = Partners::directory(directory);
        self
    }

    /// Count today by `today` instead of [`innohub_runtime::clock::today`].
    pub fn with_today(mut self, today: fn() -> NaiveDate) -> Self {
        self.today = today;
        self
    }

    /// The store commands append to.
    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Plan a pilot in the caller's municipality, born from `origin` if given; its id is
    /// returned in the result.
    pub async fn plan_pilot(
        &self,
        ctx: CommandContext<'_>,
        plan: pb::PilotPlan,
        origin: Option<RecordRef>,
    ) -> Outcome<Pilot> {
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        execute(&self.store, &id.to_string(), ctx, |state: &Pilot| {
            state.decide(PilotCommand::Plan {
                id,
                by: by.clone(),
                plan: plan.clone(),
                origin: origin.clone(),
            })
        })
        .await
    }

    /// Change the topics of pilot `id`'s plan that `mask` names. `token` as for
    /// [`Self::on_pilot`].
    pub async fn update_plan(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        plan: pb::PilotPlan,
        mask: FieldMask,
    ) -> Outcome<Pilot> {
        self.on_pilot(ctx, token, id, |by| PilotCommand::UpdatePlan {
            by,
            plan: plan.clone(),
            mask: mask.clone(),
        })
        .await
    }

    /// Start pilot `id` today. `token` as for [`Self::on_pilot`].
    pub async fn start_pilot(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
    ) -> Outcome<Pilot> {
        let today = (self.today)();
        self.on_pilot(ctx, token, id, |by| PilotCommand::Start { by, today })
            .await
    }

    /// Record a measurement of benefit `benefit_id` of pilot `id`, of a day not after
    /// today. `token` as for [`Self::on_pilot`].
    pub async fn record_measurement(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        benefit_id: String,
        reading: common::Reading,
    ) -> Outcome<Pilot> {
        let today = (self.today)();
        self.on_pilot(ctx, token, id, |by| PilotCommand::RecordMeasurement {
            by,
            benefit_id: benefit_id.clone(),
            reading: reading.clone(),
            today,
        })
        .await
    }

    /// Run a command, made for the caller, on pilot `id`, which they must be able to read;
    /// `token` is the caller's bearer token, relayed when their network partners are asked
    /// of the directory (only for a NETWORK pilot of another municipality).
    pub async fn on_pilot(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        command: impl Fn(Principal) -> PilotCommand,
    ) -> Outcome<Pilot> {
        readable::execute(&self.store, &self.partners, ctx, token, id, command).await
    }

    /// Pilot `id` as it stands and its version, if `principal` may read it by the read rule
    /// (their network partners asked with their `token` when the pilot needs them); else
    /// `NOT_FOUND`.
    pub async fn readable_pilot(
        &self,
        principal: &Principal,
        token: Option<&str>,
        id: Uuid,
    ) -> Result<(PilotRecord, i64), CommandError<PilotsError>> {
        let (pilot, version) =
            readable::load::<Pilot>(&self.store, &self.partners, principal, token, id).await?;
        let record = pilot.0.ok_or(CommandError::Domain(PilotsError::NotFound))?;
        Ok((record, version))
    }

    /// The events of a pilot the caller may read, oldest first, by its read rule (a
    /// partner's from when it was shared with them, see [`readable::history`]). Anything
    /// else is `NOT_FOUND`, exactly like a record that does not exist. `token` as for
    /// [`Self::on_pilot`].
    pub async fn history(
        &self,
        principal: &Principal,
        token: Option<&str>,
        aggregate_id: &str,
    ) -> Result<Vec<StoredEvent>, CommandError<PilotsError>> {
        if aggregate_id.len() > MAX_AGGREGATE_ID {
            return Err(CommandError::Domain(PilotsError::NotFound));
        }
        let events = self.store.read_stream(aggregate_id).await?;
        match events.first() {
            Some(first) if first.aggregate_type == Pilot::TYPE => {
                let mut asker = self.partners.asker(principal, token, None);
                readable::history::<Pilot>(&mut asker, events, pb::PilotPlanned::PACKAGE, shows)
                    .await
            }
            _ => Err(CommandError::Domain(PilotsError::NotFound)),
        }
    }
}

/// Whether `event` of a pilot shared with a partner shows them anything new
/// ([`PartnerTrail`]): the plan (`PilotPlanned`, `PilotPlanChanged`) and the evaluation
/// (`PilotEvaluated`) are parts replaced as a whole.
fn shows(trail: &mut PartnerTrail<'_>, event: &StoredEvent) -> Result<bool, StoreError> {
    let plan = pb::PilotPlanChanged::NAME;
    match event.event_type.as_str() {
        pb::PilotPlanned::NAME => {
            let p = event.message::<pb::PilotPlanned>()?.plan;
            trail.replaces(event, plan, &p.unwrap_or_default())
        }
        pb::PilotPlanChanged::NAME => {
            let p = event.message::<pb::PilotPlanChanged>()?.plan;
            trail.replaces(event, plan, &p.unwrap_or_default())
        }
        pb::PilotEvaluated::NAME => trail.replaces_payload(event, pb::PilotEvaluated::NAME),
        _ => trail.carries(event),
    }
}
