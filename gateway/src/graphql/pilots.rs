//! The read side of the pilots context in GraphQL (`innohub.pilots.v1`): the output objects
//! over the pilots read model (`Pilot` with its plan's completeness, its run, the evaluation
//! and its summary per lens, the decision and the benefits with their latest measurement
//! and realisation; `PilotPortfolio`; `InnovationFunnel`, with the fund applications and
//! grants) and the queries ([`PilotsQuery`]).
//! Where a field is a contract message it is its mirror of [`super::pilot_types`].
//!
//! Reads go to [`PilotQueries`] on the read-model database: pilots by the one read rule of
//! processes and ideas (a partner reads a shared pilot redacted, without people, departments
//! or origin; a pilot not shared with them is NOT_FOUND, exactly like a random id). The
//! innovation funnel (ideas, processes, pilots and fund applications as one flow) is its
//! municipality's members' only: FORBIDDEN for anyone else.

use async_graphql::connection::{Connection, EmptyFields, OpaqueCursor};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use innohub_projections::PilotQueries;
use innohub_projections::filter::PilotFilter as Filter;
use innohub_projections::innovation_funnel::{
    FunnelStep as Step, InnovationFunnel as Funnel, LeadDays,
};
use innohub_projections::pilot_queries::{
    BenefitView, DecisionView, PilotCursor, PilotList, PilotPortfolio as Portfolio, PilotView,
};
use innohub_projections::queries::{Page, QueryError};
use innohub_runtime::{ErrorCode, Viewer};

use super::funding_types::Money;
use super::ideas::{FunnelSpan, OriginIdea, Owned, Stage, filter_id, found, origin_idea_of};
use super::pilot_types::{
    Benefit, DecisionBasis, Evaluation, Incident, Observation, PilotDecision, PilotPlan,
    PilotStatus, PilotTopic, Reading,
};
use super::query::{Counted, ListInfo, NewestFirst, newest_first};
use super::types::{Phase, named_or_own};
use super::{Services, error, from_service, reader};

/// The pilots read model on the services' read-model database.
fn queries(services: &Services) -> PilotQueries {
    PilotQueries::new(services.views.clone())
}

/// A pilot: a time-boxed trial of a new or changed service, planned, run, evaluated and
/// decided after the Norwegian roadmap. For partners (other municipalities) people,
/// departments and the origin are null.
pub struct Pilot(pub(super) PilotView);

/// A pilot: a time-boxed trial of a new or changed service, planned, run, evaluated and
/// decided after the Norwegian roadmap. For partners (other municipalities) people,
/// departments and the origin are null.
#[Object]
impl Pilot {
    #[graphql(flatten)]
    async fn owned(&self) -> Owned<'_> {
        Owned::new(self.0.id, &self.0.municipality, self.0.access)
    }
    /// Where it is: PLANNING, RUNNING, EVALUATING, then IN_OPERATION, STOPPED or
    /// BACK_TO_IDEATION.
    async fn status(&self) -> async_graphql::Result<PilotStatus> {
        PilotStatus::try_from(self.0.status as i32)
    }
    /// The plan, every topic of the roadmap; people and departments null for partners.
    async fn plan(&self) -> PilotPlan {
        self.0.plan.clone().into()
    }
    /// How much of the plan is filled (the whole plan, also for partners).
    async fn plan_completeness(&self) -> async_graphql::Result<PlanCompleteness> {
        let c = &self.0.completeness;
        Ok(PlanCompleteness {
            filled: c.filled,
            total: c.total,
            percent: c.percent(),
            missing: c
                .missing
                .iter()
                .map(|t| PilotTopic::try_from(*t as i32))
                .collect::<async_graphql::Result<_>>()?,
        })
    }
    /// Who planned it; null for partners.
    async fn planned_by(&self) -> Option<&str> {
        self.0.planned_by.as_deref()
    }
    /// The idea it was born from; null if planned on its own, and for partners.
    async fn origin(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OriginIdea>> {
        match &self.0.origin {
            Some(link) => origin_idea_of(ctx, link.clone()).await,
            None => Ok(None),
        }
    }
    /// When it was planned.
    async fn planned_at(&self) -> DateTime<Utc> {
        self.0.planned_at
    }
    /// The day it started; null while PLANNING.
    async fn started_at(&self) -> Option<NaiveDate> {
        self.0.start.as_ref().and_then(|s| s.date.parse().ok())
    }
    /// Who started it; null for partners.
    async fn started_by(&self) -> Option<&str> {
        self.0.start.as_ref().and_then(|s| s.started_by.as_deref())
    }
    /// What was observed while it ran, in the order recorded; observers null for partners.
    async fn observations(&self) -> Vec<PilotObservation> {
        self.0
            .observations
            .iter()
            .map(|o| PilotObservation {
                id: ID(o.observation_id.clone()),
                observation: o.observation.clone().unwrap_or_default().into(),
            })
            .collect()
    }
    /// What went wrong while it ran and how it was handled, in the order recorded.
    async fn incidents(&self) -> Vec<PilotIncident> {
        self.0
            .incidents
            .iter()
            .map(|i| PilotIncident {
                id: ID(i.incident_id.clone()),
                incident: i.incident.clone().unwrap_or_default().into(),
            })
            .collect()
    }
    /// The latest evaluation; null until evaluated.
    async fn evaluation(&self) -> Option<Evaluation> {
        self.0
            .evaluation
            .as_ref()
            .map(|e| e.evaluation.clone().into())
    }
    /// The mean rating (1–5) of each lens of the latest evaluation; null until evaluated.
    async fn evaluation_summary(&self) -> Option<EvaluationSummary> {
        self.0.evaluation.as_ref().map(|e| EvaluationSummary {
            people: e.means.people,
            organisation: e.means.organisation,
            technology: e.means.technology,
        })
    }
    /// The latest decision (an EXTEND while it runs again); null until decided.
    async fn decision(&self) -> async_graphql::Result<Option<PilotDecided>> {
        self.0.decision.as_ref().map(PilotDecided::of).transpose()
    }
    /// The benefits it is expected to bring, in the order first defined.
    async fn benefits(&self) -> Vec<PilotBenefit> {
        self.0.benefits.iter().map(PilotBenefit::from).collect()
    }
    /// When it last changed; null for partners.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

/// How much of a pilot's plan is filled: `startPilot` is refused until every topic is.
#[derive(SimpleObject)]
pub struct PlanCompleteness {
    /// Topics filled.
    filled: usize,
    /// Topics of the roadmap (13).
    total: usize,
    /// filled / total, 0 to 100.
    percent: f64,
    /// The topics not filled, in the roadmap's order.
    missing: Vec<PilotTopic>,
}

/// An observation of a pilot at work.
#[derive(SimpleObject)]
pub struct PilotObservation {
    /// The observation's id.
    id: ID,
    #[graphql(flatten)]
    observation: Observation,
}

/// An incident during a pilot.
#[derive(SimpleObject)]
pub struct PilotIncident {
    /// The incident's id.
    id: ID,
    #[graphql(flatten)]
    incident: Incident,
}

/// The mean rating (1–5) of each lens of an evaluation.
#[derive(SimpleObject)]
pub struct EvaluationSummary {
    /// Users' experience, staff's experience, touchpoints.
    people: f64,
    /// Flow of work, value of each step, routines, roles and responsibilities.
    organisation: f64,
    /// Works as intended, meets needs, stable and secure, integrates.
    technology: f64,
}

/// A decision on a pilot.
#[derive(SimpleObject)]
pub struct PilotDecided {
    /// What was decided: TO_OPERATION, EXTEND, STOP or BACK_TO_IDEATION.
    decision: PilotDecision,
    /// For EXTEND: the new end date.
    new_end_date: Option<NaiveDate>,
    /// For STOP: why it did not work.
    why_stopped: Option<String>,
    /// What the decision rests on.
    basis: DecisionBasis,
    /// The innovation lead who decided; null for partners.
    decider: Option<String>,
    /// When it was decided.
    decided_at: DateTime<Utc>,
}

impl PilotDecided {
    fn of(d: &DecisionView) -> async_graphql::Result<Self> {
        Ok(Self {
            decision: PilotDecision::try_from(d.decision as i32)?,
            new_end_date: d.new_end_date.as_deref().and_then(|e| e.parse().ok()),
            why_stopped: d.why_stopped.clone(),
            basis: d.basis.clone().into(),
            decider: d.decider.clone(),
            decided_at: d.decided_at,
        })
    }
}

/// A benefit a pilot is expected to bring, with its measurements and how much of it the
/// latest realises.
#[derive(SimpleObject)]
pub struct PilotBenefit {
    /// Its id within the pilot.
    id: ID,
    #[graphql(flatten)]
    benefit: Benefit,
    /// The indicator's measurements, oldest day first.
    measurements: Vec<Reading>,
    /// The measurement of the latest day; null before the first.
    latest: Option<Reading>,
    /// (latest − baseline) / (target − baseline) in percent: 100 at the target, above it
    /// beyond, below 0 the wrong way, for rising and falling indicators alike; null without
    /// a measurement.
    realisation: Option<f64>,
}

impl From<&BenefitView> for PilotBenefit {
    fn from(b: &BenefitView) -> Self {
        Self {
            id: ID(b.id.to_string()),
            benefit: b.benefit.clone().into(),
            measurements: b.measurements.iter().cloned().map(Into::into).collect(),
            latest: b.latest.clone().map(Into::into),
            realisation: b.realisation,
        }
    }
}

/// A pilot in a portfolio.
#[derive(SimpleObject)]
pub struct PortfolioPilot {
    /// The pilot's id; `pilot(id:)` reads the whole pilot.
    id: ID,
    /// The pilot's title.
    title: String,
    /// The pilot's status.
    status: PilotStatus,
    /// The mean realisation (percent) of its benefits that have a measurement; null without.
    realisation: Option<f64>,
}

/// The pilots in one status.
#[derive(SimpleObject)]
pub struct PortfolioStatus {
    /// The status.
    status: PilotStatus,
    /// How many.
    count: usize,
    /// Newest first.
    pilots: Vec<PortfolioPilot>,
}

/// A municipality's pilots that you may see, by status, with their benefits' realisation.
#[derive(SimpleObject)]
pub struct PilotPortfolio {
    /// The municipality whose pilots these are, e.g. DK-0706.
    municipality: String,
    /// Every status, in the order a pilot goes through them.
    statuses: Vec<PortfolioStatus>,
    /// Measured benefits that reached their target (realisation ≥ 100 %).
    benefits_above_target: i64,
    /// Measured benefits short of their target (realisation < 100 %).
    benefits_below_target: i64,
}

impl PilotPortfolio {
    fn of(portfolio: Portfolio) -> async_graphql::Result<Self> {
        let statuses = portfolio
            .statuses
            .into_iter()
            .map(|s| {
                let pilots = s
                    .pilots
                    .iter()
                    .map(|p| {
                        Ok(PortfolioPilot {
                            id: ID(p.id.to_string()),
                            title: p.plan.title.clone(),
                            status: PilotStatus::try_from(p.status as i32)?,
                            realisation: p.mean_realisation(),
                        })
                    })
                    .collect::<async_graphql::Result<Vec<_>>>()?;
                Ok(PortfolioStatus {
                    status: PilotStatus::try_from(s.status as i32)?,
                    count: pilots.len(),
                    pilots,
                })
            })
            .collect::<async_graphql::Result<_>>()?;
        Ok(Self {
            municipality: portfolio.municipality.to_string(),
            statuses,
            benefits_above_target: portfolio.benefits_above_target,
            benefits_below_target: portfolio.benefits_below_target,
        })
    }
}

/// A step of the innovation funnel.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum FunnelStep {
    /// Ideas submitted.
    IdeasSubmitted,
    /// Of those, the ideas that reached DESIGNING or beyond.
    IdeasReachedDesigning,
    /// Pilots planned.
    PilotsPlanned,
    /// Pilots IN_OPERATION, and processes born from an idea in OPERATION.
    InOperation,
}

impl From<Step> for FunnelStep {
    fn from(step: Step) -> Self {
        match step {
            Step::IdeasSubmitted => FunnelStep::IdeasSubmitted,
            Step::IdeasReachedDesigning => FunnelStep::IdeasReachedDesigning,
            Step::PilotsPlanned => FunnelStep::PilotsPlanned,
            Step::InOperation => FunnelStep::InOperation,
        }
    }
}

/// How many reached a step of the funnel.
#[derive(SimpleObject)]
pub struct FunnelStepCount {
    /// The step of the funnel.
    step: FunnelStep,
    /// How many records reached it.
    count: i64,
    /// count in percent of the step before; null for the first and after a step of none.
    conversion: Option<f64>,
}

/// Ideas in one stage.
#[derive(SimpleObject)]
pub struct FunnelStage {
    /// The idea stage.
    stage: Stage,
    /// How many of the ideas created in the span are in this stage now.
    count: i64,
}

/// Processes in one phase.
#[derive(SimpleObject)]
pub struct FunnelPhase {
    /// The process phase.
    phase: Phase,
    /// How many of the processes created in the span are in this phase now.
    count: i64,
}

/// Pilots in one status.
#[derive(SimpleObject)]
pub struct FunnelStatus {
    /// The pilot status.
    status: PilotStatus,
    /// How many of the pilots created in the span have this status now.
    count: i64,
}

/// The links between the records of the funnel: what the ideas became.
#[derive(SimpleObject)]
pub struct FunnelLinks {
    /// Processes born from an idea.
    idea_to_process: i64,
    /// Pilots born from an idea.
    idea_to_pilot: i64,
    /// Pilots taken into operation (IN_OPERATION).
    pilot_to_operation: i64,
}

/// The fund applications of the funnel.
#[derive(SimpleObject)]
pub struct FunnelApplications {
    /// Applications drafted in the span and submitted.
    count: i64,
    /// Of those, the ones for an idea.
    from_ideas: i64,
}

/// The grants of the funnel.
#[derive(SimpleObject)]
pub struct FunnelGrants {
    /// Applications of the funnel granted (APPROVED or PARTIALLY_APPROVED).
    count: i64,
    /// The amounts granted, one per currency.
    granted: Vec<Money>,
}

/// Median lead times in days; null where there is nothing to measure.
#[derive(SimpleObject)]
pub struct FunnelLeadTimes {
    /// Idea submitted → pilot planned, of the pilots born from an idea you may see.
    idea_to_pilot_days: Option<f64>,
    /// Pilot started → decided (to operation, stopped or back to ideation).
    pilot_to_decision_days: Option<f64>,
    /// Idea submitted → process submitted, of the processes born from an idea you may see.
    idea_to_process_days: Option<f64>,
}

/// The innovation funnel of a municipality from opportunity to deployment (ISO 56002): its
/// ideas, processes, pilots and fund applications created in a span of days, as one flow.
pub struct InnovationFunnel {
    funnel: Funnel,
    span: FunnelSpan,
}

/// The innovation funnel of a municipality from opportunity to deployment (ISO 56002): its
/// ideas, processes, pilots and fund applications created in a span of days, as one flow.
#[Object]
impl InnovationFunnel {
    #[graphql(flatten)]
    async fn span(&self) -> &FunnelSpan {
        &self.span
    }
    /// The ideas submitted in the span, by the stage they are in now; every stage.
    async fn ideas(&self) -> async_graphql::Result<Vec<FunnelStage>> {
        self.funnel
            .ideas
            .iter()
            .map(|s| {
                Ok(FunnelStage {
                    stage: Stage::try_from(s.stage as i32)?,
                    count: s.ideas,
                })
            })
            .collect()
    }
    /// The processes submitted in the span, by the phase they are in now; every phase.
    async fn processes(&self) -> async_graphql::Result<Vec<FunnelPhase>> {
        self.funnel
            .processes
            .iter()
            .map(|p| {
                Ok(FunnelPhase {
                    phase: Phase::try_from(p.phase as i32)?,
                    count: p.processes,
                })
            })
            .collect()
    }
    /// The pilots planned in the span, by the status they are in now; every status.
    async fn pilots(&self) -> async_graphql::Result<Vec<FunnelStatus>> {
        self.funnel
            .pilots
            .iter()
            .map(|p| {
                Ok(FunnelStatus {
                    status: PilotStatus::try_from(p.status as i32)?,
                    count: p.pilots,
                })
            })
            .collect()
    }
    /// The fund applications drafted in the span and submitted, and how many are for an
    /// idea.
    async fn applications(&self) -> FunnelApplications {
        let a = &self.funnel.applications;
        FunnelApplications {
            count: a.applications,
            from_ideas: a.from_ideas,
        }
    }
    /// The grants among those applications, and the amounts granted per currency.
    async fn grants(&self) -> FunnelGrants {
        let g = &self.funnel.grants;
        FunnelGrants {
            count: g.grants,
            granted: g.granted.iter().cloned().map(Into::into).collect(),
        }
    }
    /// Of the processes and pilots created in the span, those born from an idea, and the
    /// pilots in operation.
    async fn links(&self) -> FunnelLinks {
        let l = self.funnel.links;
        FunnelLinks {
            idea_to_process: l.idea_to_process,
            idea_to_pilot: l.idea_to_pilot,
            pilot_to_operation: l.pilot_to_operation,
        }
    }
    /// Ideas submitted → ideas that reached DESIGNING or beyond → pilots planned → in
    /// operation (pilots IN_OPERATION and processes born from an idea in OPERATION), with
    /// the conversion from each step to the next.
    async fn steps(&self) -> Vec<FunnelStepCount> {
        self.funnel
            .steps
            .iter()
            .map(|s| FunnelStepCount {
                step: s.step.into(),
                count: s.count,
                conversion: s.conversion,
            })
            .collect()
    }
    /// Median lead times in days, of the records created in the span.
    async fn lead_times(&self) -> FunnelLeadTimes {
        let median = |l: LeadDays| l.median_days;
        FunnelLeadTimes {
            idea_to_pilot_days: median(self.funnel.idea_to_pilot),
            pilot_to_decision_days: median(self.funnel.pilot_to_decision),
            idea_to_process_days: median(self.funnel.idea_to_process),
        }
    }
}

/// Narrows a list of pilots.
#[derive(InputObject, Default)]
pub struct PilotFilter {
    /// Only pilots with this status.
    status: Option<PilotStatus>,
    /// Your own municipality's pilots only.
    department: Option<String>,
    /// Born from this idea; your own municipality's pilots only.
    idea: Option<ID>,
}

impl PilotFilter {
    /// The read model's filter.
    fn into_filter(self) -> async_graphql::Result<Filter> {
        Ok(Filter {
            status: self.status.map(Into::into),
            department: self.department,
            idea: self
                .idea
                .map(|i| filter_id(&i, "filter.idea"))
                .transpose()?,
        })
    }
}

impl Counted for Filter {
    const LIST_INFO: &'static str = "PilotListInfo";

    async fn count(&self, ctx: &Context<'_>, viewer: &Viewer) -> async_graphql::Result<i64> {
        queries(super::services(ctx))
            .count(viewer, self)
            .await
            .map_err(from_service)
    }
}

impl NewestFirst for PilotQueries {
    type List = PilotList;
    type View = PilotView;
    type Filter = Filter;

    async fn newest_first(
        &self,
        viewer: &Viewer,
        filter: &Filter,
        after: Option<&PilotCursor>,
        first: i64,
    ) -> Result<Page<PilotView, PilotCursor>, QueryError> {
        self.pilots(viewer, filter, after, first).await
    }
}

/// A page of pilots.
pub type PilotConnection = Connection<OpaqueCursor<String>, Pilot, ListInfo<Filter>, EmptyFields>;

/// The pilots context's queries (part of the query root, [`super::Query`]).
#[derive(Default)]
pub struct PilotsQuery;

#[Object]
impl PilotsQuery {
    /// Every pilot you may see (yours and what others share), newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity + 1")]
    async fn pilots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only what matches every field given.")] filter: Option<PilotFilter>,
        #[graphql(desc = "How many to return, 0 to 100 (20 when not given).")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor: the previous page's `pageInfo.endCursor`.")]
        after: Option<String>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<PilotConnection> {
        newest_first(
            ctx,
            queries(super::services(ctx)),
            (first, after),
            || filter.unwrap_or_default().into_filter(),
            consistency,
            Pilot,
        )
        .await
    }

    /// One pilot; NOT_FOUND if it does not exist or is not shared with you.
    async fn pilot(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pilot's id.")] id: ID,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<Pilot> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let id = super::record_id(&id)?;
        found(
            queries(super::services(ctx)).pilot(&viewer, id).await,
            Pilot,
        )
    }

    /// A municipality's pilots (yours by default) that you may see, by status, with the
    /// mean realisation of each one's measured benefits and how many measured benefits
    /// reached their target.
    async fn pilot_portfolio(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A municipality code, e.g. DK-0706; yours when not given.")] municipality: Option<String>,
        #[graphql(
            desc = "A `consistencyToken` a mutation returned: the read first waits (a few seconds at most) until the read models include that write."
        )]
        consistency: Option<String>,
    ) -> async_graphql::Result<PilotPortfolio> {
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let municipality = named_or_own(&viewer, municipality.as_deref())?;
        let portfolio = queries(super::services(ctx))
            .portfolio(&viewer, &municipality)
            .await
            .map_err(from_service)?;
        PilotPortfolio::of(portfolio)
    }

    /// The innovation funnel of your municipality (FORBIDDEN for another's) from idea to
    /// operation: the ideas, processes, pilots and fund applications created in the days
    /// `from` to `to` (both included; open-ended without) that you may see, as one flow
    /// (idea → application → grant → pilot).
    async fn innovation_funnel(
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
    ) -> async_graphql::Result<InnovationFunnel> {
        if from.zip(to).is_some_and(|(from, to)| from > to) {
            return Err(error(ErrorCode::BadUserInput, "from must not be after to"));
        }
        let viewer = reader(ctx, consistency.as_deref()).await?;
        let municipality = named_or_own(&viewer, municipality.as_deref())?;
        if !viewer.principal.is_member_of(&municipality) {
            return Err(error(
                ErrorCode::Forbidden,
                "the innovation funnel is its municipality's members' only",
            ));
        }
        let funnel = queries(super::services(ctx))
            .innovation_funnel(&viewer, &municipality, from, to)
            .await
            .map_err(from_service)?;
        Ok(InnovationFunnel {
            funnel,
            span: FunnelSpan {
                municipality,
                from,
                to,
            },
        })
    }
}
