//! The innovation funnel of a municipality's ideas over a span of days
//! ([`IdeaQueries::idea_funnel`]), folded in memory ([`funnel`]) from the stages each idea
//! entered (`idea_stage`: its submission and every gate, with the time), over the ideas the
//! viewer may read (the one read rule, [`access::visible`]):
//!
//! - ideas per stage: the ideas submitted in the span, by the stage they are in now;
//! - conversion from each forward stage to the next: of the ideas that entered stage `s` in
//!   the span, how many entered the next stage (by now);
//! - lead time per stage: for the ideas that entered the stage in the span and have left it,
//!   the median of the days each spent in it (all its stays in it together: a parked idea
//!   resumed to the stage stays on);
//! - how many of the ideas submitted in the span became processes (an outcome in the
//!   processes context).

use chrono::{DateTime, NaiveDate, Utc};
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::short_name as short;
use innohub_runtime::sql::Sql;
use innohub_runtime::{MunicipalityId, Viewer};
use sqlx::Row;

use crate::access::{self, IDEAS};
use crate::filter::BECAME;
use crate::idea_queries::IdeaQueries;
use crate::queries::{QueryError, corrupt, time};
use crate::timeline::stored_time;

/// The forward stages, in order.
const FORWARD: [pb::Stage; 6] = [
    pb::Stage::Submitted,
    pb::Stage::Exploring,
    pb::Stage::Designing,
    pb::Stage::Piloting,
    pb::Stage::Scaling,
    pb::Stage::Implemented,
];

/// Every stage an idea can be in, in the order the funnel lists them.
fn all_stages() -> impl Iterator<Item = pb::Stage> {
    FORWARD
        .into_iter()
        .chain([pb::Stage::Parked, pb::Stage::Stopped])
}

/// The stages an idea can leave: the forward stages but the last, and PARKED.
fn left_stages() -> impl Iterator<Item = pb::Stage> {
    FORWARD[..FORWARD.len() - 1]
        .iter()
        .copied()
        .chain([pb::Stage::Parked])
}

/// The context of the processes service in a link (`RecordRef.context`).
const PROCESSES: &str = "processes";

/// How many ideas are in a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageCount {
    /// The stage.
    pub stage: pb::Stage,
    /// How many ideas.
    pub ideas: i64,
}

/// From one forward stage to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversion {
    /// The stage.
    pub from: pb::Stage,
    /// The next.
    pub to: pb::Stage,
    /// Ideas that entered `from` in the span.
    pub entered: i64,
    /// Of those, the ideas that entered `to`.
    pub advanced: i64,
}

impl Conversion {
    /// `advanced / entered`, 0 to 1; `None` when none entered.
    pub fn rate(&self) -> Option<f64> {
        (self.entered > 0).then(|| self.advanced as f64 / self.entered as f64)
    }
}

/// How long ideas stay in a stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadTime {
    /// The stage.
    pub stage: pb::Stage,
    /// Ideas that entered it in the span and have left it.
    pub ideas: i64,
    /// The median of the days they spent in it; `None` without any.
    pub median_days: Option<f64>,
}

/// The funnel of one municipality over a span.
#[derive(Debug, Clone, PartialEq)]
pub struct IdeaFunnel {
    /// The municipality.
    pub municipality: MunicipalityId,
    /// Ideas submitted in the span, by their stage now; every stage, in order.
    pub stages: Vec<StageCount>,
    /// Each forward stage to the next.
    pub conversions: Vec<Conversion>,
    /// Each stage an idea can leave.
    pub lead_times: Vec<LeadTime>,
    /// Ideas submitted in the span that became processes.
    pub became_processes: i64,
}

/// The stages one idea entered, oldest first, and whether it became a process.
#[derive(Debug, Clone, Default)]
pub struct IdeaPath {
    /// Each stage entered, with the time; the first is its submission.
    pub entered: Vec<(pb::Stage, DateTime<Utc>)>,
    /// It has an outcome in the processes context.
    pub became_process: bool,
}

impl IdeaPath {
    /// The stage it is in now.
    fn current(&self) -> Option<pb::Stage> {
        self.entered.last().map(|(s, _)| *s)
    }

    /// Whether it entered `stage` in `span`.
    fn entered_in(&self, stage: pb::Stage, span: &Span) -> bool {
        self.entered
            .iter()
            .any(|(s, at)| *s == stage && span.contains(at))
    }

    /// Whether it was submitted in `span`.
    pub(crate) fn submitted_in(&self, span: &Span) -> bool {
        self.entered
            .first()
            .is_some_and(|(_, at)| span.contains(at))
    }

    /// The days it spent in `stage` if it entered it first in `span` and has left it.
    fn days_in(&self, stage: pb::Stage, span: &Span) -> Option<f64> {
        let first = self.entered.iter().find(|(s, _)| *s == stage)?;
        if !span.contains(&first.1) || self.current() == Some(stage) {
            return None;
        }
        let milliseconds: i64 = self
            .entered
            .windows(2)
            .filter(|w| w[0].0 == stage)
            .map(|w| (w[1].1 - w[0].1).num_milliseconds())
            .sum();
        Some(milliseconds as f64 / 86_400_000.0)
    }
}

/// The days of a span, both ends included; an end left open is unbounded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    /// The first instant in it.
    from: Option<DateTime<Utc>>,
    /// The first instant after it.
    until: Option<DateTime<Utc>>,
}

impl Span {
    /// The days from `from` to `to` (UTC), both included.
    pub fn days(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Self {
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        Self {
            from: from.and_then(start),
            until: to.and_then(|d| d.succ_opt()).and_then(start),
        }
    }

    /// Whether `at` lies in the span.
    pub(crate) fn contains(&self, at: &DateTime<Utc>) -> bool {
        self.from.is_none_or(|f| *at >= f) && self.until.is_none_or(|u| *at < u)
    }

    /// Append ` AND …` that keeps the rows whose `column` (a stored time) lies in the span.
    pub(crate) fn push(&self, sql: &mut Sql, column: &str) {
        if let Some(from) = self.from {
            sql.push(&format!(" AND {column} >= "))
                .bind(stored_time(&from));
        }
        if let Some(until) = self.until {
            sql.push(&format!(" AND {column} < "))
                .bind(stored_time(&until));
        }
    }
}

/// The median of `values`; `None` for none.
pub(crate) fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// The funnel of `municipality`'s `paths` over `span` (see the module's documentation).
pub fn funnel(municipality: MunicipalityId, paths: &[IdeaPath], span: &Span) -> IdeaFunnel {
    let cohort: Vec<&IdeaPath> = paths.iter().filter(|p| p.submitted_in(span)).collect();
    let stages = all_stages()
        .map(|stage| StageCount {
            stage,
            ideas: cohort.iter().filter(|p| p.current() == Some(stage)).count() as i64,
        })
        .collect();
    let conversions = FORWARD
        .windows(2)
        .map(|w| {
            let entered: Vec<&IdeaPath> =
                paths.iter().filter(|p| p.entered_in(w[0], span)).collect();
            let advanced = entered
                .iter()
                .filter(|p| p.entered.iter().any(|(s, _)| *s == w[1]))
                .count();
            Conversion {
                from: w[0],
                to: w[1],
                entered: entered.len() as i64,
                advanced: advanced as i64,
            }
        })
        .collect();
    let lead_times = left_stages()
        .map(|stage| {
            let days: Vec<f64> = paths
                .iter()
                .filter_map(|p| p.days_in(stage, span))
                .collect();
            LeadTime {
                stage,
                ideas: days.len() as i64,
                median_days: median(days),
            }
        })
        .collect();
    IdeaFunnel {
        municipality,
        stages,
        conversions,
        lead_times,
        became_processes: cohort.iter().filter(|p| p.became_process).count() as i64,
    }
}

impl IdeaQueries {
    /// The funnel of `municipality`'s ideas that the viewer may read, over the days `from`
    /// to `to` (both included; an end not given is open).
    pub async fn idea_funnel(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<IdeaFunnel, QueryError> {
        let paths: Vec<IdeaPath> = self
            .idea_paths(viewer, municipality)
            .await?
            .into_iter()
            .map(|(_, path)| path)
            .collect();
        Ok(funnel(municipality.clone(), &paths, &Span::days(from, to)))
    }

    /// The path of each of `municipality`'s ideas that the viewer may read, with its id.
    pub(crate) async fn idea_paths(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
    ) -> Result<Vec<(String, IdeaPath)>, QueryError> {
        let mut sql = Sql::new(
            "SELECT st.idea_id, st.stage, st.entered_at, CAST(CASE WHEN EXISTS (SELECT 1 FROM \
             idea_facet b WHERE b.idea_id = pv.id AND b.facet = ",
        );
        sql.bind(BECAME)
            .push(" AND b.value = ")
            .bind(PROCESSES)
            .push(
                ") THEN 1 ELSE 0 END AS BIGINT) AS became FROM idea_stage st \
                 JOIN idea_view pv ON pv.id = st.idea_id WHERE pv.municipality = ",
            )
            .bind(municipality.as_str())
            .push(" AND ");
        access::visible(&mut sql, viewer, &IDEAS);
        sql.push(" ORDER BY st.idea_id, st.sequence");
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        let mut paths: Vec<(String, IdeaPath)> = Vec::new();
        for row in &rows {
            let id: String = row.try_get("idea_id")?;
            if paths.last().is_none_or(|(last, _)| *last != id) {
                let path = IdeaPath {
                    entered: Vec::new(),
                    became_process: row.try_get::<i64, _>("became")? != 0,
                };
                paths.push((id, path));
            }
            let raw: String = row.try_get("stage")?;
            let stage = all_stages()
                .find(|s| short(s.as_str_name()) == raw)
                .ok_or_else(|| corrupt(format!("no stage {raw}")))?;
            if let Some((_, path)) = paths.last_mut() {
                path.entered.push((stage, time(row, "entered_at")?));
            }
        }
        Ok(paths)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    //! The funnel's rules, and the helpers that make paths for them (also the innovation
    //! funnel's, `crate::innovation_funnel`).
    use super::*;
    use pb::Stage::*;

    pub(crate) fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .expect("time")
            .with_timezone(&Utc)
    }

    pub(crate) fn path(entered: &[(pb::Stage, &str)], became_process: bool) -> IdeaPath {
        IdeaPath {
            entered: entered.iter().map(|(s, t)| (*s, at(t))).collect(),
            became_process,
        }
    }

    pub(crate) fn day(raw: &str) -> Option<NaiveDate> {
        raw.parse().ok()
    }

    #[test]
    fn the_funnel_counts_stages_conversions_lead_times_and_processes() {
        let paths = [
            // Through exploring (2 days) to designing, and a process.
            path(
                &[
                    (Submitted, "2026-01-01T00:00:00Z"),
                    (Exploring, "2026-01-03T00:00:00Z"),
                    (Designing, "2026-01-05T00:00:00Z"),
                ],
                true,
            ),
            // Explored 4 days, parked 10, resumed and explored 1 more, then stopped.
            path(
                &[
                    (Submitted, "2026-01-02T00:00:00Z"),
                    (Exploring, "2026-01-04T00:00:00Z"),
                    (Parked, "2026-01-08T00:00:00Z"),
                    (Exploring, "2026-01-18T00:00:00Z"),
                    (Stopped, "2026-01-19T00:00:00Z"),
                ],
                false,
            ),
            // Still submitted.
            path(&[(Submitted, "2026-01-31T23:59:59Z")], false),
            // Submitted before the span, explored in it, still exploring.
            path(
                &[
                    (Submitted, "2025-12-01T00:00:00Z"),
                    (Exploring, "2026-01-10T00:00:00Z"),
                ],
                true,
            ),
        ];
        let span = Span::days(day("2026-01-01"), day("2026-01-31"));
        let dk = || MunicipalityId::parse("DK-0706").expect("municipality");
        let IdeaFunnel {
            stages,
            conversions,
            lead_times,
            became_processes: became,
            ..
        } = funnel(dk(), &paths, &span);
        let count = |s| stages.iter().find(|c| c.stage == s).map(|c| c.ideas);
        assert_eq!(count(Submitted), Some(1));
        assert_eq!(count(Designing), Some(1));
        assert_eq!(count(Stopped), Some(1));
        assert_eq!(
            count(Exploring),
            Some(0),
            "the explorer was submitted before"
        );
        assert_eq!(stages.len(), 8);
        assert_eq!(became, 1, "only the cohort counts");
        assert_eq!(
            conversions[0],
            Conversion {
                from: Submitted,
                to: Exploring,
                entered: 3,
                advanced: 2
            }
        );
        assert_eq!(conversions[0].rate(), Some(2.0 / 3.0));
        assert_eq!((conversions[1].entered, conversions[1].advanced), (3, 1));
        assert_eq!(conversions[2].entered, 1);
        assert_eq!(conversions[3].rate(), None);
        let lead = |s| *lead_times.iter().find(|l| l.stage == s).expect("stage");
        // Submitted: 2 days and 2 days left; the third never left, the fourth before the span.
        assert_eq!(lead(Submitted).ideas, 2);
        assert_eq!(lead(Submitted).median_days, Some(2.0));
        // Exploring: 2 days, and 4 + 1 days; the fourth is still exploring.
        assert_eq!(lead(Exploring).median_days, Some(3.5));
        assert_eq!(lead(Parked).median_days, Some(10.0));
        assert_eq!(lead(Designing).median_days, None);
        // An open span takes every idea in.
        let all = funnel(dk(), &paths, &Span::default());
        assert_eq!(all.stages.iter().map(|c| c.ideas).sum::<i64>(), 4);
        assert_eq!(all.became_processes, 2);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }
}
