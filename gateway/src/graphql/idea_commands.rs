//! The command side of the ideas context in GraphQL (`innohub.ideas.v1`): challenges
//! (`openChallenge`, `publishChallenge`, `closeChallenge`), ideas through their gates
//! (`submitIdea`, `updateIdea`, `decideIdeaGate`), support, comments and scores
//! (`supportIdea`, `withdrawSupport`, `commentOnIdea`, `scoreIdea`), the municipality's
//! evaluation criteria (`setIdeaCriteria`), workshops and their action items
//! (`recordWorkshop`, `addActionItem`, `completeActionItem`, `dropActionItem`), and the spawn
//! of an automation-candidate process from an idea (`spawnProcessFromIdea`).
//!
//! Each mutation builds the contract's request from its input and sends it to the ideas
//! service through [`super::call`]; each accepts an optional `idempotencyKey` (a retry with
//! the same key returns the first result and records nothing new). No domain rule is
//! checked here: the service validates what it is sent. The queries and the output types
//! (`Idea`, `Challenge`, …) and the enums `Stage`, `Driver` and `Outcome` are in
//! [`super::ideas`].

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::CommandReply;
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::processes::v1 as processes;
use innohub_runtime::ErrorCode;
use prost_types::FieldMask;
use uuid::Uuid;

use super::ideas::{Driver, Outcome, Stage};
use super::types::{Process, SubmitProcessInput, Visibility};
use super::{ConsistencyToken, call, error, from_service, reader_after, services};

/// The store the ideas service's consistency tokens name.
const STORE: &str = innohub_ideas::SERVICE;

/// The ideas context's mutations (part of the mutation root, [`super::Mutation`]).
#[derive(Default)]
pub struct IdeasMutation;

/// The consistency token of an ideas command's reply.
fn token(reply: &CommandReply) -> ConsistencyToken {
    ConsistencyToken::at(STORE, reply.position)
}

payload! {
    /// The result of a command on a challenge.
    ChallengePayload,
    store = STORE
}

payload! {
    /// The result of a command on an idea.
    IdeaPayload,
    store = STORE
}

payload! {
    /// The result of setting the evaluation criteria; the id is
    /// `idea-criteria:<municipality>`, for `history`.
    IdeaCriteriaPayload,
    store = STORE
}

payload! {
    /// The result of recording a workshop.
    WorkshopPayload,
    store = STORE
}

payload! {
    /// The result of a command on an action item.
    ActionItemPayload,
    store = STORE
}

/// Both sides of a spawn from an idea (a process, a pilot): two writes, one token.
pub(super) struct Spawned {
    /// The idea.
    idea: String,
    /// The record it became.
    record: Uuid,
    /// Covers both the idea and the record.
    token: ConsistencyToken,
    /// An earlier call with the same key already made the record.
    replayed: bool,
}

impl Spawned {
    /// Both sides of `reply`, whose new record is in the store `store`.
    pub(super) fn of(reply: pb::SpawnReply, store: &'static str) -> async_graphql::Result<Self> {
        let (Some(idea), Some(outcome)) = (reply.idea, reply.outcome) else {
            return Err(internal("the spawn's reply lacks a side".into()));
        };
        let record = outcome.aggregate_id.parse::<Uuid>().map_err(|e| {
            internal(format!(
                "the spawn's reply names no record ({:?}): {e}",
                outcome.aggregate_id
            ))
        })?;
        Ok(Self {
            token: token(&idea).and(ConsistencyToken::at(store, outcome.position)),
            // The record's side decides: the idea's link of the first call may have been
            // written by the ideas service's follower instead (it races the spawn's own
            // link), and then only the record's store remembers the key.
            replayed: outcome.replayed,
            idea: idea.aggregate_id,
            record,
        })
    }

    /// The idea's id.
    pub(super) fn idea(&self) -> ID {
        ID(self.idea.clone())
    }

    /// The new record's id.
    pub(super) fn record(&self) -> Uuid {
        self.record
    }

    /// The token to pass to a query's `consistency` argument.
    pub(super) fn token(&self) -> &ConsistencyToken {
        &self.token
    }

    /// True when an earlier call with the same idempotency key already made the record (and
    /// its link to the idea): this call created nothing.
    pub(super) fn replayed(&self) -> bool {
        self.replayed
    }
}

/// The result of spawning a process from an idea: two writes, one token.
pub struct SpawnProcessPayload(Spawned);

/// The result of spawning a process from an idea: two writes, one token.
#[Object]
impl SpawnProcessPayload {
    /// The idea's id.
    async fn id(&self) -> ID {
        self.0.idea()
    }
    /// The new process's id.
    async fn process_id(&self) -> ID {
        ID(self.0.record().to_string())
    }
    /// Pass to a query's `consistency` argument to read your own write: it covers both the
    /// idea and the process. Opaque.
    async fn consistency_token(&self) -> String {
        self.0.token().to_string()
    }
    /// True when an earlier call with the same idempotency key already did this.
    async fn replayed(&self) -> bool {
        self.0.replayed()
    }
    /// The new process as it is after the command (waits for the views to include it).
    async fn process(&self, ctx: &Context<'_>) -> async_graphql::Result<Process> {
        let viewer = reader_after(ctx, Some(self.0.token())).await?;
        services(ctx)
            .queries
            .get(&viewer, self.0.record())
            .await
            .map_err(from_service)?
            .map(Process)
            .ok_or_else(|| error(ErrorCode::NotFound, "not found"))
    }
}

/// A reply the service should never give.
fn internal(message: String) -> async_graphql::Error {
    from_service(innohub_runtime::grpc::ServiceError {
        code: ErrorCode::Internal,
        message,
    })
}

/// Optional text: null is the contract's `""`.
fn text(value: Option<String>) -> String {
    value.unwrap_or_default()
}

/// An optional record id: null is the contract's `""`.
fn reference(id: Option<ID>) -> String {
    id.map(|id| id.0).unwrap_or_default()
}

/// A challenge the municipality poses.
#[derive(InputObject)]
pub struct ChallengeInput {
    /// At most 80 characters.
    title: String,
    /// The challenge as the municipality poses it.
    description: String,
    /// Who owns the challenge (user id or name).
    owner: Option<String>,
    /// Departments behind it (department ids).
    departments: Option<Vec<String>>,
    /// First day ideas may answer it.
    open_from: NaiveDate,
    /// Last day ideas may answer it, not before `openFrom`.
    open_to: NaiveDate,
}

impl From<ChallengeInput> for pb::ChallengeDetails {
    fn from(i: ChallengeInput) -> Self {
        Self {
            title: i.title,
            description: i.description,
            owner: text(i.owner),
            departments: i.departments.unwrap_or_default(),
            open_from: i.open_from.to_string(),
            open_to: i.open_to.to_string(),
        }
    }
}

/// A new idea, as its submitter tells it.
#[derive(InputObject)]
pub struct SubmitIdeaInput {
    /// At most 80 characters.
    title: String,
    /// The need or problem it answers.
    need: String,
    /// The solution proposed.
    proposed_solution: Option<String>,
    /// The value it is expected to bring.
    expected_value: Option<String>,
    /// Departments of your municipality it concerns (at least one).
    departments: Vec<String>,
    /// Free tags, e.g. "AI" (at most 20, each at most 40 characters).
    tags: Option<Vec<String>>,
    /// The open challenge it answers.
    challenge: Option<ID>,
    /// How it arose.
    driver: Driver,
    /// Who may read it; MUNICIPALITY when not given.
    visibility: Option<Visibility>,
    /// Users named to score it besides the innovation leads.
    reviewers: Option<Vec<String>>,
}

impl From<SubmitIdeaInput> for pb::IdeaDetails {
    fn from(i: SubmitIdeaInput) -> Self {
        Self {
            title: i.title,
            need: i.need,
            proposed_solution: text(i.proposed_solution),
            expected_value: text(i.expected_value),
            departments: i.departments,
            tags: i.tags.unwrap_or_default(),
            challenge_id: reference(i.challenge),
            driver: pb::Driver::from(i.driver) as i32,
            visibility: i
                .visibility
                .map_or(processes::Visibility::Unspecified, Into::into)
                as i32,
            reviewers: i.reviewers.unwrap_or_default(),
        }
    }
}

/// Changes to an idea; absent fields keep their value, an empty text or list clears the
/// field.
#[derive(InputObject)]
pub struct UpdateIdeaInput {
    /// At most 80 characters.
    title: Option<String>,
    /// The need or problem it answers.
    need: Option<String>,
    /// The solution proposed.
    proposed_solution: Option<String>,
    /// The value it is expected to bring.
    expected_value: Option<String>,
    /// Departments of your municipality it concerns (at least one).
    departments: Option<Vec<String>>,
    /// Free tags, e.g. AI, citizen service (at most 20, each at most 40 characters).
    tags: Option<Vec<String>>,
    /// The open challenge it answers; null: none.
    challenge: MaybeUndefined<ID>,
    /// How it arose.
    driver: Option<Driver>,
    /// Who may read it; NETWORK and PUBLIC share it with other municipalities.
    visibility: Option<Visibility>,
    /// Users named to score it besides the innovation leads.
    reviewers: Option<Vec<String>>,
}

/// The fields an update gives, as the contract's `IdeaDetails` and the mask that names them
/// (the service changes only those).
#[derive(Default)]
struct Given {
    details: pb::IdeaDetails,
    mask: FieldMask,
}

impl Given {
    /// Take `value`, if given, into the details with `set`, naming it `path`.
    fn set<T>(&mut self, path: &str, value: Option<T>, set: impl FnOnce(&mut pb::IdeaDetails, T)) {
        if let Some(value) = value {
            set(&mut self.details, value);
            self.mask.paths.push(path.to_owned());
        }
    }
}

impl From<UpdateIdeaInput> for Given {
    fn from(i: UpdateIdeaInput) -> Self {
        let mut given = Given::default();
        give!(given, i; title, need, proposed_solution, expected_value, departments, tags,
            reviewers);
        let challenge = match i.challenge {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(String::new()),
            MaybeUndefined::Value(id) => Some(id.0),
        };
        given.set("challenge_id", challenge, |d, v| d.challenge_id = v);
        given.set("driver", i.driver, |d, v| {
            d.driver = pb::Driver::from(v) as i32
        });
        given.set("visibility", i.visibility, |d, v| {
            d.visibility = processes::Visibility::from(v) as i32
        });
        given
    }
}

/// One evaluation criterion of your municipality.
#[derive(InputObject)]
pub struct CriterionInput {
    /// Unique among the criteria, at most 80 characters, e.g. "Citizen value".
    name: String,
    /// Relative weight, 1 to 100.
    weight: u32,
    /// Lowest value of the scale, e.g. 1.
    scale_min: i32,
    /// Highest value of the scale, above `scaleMin`, e.g. 5.
    scale_max: i32,
    /// A lower value is better (e.g. cost, risk): its values count inverted.
    #[graphql(default)]
    lower_is_better: bool,
}

impl From<CriterionInput> for pb::Criterion {
    fn from(c: CriterionInput) -> Self {
        Self {
            name: c.name,
            weight: c.weight,
            scale_min: c.scale_min,
            scale_max: c.scale_max,
            lower_is_better: c.lower_is_better,
        }
    }
}

/// A reviewer's value for one criterion.
#[derive(InputObject)]
pub struct CriterionScoreInput {
    /// The criterion's name.
    criterion: String,
    /// Within the criterion's scale.
    value: i32,
}

impl From<CriterionScoreInput> for pb::CriterionScore {
    fn from(s: CriterionScoreInput) -> Self {
        Self {
            criterion: s.criterion,
            value: s.value,
        }
    }
}

/// A workshop held, and what came out of it.
#[derive(InputObject)]
pub struct WorkshopInput {
    /// At most 80 characters.
    title: String,
    /// The day it was held.
    date: NaiveDate,
    /// Who led it.
    facilitator: Option<String>,
    /// Who took part.
    participants: Option<Vec<String>>,
    /// The challenge it worked on.
    challenge: Option<ID>,
    /// The ideas it worked on.
    ideas: Option<Vec<ID>>,
    /// The shared summary.
    summary: String,
    /// What was decided or produced, one line each.
    outcomes: Option<Vec<String>>,
}

impl From<WorkshopInput> for pb::WorkshopDetails {
    fn from(i: WorkshopInput) -> Self {
        Self {
            title: i.title,
            date: i.date.to_string(),
            facilitator: text(i.facilitator),
            participants: i.participants.unwrap_or_default(),
            challenge_id: reference(i.challenge),
            idea_ids: i
                .ideas
                .unwrap_or_default()
                .into_iter()
                .map(|id| id.0)
                .collect(),
            summary: i.summary,
            outcomes: i.outcomes.unwrap_or_default(),
        }
    }
}

/// An action item out of a workshop: who does what by when.
#[derive(InputObject)]
pub struct AddActionItemInput {
    /// The workshop it comes out of.
    workshop: ID,
    /// The idea it belongs to; none: the workshop as a whole.
    idea: Option<ID>,
    /// What is to be done (at most 200 characters).
    title: String,
    /// Who is responsible (a user id of your municipality).
    owner: String,
    /// The deadline; an open item past it is overdue.
    deadline: NaiveDate,
}

impl From<AddActionItemInput> for pb::AddActionItemRequest {
    fn from(i: AddActionItemInput) -> Self {
        Self {
            workshop_id: i.workshop.0,
            idea_id: reference(i.idea),
            title: i.title,
            owner: i.owner,
            deadline: i.deadline.to_string(),
        }
    }
}

#[Object]
impl IdeasMutation {
    /// Pose a challenge to your municipality (innovation_lead): open for ideas between its
    /// dates, or a draft to publish later.
    async fn open_challenge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The challenge.")] input: ChallengeInput,
        #[graphql(
            default = false,
            desc = "True: keep it DRAFT, to publish later with `publishChallenge`."
        )]
        draft: bool,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ChallengePayload> {
        let request = pb::CreateChallengeRequest {
            details: Some(input.into()),
            draft,
        };
        Ok(command!(ctx, ideas, idempotency_key => create_challenge(request) as ChallengePayload))
    }

    /// Open a draft challenge for ideas (innovation_lead).
    async fn publish_challenge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a DRAFT challenge.")] id: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ChallengePayload> {
        let request = pb::OpenChallengeRequest { challenge_id: id.0 };
        Ok(command!(ctx, ideas, idempotency_key => open_challenge(request) as ChallengePayload))
    }

    /// Close a draft or open challenge: it takes no more ideas (innovation_lead).
    async fn close_challenge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The challenge's id.")] id: ID,
        #[graphql(desc = "Why it closes, if you wish to say.")] reason: Option<String>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ChallengePayload> {
        let request = pb::CloseChallengeRequest {
            challenge_id: id.0,
            reason: text(reason),
        };
        Ok(command!(ctx, ideas, idempotency_key => close_challenge(request) as ChallengePayload))
    }

    /// Submit an idea (employee); it starts in stage SUBMITTED. A challenge it answers must
    /// be open and within its dates.
    async fn submit_idea(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new idea.")] input: SubmitIdeaInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<IdeaPayload> {
        let request = pb::SubmitIdeaRequest {
            details: Some(input.into()),
        };
        Ok(command!(ctx, ideas, idempotency_key => submit_idea(request) as IdeaPayload))
    }

    /// Change some of an idea's details (its submitter or an innovation lead).
    async fn update_idea(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
        #[graphql(desc = "The fields to change; absent fields keep their value.")]
        input: UpdateIdeaInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<IdeaPayload> {
        let given = Given::from(input);
        let request = pb::UpdateIdeaRequest {
            idea_id: id.0,
            details: Some(given.details),
            update_mask: Some(given.mask),
        };
        Ok(command!(ctx, ideas, idempotency_key => update_idea(request) as IdeaPayload))
    }

    /// Move an idea to another stage, with a rationale (innovation_lead): forward one stage
    /// at a time, to PARKED or STOPPED from any open stage, or from PARKED back to the stage
    /// it was parked in. The likely outcome is required from DESIGNING on unless already
    /// known.
    async fn decide_idea_gate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
        #[graphql(desc = "The stage it moves to: the next one, or PARKED or STOPPED.")] to: Stage,
        #[graphql(desc = "Why (for PARKED and STOPPED: the reason).")] rationale: String,
        #[graphql(desc = "How the idea is likely to be realised, if the gate judges it.")]
        likely_outcome: Option<Outcome>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<IdeaPayload> {
        let request = pb::DecideIdeaGateRequest {
            idea_id: id.0,
            to: pb::Stage::from(to) as i32,
            rationale,
            likely_outcome: likely_outcome.map_or(pb::Outcome::Unspecified, Into::into) as i32,
        };
        Ok(command!(ctx, ideas, idempotency_key => decide_idea_gate(request) as IdeaPayload))
    }

    /// Support an idea you can read, also as a partner (once).
    async fn support_idea(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<IdeaPayload> {
        let request = pb::SupportIdeaRequest { idea_id: id.0 };
        Ok(command!(ctx, ideas, idempotency_key => support_idea(request) as IdeaPayload))
    }

    /// Withdraw your support from an idea.
    async fn withdraw_support(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<IdeaPayload> {
        let request = pb::WithdrawSupportRequest { idea_id: id.0 };
        Ok(command!(ctx, ideas, idempotency_key => withdraw_support(request) as IdeaPayload))
    }

    /// Comment on an idea you can read, also as a partner.
    async fn comment_on_idea(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
        #[graphql(desc = "The comment, plain text.")] text: String,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<IdeaPayload> {
        let request = pb::CommentOnIdeaRequest {
            idea_id: id.0,
            text,
        };
        Ok(command!(ctx, ideas, idempotency_key => comment_on_idea(request) as IdeaPayload))
    }

    /// Set your municipality's evaluation criteria, complete (municipality_admin); every
    /// idea's score is computed again with them.
    async fn set_idea_criteria(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Every criterion in force from now on (they replace the earlier ones).")]
        criteria: Vec<CriterionInput>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<IdeaCriteriaPayload> {
        let request = pb::SetIdeaCriteriaRequest {
            criteria: criteria.into_iter().map(Into::into).collect(),
        };
        Ok(
            command!(ctx, ideas, idempotency_key => set_idea_criteria(request) as IdeaCriteriaPayload),
        )
    }

    /// Score an idea against the criteria in force, one value per criterion within its scale
    /// (an innovation lead or a reviewer named on the idea); replaces your earlier scores.
    async fn score_idea(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
        #[graphql(
            desc = "Your value for each criterion, on its scale (they replace your earlier values)."
        )]
        scores: Vec<CriterionScoreInput>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<IdeaPayload> {
        let request = pb::ScoreIdeaRequest {
            idea_id: id.0,
            scores: scores.into_iter().map(Into::into).collect(),
        };
        Ok(command!(ctx, ideas, idempotency_key => score_idea(request) as IdeaPayload))
    }

    /// Record a workshop of your municipality (innovation_lead).
    async fn record_workshop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The workshop and what came out of it.")] input: WorkshopInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<WorkshopPayload> {
        let request = pb::RecordWorkshopRequest {
            details: Some(input.into()),
        };
        Ok(command!(ctx, ideas, idempotency_key => record_workshop(request) as WorkshopPayload))
    }

    /// Add an action item to a workshop (innovation_lead); it starts OPEN.
    async fn add_action_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action item.")] input: AddActionItemInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ActionItemPayload> {
        let request = pb::AddActionItemRequest::from(input);
        Ok(command!(ctx, ideas, idempotency_key => add_action_item(request) as ActionItemPayload))
    }

    /// Mark an open action item done (an innovation lead or the item's owner).
    async fn complete_action_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action item's id.")] id: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ActionItemPayload> {
        let request = pb::CompleteActionItemRequest { item_id: id.0 };
        Ok(
            command!(ctx, ideas, idempotency_key => complete_action_item(request) as ActionItemPayload),
        )
    }

    /// Drop an open action item, with a reason (an innovation lead or the item's owner).
    async fn drop_action_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action item's id.")] id: ID,
        #[graphql(desc = "Why it is dropped.")] reason: String,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ActionItemPayload> {
        let request = pb::DropActionItemRequest {
            item_id: id.0,
            reason,
        };
        Ok(command!(ctx, ideas, idempotency_key => drop_action_item(request) as ActionItemPayload))
    }

    /// Report an automation-candidate process from an idea of your municipality
    /// (innovation_lead), linked both ways: the process's origin is the idea, the idea's
    /// outcome the process. `input` is what `submitProcess` takes. The consistency token
    /// covers both.
    async fn spawn_process_from_idea(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The idea's id.")] id: ID,
        #[graphql(desc = "The process to create.")] input: SubmitProcessInput,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<SpawnProcessPayload> {
        let request = pb::SpawnProcessFromIdeaRequest {
            idea_id: id.0,
            details: Some(input.into()),
        };
        let reply = call(
            ctx,
            &services(ctx).ideas,
            idempotency_key.as_deref(),
            request,
            |mut client, request| async move { client.spawn_process_from_idea(request).await },
        )
        .await?;
        Spawned::of(reply, innohub_processes::SERVICE).map(SpawnProcessPayload)
    }
}
