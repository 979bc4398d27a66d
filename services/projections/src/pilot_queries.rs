//! Queries on the pilots read model ([`PilotQueries`]). Pilots are read by the one read rule
//! of processes and ideas: [`access::visible`] in SQL over `pilot_view` ([`PILOTS`] says
//! where it finds the people and the departments), and [`PilotView::new`] in Rust, the only
//! way a pilot leaves this crate, redacted for partners by the contract's privacy marks
//! (`innohub_runtime::reflect::redact`): no people, no departments, no origin. Another
//! municipality's pilot that is not shared with the viewer is not found, exactly like an id
//! that names nothing.
//!
//! What a view computes (plan completeness, the lens means of the evaluation, each benefit's
//! realisation) is `innohub-pilot-rules`' rules over the record, never stored. Lists are
//! newest first, paged by keyset ([`PilotCursor`], `crate::keyset`); [`PilotQueries::portfolio`] gives a
//! municipality's pilots by status with their benefits' realisation. The innovation funnel
//! is in `innovation_funnel`.

use chrono::{DateTime, Utc};
use innohub_pilot_rules::{LensMeans, TOPICS, lens_means, missing_topics, realisation};
use innohub_proto::innohub::common::v1::{Benefit, Reading};
use innohub_proto::innohub::pilots::v1 as pb;
use innohub_proto::innohub::projections::v1::PilotRecord;
use innohub_runtime::{Access, Database, MunicipalityId, RecordLink, Viewer};
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::access::{PILOTS, ReadModel};
use crate::filter::PilotFilter;
use crate::keyset::{self, Cursor, Listed};
use crate::queries::{
    Page, QueryError, corrupt, link, non_empty, non_empty as person, parse_time, record, seen_by,
    time,
};

/// The query side of the pilots read model.
#[derive(Debug, Clone)]
pub struct PilotQueries {
    pub(crate) db: Database,
}

/// How much of a pilot's plan is filled: the topics of the roadmap it fills and misses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCompleteness {
    /// How many topics are filled.
    pub filled: usize,
    /// How many topics there are.
    pub total: usize,
    /// The topics not filled, in the roadmap's order.
    pub missing: Vec<pb::PilotTopic>,
}

impl PlanCompleteness {
    /// The completeness of `plan` (`innohub_pilot_rules::missing_topics`).
    pub fn of(plan: &pb::PilotPlan) -> Self {
        let missing = missing_topics(plan);
        Self {
            filled: TOPICS.len() - missing.len(),
            total: TOPICS.len(),
            missing,
        }
    }

    /// `filled / total` in percent, 0 to 100.
    pub fn percent(&self) -> f64 {
        self.filled as f64 / self.total as f64 * 100.0
    }
}

/// The start of a pilot.
#[derive(Debug, Clone)]
pub struct StartView {
    /// Who started it; `None` for partners.
    pub started_by: Option<String>,
    /// The day it started (ISO date).
    pub date: String,
    /// When it was recorded.
    pub started_at: DateTime<Utc>,
}

/// The latest evaluation of a pilot.
#[derive(Debug, Clone)]
pub struct EvaluationView {
    /// The ratings and the benefit review.
    pub evaluation: pb::Evaluation,
    /// The mean rating of each lens.
    pub means: LensMeans,
    /// Who evaluated it; `None` for partners.
    pub evaluated_by: Option<String>,
    /// When.
    pub evaluated_at: DateTime<Utc>,
}

/// A decision on a pilot.
#[derive(Debug, Clone)]
pub struct DecisionView {
    /// The decision.
    pub decision: pb::Decision,
    /// For EXTEND: the new end date.
    pub new_end_date: Option<String>,
    /// For STOP: why it did not work.
    pub why_stopped: Option<String>,
    /// What it rests on.
    pub basis: pb::DecisionBasis,
    /// Who decided; `None` for partners.
    pub decider: Option<String>,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// A benefit of a pilot with its measurements and how much of it is realised.
#[derive(Debug, Clone)]
pub struct BenefitView {
    /// Its id within the pilot.
    pub id: Uuid,
    /// The benefit as last defined; for partners without its owner.
    pub benefit: Benefit,
    /// The indicator's measurements, oldest day first (in the order recorded within a day).
    pub measurements: Vec<Reading>,
    /// The measurement of the latest day; `None` before the first.
    pub latest: Option<Reading>,
    /// How much of it the latest measurement realises, in percent
    /// (`innohub_pilot_rules::realisation`); `None` without a measurement.
    pub realisation: Option<f64>,
}

impl BenefitView {
    fn new(
        benefit: innohub_proto::innohub::projections::v1::PilotBenefit,
    ) -> Result<Self, QueryError> {
        let definition = benefit.definition.unwrap_or_default();
        let mut measurements: Vec<Reading> = benefit
            .measurements
            .into_iter()
            .filter_map(|m| m.reading)
            .collect();
        // ISO dates: text order is day order; the sort is stable.
        measurements.sort_by(|a, b| a.date.cmp(&b.date));
        let latest = measurements.last().cloned();
        let benefit = definition.benefit.unwrap_or_default();
        let realisation = latest.as_ref().and_then(|l| realisation(&benefit, l));
        Ok(Self {
            id: Uuid::parse_str(&definition.benefit_id).map_err(corrupt)?,
            benefit,
            measurements,
            latest,
            realisation,
        })
    }
}

/// A pilot as one viewer may see it: the contract's messages, redacted for partners.
#[derive(Debug, Clone)]
pub struct PilotView {
    /// Full (own municipality) or partner (redacted).
    pub access: Access,
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// Its status.
    pub status: pb::Status,
    /// The plan; for partners without departments, anchoring and the responsible person.
    pub plan: pb::PilotPlan,
    /// How much of the plan is filled (of the whole plan, also for partners).
    pub completeness: PlanCompleteness,
    /// Who planned it; `None` for partners.
    pub planned_by: Option<String>,
    /// The idea it was born from; `None` if planned on its own, and for partners.
    pub origin: Option<RecordLink>,
    /// Its start; `None` while PLANNING.
    pub start: Option<StartView>,
    /// Its observations, in the order recorded; observers only for members.
    pub observations: Vec<pb::PilotObservationRecorded>,
    /// Its incidents, in the order recorded; who recorded them only for members.
    pub incidents: Vec<pb::PilotIncidentRecorded>,
    /// The latest evaluation.
    pub evaluation: Option<EvaluationView>,
    /// The latest decision.
    pub decision: Option<DecisionView>,
    /// Its benefits, in the order first defined.
    pub benefits: Vec<BenefitView>,
    /// When it was planned.
    pub planned_at: DateTime<Utc>,
    /// When it last changed; `None` for partners (an edit of what they cannot see would
    /// show as a change).
    pub updated_at: Option<DateTime<Utc>>,
}

impl PilotView {
    /// The view of a record whose row passed [`access::visible`] for `viewer`: full for
    /// members of the owning municipality, redacted for partners. The plan's completeness is
    /// computed before anything is redacted.
    pub fn new(
        viewer: &Viewer,
        record: PilotRecord,
        updated_at: DateTime<Utc>,
    ) -> Result<Self, QueryError> {
        let (municipality, access, record_seen) = seen_by(viewer, &record, &record.municipality)?;
        let full = access == Access::Full;
        let completeness = PlanCompleteness::of(&record.plan.clone().unwrap_or_default());
        let record = record_seen;
        let status = pb::Status::try_from(record.status)
            .ok()
            .filter(|s| *s != pb::Status::Unspecified)
            .ok_or_else(|| corrupt(format!("no status {}", record.status)))?;
        let start = record
            .start
            .map(|s| {
                let started = s.started.unwrap_or_default();
                Ok::<_, QueryError>(StartView {
                    started_by: person(started.started_by),
                    date: started.date,
                    started_at: parse_time(&s.started_at)?,
                })
            })
            .transpose()?;
        let evaluation = record
            .evaluation
            .map(|e| {
                let evaluated = e.evaluated.unwrap_or_default();
                let evaluation = evaluated.evaluation.unwrap_or_default();
                Ok::<_, QueryError>(EvaluationView {
                    means: lens_means(&evaluation),
                    evaluation,
                    evaluated_by: person(evaluated.evaluated_by),
                    evaluated_at: parse_time(&e.evaluated_at)?,
                })
            })
            .transpose()?;
        let decision = record
            .decisions
            .into_iter()
            .next_back()
            .map(|d| {
                let decided = d.decided.unwrap_or_default();
                Ok::<_, QueryError>(DecisionView {
                    decision: pb::Decision::try_from(decided.decision).map_err(corrupt)?,
                    new_end_date: non_empty(decided.new_end_date),
                    why_stopped: non_empty(decided.why_stopped),
                    basis: decided.basis.unwrap_or_default(),
                    decider: person(decided.decider),
                    decided_at: parse_time(&d.decided_at)?,
                })
            })
            .transpose()?;
        let benefits = record
            .benefits
            .into_iter()
            .map(BenefitView::new)
            .collect::<Result<_, _>>()?;
        let origin = record.origin.as_ref().map(link).transpose()?;
        Ok(Self {
            access,
            id: Uuid::parse_str(&record.pilot_id).map_err(corrupt)?,
            municipality,
            status,
            plan: record.plan.unwrap_or_default(),
            completeness,
            planned_by: person(record.planned_by),
            origin,
            start,
            observations: record.observations,
            incidents: record.incidents,
            evaluation,
            decision,
            benefits,
            planned_at: parse_time(&record.planned_at)?,
            updated_at: full.then_some(updated_at),
        })
    }

    /// Who may read it.
    pub fn visibility(&self) -> innohub_proto::innohub::processes::v1::Visibility {
        crate::idea_views::visibility_of(self.plan.visibility)
    }

    /// The mean realisation of its benefits that have a measurement; `None` without any.
    pub fn mean_realisation(&self) -> Option<f64> {
        let realised: Vec<f64> = self.benefits.iter().filter_map(|b| b.realisation).collect();
        (!realised.is_empty()).then(|| realised.iter().sum::<f64>() / realised.len() as f64)
    }
}

/// The newest-first list of pilots, by the time they were planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PilotList;

impl Listed for PilotList {
    const NAME: &'static str = "pilots";
    const VIEW: &'static str = "pilot_view";
    const RECORD: &'static str = "pilot_record";
    const AT: &'static str = "planned_at";
    const COLUMNS: &'static str = "r.record, pv.planned_at, pv.updated_at";
    const MODEL: &'static ReadModel = &PILOTS;
}

/// A pilot's place in the newest-first list: the time it was planned (as stored) and its id.
pub type PilotCursor = Cursor<PilotList>;

/// Pilots in one status, in a portfolio.
#[derive(Debug, Clone)]
pub struct PortfolioStatus {
    /// The status.
    pub status: pb::Status,
    /// Its pilots, newest first.
    pub pilots: Vec<PilotView>,
}

/// A municipality's pilots by status, with their benefits' realisation.
#[derive(Debug, Clone)]
pub struct PilotPortfolio {
    /// The municipality.
    pub municipality: MunicipalityId,
    /// Every status, in the order a pilot goes through them.
    pub statuses: Vec<PortfolioStatus>,
    /// Benefits whose latest measurement reaches their target (realisation ≥ 100 %).
    pub benefits_above_target: i64,
    /// Benefits measured short of their target (realisation < 100 %).
    pub benefits_below_target: i64,
}

/// Every status a pilot can be in, in the order it goes through them.
pub const STATUSES: [pb::Status; 6] = [
    pb::Status::Planning,
    pb::Status::Running,
    pb::Status::Evaluating,
    pb::Status::InOperation,
    pb::Status::Stopped,
    pb::Status::BackToIdeation,
];

/// The portfolio of `municipality` from `pilots`, its pilots the viewer may read, newest
/// first.
pub fn portfolio(municipality: MunicipalityId, pilots: Vec<PilotView>) -> PilotPortfolio {
    let realisations: Vec<f64> = pilots
        .iter()
        .flat_map(|p| p.benefits.iter().filter_map(|b| b.realisation))
        .collect();
    let above = realisations.iter().filter(|r| **r >= 100.0).count() as i64;
    let mut statuses: Vec<PortfolioStatus> = STATUSES
        .into_iter()
        .map(|status| PortfolioStatus {
            status,
            pilots: Vec::new(),
        })
        .collect();
    for pilot in pilots {
        if let Some(s) = statuses.iter_mut().find(|s| s.status == pilot.status) {
            s.pilots.push(pilot);
        }
    }
    PilotPortfolio {
        municipality,
        statuses,
        benefits_above_target: above,
        benefits_below_target: realisations.len() as i64 - above,
    }
}

impl PilotQueries {
    /// Query the read models in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The views of rows that passed the read rule.
    fn views(viewer: &Viewer, rows: &[AnyRow]) -> Result<Vec<PilotView>, QueryError> {
        rows.iter()
            .map(|row| PilotView::new(viewer, record(row)?, time(row, "updated_at")?))
            .collect()
    }

    /// One pilot, if the viewer may read it.
    pub async fn pilot(&self, viewer: &Viewer, id: Uuid) -> Result<Option<PilotView>, QueryError> {
        let mut sql = keyset::readable::<PilotList>(viewer);
        sql.push(" AND pv.id = ").bind(id.to_string());
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        Ok(Self::views(viewer, &rows)?.pop())
    }

    /// Up to `limit` pilots the viewer may read that `filter` matches, newest first, after
    /// `after` (from the start without; [`keyset::rows_after`]).
    pub async fn pilots(
        &self,
        viewer: &Viewer,
        filter: &PilotFilter,
        after: Option<&PilotCursor>,
        limit: i64,
    ) -> Result<Page<PilotView, PilotCursor>, QueryError> {
        let mut sql = keyset::readable::<PilotList>(viewer);
        filter.push(&mut sql, viewer);
        let (rows, has_next) = keyset::rows_after(&self.db, sql, after, limit).await?;
        keyset::page(&rows, Self::views(viewer, &rows)?, |v| v.id, has_next)
    }

    /// How many pilots the viewer may read that `filter` matches.
    pub async fn count(&self, viewer: &Viewer, filter: &PilotFilter) -> Result<i64, QueryError> {
        keyset::count::<PilotList>(&self.db, viewer, |sql| filter.push(sql, viewer)).await
    }

    /// `municipality`'s pilots that the viewer may read, by status, with their benefits'
    /// realisation ([`portfolio`]).
    pub async fn portfolio(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
    ) -> Result<PilotPortfolio, QueryError> {
        let mut sql = keyset::readable::<PilotList>(viewer);
        sql.push(" AND pv.municipality = ")
            .bind(municipality.as_str());
        sql.push(" ORDER BY pv.planned_at DESC, pv.id DESC");
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        Ok(portfolio(municipality.clone(), Self::views(viewer, &rows)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_counts_the_topics_filled_of_thirteen() {
        // Given a plan with only goals and learning goals, then 2 of 13 are filled and the
        // other 11 are missing in the roadmap's order.
        let plan = pb::PilotPlan {
            title: "Digital tilsyn".into(),
            goals: "Færre besøk".into(),
            learning_goals: "Hva fungerer".into(),
            ..Default::default()
        };
        let c = PlanCompleteness::of(&plan);
        assert_eq!((c.filled, c.total), (2, 13));
        assert_eq!(c.missing.first(), Some(&pb::PilotTopic::Scope));
        assert_eq!(c.missing.last(), Some(&pb::PilotTopic::Anchoring));
        assert!((c.percent() - 200.0 / 13.0).abs() < 1e-9);
        assert_eq!(
            PlanCompleteness::of(&pb::PilotPlan::default()).percent(),
            0.0
        );
    }

    fn reading(value: f64, date: &str) -> Reading {
        Reading {
            value,
            date: date.into(),
        }
    }

    fn benefit(measured: &[(f64, &str)]) -> innohub_proto::innohub::projections::v1::PilotBenefit {
        innohub_proto::innohub::projections::v1::PilotBenefit {
            definition: Some(pb::PilotBenefitDefined {
                benefit_id: Uuid::now_v7().to_string(),
                benefit: Some(Benefit {
                    title: "Timer brukt på planlegging".into(),
                    baseline: Some(reading(40.0, "2026-01-01")),
                    target: Some(reading(10.0, "2026-06-30")),
                    ..Default::default()
                }),
            }),
            measurements: measured
                .iter()
                .map(|(v, d)| pb::PilotMeasurementRecorded {
                    benefit_id: String::new(),
                    reading: Some(reading(*v, d)),
                    recorded_by: "kari".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_latest_measurement_is_of_the_latest_day_and_realises_its_share() {
        // Given hours from 40 down to 10 (lower is better), measured 25 on 1 March and, back-
        // dated, 34 on 1 February, then the latest is 1 March's and half the benefit is
        // realised; without a measurement nothing is.
        let view =
            BenefitView::new(benefit(&[(25.0, "2026-03-01"), (34.0, "2026-02-01")])).expect("view");
        assert_eq!(view.latest, Some(reading(25.0, "2026-03-01")));
        assert_eq!(view.measurements[0].date, "2026-02-01");
        assert_eq!(view.realisation, Some(50.0));
        let unmeasured = BenefitView::new(benefit(&[])).expect("view");
        assert_eq!((unmeasured.latest, unmeasured.realisation), (None, None));
    }
}
