//! Command handling of the ideas service: load → decide → append through
//! [`innohub_runtime::command::execute`], with the read rule applied first so that a record
//! the caller may not see answers `NOT_FOUND`, exactly as if it did not exist:
//!
//! - an idea by the one read rule of its visibility ([`IdeaRecord::access`]), partners
//!   included: with a directory ([`IdeasApp::with_directory`]) the caller's network partners
//!   are asked of it ([`innohub_runtime::partners`]) only when an idea in question is
//!   NETWORK-visible and the caller is not a member of its municipality;
//! - challenges, workshops, action items and criteria by members of their municipality only.
//!
//! What a command needs from other records (the challenge an idea answers, the criteria it
//! is scored against, the workshop of an action item) is loaded here and handed to the
//! domain, which decides; so is "today" ([`innohub_runtime::clock::today`], or the clock of
//! [`IdeasApp::with_today`]).

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::RecordRef;
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::pilots::v1::pilots_service_client::PilotsServiceClient;
use innohub_proto::innohub::processes::v1::processes_service_client::ProcessesServiceClient;
use innohub_runtime::command::{CommandContext, CommandError, Executed, execute, load};
use innohub_runtime::grpc::Channel;
use innohub_runtime::partners::Partners;
use innohub_runtime::readable;
use innohub_runtime::trail::PartnerTrail;
use innohub_runtime::{Access, Aggregate, EventStore, Principal, StoreError, StoredEvent, Viewer};
use prost::Name as _;
use prost_types::FieldMask;
use uuid::Uuid;

use crate::IdeasError;
use crate::domain::action_item::{ActionItem, ActionItemCommand};
use crate::domain::challenge::{Challenge, ChallengeCommand};
use crate::domain::criteria::{CriteriaCommand, IdeaCriteria};
use crate::domain::idea::{Idea, IdeaCommand, IdeaRecord};
use crate::domain::values::{no_such, reference};
use crate::domain::workshop::{Workshop, WorkshopCommand, WorkshopDetails};

/// The longest aggregate id there is (`idea-criteria:` and a municipality); longer ones
/// name none.
const MAX_AGGREGATE_ID: usize = 64;

/// The result type of every command.
pub type Outcome<A> = Result<Executed<A>, CommandError<IdeasError>>;

/// The ideas service's command side.
#[derive(Clone)]
pub struct IdeasApp {
    store: EventStore,
    partners: Partners,
    processes: Option<ProcessesServiceClient<Channel>>,
    pilots: Option<PilotsServiceClient<Channel>>,
    today: fn() -> NaiveDate,
}

impl std::fmt::Debug for IdeasApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdeasApp")
            .field("store", &self.store)
            .field("partners", &self.partners)
            .field("processes", &self.processes.is_some())
            .field("pilots", &self.pilots.is_some())
            .finish()
    }
}

impl IdeasApp {
    /// Serve commands against `store`, with today from [`innohub_runtime::clock::today`]. Without a directory
    /// ([`Self::with_directory`]) no caller has network partners: NETWORK ideas are their
    /// municipality's only.
    pub fn new(store: EventStore) -> Self {
        Self {
            store,
            partners: Partners::default(),
            processes: None,
            pilots: None,
            today: innohub_runtime::clock::today,
        }
    }

    /// Ask `directory` for callers' network partners when the read rule needs them.
    pub fn with_directory(mut self, directory: DirectoryServiceClient<Channel>) -> Self {
        self.partners = Partners::directory(directory);
        self
    }

    /// Reach the processes service through `processes` (to spawn processes from ideas).
    pub fn with_processes(mut self, processes: ProcessesServiceClient<Channel>) -> Self {
        self.processes = Some(processes);
        self
    }

    /// Reach the pilots service through `pilots` (to start pilots from ideas).
    pub fn with_pilots(mut self, pilots: PilotsServiceClient<Channel>) -> Self {
        self.pilots = Some(pilots);
        self
    }

    /// Count today by `today` instead of [`innohub_runtime::clock::today`].
    pub fn with_today(mut self, today: fn() -> NaiveDate) -> Self {
        self.today = today;
        self
    }

    /// The processes service, if set ([`Self::with_processes`]).
    pub fn processes(&self) -> Option<&ProcessesServiceClient<Channel>> {
        self.processes.as_ref()
    }

    /// The pilots service, if set ([`Self::with_pilots`]).
    pub fn pilots(&self) -> Option<&PilotsServiceClient<Channel>> {
        self.pilots.as_ref()
    }

    /// The store commands append to.
    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Create a challenge in the caller's municipality; its id is returned in the result.
    pub async fn create_challenge(
        &self,
        ctx: CommandContext<'_>,
        details: pb::ChallengeDetails,
        draft: bool,
    ) -> Outcome<Challenge> {
        let id = Uuid::now_v7();
        self.on_own(ctx, &id.to_string(), |by| ChallengeCommand::Create {
            id,
            by,
            details: details.clone(),
            draft,
        })
        .await
    }

    /// Run a command, made for the caller, on challenge `id` of their municipality.
    pub async fn on_challenge(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        command: impl Fn(Principal) -> ChallengeCommand,
    ) -> Outcome<Challenge> {
        self.on_own(ctx, &id.to_string(), command).await
    }

    /// Submit an idea in the caller's municipality; its id is returned in the result.
    pub async fn submit_idea(
        &self,
        ctx: CommandContext<'_>,
        details: pb::IdeaDetails,
    ) -> Outcome<Idea> {
        let id = Uuid::now_v7();
        let challenge: Challenge = self.found(&details.challenge_id).await?;
        let (by, today) = (ctx.principal.clone(), (self.today)());
        execute(&self.store, &id.to_string(), ctx, |state: &Idea| {
            state.decide(IdeaCommand::Submit {
                id,
                by: by.clone(),
                details: details.clone(),
                challenge: challenge.clone(),
                today,
            })
        })
        .await
    }

    /// Change the details of idea `id` that `mask` names. `token` as for
    /// [`Self::on_idea`].
    pub async fn update_idea(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        details: pb::IdeaDetails,
        mask: FieldMask,
    ) -> Outcome<Idea> {
        let challenge: Challenge = self.found(&details.challenge_id).await?;
        let today = (self.today)();
        self.on_idea(ctx, token, id, |by| IdeaCommand::Update {
            by,
            details: details.clone(),
            mask: mask.clone(),
            challenge: challenge.clone(),
            today,
        })
        .await
    }

    /// Score idea `id` for the caller against their municipality's criteria. `token` as for
    /// [`Self::on_idea`].
    pub async fn score_idea(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        scores: Vec<pb::CriterionScore>,
    ) -> Outcome<Idea> {
        let stream = IdeaCriteria::stream_id(&ctx.principal.municipality);
        let (criteria, _) = load::<IdeaCriteria>(&self.store, &stream).await?;
        self.on_idea(ctx, token, id, |by| IdeaCommand::Score {
            by,
            scores: scores.clone(),
            criteria: criteria.clone(),
        })
        .await
    }

    /// Run a command, made for the caller, on idea `id`, which they must be able to read;
    /// `token` is the caller's bearer token, relayed when their network partners are asked
    /// of the directory (only for a NETWORK idea of another municipality).
    pub async fn on_idea(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        command: impl Fn(Principal) -> IdeaCommand,
    ) -> Outcome<Idea> {
        readable::execute(&self.store, &self.partners, ctx, token, id, command).await
    }

    /// Record that idea `idea_id` became `outcome` (no role is needed: the link comes from
    /// the record's own service; the domain checks it is of the idea's municipality).
    /// Linking the same record again changes nothing.
    pub async fn link_outcome(
        &self,
        ctx: CommandContext<'_>,
        idea_id: Uuid,
        outcome: RecordRef,
    ) -> Outcome<Idea> {
        execute(&self.store, &idea_id.to_string(), ctx, |state: &Idea| {
            state.decide(IdeaCommand::LinkOutcome {
                outcome: outcome.clone(),
            })
        })
        .await
    }

    /// Idea `id` as it stands and its version, if `principal` may read it by the read rule
    /// (their network partners asked with their `token` when the idea needs them); else
    /// `NOT_FOUND`.
    pub async fn readable_idea(
        &self,
        principal: &Principal,
        token: Option<&str>,
        id: Uuid,
    ) -> Result<(IdeaRecord, i64), CommandError<IdeasError>> {
        let (idea, version) =
            readable::load::<Idea>(&self.store, &self.partners, principal, token, id).await?;
        let record = idea.0.ok_or(CommandError::Domain(IdeasError::NotFound))?;
        Ok((record, version))
    }

    /// Set the caller's municipality's criteria.
    pub async fn set_criteria(
        &self,
        ctx: CommandContext<'_>,
        criteria: Vec<pb::Criterion>,
    ) -> Outcome<IdeaCriteria> {
        let stream = IdeaCriteria::stream_id(&ctx.principal.municipality);
        self.on_own(ctx, &stream, |by| CriteriaCommand::Set {
            by,
            criteria: criteria.clone(),
        })
        .await
    }

    /// Record a workshop of the caller's municipality; the challenge and the ideas it names
    /// must be ones of theirs they can read. Its id is returned in the result.
    pub async fn record_workshop(
        &self,
        ctx: CommandContext<'_>,
        details: pb::WorkshopDetails,
    ) -> Outcome<Workshop> {
        let details = WorkshopDetails::try_from(details).map_err(CommandError::Domain)?;
        let by = ctx.principal;
        if let Some(challenge) = details.challenge()
            && self.own::<Challenge>(by, challenge).await?.is_none()
        {
            return Err(CommandError::Domain(no_such("challengeId", "challenge")));
        }
        for idea in details.ideas() {
            if self.own_idea(by, *idea).await?.is_none() {
                return Err(CommandError::Domain(no_such("ideaIds", "idea")));
            }
        }
        let id = Uuid::now_v7();
        self.on_own(ctx, &id.to_string(), |by| WorkshopCommand::Record {
            id,
            by,
            details: details.clone(),
        })
        .await
    }

    /// Add an action item to workshop `workshop` of the caller's municipality (else
    /// `NOT_FOUND`), about idea `idea_id` (`""`: none), which must be one of theirs they can
    /// read. Its id is returned in the result.
    pub async fn add_action_item(
        &self,
        ctx: CommandContext<'_>,
        workshop: Uuid,
        idea_id: &str,
        title: String,
        owner: String,
        deadline: String,
    ) -> Outcome<ActionItem> {
        let by = ctx.principal;
        if self.own::<Workshop>(by, workshop).await?.is_none() {
            return Err(CommandError::Domain(IdeasError::NotFound));
        }
        let idea = reference("ideaId", "idea", idea_id).map_err(CommandError::Domain)?;
        if let Some(idea) = idea
            && self.own_idea(by, idea).await?.is_none()
        {
            return Err(CommandError::Domain(no_such("ideaId", "idea")));
        }
        let id = Uuid::now_v7();
        self.on_own(ctx, &id.to_string(), |by| ActionItemCommand::Add {
            id,
            by,
            workshop,
            idea,
            title: title.clone(),
            owner: owner.clone(),
            deadline: deadline.clone(),
        })
        .await
    }

    /// Run a command, made for the caller, on action item `id` of their municipality.
    pub async fn on_action_item(
        &self,
        ctx: CommandContext<'_>,
        id: Uuid,
        command: impl Fn(Principal) -> ActionItemCommand,
    ) -> Outcome<ActionItem> {
        self.on_own(ctx, &id.to_string(), command).await
    }

    /// The events of a record the caller may read, oldest first: an idea's by its read
    /// rule (a partner's from when it was shared with them, see [`readable::history`]); a
    /// challenge's, workshop's, action item's or criteria's by members of its municipality.
    /// Anything else is `NOT_FOUND`, exactly like a record that does not exist. `token` as
    /// for [`Self::on_idea`].
    pub async fn history(
        &self,
        principal: &Principal,
        token: Option<&str>,
        aggregate_id: &str,
    ) -> Result<Vec<StoredEvent>, CommandError<IdeasError>> {
        if aggregate_id.len() > MAX_AGGREGATE_ID {
            return Err(CommandError::Domain(IdeasError::NotFound));
        }
        let events = self.store.read_stream(aggregate_id).await?;
        let Some(first) = events.first() else {
            return Err(CommandError::Domain(IdeasError::NotFound));
        };
        match first.aggregate_type.as_str() {
            Idea::TYPE => {
                let mut asker = self.partners.asker(principal, token, None);
                readable::history::<Idea>(&mut asker, events, pb::IdeaSubmitted::PACKAGE, shows)
                    .await
            }
            Challenge::TYPE | Workshop::TYPE | ActionItem::TYPE | IdeaCriteria::TYPE
                if first.municipality == principal.municipality.as_str() =>
            {
                Ok(events)
            }
            _ => Err(CommandError::Domain(IdeasError::NotFound)),
        }
    }

    /// Run `command`, made for the caller, on `stream` of the caller's municipality: a
    /// record of another municipality is `NOT_FOUND`, exactly like none.
    async fn on_own<A>(
        &self,
        ctx: CommandContext<'_>,
        stream: &str,
        command: impl Fn(Principal) -> A::Command,
    ) -> Outcome<A>
    where
        A: Aggregate<Error = IdeasError>,
    {
        let by = ctx.principal.clone();
        execute(&self.store, stream, ctx, |state: &A| {
            match state.municipality() {
                Some(m) if !by.is_member_of(m) => Err(IdeasError::NotFound),
                _ => state.decide(command(by.clone())),
            }
        })
        .await
    }

    /// The record `raw` names as it stands: none (the default) if `raw` is no UUID or
    /// names nothing of type `A`.
    async fn found<A: Aggregate>(&self, raw: &str) -> Result<A, StoreError> {
        let Ok(id) = Uuid::parse_str(raw.trim()) else {
            return Ok(A::default());
        };
        match load::<A>(&self.store, &id.to_string()).await {
            Ok((found, _)) => Ok(found),
            Err(StoreError::OtherRecord) => Ok(A::default()),
            Err(e) => Err(e),
        }
    }

    /// Record `id` of type `A`, if it is one of `principal`'s municipality.
    async fn own<A: Aggregate>(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Option<A>, StoreError> {
        let found: A = self.found(&id.to_string()).await?;
        Ok(found
            .municipality()
            .is_some_and(|m| principal.is_member_of(m))
            .then_some(found))
    }

    /// Idea `id`, if it is one of `principal`'s municipality that they can read.
    async fn own_idea(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<Option<IdeaRecord>, StoreError> {
        let idea: Option<Idea> = self.own(principal, id).await?;
        let viewer = Viewer::new(principal.clone());
        Ok(idea
            .and_then(|i| i.0)
            .filter(|r| r.access(&viewer) == Access::Full))
    }
}

/// Whether `event` of an idea shared with a partner shows them anything new
/// ([`PartnerTrail`]): the details (`IdeaSubmitted`, `IdeaDetailsChanged`) are a part
/// replaced as a whole.
fn shows(trail: &mut PartnerTrail<'_>, event: &StoredEvent) -> Result<bool, StoreError> {
    let details = pb::IdeaDetailsChanged::NAME;
    match event.event_type.as_str() {
        pb::IdeaSubmitted::NAME => {
            let d = event.message::<pb::IdeaSubmitted>()?.details;
            trail.replaces(event, details, &d.unwrap_or_default())
        }
        pb::IdeaDetailsChanged::NAME => {
            let d = event.message::<pb::IdeaDetailsChanged>()?.details;
            trail.replaces(event, details, &d.unwrap_or_default())
        }
        _ => trail.carries(event),
    }
}
