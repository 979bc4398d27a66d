//! The read side of the ideas context in GraphQL (`innohub.ideas.v1`): the enums mirrored
//! from the contract (`Stage`, `Driver`, `Outcome`, `ChallengeStatus`, which the mutations in
//! `idea_commands` take as inputs too), the output objects over the ideas read models
//! (`Idea`, `Challenge`, `Workshop`, `ActionItem`, `IdeaFunnel`, `IdeaCriterion`) and the
//! queries ([`IdeasQuery`]). Reads go to [`IdeaQueries`] on the read-model database: ideas by
//! the one read rule of processes (a partner reads a shared idea redacted; an idea not
//! shared with them is NOT_FOUND, exactly like a random id), challenges, workshops, action
//! items and criteria for the municipality's own members only. Also the process side of the
//! link: `Process.originIdea` ([`origin_idea`]; `Pilot.origin` too, [`origin_idea_of`]).

use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use innohub_projections::IdeaQueries;
use innohub_projections::access::ProcessView;
use innohub_projections::challenge_views::{
    ActionItemStatus as ItemStatus, ActionItemView, ChallengeView, WorkshopView,
};
use innohub_projections::filter::{ActionItemFilter, IdeaFilter as Filter};
use innohub_projections::idea_funnel::IdeaFunnel as Funnel;
use innohub_projections::idea_queries::{GateView, IdeaCursor, IdeaList, IdeaView, ReviewView};
use innohub_projections::queries::{Page, QueryError};
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_runtime::{Access, ErrorCode, MunicipalityId, RecordLink, Viewer};
use uuid::Uuid;

use super::query::{Counted, ListInfo, NewestFirst, newest_first};
use super::types::{
    Comment, Process, Visibility, contract_enum, municipality, named_or_own, unknown,
};
use super::{Services, error, from_service, reader, record_id, services, viewer};

contract_enum! {
    /// Stage of an idea: forward one stage at a time, or PARKED / STOPPED from any open one.
    Stage => Stage {
        /// Submitted, not yet explored.
        Submitted,
        /// Exploring the idea: the need and whether it is worth doing.
        Exploring,
        /// Exploring the set-up: the solution and how to get it.
        Designing,
        /// A pilot is being developed and tried.
        Piloting,
        /// Being scaled to the organisation.
        Scaling,
        /// In use.
        Implemented,
        /// Put aside, with a reason; may be resumed.
        Parked,
        /// Stopped, with a reason; final.
        Stopped,
    }
}

contract_enum! {
    /// How an idea arose.
    #[allow(clippy::enum_variant_names)] // the contract's names: IDEA_DRIVEN, …
    Driver => Driver {
        /// Someone had an idea.
        IdeaDriven,
        /// It answers a challenge the municipality posed.
        ChallengeDriven,
        /// An opportunity came up (new technology, a partner, funding).
        OpportunityDriven,
    }
}

contract_enum! {
    /// How an idea is likely to be realised.
    Outcome => Outcome {
        /// Developed by the municipality itself.
        OwnDevelopment,
        /// Together with a partner.
        Partnership,
        /// Bought.
        Procurement,
    }
}

contract_enum! {
    /// Status of a challenge.
    ChallengeStatus => ChallengeStatus {
        /// Being prepared; takes no ideas yet.
        Draft,
        /// Takes ideas between its open dates.
        Open,
        /// Takes no more ideas.
        Closed,
    }
}

/// Status of an action item.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ActionItemStatus {
    /// To be done.
    Open,
    /// Done.
    Done,
    /// Dropped, with a reason.
    Dropped,
}

impl From<ItemStatus> for ActionItemStatus {
    fn from(status: ItemStatus) -> Self {
        match status {
            ItemStatus::Open => ActionItemStatus::Open,
            ItemStatus::Done => ActionItemStatus::Done,
            ItemStatus::Dropped => ActionItemStatus::Dropped,
        }
    }
}

/// The ideas read models on the services' read-model database.
fn queries(services: &Services) -> IdeaQueries {
    IdeaQueries::new(services.views.clone())
}

/// The records of a read as GraphQL objects.
fn each<V, T>(
    read: Result<Vec<V>, QueryError>,
    object: fn(V) -> T,
) -> async_graphql::Result<Vec<T>> {
    Ok(read
        .map_err(from_service)?
        .into_iter()
        .map(object)
        .collect())
}

/// The record of a read, if found, as a GraphQL object.
fn maybe<V, T>(
    read: Result<Option<V>, QueryError>,
    object: fn(V) -> T,
) -> async_graphql::Result<Option<T>> {
    Ok(read.map_err(from_service)?.map(object))
}

/// The record of a read as a GraphQL object; NOT_FOUND if there is none (or none the
/// viewer may read).
pub(super) fn found<V, T>(
    read: Result<Option<V>, QueryError>,
    object: fn(V) -> T,
) -> async_graphql::Result<T> {
    maybe(read, object)?.ok_or_else(|| error(ErrorCode::NotFound, "not found"))
}

/// The challenge a record names by its text id, if the viewer's municipality has it.
async fn challenge_named(ctx: &Context<'_>, raw: &str) -> async_graphql::Result<Option<Challenge>> {
    let Ok(id) = Uuid::parse_str(raw) else {
        return Ok(None);
    };
    let viewer = viewer(ctx)?;
    maybe(
        queries(services(ctx)).challenge(&viewer, id).await,
        Challenge,
    )
}

/// An id a filter names; a malformed one is the client's error, named by its field.
pub(super) fn filter_id(id: &ID, field: &str) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str())
        .map_err(|_| error(ErrorCode::BadUserInput, format!("{field}: not an id")))
}

/// Optional text: the contract's `""` is null.
fn text(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

/// A contract enum value that may be UNSPECIFIED (null).
fn optional<E: TryFrom<i32, Error = async_graphql::Error>>(
    raw: Option<i32>,
) -> async_graphql::Result<Option<E>> {
    raw.map(E::try_from).transpose()
}

/// A staff idea or an answer to a challenge. For partners (other municipalities) people,
/// departments, reviewers and the reviewers' scores are null or empty.
pub struct Idea(pub(super) IdeaView);

/// A staff idea or an answer to a challenge. For partners (other municipalities) people,
/// departments, reviewers and the reviewers' scores are null or empty.
#[Object]
impl Idea {
    #[graphql(flatten)]
    async fn owned(&self) -> Owned<'_> {
        Owned::new(self.0.id, &self.0.municipality, self.0.access)
    }
    /// Short name, at most 80 characters.
    async fn title(&self) -> &str {
        &self.0.details.title
    }
    /// The need or problem it answers.
    async fn need(&self) -> &str {
        &self.0.details.need
    }
    /// The solution proposed; null when none yet.
    async fn proposed_solution(&self) -> Option<&str> {
        text(&self.0.details.proposed_solution)
    }
    /// The value it is expected to bring; null when not told.
    async fn expected_value(&self) -> Option<&str> {
        text(&self.0.details.expected_value)
    }
    /// Empty for partners.
    async fn departments(&self) -> &[String] {
        &self.0.details.departments
    }
    /// Free tags, e.g. AI, citizen service (at most 20).
    async fn tags(&self) -> &[String] {
        &self.0.details.tags
    }
    /// Named to score it besides the innovation leads; empty for partners.
    async fn reviewers(&self) -> &[String] {
        &self.0.details.reviewers
    }
    /// How it arose: an idea, an answer to a challenge, or an opportunity.
    async fn driver(&self) -> async_graphql::Result<Driver> {
        Driver::try_from(self.0.details.driver)
    }
    /// Who may read it; NETWORK and PUBLIC ideas are shared with other municipalities.
    async fn visibility(&self) -> async_graphql::Result<Visibility> {
        Visibility::try_from(self.0.visibility() as i32)
    }
    /// Where it is in the funnel, from SUBMITTED to IMPLEMENTED (or PARKED, STOPPED).
    async fn stage(&self) -> async_graphql::Result<Stage> {
        Stage::try_from(self.0.stage as i32)
    }
    /// Known from DESIGNING on.
    async fn likely_outcome(&self) -> async_graphql::Result<Option<Outcome>> {
        optional(self.0.likely_outcome.map(|o| o as i32))
    }
    /// Null for partners.
    async fn submitter(&self) -> Option<&str> {
        self.0.submitter.as_deref()
    }
    /// The challenge it answers; null if none, or for partners.
    async fn challenge(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Challenge>> {
        challenge_named(ctx, &self.0.details.challenge_id).await
    }
    /// How many people support it (across municipalities when it is shared).
    async fn support_count(&self) -> usize {
        self.0.support_count
    }
    /// Whether you support it.
    async fn supported_by_me(&self) -> bool {
        self.0.supported_by_me
    }
    /// 0–100: the mean of the reviewers' weighted scores with the owning municipality's
    /// criteria in force (lower-is-better criteria inverted); null while nobody has scored it.
    async fn score(&self) -> Option<f64> {
        self.0.score
    }
    /// Each reviewer's values and score; null for partners.
    async fn scores(&self) -> Option<Vec<ReviewerScore>> {
        self.0
            .reviews
            .as_ref()
            .map(|r| r.iter().map(ReviewerScore::from).collect())
    }
    /// Every gate decided, oldest first.
    async fn gate_decisions(&self) -> async_graphql::Result<Vec<GateDecision>> {
        self.0.gates.iter().map(GateDecision::of).collect()
    }
    /// Oldest first; an author is null unless from your own municipality.
    async fn comments(&self) -> Vec<Comment> {
        self.0
            .comments
            .iter()
            .map(|c| Comment {
                id: ID(c.id.to_string()),
                author: c.author.as_ref().map(ToString::to_string),
                author_municipality: c.author_municipality.to_string(),
                text: c.text.clone(),
                created_at: c.created_at,
            })
            .collect()
    }
    /// What it became, in the order linked.
    async fn outcomes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<IdeaOutcome>> {
        let viewer = viewer(ctx)?;
        let mut outcomes = Vec::with_capacity(self.0.outcomes.len());
        for link in &self.0.outcomes {
            outcomes.push(IdeaOutcome::of(ctx, &viewer, link.clone()).await?);
        }
        Ok(outcomes)
    }
    /// Its action items, by deadline; empty for partners.
    async fn action_items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActionItem>> {
        action_items(
            ctx,
            ActionItemFilter {
                idea: Some(self.0.id),
                ..ActionItemFilter::default()
            },
        )
        .await
    }
    /// When it was submitted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// When it last changed; null for partners.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

/// One reviewer's values for an idea.
#[derive(SimpleObject)]
pub struct ReviewerScore {
    /// The reviewer's user id.
    reviewer: String,
    /// A value per criterion, as given.
    values: Vec<CriterionValue>,
    /// 0–100 with the criteria in force; null if none of the values counts under them.
    score: Option<f64>,
}

impl From<&ReviewView> for ReviewerScore {
    fn from(r: &ReviewView) -> Self {
        Self {
            reviewer: r.reviewer.clone(),
            values: r
                .values
                .iter()
                .map(|v| CriterionValue {
                    criterion: v.criterion.clone(),
                    value: v.value,
                })
                .collect(),
            score: r.score,
        }
    }
}

/// A reviewer's value for one criterion.
#[derive(SimpleObject)]
pub struct CriterionValue {
    /// The criterion's name, as the municipality's criteria name it.
    criterion: String,
    /// The value given, on the criterion's scale.
    value: i32,
}

/// A gate decided: the idea moved from one stage to another.
#[derive(SimpleObject)]
pub struct GateDecision {
    /// The stage the idea left.
    from: Stage,
    /// The stage the idea entered.
    to: Stage,
    /// Why (for PARKED and STOPPED: the reason).
    rationale: String,
    /// The innovation lead who decided; null for partners.
    decider: Option<String>,
    /// The likely outcome judged at this gate, if it judged one.
    likely_outcome: Option<Outcome>,
    /// When the gate was decided.
    decided_at: DateTime<Utc>,
}

impl GateDecision {
    fn of(g: &GateView) -> async_graphql::Result<Self> {
        Ok(Self {
            from: Stage::try_from(g.from as i32)?,
            to: Stage::try_from(g.to as i32)?,
            rationale: g.rationale.clone(),
            decider: g.decider.clone(),
            likely_outcome: optional(g.likely_outcome.map(|o| o as i32))?,
            decided_at: g.decided_at,
        })
    }
}

/// What an idea became: a record of another context (a process; later a pilot or a fund
/// application).
pub struct IdeaOutcome {
    link: RecordLink,
    /// Whether you may read the record (for a process, by its read rule).
    readable: bool,
    process: Option<ProcessView>,
}

impl IdeaOutcome {
    async fn of(
        ctx: &Context<'_>,
        viewer: &Viewer,
        link: RecordLink,
    ) -> async_graphql::Result<Self> {
        let is_process = link.is(innohub_processes::SERVICE, "process");
        let process = if is_process {
            services(ctx)
                .queries
                .get(viewer, link.id())
                .await
                .map_err(from_service)?
        } else {
            None
        };
        // A record of a context without a read model here is its municipality's own.
        let readable = process.is_some()
            || (!is_process && viewer.principal.is_member_of(link.municipality()));
        Ok(Self {
            link,
            readable,
            process,
        })
    }
}

/// What an idea became: a record of another context (a process; later a pilot or a fund
/// application).
#[Object]
impl IdeaOutcome {
    /// The context (service) that owns the record, e.g. processes.
    async fn context(&self) -> &str {
        self.link.context()
    }
    /// The record's kind in that context, e.g. process.
    async fn kind(&self) -> &str {
        self.link.kind()
    }
    /// The record's municipality.
    async fn municipality(&self) -> &str {
        self.link.municipality().as_str()
    }
    /// The record's id, when you may see the record.
    async fn id(&self) -> Option<ID> {
        self.readable.then(|| ID(self.link.id().to_string()))
    }
    /// The process, when the outcome is one and you may see it.
    async fn process(&self) -> Option<Process> {
        self.process.clone().map(Process)
    }
}

/// The idea a process was spawned from.
pub struct OriginIdea {
    link: RecordLink,
    idea: Option<IdeaView>,
}

/// The idea a process was spawned from.
#[Object]
impl OriginIdea {
    /// The idea's municipality.
    async fn municipality(&self) -> &str {
        self.link.municipality().as_str()
    }
    /// The idea's id, when you may see the idea.
    async fn id(&self) -> Option<ID> {
        self.idea.as_ref().map(|i| ID(i.id.to_string()))
    }
    /// The idea, when you may see it.
    async fn idea(&self) -> Option<Idea> {
        self.idea.clone().map(Idea)
    }
}

/// `Process.originIdea`: the idea `process` was spawned from, if it was.
pub(super) async fn origin_idea(
    ctx: &Context<'_>,
    process: &Process,
) -> async_graphql::Result<Option<OriginIdea>> {
    let Some(link) = process
        .0
        .origin
        .as_ref()
        .and_then(|o| RecordLink::try_from(o).ok())
    else {
        return Ok(None);
    };
    origin_idea_of(ctx, link).await
}

/// The idea a record's origin `link` names, if it names one (`Process.originIdea`,
/// `Pilot.origin`).
pub(super) async fn origin_idea_of(
    ctx: &Context<'_>,
    link: RecordLink,
) -> async_graphql::Result<Option<OriginIdea>> {
    if !link.is(innohub_ideas::SERVICE, "idea") {
        return Ok(None);
    }
    let viewer = viewer(ctx)?;
    let idea = queries(services(ctx))
        .idea(&viewer, link.id())
        .await
        .map_err(from_service)?;
    Ok(Some(OriginIdea { link, idea }))
}

/// A challenge the municipality poses; its own members only.
pub struct Challenge(ChallengeView);

/// A challenge the municipality poses; its own members only.
#[Object]
impl Challenge {
    /// The challenge's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The municipality that poses it, e.g. DK-0706.
    async fn municipality(&self) -> &str {
        self.0.municipality.as_str()
    }
    /// Short name, at most 80 characters.
    async fn title(&self) -> &str {
        &self.0.details.title
    }
    /// What the municipality asks for: the problem and what a good answer brings.
    async fn description(&self) -> &str {
        &self.0.details.description
    }
    /// Who owns it.
    async fn owner(&self) -> Option<&str> {
        text(&self.0.details.owner)
    }
    /// Department ids of the municipality it concerns.
    async fn departments(&self) -> &[String] {
        &self.0.details.departments
    }
    /// The first day ideas may answer it.
    async fn open_from(&self) -> Option<NaiveDate> {
        self.0.details.open_from.parse().ok()
    }
    /// The last day ideas may answer it.
    async fn open_to(&self) -> Option<NaiveDate> {
        self.0.details.open_to.parse().ok()
    }
    /// DRAFT (being prepared), OPEN (takes ideas between its open dates) or CLOSED.
    async fn status(&self) -> async_graphql::Result<ChallengeStatus> {
        ChallengeStatus::try_from(self.0.status as i32)
    }
    /// Why it was closed, if a reason was given.
    async fn closed_reason(&self) -> Option<&str> {
        self.0.closed_reason.as_deref()
    }
    /// How many ideas answer it, of those you may see.
    async fn idea_count(&self) -> i64 {
        self.0.idea_count
    }
    /// The innovation lead who created it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A workshop and what came out of it; its municipality's own members only.
pub struct Workshop(WorkshopView);

/// A workshop and what came out of it; its municipality's own members only.
#[Object]
impl Workshop {
    /// The workshop's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The municipality that held it, e.g. DK-0706.
    async fn municipality(&self) -> &str {
        self.0.municipality.as_str()
    }
    /// Short name, at most 80 characters.
    async fn title(&self) -> &str {
        &self.0.details.title
    }
    /// The day it was held.
    async fn date(&self) -> Option<NaiveDate> {
        self.0.details.date.parse().ok()
    }
    /// Who led it.
    async fn facilitator(&self) -> Option<&str> {
        text(&self.0.details.facilitator)
    }
    /// Who took part (user ids or names).
    async fn participants(&self) -> &[String] {
        &self.0.details.participants
    }
    /// The challenge it worked on.
    async fn challenge(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Challenge>> {
        challenge_named(ctx, &self.0.details.challenge_id).await
    }
    /// The ideas it worked on that you may see.
    async fn ideas(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Idea>> {
        let viewer = viewer(ctx)?;
        let queries = queries(services(ctx));
        let mut ideas = Vec::new();
        for id in &self.0.details.idea_ids {
            let Ok(id) = Uuid::parse_str(id) else {
                continue;
            };
            if let Some(idea) = queries.idea(&viewer, id).await.map_err(from_service)? {
                ideas.push(Idea(idea));
            }
        }
        Ok(ideas)
    }
    /// The shared summary.
    async fn summary(&self) -> &str {
        &self.0.details.summary
    }
    /// What was decided or produced, one line each.
    async fn outcomes(&self) -> &[String] {
        &self.0.details.outcomes
    }
    /// Its action items, by deadline.
    async fn action_items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActionItem>> {
        action_items(
            ctx,
            ActionItemFilter {
                workshop: Some(self.0.id),
                ..ActionItemFilter::default()
            },
        )
        .await
    }
    /// When it was recorded.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// Who does what by when, out of a workshop; its municipality's own members only.
pub struct ActionItem(ActionItemView);

/// Who does what by when, out of a workshop; its municipality's own members only.
#[Object]
impl ActionItem {
    /// The action item's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What is to be done.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Who is responsible.
    async fn owner(&self) -> &str {
        &self.0.owner
    }
    /// The day it is due.
    async fn deadline(&self) -> NaiveDate {
        self.0.deadline
    }
    /// OPEN, DONE or DROPPED.
    async fn status(&self) -> ActionItemStatus {
        self.0.status.into()
    }
    /// Open past its deadline (today: `INNOHUB_TODAY` if set, else the UTC date).
    async fn overdue(&self) -> bool {
        self.0.overdue
    }
    /// The workshop it came out of.
    async fn workshop_id(&self) -> ID {
        ID(self.0.workshop.to_string())
    }
    /// The workshop it came out of, if you may see it.
    async fn workshop(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Workshop>> {
        let viewer = viewer(ctx)?;
        maybe(
            queries(services(ctx))
                .workshop(&viewer, self.0.workshop)
                .await,
            Workshop,
        )
    }
    /// The idea it belongs to; null for the workshop as a whole.
    async fn idea_id(&self) -> Option<ID> {
        self.0.idea.map(|i| ID(i.to_string()))
    }
    /// The idea it belongs to, if you may see it.
    async fn idea(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Idea>> {
        let Some(id) = self.0.idea else {
            return Ok(None);
        };
        let viewer = viewer(ctx)?;
        maybe(queries(services(ctx)).idea(&viewer, id).await, Idea)
    }
    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }
    /// When it was done.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .closed_at
            .filter(|_| self.0.status == ItemStatus::Done)
    }
    /// When it was dropped.
    async fn dropped_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .closed_at
            .filter(|_| self.0.status == ItemStatus::Dropped)
    }
    /// Why it was dropped.
    async fn drop_reason(&self) -> Option<&str> {
        self.0.drop_reason.as_deref()
    }
}

/// The viewer's municipality's action items that `filter` matches today.
async fn action_items(
    ctx: &Context<'_>,
    filter: ActionItemFilter,
) -> async_graphql::Result<Vec<ActionItem>> {
    let viewer = viewer(ctx)?;
    action_items_for(ctx, &viewer, &filter).await
}

async fn action_items_for(
    ctx: &Context<'_>,
    viewer: &Viewer,
    filter: &ActionItemFilter,
) -> async_graphql::Result<Vec<ActionItem>> {
    each(
        queries(services(ctx))
            .action_items(viewer, filter, innohub_runtime::clock::today())
            .await,
        ActionItem,
    )
}

/// A municipality's evaluation criterion.
#[derive(SimpleObject)]
pub struct IdeaCriterion {
    /// The criterion's name, unique in the municipality, e.g. "Citizen value".
    name: String,
    /// Relative weight, 1 to 100.
    weight: u32,
    /// Lowest value of the scale.
    scale_min: i32,
    /// Highest value of the scale.
    scale_max: i32,
    /// A lower value is better (cost, risk): its values count inverted.
    lower_is_better: bool,
}

impl From<pb::Criterion> for IdeaCriterion {
    fn from(c: pb::Criterion) -> Self {
        Self {
            name: c.name,
            weight: c.weight,
            scale_min: c.scale_min,
            scale_max: c.scale_max,
            lower_is_better: c.lower_is_better,
        }
    }
}

/// Ideas in one stage.
#[derive(SimpleObject)]
pub struct IdeaStageCount {
    /// The stage.
    stage: Stage,
    /// How many of the ideas submitted in the span are in this stage now.
    ideas: i64,
}

/// From one forward stage to the next.
#[derive(SimpleObject)]
pub struct IdeaConversion {
    /// The stage entered first.
    from: Stage,
    /// The stage after it.
    to: Stage,
    /// Ideas that entered `from` in the span.
    entered: i64,
    /// Of those, the ideas that went on to `to`.
    advanced: i64,
    /// advanced / entered, 0 to 1; null when none entered.
    rate: Option<f64>,
}

/// How long ideas stay in a stage.
#[derive(SimpleObject)]
pub struct IdeaLeadTime {
    /// The stage.
    stage: Stage,
    /// Ideas that entered it in the span and have left it.
    ideas: i64,
    /// The median of the days they spent in it (all their stays together).
    median_days: Option<f64>,
}

/// The fields a record read by the one read rule (an idea, a pilot) starts with, flattened
/// into it: its id, its owner and whether you read it as a partner.
pub(super) struct Owned<'a> {
    id: Uuid,
    municipality: &'a MunicipalityId,
    access: Access,
}

impl<'a> Owned<'a> {
    /// The record `id` of `municipality`, read with `access`.
    pub(super) fn new(id: Uuid, municipality: &'a MunicipalityId, access: Access) -> Self {
        Self {
            id,
            municipality,
            access,
        }
    }
}

#[Object]
impl Owned<'_> {
    /// The record's id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    /// The owning municipality.
    async fn municipality(&self) -> &str {
        self.municipality.as_str()
    }
    /// True when you see it as a partner, redacted.
    async fn shared_with_you(&self) -> bool {
        self.access == Access::Partner
    }
}

/// What a funnel is of: a municipality's records over a span of days (the fields every
/// funnel starts with, flattened into it).
pub(super) struct FunnelSpan {
    pub(super) municipality: MunicipalityId,
    pub(super) from: Option<NaiveDate>,
    pub(super) to: Option<NaiveDate>,
}

#[Object]
impl FunnelSpan {
    /// The municipality whose records are counted, e.g. DK-0706.
    async fn municipality(&self) -> &str {
        self.municipality.as_str()
    }
    /// The first day of the span; null: from the start.
    async fn from(&self) -> Option<NaiveDate> {
        self.from
    }
    /// The last day of the span; null: until now.
    async fn to(&self) -> Option<NaiveDate> {
        self.to
    }
}

/// The innovation funnel of a municipality's ideas over a span of days, of the ideas you
/// may see.
pub struct IdeaFunnel {
    funnel: Funnel,
    span: FunnelSpan,
}

/// The innovation funnel of a municipality's ideas over a span of days, of the ideas you
/// may see.
#[Object]
impl IdeaFunnel {
    #[graphql(flatten)]
    async fn span(&self) -> &FunnelSpan {
        &self.span
    }
    /// The ideas submitted in the span, by the stage they are in now; every stage.
    async fn stages(&self) -> async_graphql::Result<Vec<IdeaStageCount>> {
        self.funnel
            .stages
            .iter()
            .map(|s| {
                Ok(IdeaStageCount {
                    stage: Stage::try_from(s.stage as i32)?,
                    ideas: s.ideas,
                })
            })
            .collect()
    }
    /// Of the ideas that entered each forward stage in the span, how many entered the next.
    async fn conversions(&self) -> async_graphql::Result<Vec<IdeaConversion>> {
        self.funnel
            .conversions
            .iter()
            .map(|c| {
                Ok(IdeaConversion {
                    from: Stage::try_from(c.from as i32)?,
                    to: Stage::try_from(c.to as i32)?,
                    entered: c.entered,
                    advanced: c.advanced,
                    rate: c.rate(),
                })
            })
            .collect()
    }
    /// The median days in each stage an idea can leave, of the ideas that entered it in the
    /// span and have left it.
    async fn lead_times(&self) -> async_graphql::Result<Vec<IdeaLeadTime>> {
        self.funnel
            .lead_times
            .iter()
            .map(|l| {
                Ok(IdeaLeadTime {
                    stage: Stage::try_from(l.stage as i32)?,
                    ideas: l.ideas,
                    median_days: l.median_days,
                })
            })
            .collect()
    }
    /// How many of the ideas submitted in the span became processes.
    async fn became_processes(&self) -> i64 {
        self.funnel.became_processes
    }
}

/// Narrows a list of ideas.
#[derive(InputObject, Default)]
pub struct IdeaFilter {
    /// Owning municipality, e.g. SE-1283.
    municipality: Option<String>,
    /// Only ideas in this stage.
    stage: Option<Stage>,
    /// The challenge they answer.
    challenge: Option<ID>,
    /// Your own municipality's ideas only.
    department: Option<String>,
    /// Only ideas with this tag.
    tag: Option<String>,
    /// The likely outcome.
    outcome: Option<Outcome>,
}

impl IdeaFilter {
    /// The read models' filter.
    fn into_filter(self) -> async_graphql::Result<Filter> {
        Ok(Filter {
            municipality: self.municipality.as_deref().map(municipality).transpose()?,
            stage: self.stage.map(Into::into),
            challenge: self
                .challenge
                .map(|c| filter_id(&c, "filter.challenge"))
                .transpose()?,
            department: self.department,
            tag: self.tag,
            outcome: self.outcome.map(Into::into),
        })
    }
}

impl Counted for Filter {
    const LIST_INFO: &'static str = "IdeaListInfo";

    async fn count(&self, ctx: &Context<'_>, viewer: &Viewer) -> async_graphql::Result<i64> {
        queries(services(ctx))
            .count(viewer, self)
            .await
            .map_err(from_service)
    }
}

impl NewestFirst for IdeaQueries {
    type List = IdeaList;
    type View = IdeaView;
    type Filter = Filter;

    async fn newest_first(
        &self,
        viewer: &Viewer,
        filter: &Filter,
        after: Option<&IdeaCursor>,
        first: i64,
    ) -> Result<Page<IdeaView, IdeaCursor>, QueryError> {
        self.ideas(viewer, filter, after, first).await
    }
}

/// A page of ideas.
pub type IdeaConnection = Connection<OpaqueCursor<String>, Idea, ListInfo<Filter>, EmptyFields>;

/// The ideas context's queries (part of the query root, [`super::Query`]).
#[derive(Default)]
pub struct IdeasQuery;

#[Object]
impl IdeasQuery {
    /// Every idea you may see (yours and what others share), newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn ideas(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only what matches every field given.")] filter: Option<IdeaFilter>,
        #[graphql(desc = "How many to return, 0 to 100 (20 when not given).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor: the previous page's `pageInfo.endCursor`.")]
        after: Option<String>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<IdeaConnection> {
        newest_first(
            ctx,
            queries(services(ctx)),
            (first, after),
            || filter.unwrap_or_default().into_filter(),
            consistency,
            Idea,
        )
        .await
    }

    /// One idea; NOT_FOUND if it does not exist or is not shared with you.
    async fn idea(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Idea> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        found(
            queries(services(ctx)).idea(&viewer, record_id(&id)?).await,
            Idea,
        )
    }

    /// Your municipality's challenges, newest first.
    async fn challenges(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<Challenge>> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        each(queries(services(ctx)).challenges(&viewer).await, Challenge)
    }

    /// One of your municipality's challenges; NOT_FOUND otherwise.
    async fn challenge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The challenge's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Challenge> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let id = record_id(&id)?;
        found(
            queries(services(ctx)).challenge(&viewer, id).await,
            Challenge,
        )
    }

    /// Your municipality's workshops, latest held first.
    async fn workshops(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<Workshop>> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        each(queries(services(ctx)).workshops(&viewer).await, Workshop)
    }

    /// One of your municipality's workshops; NOT_FOUND otherwise.
    async fn workshop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The workshop's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Workshop> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let id = record_id(&id)?;
        found(queries(services(ctx)).workshop(&viewer, id).await, Workshop)
    }

    /// Your municipality's action items, by deadline: of an owner, only the overdue ones
    /// (open past their deadline) or only the others, of a workshop, of an idea.
    async fn action_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the action items of this owner.")] owner: Option<String>,
        #[graphql(
            desc = "True: only the overdue ones (open past their deadline); false: only the others."
        )]
        overdue: Option<bool>,
        #[graphql(desc = "Only the action items of this workshop.")] workshop: Option<ID>,
        #[graphql(desc = "Only the action items of this idea.")] idea: Option<ID>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<ActionItem>> {
        let filter = ActionItemFilter {
            owner,
            overdue,
            workshop: workshop.map(|w| filter_id(&w, "workshop")).transpose()?,
            idea: idea.map(|i| filter_id(&i, "idea")).transpose()?,
        };
        let viewer = reader(ctx, consistency.as_deref()).await?;
        action_items_for(ctx, &viewer, &filter).await
    }

    /// The innovation funnel of a municipality's ideas (yours by default) that you may see,
    /// over the days `from` to `to` (both included; open-ended without).
    async fn idea_funnel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A municipality code, e.g. DK-0706; yours when not given.")] municipality: Option<String>,
        #[graphql(desc = "The first day of the span; from the start when not given.")] from: Option<
            NaiveDate,
        >,
        #[graphql(desc = "The last day of the span; until now when not given.")] to: Option<
            NaiveDate,
        >,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<IdeaFunnel> {
        if from.zip(to).is_some_and(|(from, to)| from > to) {
            return Err(error(ErrorCode::BadUserInput, "from must not be after to"));
        }
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let municipality = named_or_own(&viewer, municipality.as_deref())?;
        let funnel = queries(services(ctx))
            .idea_funnel(&viewer, &municipality, from, to)
            .await
            .map_err(from_service)?;
        Ok(IdeaFunnel {
            funnel,
            span: FunnelSpan {
                municipality,
                from,
                to,
            },
        })
    }

    /// Your municipality's criteria in force (empty until set).
    async fn idea_criteria(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<IdeaCriterion>> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        each(
            queries(services(ctx)).criteria(&viewer).await,
            IdeaCriterion::from,
        )
    }
}
