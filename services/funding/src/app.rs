//! Command handling of the funding service: load → decide → append through
//! [`innohub_runtime::command::execute`] (one stream) or
//! [`innohub_runtime::command::execute_pair`] (a decision: the application and its
//! period's money in one transaction, each stream at the version it was decided on, so
//! that the store's optimistic concurrency keeps a period's grants within its budget), with
//! the read rule applied first so that a record the caller may not see answers
//! `NOT_FOUND`, exactly as if it did not exist ([`innohub_runtime::readable`], partners
//! included):
//!
//! - a fund by the read rule of its terms ([`FundRecord::access`]); its periods (budgets,
//!   ledgers) by their fund's;
//! - an application by its own ([`ApplicationRecord::access`]): a draft is its applicants'
//!   side's and the fund managers' only; and its reviewers' user ids are not shown to its
//!   applicants' side ([`ApplicationRecord::shows_reviewers_to`]).
//!
//! With a directory ([`FundingApp::with_directory`]) the caller's network partners are asked
//! of it ([`innohub_runtime::partners`]) only when a record in question is NETWORK-visible
//! and the caller is not a member of its municipality.
//!
//! What a command needs besides its aggregate (the fund an application applies to, its
//! round's period, "today" from [`innohub_runtime::clock::today`] or the clock of
//! [`FundingApp::with_today`]) is read here and handed to the domain, which decides.

use chrono::NaiveDate;
use innohub_proto::innohub::common::v1::{self as common, RecordRef};
use innohub_proto::innohub::directory::v1::directory_service_client::DirectoryServiceClient;
use innohub_proto::innohub::funding::v1 as pb;
use innohub_runtime::command::{
    CommandContext, CommandError, Executed, execute, execute_pair, load,
};
use innohub_runtime::grpc::Channel;
use innohub_runtime::partners::Partners;
use innohub_runtime::readable;
use innohub_runtime::trail::PartnerTrail;
use innohub_runtime::{Aggregate, EventStore, Principal, StoreError, StoredEvent};
use prost::{Message as _, Name as _};
use prost_types::FieldMask;
use uuid::Uuid;

use crate::FundingError;
use crate::domain::application::{
    Application, ApplicationCommand, ApplicationRecord, DecideApplication,
};
use crate::domain::fund::{Fund, FundCommand, FundRecord};
use crate::domain::period::{FundPeriod, PeriodCommand, PeriodRecord};
use crate::domain::values::DecisionRound;

/// The longest aggregate id there is (`fund-period:`, a UUID and a year); longer ones name
/// none.
const MAX_AGGREGATE_ID: usize = 64;

/// The result type of every command.
pub type Outcome<A> = Result<Executed<A>, CommandError<FundingError>>;

/// Why a read was refused.
type Failure = CommandError<FundingError>;

/// The funding service's command side.
#[derive(Clone)]
pub struct FundingApp {
    store: EventStore,
    partners: Partners,
    today: fn() -> NaiveDate,
}

impl std::fmt::Debug for FundingApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FundingApp")
            .field("store", &self.store)
            .field("partners", &self.partners)
            .finish()
    }
}

impl FundingApp {
    /// Serve commands against `store`, with today from [`innohub_runtime::clock::today`].
    /// Without a directory ([`Self::with_directory`]) no caller has network partners:
    /// NETWORK funds and applications are their municipality's only.
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

    // -----------------------------------------------------------------------------------
    // Funds and their periods
    // -----------------------------------------------------------------------------------

    /// Create a fund in the caller's municipality; its id is returned in the result.
    pub async fn create_fund(
        &self,
        ctx: CommandContext<'_>,
        terms: pb::FundTerms,
    ) -> Outcome<Fund> {
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        execute(&self.store, &id.to_string(), ctx, |state: &Fund| {
            state.decide(FundCommand::Create {
                id,
                by: by.clone(),
                terms: terms.clone(),
            })
        })
        .await
    }

    /// Schedule a decision round on fund `fund`; the round's id is read with the fund.
    /// `token` is the caller's bearer token, relayed when their network partners are asked
    /// of the directory (only for a NETWORK record of another municipality).
    pub async fn schedule_decision_round(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        fund: Uuid,
        round: pb::DecisionRound,
    ) -> Outcome<Fund> {
        let round_id = Uuid::now_v7();
        readable::execute(&self.store, &self.partners, ctx, token, fund, |by| {
            FundCommand::ScheduleRound {
                by,
                round_id,
                round: round.clone(),
            }
        })
        .await
    }

    /// Set the budget of fund `fund` for `year`; the result names the period's stream.
    /// `token` as for [`Self::schedule_decision_round`].
    pub async fn set_fund_budget(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        fund: Uuid,
        year: i32,
        budget: Option<common::Money>,
    ) -> Outcome<FundPeriod> {
        let (fund, _) = self.readable_fund(ctx.principal, token, fund).await?;
        let by = ctx.principal.clone();
        let period = FundPeriod::stream_id(fund.id(), year);
        execute(&self.store, &period, ctx, |state: &FundPeriod| {
            state.decide(PeriodCommand::SetBudget {
                by: by.clone(),
                fund: Box::new(fund.clone()),
                year,
                budget: budget.clone(),
            })
        })
        .await
    }

    // -----------------------------------------------------------------------------------
    // Applications
    // -----------------------------------------------------------------------------------

    /// Draft an application to round `round_id` of fund `fund`, for `origin` if given; its
    /// id is returned in the result. `token` as for [`Self::schedule_decision_round`].
    pub async fn draft_application(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        fund: Uuid,
        round_id: String,
        details: pb::ApplicationDetails,
        origin: Option<RecordRef>,
    ) -> Outcome<Application> {
        let (fund, _) = self.readable_fund(ctx.principal, token, fund).await?;
        let id = Uuid::now_v7();
        let by = ctx.principal.clone();
        execute(&self.store, &id.to_string(), ctx, |state: &Application| {
            state.decide(ApplicationCommand::Draft {
                id,
                by: by.clone(),
                fund: fund.clone(),
                round_id: round_id.clone(),
                details: details.clone(),
                origin: origin.clone(),
            })
        })
        .await
    }

    /// Change the details of application `id` that `mask` names. `token` as for
    /// [`Self::schedule_decision_round`].
    pub async fn update_application(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        details: pb::ApplicationDetails,
        mask: FieldMask,
    ) -> Outcome<Application> {
        self.on_application(ctx, token, id, |by, fund| ApplicationCommand::Update {
            by,
            fund: fund.clone(),
            details: details.clone(),
            mask: mask.clone(),
        })
        .await
    }

    /// Submit application `id` today. `token` as for [`Self::schedule_decision_round`].
    pub async fn submit_application(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
    ) -> Outcome<Application> {
        let today = (self.today)();
        self.on_application(ctx, token, id, |by, fund| ApplicationCommand::Submit {
            by,
            fund: fund.clone(),
            today,
        })
        .await
    }

    /// Run a command, made for the caller and given the fund applied to, on application
    /// `id`, which they must be able to read. `token` as for
    /// [`Self::schedule_decision_round`].
    pub async fn on_application(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        command: impl Fn(Principal, &FundRecord) -> ApplicationCommand,
    ) -> Outcome<Application> {
        let fund = self.fund_of(id).await?;
        readable::execute(&self.store, &self.partners, ctx, token, id, |by| {
            command(by, &fund)
        })
        .await
    }

    /// Record the council's decision on application `id`, made for the caller and given the
    /// fund applied to by `decision`: the application and its round's period are decided
    /// together and appended in one transaction (the result names the application). A lost
    /// race on either decides both again. `token` as for [`Self::schedule_decision_round`].
    pub async fn decide_application(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        decision: impl Fn(Principal, FundRecord) -> DecideApplication,
    ) -> Outcome<(Application, FundPeriod)> {
        let (application, _) = self.readable_application(ctx.principal, token, id).await?;
        let fund = self.fund(application.fund_id()).await?;
        let year = fund
            .round(application.round_id())
            .map(DecisionRound::year)
            .ok_or(CommandError::Domain(FundingError::NotFound))?;
        let period = FundPeriod::stream_id(fund.id(), year);
        let by = ctx.principal.clone();
        execute_pair(
            &self.store,
            (&id.to_string(), &period),
            ctx,
            |application: &Application, period: &FundPeriod| {
                application.decide_with_period(period, decision(by.clone(), fund.clone()))
            },
        )
        .await
    }

    /// Pay out `amount` of application `id`'s grant, on `date` (`""`: today), against the
    /// period that holds it (the result names the period's stream). `token` as for
    /// [`Self::schedule_decision_round`].
    pub async fn disburse(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        amount: Option<common::Money>,
        date: String,
        note: String,
    ) -> Outcome<FundPeriod> {
        let disbursement_id = Uuid::now_v7();
        let today = (self.today)();
        self.on_grant(ctx, token, id, "disbursing a grant", |by| {
            PeriodCommand::Disburse {
                by,
                application_id: id,
                disbursement_id,
                amount: amount.clone(),
                date: date.clone(),
                today,
                note: note.clone(),
            }
        })
        .await
    }

    /// Give `amount` of application `id`'s grant back to its period's remaining budget (the
    /// result names the period's stream). `token` as for [`Self::schedule_decision_round`].
    pub async fn return_unspent(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        amount: Option<common::Money>,
        note: String,
    ) -> Outcome<FundPeriod> {
        self.on_grant(ctx, token, id, "returning unspent money", |by| {
            PeriodCommand::ReturnUnspent {
                by,
                application_id: id,
                amount: amount.clone(),
                note: note.clone(),
            }
        })
        .await
    }

    /// Run a command, made for the caller, on the period that holds the grant of
    /// application `id`, which they must be able to read and move the money of (`what`).
    async fn on_grant(
        &self,
        ctx: CommandContext<'_>,
        token: Option<&str>,
        id: Uuid,
        what: &str,
        command: impl Fn(Principal) -> PeriodCommand,
    ) -> Outcome<FundPeriod> {
        let (application, _) = self.readable_application(ctx.principal, token, id).await?;
        let year = application
            .grant_year(ctx.principal, what)
            .map_err(CommandError::Domain)?;
        let period = FundPeriod::stream_id(application.fund_id(), year);
        let by = ctx.principal.clone();
        execute(&self.store, &period, ctx, |state: &FundPeriod| {
            state.decide(command(by.clone()))
        })
        .await
    }

    // -----------------------------------------------------------------------------------
    // Reads
    // -----------------------------------------------------------------------------------

    /// Fund `id` as it stands and its version, if `principal` may read it by the read rule
    /// (their network partners asked with their `token` when the fund needs them); else
    /// `NOT_FOUND`.
    pub async fn readable_fund(
        &self,
        principal: &Principal,
        token: Option<&str>,
        id: Uuid,
    ) -> Result<(FundRecord, i64), Failure> {
        let (fund, version) =
            readable::load::<Fund>(&self.store, &self.partners, principal, token, id).await?;
        let record = fund.0.ok_or(CommandError::Domain(FundingError::NotFound))?;
        Ok((record, version))
    }

    /// Fund `fund`'s period `year` (its budget, ledger and grants) and its version, if
    /// `principal` may read the fund and the year has a budget; else `NOT_FOUND`. `token` as
    /// for [`Self::readable_fund`].
    pub async fn readable_period(
        &self,
        principal: &Principal,
        token: Option<&str>,
        fund: Uuid,
        year: i32,
    ) -> Result<(PeriodRecord, i64), Failure> {
        self.readable_fund(principal, token, fund).await?;
        let (period, version) =
            load::<FundPeriod>(&self.store, &FundPeriod::stream_id(fund, year)).await?;
        let record = period
            .0
            .ok_or(CommandError::Domain(FundingError::NotFound))?;
        Ok((record, version))
    }

    /// Application `id` as it stands and its version, if `principal` may read it by the
    /// read rule; else `NOT_FOUND`. `token` as for [`Self::readable_fund`].
    pub async fn readable_application(
        &self,
        principal: &Principal,
        token: Option<&str>,
        id: Uuid,
    ) -> Result<(ApplicationRecord, i64), Failure> {
        let (application, version) =
            readable::load::<Application>(&self.store, &self.partners, principal, token, id)
                .await?;
        let record = application
            .0
            .ok_or(CommandError::Domain(FundingError::NotFound))?;
        Ok((record, version))
    }

    /// The events of a fund, a period or an application the caller may read, oldest first,
    /// by its read rule (a partner's from when it was shared with them, see
    /// [`readable::history`]; a period's by its fund's), the reviewers' user ids cleared
    /// for the application's applicants' side. Anything else is `NOT_FOUND`, exactly like a
    /// record that does not exist. `token` as for [`Self::readable_fund`].
    pub async fn history(
        &self,
        principal: &Principal,
        token: Option<&str>,
        aggregate_id: &str,
    ) -> Result<Vec<StoredEvent>, Failure> {
        if aggregate_id.len() > MAX_AGGREGATE_ID {
            return Err(CommandError::Domain(FundingError::NotFound));
        }
        let events = self.store.read_stream(aggregate_id).await?;
        let Some(first) = events.first() else {
            return Err(CommandError::Domain(FundingError::NotFound));
        };
        let package = pb::FundCreated::PACKAGE;
        match first.aggregate_type.as_str() {
            Fund::TYPE => {
                let mut asker = self.partners.asker(principal, token, None);
                readable::history::<Fund>(&mut asker, events, package, carries).await
            }
            FundPeriod::TYPE => {
                let period: FundPeriod = folded(&events)?;
                let fund = period
                    .0
                    .ok_or(CommandError::Domain(FundingError::NotFound))?
                    .fund_id();
                self.readable_fund(principal, token, fund).await?;
                Ok(events)
            }
            Application::TYPE => {
                let application: Application = folded(&events)?;
                let mut asker = self.partners.asker(principal, token, None);
                let shown =
                    readable::history::<Application>(&mut asker, events, package, shows).await?;
                if application
                    .0
                    .is_some_and(|r| r.shows_reviewers_to(principal))
                {
                    return Ok(shown);
                }
                Ok(shown
                    .into_iter()
                    .map(without_reviewer)
                    .collect::<Result<_, _>>()?)
            }
            _ => Err(CommandError::Domain(FundingError::NotFound)),
        }
    }

    /// The fund applied to by application `id`: `NOT_FOUND` if there is no such
    /// application.
    async fn fund_of(&self, id: Uuid) -> Result<FundRecord, Failure> {
        let (application, _) = load::<Application>(&self.store, &id.to_string()).await?;
        let record = application
            .0
            .ok_or(CommandError::Domain(FundingError::NotFound))?;
        self.fund(record.fund_id()).await
    }

    /// Fund `id` as it stands, read for a command on one of its applications.
    async fn fund(&self, id: Uuid) -> Result<FundRecord, Failure> {
        let (fund, _) = load::<Fund>(&self.store, &id.to_string()).await?;
        fund.0.ok_or(CommandError::Domain(FundingError::NotFound))
    }
}

/// Aggregate `A` folded from its stored `events`.
fn folded<A: Aggregate>(events: &[StoredEvent]) -> Result<A, StoreError> {
    let decoded = events
        .iter()
        .map(StoredEvent::decode::<A::Event>)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(A::from_events(&decoded))
}

/// Whether `event` of a fund shared with a partner shows them anything new
/// ([`PartnerTrail`]): a fund's terms never change, so any event that carries something
/// for them once redacted.
fn carries(trail: &mut PartnerTrail<'_>, event: &StoredEvent) -> Result<bool, StoreError> {
    trail.carries(event)
}

/// Whether `event` of an application shared with a partner shows them anything new
/// ([`PartnerTrail`]): the details (`ApplicationDrafted`, `ApplicationDetailsChanged`) are a
/// part replaced as a whole.
fn shows(trail: &mut PartnerTrail<'_>, event: &StoredEvent) -> Result<bool, StoreError> {
    let details = pb::ApplicationDetailsChanged::NAME;
    match event.event_type.as_str() {
        pb::ApplicationDrafted::NAME => {
            let d = event.message::<pb::ApplicationDrafted>()?.details;
            trail.replaces(event, details, &d.unwrap_or_default())
        }
        pb::ApplicationDetailsChanged::NAME => {
            let d = event.message::<pb::ApplicationDetailsChanged>()?.details;
            trail.replaces(event, details, &d.unwrap_or_default())
        }
        pb::ApplicationSubmitted::NAME => {
            let d = event.message::<pb::ApplicationSubmitted>()?.details;
            trail.replaces(event, details, &d.unwrap_or_default())
        }
        _ => trail.carries(event),
    }
}

/// `event` of an application without its reviewer's user id, for the applicants' side:
/// cleared from an assignment and from a review, whose actor the reviewer is.
fn without_reviewer(mut event: StoredEvent) -> Result<StoredEvent, StoreError> {
    match event.event_type.as_str() {
        pb::ApplicationReviewerAssigned::NAME => {
            let mut m = event.message::<pb::ApplicationReviewerAssigned>()?;
            m.reviewer.clear();
            event.payload = m.encode_to_vec();
        }
        pb::ApplicationReviewed::NAME => {
            let mut m = event.message::<pb::ApplicationReviewed>()?;
            m.reviewer.clear();
            event.payload = m.encode_to_vec();
            event.actor_user.clear();
        }
        _ => {}
    }
    Ok(event)
}
