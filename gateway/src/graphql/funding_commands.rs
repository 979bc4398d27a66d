//! The command side of the funding context in GraphQL (`innohub.funding.v1`): a fund manager
//! creates a fund (`createFund`), sets its budget for a year (`setFundBudget`) and schedules
//! its decision rounds (`scheduleDecisionRound`); applicants draft, edit, submit and withdraw
//! their applications (`draftApplication`, `updateApplication`, `submitApplication`,
//! `withdrawApplication`); reviewers are assigned and review (`assignReviewer`,
//! `reviewApplication`); the council's decision is recorded (`decideApplication`, a grant
//! committed against the round's year in the same transaction); and the money follows
//! (`disburse`, `returnUnspent`, with `recordProgressReport`).
//!
//! Each mutation builds the contract's request from its input (the mirrors of
//! [`super::funding_types`]) and sends it to the funding service with `command!`; each
//! accepts an optional `idempotencyKey` (a retry with the same key returns the first result
//! and records nothing new). Its payload names the record the command appended to (a fund,
//! an application, or a fund's year: `fund-period:<fund>:<year>`), the consistency token,
//! and the record itself as the read models show it once they include the command. No
//! domain rule is checked here: the service validates what it is sent.

use async_graphql::{Context, ID, Object};
use chrono::NaiveDate;
use innohub_proto::innohub::funding::v1 as pb;

use super::funding::{Application, Fund, FundLedger};
use super::funding_types::{
    ApplicationDetails, DecisionOutcome, DecisionRound, FundTerms, Money, ProgressReport,
    RecordRef, Review,
};
use super::types::update_mask;

/// The store the funding service's consistency tokens name.
const STORE: &str = innohub_funding::SERVICE;

/// The funding context's mutations (part of the mutation root, [`super::Mutation`]).
#[derive(Default)]
pub struct FundingMutation;

payload! {
    /// The result of a command on a fund.
    FundPayload,
    store = STORE,
    /// The fund as it is after the command.
    fund: Fund = super::funding::fund_after
}

payload! {
    /// The result of a command on a fund's year (its id is `fund-period:<fund>:<year>`, for
    /// `history`): its budget or the money of a grant.
    FundPeriodPayload,
    store = STORE,
    /// The year's ledger as it is after the command.
    ledger: FundLedger = super::funding::ledger_after
}

payload! {
    /// The result of a command on an application.
    ApplicationPayload,
    store = STORE,
    /// The application as it is after the command.
    application: Application = super::funding::application_after
}

#[Object]
impl FundingMutation {
    /// Create a fund of your municipality (fund_manager): its name, currency, the smallest
    /// and largest grant, how many departments an application names at least, the criteria
    /// reviewers score with their weights, and who sees it.
    async fn create_fund(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the fund grants and on which terms.")] terms: FundTerms,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<FundPayload> {
        let request = pb::CreateFundRequest {
            terms: Some(terms.into()),
        };
        Ok(command!(ctx, funding, idempotency_key => create_fund(request) as FundPayload))
    }

    /// Set a fund's budget for a year, the first time or again (fund_manager); refused below
    /// what the year has committed and not returned. The payload's id is the year's:
    /// `fund-period:<fund>:<year>`.
    async fn set_fund_budget(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fund's id.")] fund: ID,
        #[graphql(desc = "The budget year, e.g. 2026.")] year: i32,
        #[graphql(desc = "The year's budget, in the fund's currency.")] budget: Money,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<FundPeriodPayload> {
        let request = pb::SetFundBudgetRequest {
            fund_id: fund.0,
            year,
            budget: Some(budget.into()),
        };
        Ok(command!(ctx, funding, idempotency_key => set_fund_budget(request) as FundPeriodPayload))
    }

    /// Schedule a decision round of a fund (fund_manager): the innovation council's date and
    /// the application deadline; its grants are committed against the council's year. The
    /// new round's id is read with the fund.
    async fn schedule_decision_round(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fund's id.")] fund: ID,
        #[graphql(desc = "The round: its deadline and council date.")] round: DecisionRound,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<FundPayload> {
        let request = pb::ScheduleDecisionRoundRequest {
            fund_id: fund.0,
            round: Some(round.into()),
        };
        Ok(
            command!(ctx, funding, idempotency_key => schedule_decision_round(request) as FundPayload),
        )
    }

    /// Draft an application to a round of a fund of your municipality (any employee, or an
    /// innovation lead with the applicants); it is DRAFT, seen by its applicants, its drafter
    /// and the fund's managers. A title and one applicant are required; the rest may follow
    /// before `submitApplication`. `origin` is the idea, pilot or process of your
    /// municipality it is for, if any.
    async fn draft_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fund's id.")] fund: ID,
        #[graphql(desc = "The id of the decision round applied to.")] round: ID,
        #[graphql(desc = "What the application asks for; a title and one applicant are required.")]
        details: ApplicationDetails,
        #[graphql(desc = "The idea, pilot or process of your municipality it is for, if any.")]
        origin: Option<RecordRef>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplicationPayload> {
        let request = pb::DraftApplicationRequest {
            fund_id: fund.0,
            round_id: round.0,
            details: Some(details.into()),
            origin: origin.map(Into::into),
        };
        Ok(
            command!(ctx, funding, idempotency_key => draft_application(request) as ApplicationPayload),
        )
    }

    /// Change some of a draft's details (its applicants, its drafter or an innovation lead).
    /// `fields` names what changes, by the names of `details`' fields (`summary`,
    /// `amountRequested`, `canvas`, `canvas.costPlan`, …): a named field that is null in
    /// `details` is cleared. Without `fields`, the fields `details` gives (not null) change
    /// and the others keep their value; an empty text or list clears the field.
    async fn update_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a DRAFT application.")] id: ID,
        #[graphql(desc = "The new values of the fields that change.")] details: ApplicationDetails,
        #[graphql(
            desc = "The fields that change, by their GraphQL names (nested with a dot); a named field that is null is cleared. Without it, the fields given (not null) change."
        )]
        fields: Option<Vec<String>>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplicationPayload> {
        let request = pb::UpdateApplicationRequest {
            application_id: id.0,
            update_mask: Some(update_mask(fields, &details)),
            details: Some(details.into()),
        };
        Ok(
            command!(ctx, funding, idempotency_key => update_application(request) as ApplicationPayload),
        )
    }

    /// Submit a draft to its round (its applicants, its drafter or an innovation lead): it is
    /// SUBMITTED. Refused, naming every failed rule at once, when it names fewer departments
    /// than the fund's minimum, asks for less than the smallest or more than the largest
    /// grant, is past the round's deadline, its cost plan does not sum to the amount
    /// requested, or it has no summary.
    async fn submit_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a DRAFT application.")] id: ID,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplicationPayload> {
        let request = pb::SubmitApplicationRequest {
            application_id: id.0,
        };
        Ok(
            command!(ctx, funding, idempotency_key => submit_application(request) as ApplicationPayload),
        )
    }

    /// Withdraw an application not decided yet (its applicants, its drafter or an
    /// innovation lead): it is WITHDRAWN.
    async fn withdraw_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(desc = "Why, if you wish to say.")] reason: Option<String>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplicationPayload> {
        let request = pb::WithdrawApplicationRequest {
            application_id: id.0,
            reason: reason.unwrap_or_default(),
        };
        Ok(
            command!(ctx, funding, idempotency_key => withdraw_application(request) as ApplicationPayload),
        )
    }

    /// Assign a reviewer (a user id of your municipality, neither an applicant nor the
    /// drafter) to a submitted application (fund_manager); the first assignment puts it
    /// IN_REVIEW. Assigning someone again changes nothing.
    async fn assign_reviewer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a submitted application.")] id: ID,
        #[graphql(desc = "A user id of your municipality, neither an applicant nor the drafter.")]
        reviewer: String,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplicationPayload> {
        let request = pb::AssignReviewerRequest {
            application_id: id.0,
            reviewer,
        };
        Ok(
            command!(ctx, funding, idempotency_key => assign_reviewer(request) as ApplicationPayload),
        )
    }

    /// Review an application you are assigned to (fund_reviewer): a score 1–5 for every
    /// criterion of the fund, and a comment. A new review replaces your earlier one.
    async fn review_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of an application IN_REVIEW that you are assigned to.")] id: ID,
        #[graphql(desc = "Your scores per criterion and your recommendation.")] review: Review,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplicationPayload> {
        let request = pb::ReviewApplicationRequest {
            application_id: id.0,
            review: Some(review.into()),
        };
        Ok(
            command!(ctx, funding, idempotency_key => review_application(request) as ApplicationPayload),
        )
    }

    /// Record the council's decision on an application IN_REVIEW (fund_manager), in its
    /// round: APPROVED (the amount requested), PARTIALLY_APPROVED (`amount`, above zero and
    /// below the amount requested) or REJECTED, with the conditions and why. A grant is
    /// committed against the round's year in the same transaction: refused (BAD_USER_INPUT
    /// "exceeds the remaining budget") when it does not fit, CONFLICT when too many
    /// decisions raced for the year's budget (retry).
    #[allow(clippy::too_many_arguments)] // one per GraphQL argument of decideApplication
    async fn decide_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of an application IN_REVIEW.")] id: ID,
        #[graphql(desc = "The round that decides it.")] round: ID,
        #[graphql(desc = "APPROVED, PARTIALLY_APPROVED or REJECTED.")] outcome: DecisionOutcome,
        #[graphql(
            desc = "For PARTIALLY_APPROVED: the amount granted, above zero and below the amount requested."
        )]
        amount: Option<Money>,
        #[graphql(desc = "Conditions of the grant, if any.")] conditions: Option<String>,
        #[graphql(desc = "Why the council decided so.")] rationale: String,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplicationPayload> {
        let request = pb::DecideApplicationRequest {
            application_id: id.0,
            round_id: round.0,
            outcome: pb::DecisionOutcome::from(outcome) as i32,
            amount: amount.map(Into::into),
            conditions: conditions.unwrap_or_default(),
            rationale,
        };
        Ok(
            command!(ctx, funding, idempotency_key => decide_application(request) as ApplicationPayload),
        )
    }

    /// Pay out part of a grant (fund_manager): above zero and at most what was approved less
    /// what was paid and returned. `date` is the day it was paid (today if null). The
    /// payload's id is the grant's year: `fund-period:<fund>:<year>`.
    async fn disburse(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a granted application.")] id: ID,
        #[graphql(desc = "The amount paid, in the fund's currency.")] amount: Money,
        #[graphql(desc = "The day it was paid; today when not given.")] date: Option<NaiveDate>,
        #[graphql(desc = "What it pays for.")] note: Option<String>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<FundPeriodPayload> {
        let request = pb::DisburseRequest {
            application_id: id.0,
            amount: Some(amount.into()),
            date: date.map(|d| d.to_string()).unwrap_or_default(),
            note: note.unwrap_or_default(),
        };
        Ok(command!(ctx, funding, idempotency_key => disburse(request) as FundPeriodPayload))
    }

    /// Record a progress report of a granted project (its applicants, its drafter or a fund
    /// manager); you are recorded as the one who reported.
    async fn record_progress_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a granted application.")] id: ID,
        #[graphql(desc = "The report.")] report: ProgressReport,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<ApplicationPayload> {
        let request = pb::RecordProgressReportRequest {
            application_id: id.0,
            report: Some(report.into()),
        };
        Ok(
            command!(ctx, funding, idempotency_key => record_progress_report(request) as ApplicationPayload),
        )
    }

    /// Give unspent money of a grant back to its year's remaining budget (fund_manager):
    /// above zero and at most what was approved less what was paid and returned. The
    /// payload's id is the grant's year: `fund-period:<fund>:<year>`.
    async fn return_unspent(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The id of a granted application.")] id: ID,
        #[graphql(desc = "The amount given back, in the fund's currency.")] amount: Money,
        #[graphql(desc = "Why.")] note: Option<String>,
        #[graphql(
            desc = "Your key for this command, 1 to 200 printable ASCII characters: a retry with the same key returns the first result and records nothing new."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<FundPeriodPayload> {
        let request = pb::ReturnUnspentRequest {
            application_id: id.0,
            amount: Some(amount.into()),
            note: note.unwrap_or_default(),
        };
        Ok(command!(ctx, funding, idempotency_key => return_unspent(request) as FundPeriodPayload))
    }
}
