//! The read side of the funding context in GraphQL (`innohub.funding.v1`): the output objects
//! over the funding read models (`Fund` with its rounds and the ledger of each year,
//! `FundLedger`, `Application` with its reviews, decision, grant money and progress reports,
//! `ApplicationPipeline`) and the queries ([`FundingQuery`]). Where a field is a contract
//! message it is its mirror of [`super::funding_types`]; money is `Money` (integer minor
//! units, never a float).
//!
//! Reads go to [`FundingQueries`] on the read-model database, by the funding service's read
//! rule: a fund and its ledgers by the fund's visibility (PRIVATE: its fund managers and
//! reviewers); an application by its applicants, drafter and the fund roles, a DRAFT by them
//! alone, otherwise also by its visibility (a partner reads a shared one redacted, without
//! people, comments or origin). A record not shared with the caller is NOT_FOUND, exactly
//! like a random id. Reviewers are hidden from the application's applicants and drafter.
//! The payloads of the mutations read their record here after the command
//! ([`fund_after`], [`ledger_after`], [`application_after`]).

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use innohub_funding::domain::period::FundPeriod;
use innohub_projections::FundingQueries;
use innohub_projections::funding_queries::{
    ApplicationView, Dated, FundView, LedgerView, Pipeline, PipelineStage as Stage, RoundView,
};
use innohub_proto::innohub::funding::v1 as pb;
use innohub_runtime::{RecordLink, Viewer};

use super::funding_types::{
    ApplicationDetails, ApplicationFilter, ApplicationStatus, DecisionOutcome, DecisionRound,
    FundTerms, Money, ProgressReport, Review,
};
use super::ideas::{Idea, Owned, found};
use super::pilots::Pilot;
use super::types::{Process, municipality};
use super::{ConsistencyToken, Services, from_service, reader, reader_after, record_id};

/// The funding read models on the services' read-model database.
fn queries(services: &Services) -> FundingQueries {
    FundingQueries::new(services.views.clone())
}

/// Optional text: the contract's `""` is null.
fn text(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

/// An amount as GraphQL shows it; an unset one is nothing in no currency.
fn money(m: Option<&innohub_proto::innohub::common::v1::Money>) -> Money {
    m.cloned().unwrap_or_default().into()
}

/// An innovation fund that employees pitch to: its terms, decision rounds and the ledger of
/// each year it has a budget for. For partners people are null.
pub struct Fund(FundView);

/// An innovation fund that employees pitch to: its terms, decision rounds and the ledger of
/// each year it has a budget for. For partners people are null.
#[Object]
impl Fund {
    #[graphql(flatten)]
    async fn owned(&self) -> Owned<'_> {
        Owned::new(self.0.id, &self.0.municipality, self.0.access)
    }
    /// What the fund grants and on which terms.
    async fn terms(&self) -> FundTerms {
        self.0.terms.clone().into()
    }
    /// The fund manager who created it; null for partners.
    async fn created_by(&self) -> Option<&str> {
        self.0.created_by.as_deref()
    }
    /// When the fund was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Its decision rounds, in the order scheduled.
    async fn rounds(&self) -> Vec<FundRound> {
        self.0.rounds.iter().map(FundRound::from).collect()
    }
    /// The ledger of each year it has a budget for, oldest first.
    async fn periods(&self) -> Vec<FundLedger> {
        self.0.periods.iter().cloned().map(FundLedger).collect()
    }
}

/// A decision round of a fund.
#[derive(SimpleObject)]
pub struct FundRound {
    /// The round's id; applications name it to apply to the round.
    id: ID,
    #[graphql(flatten)]
    round: DecisionRound,
    /// The year its grants are committed against: its council date's.
    year: Option<i32>,
    /// When the round was scheduled.
    scheduled_at: DateTime<Utc>,
}

impl From<&RoundView> for FundRound {
    fn from(r: &RoundView) -> Self {
        Self {
            id: ID(r.id.to_string()),
            round: r.round.clone().into(),
            year: r.year(),
            scheduled_at: r.scheduled_at,
        }
    }
}

/// The ledger of a fund's year: its budget and the money that moved, each the sum of the
/// year's events; remaining = budget − committed + returned.
pub struct FundLedger(LedgerView);

/// The ledger of a fund's year: its budget and the money that moved, each the sum of the
/// year's events; remaining = budget − committed + returned.
#[Object]
impl FundLedger {
    /// The year's record id, for `history`: `fund-period:<fund>:<year>`.
    async fn id(&self) -> ID {
        ID(FundPeriod::stream_id(self.0.fund, self.0.year))
    }
    /// The fund.
    async fn fund(&self) -> ID {
        ID(self.0.fund.to_string())
    }
    /// The budget year, e.g. 2026.
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// The fund's currency.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// The budget as last set; zero before one is set.
    async fn budget(&self) -> Money {
        self.0.money(self.0.budget).into()
    }
    /// The grants committed.
    async fn committed(&self) -> Money {
        self.0.money(self.0.committed).into()
    }
    /// Paid out of the grants.
    async fn disbursed(&self) -> Money {
        self.0.money(self.0.disbursed).into()
    }
    /// Unspent money given back.
    async fn returned(&self) -> Money {
        self.0.money(self.0.returned).into()
    }
    /// What is left to grant: budget − committed + returned.
    async fn remaining(&self) -> Money {
        self.0.money(self.0.remaining()).into()
    }
}

/// An application to a fund's decision round. For partners people, comments and the origin
/// are null; reviewers are null for its applicants and drafter.
pub struct Application(pub(super) ApplicationView);

/// An application to a fund's decision round. For partners people, comments and the origin
/// are null; reviewers are null for its applicants and drafter.
#[Object]
impl Application {
    #[graphql(flatten)]
    async fn owned(&self) -> Owned<'_> {
        Owned::new(self.0.id, &self.0.municipality, self.0.access)
    }
    /// The fund applied to.
    async fn fund_id(&self) -> ID {
        ID(self.0.fund.to_string())
    }
    /// The fund applied to, when you may see it.
    async fn fund(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Fund>> {
        Ok(self.read_fund(ctx).await?.map(Fund))
    }
    /// The decision round applied to.
    async fn round_id(&self) -> ID {
        ID(self.0.round.to_string())
    }
    /// The decision round applied to, when you may see its fund.
    async fn round(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FundRound>> {
        let fund = self.read_fund(ctx).await?;
        Ok(fund
            .as_ref()
            .and_then(|f| f.round(self.0.round))
            .map(Into::into))
    }
    /// Where it is: DRAFT, SUBMITTED, IN_REVIEW, then APPROVED, PARTIALLY_APPROVED, REJECTED,
    /// or WITHDRAWN.
    async fn status(&self) -> async_graphql::Result<ApplicationStatus> {
        ApplicationStatus::try_from(self.0.status as i32)
    }
    /// What it asks for; the applicants null for partners.
    async fn details(&self) -> ApplicationDetails {
        self.0.details.clone().into()
    }
    /// Who drafted it; null for partners.
    async fn drafted_by(&self) -> Option<&str> {
        self.0.drafted_by.as_deref()
    }
    /// When it was first drafted.
    async fn drafted_at(&self) -> DateTime<Utc> {
        self.0.drafted_at
    }
    /// The idea, pilot or process it is for; null for one of its own, and for partners.
    async fn origin(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ApplicationOrigin>> {
        match &self.0.origin {
            Some(link) => ApplicationOrigin::of(ctx, link.clone()).await.map(Some),
            None => Ok(None),
        }
    }
    /// Who submitted it; null while DRAFT, and for partners.
    async fn submitted_by(&self) -> Option<&str> {
        self.0
            .submission
            .as_ref()
            .and_then(|s| text(&s.item.submitted_by))
    }
    /// When it was submitted; null while DRAFT.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submission.as_ref().map(|s| s.at)
    }
    /// The reviewers assigned, in the order assigned.
    async fn assignments(&self) -> Vec<ReviewerAssignment> {
        self.0
            .assignments
            .iter()
            .map(|a| ReviewerAssignment {
                reviewer: text(&a.item.reviewer).map(Into::into),
                assigned_by: text(&a.item.assigned_by).map(Into::into),
                assigned_at: a.at,
            })
            .collect()
    }
    /// Each reviewer's latest review, in the order they first reviewed.
    async fn reviews(&self) -> Vec<ApplicationReview> {
        self.0
            .reviews
            .iter()
            .map(|r| ApplicationReview {
                reviewer: r.reviewer.clone(),
                review: r.review.clone().into(),
                score: r.score,
                reviewed_at: r.reviewed_at,
            })
            .collect()
    }
    /// The mean of its reviews' weighted scores (1–5); null before a review.
    async fn score(&self) -> Option<f64> {
        self.0.score
    }
    /// The council's decision; null until decided.
    async fn decision(&self) -> async_graphql::Result<Option<Decision>> {
        self.0.decision.as_ref().map(Decision::of).transpose()
    }
    /// Its withdrawal; null unless WITHDRAWN.
    async fn withdrawal(&self) -> Option<Withdrawal> {
        self.0.withdrawal.as_ref().map(|w| Withdrawal {
            withdrawn_by: text(&w.item.withdrawn_by).map(Into::into),
            reason: text(&w.item.reason).map(Into::into),
            withdrawn_at: w.at,
        })
    }
    /// What was paid out of its grant, in the order recorded.
    async fn disbursements(&self) -> Vec<Disbursement> {
        let grant = self.0.grant.iter();
        grant
            .flat_map(|g| g.disbursements.iter().map(Disbursement::of))
            .collect()
    }
    /// What of its grant was given back unspent, in the order recorded.
    async fn returns(&self) -> Vec<UnspentReturn> {
        let grant = self.0.grant.iter();
        grant
            .flat_map(|g| g.returns.iter().map(UnspentReturn::of))
            .collect()
    }
    /// Paid out of its grant in all; null unless granted.
    async fn disbursed(&self) -> Option<Money> {
        self.0.grant.as_ref().map(|g| g.disbursed().into())
    }
    /// Given back in all; null unless granted.
    async fn returned(&self) -> Option<Money> {
        self.0.grant.as_ref().map(|g| g.returned().into())
    }
    /// Its progress reports, in the order recorded.
    async fn progress_reports(&self) -> Vec<ApplicationProgressReport> {
        self.0
            .progress_reports
            .iter()
            .map(|p| ApplicationProgressReport {
                id: ID(p.item.report_id.clone()),
                report: p.item.report.clone().unwrap_or_default().into(),
                recorded_at: p.at,
            })
            .collect()
    }
    /// When it last changed; null for partners.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

impl Application {
    /// Its fund, if the caller may read it.
    async fn read_fund(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FundView>> {
        let viewer = super::viewer(ctx)?;
        queries(super::services(ctx))
            .fund(&viewer, self.0.fund)
            .await
            .map_err(from_service)
    }
}

/// The record an application is for: an idea, a pilot or a process of its municipality.
pub struct ApplicationOrigin {
    link: RecordLink,
    idea: Option<Idea>,
    pilot: Option<Pilot>,
    process: Option<Process>,
}

impl ApplicationOrigin {
    /// The record `link` names, as far as the caller may read it.
    async fn of(ctx: &Context<'_>, link: RecordLink) -> async_graphql::Result<Self> {
        let viewer = super::viewer(ctx)?;
        let services = super::services(ctx);
        let views = services.views.clone();
        let (mut idea, mut pilot, mut process) = (None, None, None);
        if link.is(innohub_ideas::SERVICE, "idea") {
            idea = innohub_projections::IdeaQueries::new(views)
                .idea(&viewer, link.id())
                .await
                .map_err(from_service)?
                .map(Idea);
        } else if link.is(innohub_pilots::SERVICE, "pilot") {
            pilot = innohub_projections::PilotQueries::new(views)
                .pilot(&viewer, link.id())
                .await
                .map_err(from_service)?
                .map(Pilot);
        } else if link.is(innohub_processes::SERVICE, "process") {
            process = services
                .queries
                .get(&viewer, link.id())
                .await
                .map_err(from_service)?
                .map(Process);
        }
        Ok(Self {
            link,
            idea,
            pilot,
            process,
        })
    }
}

/// The record an application is for: an idea, a pilot or a process of its municipality.
#[Object]
impl ApplicationOrigin {
    /// The service that owns the record, e.g. ideas.
    async fn context(&self) -> &str {
        self.link.context()
    }
    /// The record's kind in that service, e.g. idea.
    async fn kind(&self) -> &str {
        self.link.kind()
    }
    /// The record's id, when you may see the record.
    async fn id(&self) -> Option<ID> {
        let readable = self.idea.is_some() || self.pilot.is_some() || self.process.is_some();
        readable.then(|| ID(self.link.id().to_string()))
    }
    /// The idea, when it is one and you may see it.
    async fn idea(&self) -> Option<&Idea> {
        self.idea.as_ref()
    }
    /// The pilot, when it is one and you may see it.
    async fn pilot(&self) -> Option<&Pilot> {
        self.pilot.as_ref()
    }
    /// The process, when it is one and you may see it.
    async fn process(&self) -> Option<&Process> {
        self.process.as_ref()
    }
}

/// A reviewer assigned to an application.
#[derive(SimpleObject)]
pub struct ReviewerAssignment {
    /// The reviewer; null for the application's applicants and drafter, and for partners.
    reviewer: Option<String>,
    /// The fund manager who assigned them; null for partners.
    assigned_by: Option<String>,
    /// When the reviewer was assigned.
    assigned_at: DateTime<Utc>,
}

/// A reviewer's latest review of an application.
#[derive(SimpleObject)]
pub struct ApplicationReview {
    /// The reviewer; null for the application's applicants and drafter (unless they are fund
    /// managers or reviewers themselves), and for partners.
    reviewer: Option<String>,
    #[graphql(flatten)]
    review: Review,
    /// Σ weight·score / Σ weight over the fund's criteria (1–5).
    score: Option<f64>,
    /// When the reviewer gave this (their latest) review.
    reviewed_at: DateTime<Utc>,
}

/// The innovation council's decision on an application.
#[derive(SimpleObject)]
pub struct Decision {
    /// The round that decided it.
    round: ID,
    /// APPROVED, PARTIALLY_APPROVED or REJECTED.
    outcome: DecisionOutcome,
    /// The amount granted: the amount requested, part of it, or zero.
    approved: Money,
    /// Conditions of the grant.
    conditions: Option<String>,
    /// Why the council decided so.
    rationale: String,
    /// The year the grant is committed against.
    year: i32,
    /// The fund manager who recorded it; null for partners.
    decided_by: Option<String>,
    /// When the decision was recorded.
    decided_at: DateTime<Utc>,
}

impl Decision {
    fn of(d: &Dated<pb::ApplicationDecided>) -> async_graphql::Result<Self> {
        let e = &d.item;
        Ok(Self {
            round: ID(e.round_id.clone()),
            outcome: DecisionOutcome::try_from(e.outcome)?,
            approved: money(e.approved.as_ref()),
            conditions: text(&e.conditions).map(Into::into),
            rationale: e.rationale.clone(),
            year: e.year,
            decided_by: text(&e.decided_by).map(Into::into),
            decided_at: d.at,
        })
    }
}

/// The withdrawal of an application.
#[derive(SimpleObject)]
pub struct Withdrawal {
    /// Who withdrew it; null for partners.
    withdrawn_by: Option<String>,
    /// Why it was withdrawn; null when no reason was given.
    reason: Option<String>,
    /// When it was withdrawn.
    withdrawn_at: DateTime<Utc>,
}

/// Money of a grant paid out.
#[derive(SimpleObject)]
pub struct Disbursement {
    /// The disbursement's id.
    id: ID,
    /// The amount paid, in the fund's currency.
    amount: Money,
    /// The day it was paid.
    date: Option<NaiveDate>,
    /// What it pays for.
    note: Option<String>,
    /// The fund manager who recorded it; null for partners.
    disbursed_by: Option<String>,
    /// When it was recorded.
    recorded_at: DateTime<Utc>,
}

impl Disbursement {
    fn of(d: &Dated<pb::GrantDisbursed>) -> Self {
        let e = &d.item;
        Self {
            id: ID(e.disbursement_id.clone()),
            amount: money(e.amount.as_ref()),
            date: e.date.parse().ok(),
            note: text(&e.note).map(Into::into),
            disbursed_by: text(&e.disbursed_by).map(Into::into),
            recorded_at: d.at,
        }
    }
}

/// Unspent money of a grant given back to its year's budget.
#[derive(SimpleObject)]
pub struct UnspentReturn {
    /// The amount given back, in the fund's currency.
    amount: Money,
    /// Why.
    note: Option<String>,
    /// The fund manager who recorded it; null for partners.
    returned_by: Option<String>,
    /// When it was recorded.
    recorded_at: DateTime<Utc>,
}

impl UnspentReturn {
    fn of(r: &Dated<pb::UnspentReturned>) -> Self {
        let e = &r.item;
        Self {
            amount: money(e.amount.as_ref()),
            note: text(&e.note).map(Into::into),
            returned_by: text(&e.returned_by).map(Into::into),
            recorded_at: r.at,
        }
    }
}

/// A progress report of a granted project.
#[derive(SimpleObject)]
pub struct ApplicationProgressReport {
    /// The report's id.
    id: ID,
    #[graphql(flatten)]
    report: ProgressReport,
    /// When it was recorded.
    recorded_at: DateTime<Utc>,
}

/// The applications in one status.
pub struct PipelineStage(Stage);

/// The applications in one status.
#[Object]
impl PipelineStage {
    /// The status.
    async fn status(&self) -> async_graphql::Result<ApplicationStatus> {
        ApplicationStatus::try_from(self.0.status as i32)
    }
    /// How many.
    async fn count(&self) -> usize {
        self.0.applications.len()
    }
    /// The sum they ask for, one per currency.
    async fn requested(&self) -> Vec<Money> {
        self.0.requested.iter().cloned().map(Into::into).collect()
    }
    /// The sum granted to them, one per currency; empty before a decision.
    async fn approved(&self) -> Vec<Money> {
        self.0.approved.iter().cloned().map(Into::into).collect()
    }
    /// Newest first.
    async fn applications(&self) -> Vec<Application> {
        self.0
            .applications
            .iter()
            .cloned()
            .map(Application)
            .collect()
    }
}

/// The applications you may see, by status.
pub struct ApplicationPipeline(Pipeline);

/// The applications you may see, by status.
#[Object]
impl ApplicationPipeline {
    /// How many applications.
    async fn total(&self) -> usize {
        self.0.total
    }
    /// Every status, in the order an application goes through them.
    async fn stages(&self) -> Vec<PipelineStage> {
        self.0.stages.iter().cloned().map(PipelineStage).collect()
    }
}

/// The fund `id` (a mutation's payload) once the read models include `token`.
pub(super) async fn fund_after(
    ctx: &Context<'_>,
    token: &ConsistencyToken,
    id: &str,
) -> async_graphql::Result<Fund> {
    let viewer = reader_after(ctx, Some(token)).await?;
    let id = record_id(&ID(id.to_owned()))?;
    found(queries(super::services(ctx)).fund(&viewer, id).await, Fund)
}

/// The ledger of the year whose record is `id` (`fund-period:<fund>:<year>`, a mutation's
/// payload) once the read models include `token`.
pub(super) async fn ledger_after(
    ctx: &Context<'_>,
    token: &ConsistencyToken,
    id: &str,
) -> async_graphql::Result<FundLedger> {
    let viewer = reader_after(ctx, Some(token)).await?;
    found(
        queries(super::services(ctx)).period(&viewer, id).await,
        FundLedger,
    )
}

/// The application `id` (a mutation's payload) once the read models include `token`.
pub(super) async fn application_after(
    ctx: &Context<'_>,
    token: &ConsistencyToken,
    id: &str,
) -> async_graphql::Result<Application> {
    let viewer = reader_after(ctx, Some(token)).await?;
    application_for(ctx, &viewer, &ID(id.to_owned())).await
}

/// The application `id` as `viewer` may see it; NOT_FOUND if they may not.
async fn application_for(
    ctx: &Context<'_>,
    viewer: &Viewer,
    id: &ID,
) -> async_graphql::Result<Application> {
    let id = record_id(id)?;
    found(
        queries(super::services(ctx)).application(viewer, id).await,
        Application,
    )
}

/// The funding context's queries (part of the query root, [`super::Query`]).
#[derive(Default)]
pub struct FundingQuery;

#[Object]
impl FundingQuery {
    /// The funds you may see (yours and what others share with you), of one municipality
    /// if named, newest first, each with its rounds and the ledger of each year.
    async fn funds(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only this municipality's funds (a code, e.g. SE-1283); all you may see when not given."
        )]
        municipality: Option<ID>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Vec<Fund>> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let municipality = municipality.map(|m| self::municipality(&m)).transpose()?;
        let funds = queries(super::services(ctx))
            .funds(&viewer, municipality.as_ref())
            .await
            .map_err(from_service)?;
        Ok(funds.into_iter().map(Fund).collect())
    }

    /// One fund with its rounds and the ledger of each year; NOT_FOUND if it does not
    /// exist or is not shared with you.
    async fn fund(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fund's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Fund> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let id = record_id(&id)?;
        found(queries(super::services(ctx)).fund(&viewer, id).await, Fund)
    }

    /// The ledger of a fund's year: budget, committed, disbursed, returned and remaining,
    /// each the sum of the year's events (all zero before a budget is set); NOT_FOUND if the
    /// fund is not shared with you.
    async fn fund_ledger(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fund's id.")] fund: ID,
        #[graphql(desc = "The budget year, e.g. 2026.")] year: i32,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<FundLedger> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let fund = record_id(&fund)?;
        found(
            queries(super::services(ctx))
                .ledger(&viewer, fund, year)
                .await,
            FundLedger,
        )
    }

    /// The applications you may see that `filter` matches, as a pipeline: every status in
    /// order with its applications (newest first) and the sums they ask for and were
    /// granted, per currency.
    async fn applications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only what matches every field given.")] filter: Option<ApplicationFilter>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<ApplicationPipeline> {
        let filter = filter.unwrap_or_default().into_filter()?;
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let pipeline = queries(super::services(ctx))
            .pipeline(&viewer, &filter)
            .await
            .map_err(from_service)?;
        Ok(ApplicationPipeline(pipeline))
    }

    /// One application with its reviews, decision, grant money and progress reports;
    /// NOT_FOUND if it does not exist or is not shared with you (a DRAFT is its applicants',
    /// its drafter's and the fund managers' only).
    async fn application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Application> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        application_for(ctx, &viewer, &id).await
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptySubscription, Schema};

    use super::super::{Mutation, Query};

    #[test]
    fn the_schema_holds_the_funding_types_each_name_once() {
        // given the whole schema (building it fails on two types of one name)
        let sdl = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
            .finish()
            .sdl();
        // (without the descriptions, which sit between the arguments, and line breaks)
        let sdl = sdl.split("\"\"\"").step_by(2).collect::<Vec<_>>().join(" ");
        let sdl = sdl.split_whitespace().collect::<Vec<_>>().join(" ");
        // then the funding queries and their types are in it, money as integers
        for part in [
            "fundLedger( fund: ID!, year: Int!",
            "type ApplicationPipeline",
            "type PipelineStage",
            "input MoneyInput",
            "input FundCriterionInput",
            "minorUnits: Int!",
            "grants: FunnelGrants!",
        ] {
            assert!(sdl.contains(part), "{part}");
        }
    }
}
