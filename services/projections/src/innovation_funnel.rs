//! The innovation funnel of a municipality over a span of days
//! ([`PilotQueries::innovation_funnel`]): one flow from opportunity to deployment (ISO 56002)
//! over the ideas, processes, pilots and fund applications created in the span that the
//! viewer may read (the one read rule, [`access::visible`], of each), folded in memory
//! ([`funnel`]):
//!
//! - ideas per stage (the ideas funnel's own count, [`idea_funnel::funnel`]), processes per
//!   phase and pilots per status, each by where the record is now;
//! - fund applications drafted in the span and submitted (how many, and how many are for an
//!   idea: their `origin`), and the grants among them (how many, and the amounts granted per
//!   currency, in integer minor units);
//! - the links: processes and pilots born from an idea (their `origin`), and pilots now IN
//!   OPERATION;
//! - the steps: ideas submitted → ideas that reached DESIGNING or beyond → pilots planned →
//!   in operation (pilots IN_OPERATION and processes born from an idea in OPERATION; a
//!   process reported on its own is not part of the flow), with the conversion between
//!   consecutive steps in percent;
//! - median lead times in days: idea submitted → pilot planned and idea submitted → process
//!   submitted (for the pilots and processes born from an idea the viewer may read), pilot
//!   started → decided (the decision that ended it).
//!
//! The ideas' paths are the ideas funnel's ([`IdeaQueries::idea_paths`]); processes' origins
//! are their records' (`ProcessRecord.origin`), pilots' and applications' the `origin_idea`
//! column of their rows.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use innohub_funding_rules::status_named;
use innohub_proto::innohub::common::v1::Money;
use innohub_proto::innohub::funding::v1::ApplicationStatus;
use innohub_proto::innohub::ideas::v1::Stage;
use innohub_proto::innohub::pilots::v1 as pb;
use innohub_proto::innohub::processes::v1::Phase;
use innohub_proto::innohub::projections::v1::ApplicationRecord;
use innohub_proto::innohub::projections::v1::ProcessRecord;
use innohub_runtime::sql::Sql;
use innohub_runtime::{MunicipalityId, Viewer};
use prost::Message as _;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::access::{self, APPLICATIONS, PILOTS, PROCESSES};
use crate::funding_queries::per_currency;
use crate::idea_funnel::{self, IdeaPath, Span, StageCount, median};
use crate::idea_queries::IdeaQueries;
use crate::pilot_queries::{PilotQueries, STATUSES};
use crate::pilot_views::IDEAS;
use crate::queries::{QueryError, corrupt, time};

/// Every phase a process can be in, in order.
const PHASES: [Phase; 7] = [
    Phase::Idea,
    Phase::PreAnalysis,
    Phase::Specification,
    Phase::Development,
    Phase::Implementation,
    Phase::Operation,
    Phase::Decommissioned,
];

/// The stages an idea has reached DESIGNING or beyond by entering.
const DESIGNING_OR_BEYOND: [Stage; 4] = [
    Stage::Designing,
    Stage::Piloting,
    Stage::Scaling,
    Stage::Implemented,
];

/// A step of the funnel, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunnelStep {
    /// Ideas submitted.
    IdeasSubmitted,
    /// Of those, the ideas that reached DESIGNING or beyond.
    IdeasReachedDesigning,
    /// Pilots planned.
    PilotsPlanned,
    /// Pilots IN_OPERATION and processes born from an idea in OPERATION.
    InOperation,
}

/// How many records reached a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The step.
    pub step: FunnelStep,
    /// How many.
    pub count: i64,
    /// `count` in percent of the step before; `None` for the first step and after a step of
    /// none.
    pub conversion: Option<f64>,
}

/// Processes in one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseCount {
    /// The phase.
    pub phase: Phase,
    /// How many processes.
    pub processes: i64,
}

/// Pilots in one status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PilotStatusCount {
    /// The status.
    pub status: pb::Status,
    /// How many pilots.
    pub pilots: i64,
}

/// The links between the records of the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Links {
    /// Processes born from an idea.
    pub idea_to_process: i64,
    /// Pilots born from an idea.
    pub idea_to_pilot: i64,
    /// Pilots now IN_OPERATION.
    pub pilot_to_operation: i64,
}

/// A lead time: the median of the days between two events of some records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeadDays {
    /// How many records it is the median of.
    pub records: i64,
    /// The median of their days; `None` without any.
    pub median_days: Option<f64>,
}

impl LeadDays {
    fn of(days: Vec<f64>) -> Self {
        Self {
            records: days.len() as i64,
            median_days: median(days),
        }
    }
}

/// The fund applications of a funnel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationCount {
    /// Applications drafted in the span and submitted.
    pub applications: i64,
    /// Of those, the ones for an idea.
    pub from_ideas: i64,
}

/// The grants of a funnel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GrantCount {
    /// Applications of the funnel granted (APPROVED or PARTIALLY_APPROVED).
    pub grants: i64,
    /// The amounts granted, per currency.
    pub granted: Vec<Money>,
}

/// The innovation funnel of one municipality over a span.
#[derive(Debug, Clone, PartialEq)]
pub struct InnovationFunnel {
    /// The municipality.
    pub municipality: MunicipalityId,
    /// Ideas submitted in the span, by their stage now; every stage, in order.
    pub ideas: Vec<StageCount>,
    /// Processes submitted in the span, by their phase now; every phase, in order.
    pub processes: Vec<PhaseCount>,
    /// Pilots planned in the span, by their status now; every status, in order.
    pub pilots: Vec<PilotStatusCount>,
    /// Fund applications drafted in the span and submitted.
    pub applications: ApplicationCount,
    /// The grants among those applications.
    pub grants: GrantCount,
    /// The links of the records created in the span.
    pub links: Links,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Idea submitted → pilot planned, of the pilots planned in the span.
    pub idea_to_pilot: LeadDays,
    /// Pilot started → decided, of the pilots planned in the span and decided for good.
    pub pilot_to_decision: LeadDays,
    /// Idea submitted → process submitted, of the processes submitted in the span.
    pub idea_to_process: LeadDays,
}

/// What the funnel reads of a process.
#[derive(Debug, Clone)]
pub struct ProcessPoint {
    /// Its phase now.
    pub phase: Phase,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// The idea it was born from.
    pub origin_idea: Option<String>,
}

/// What the funnel reads of a pilot.
#[derive(Debug, Clone)]
pub struct PilotPoint {
    /// Its status now.
    pub status: pb::Status,
    /// When it was planned.
    pub planned_at: DateTime<Utc>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the decision that ended it was made.
    pub decided_at: Option<DateTime<Utc>>,
    /// The idea it was born from.
    pub origin_idea: Option<String>,
}

/// What the funnel reads of a fund application.
#[derive(Debug, Clone)]
pub struct ApplicationPoint {
    /// Its status now.
    pub status: ApplicationStatus,
    /// When it was drafted.
    pub drafted_at: DateTime<Utc>,
    /// Whether it was submitted.
    pub submitted: bool,
    /// The idea it is for.
    pub origin_idea: Option<String>,
    /// The amount granted, once decided.
    pub approved: Option<Money>,
}

/// The days from `from` to `to`.
fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 86_400_000.0
}

/// The records a funnel is folded from.
#[derive(Debug, Clone, Copy)]
pub struct Records<'a> {
    /// The ideas' paths, by idea id.
    pub ideas: &'a [(String, IdeaPath)],
    /// The processes.
    pub processes: &'a [ProcessPoint],
    /// The pilots.
    pub pilots: &'a [PilotPoint],
    /// The fund applications.
    pub applications: &'a [ApplicationPoint],
}

/// The funnel of `municipality` over `span` from its records (see the module's
/// documentation).
pub fn funnel(municipality: MunicipalityId, records: Records<'_>, span: &Span) -> InnovationFunnel {
    let Records {
        ideas,
        processes,
        pilots,
        applications,
    } = records;
    let paths: Vec<IdeaPath> = ideas.iter().map(|(_, p)| p.clone()).collect();
    let submitted: HashMap<&str, DateTime<Utc>> = ideas
        .iter()
        .filter_map(|(id, p)| p.entered.first().map(|(_, at)| (id.as_str(), *at)))
        .collect();
    let since_idea = |origin: &Option<String>, at: DateTime<Utc>| {
        origin
            .as_deref()
            .and_then(|idea| submitted.get(idea))
            .map(|idea| days(*idea, at))
    };
    let cohort: Vec<&IdeaPath> = paths.iter().filter(|p| p.submitted_in(span)).collect();
    let processes: Vec<&ProcessPoint> = processes
        .iter()
        .filter(|p| span.contains(&p.submitted_at))
        .collect();
    let pilots: Vec<&PilotPoint> = pilots
        .iter()
        .filter(|p| span.contains(&p.planned_at))
        .collect();
    let in_operation = pilots
        .iter()
        .filter(|p| p.status == pb::Status::InOperation)
        .count() as i64;
    let links = Links {
        idea_to_process: processes.iter().filter(|p| p.origin_idea.is_some()).count() as i64,
        idea_to_pilot: pilots.iter().filter(|p| p.origin_idea.is_some()).count() as i64,
        pilot_to_operation: in_operation,
    };
    let designed = cohort
        .iter()
        .filter(|p| {
            p.entered
                .iter()
                .any(|(s, _)| DESIGNING_OR_BEYOND.contains(s))
        })
        .count() as i64;
    let applications: Vec<&ApplicationPoint> = applications
        .iter()
        .filter(|a| a.submitted && span.contains(&a.drafted_at))
        .collect();
    let granted: Vec<&ApplicationPoint> = applications
        .iter()
        .copied()
        .filter(|a| {
            matches!(
                a.status,
                ApplicationStatus::Approved | ApplicationStatus::PartiallyApproved
            )
        })
        .collect();
    let deployed = in_operation
        + processes
            .iter()
            .filter(|p| p.phase == Phase::Operation && p.origin_idea.is_some())
            .count() as i64;
    let counts = [
        (FunnelStep::IdeasSubmitted, cohort.len() as i64),
        (FunnelStep::IdeasReachedDesigning, designed),
        (FunnelStep::PilotsPlanned, pilots.len() as i64),
        (FunnelStep::InOperation, deployed),
    ];
    let steps = counts
        .iter()
        .enumerate()
        .map(|(i, (step, count))| Step {
            step: *step,
            count: *count,
            conversion: i
                .checked_sub(1)
                .map(|before| counts[before].1)
                .filter(|before| *before > 0)
                .map(|before| *count as f64 / before as f64 * 100.0),
        })
        .collect();
    InnovationFunnel {
        ideas: idea_funnel::funnel(municipality.clone(), &paths, span).stages,
        municipality,
        processes: PHASES
            .into_iter()
            .map(|phase| PhaseCount {
                phase,
                processes: processes.iter().filter(|p| p.phase == phase).count() as i64,
            })
            .collect(),
        pilots: STATUSES
            .into_iter()
            .map(|status| PilotStatusCount {
                status,
                pilots: pilots.iter().filter(|p| p.status == status).count() as i64,
            })
            .collect(),
        applications: ApplicationCount {
            applications: applications.len() as i64,
            from_ideas: applications
                .iter()
                .filter(|a| a.origin_idea.is_some())
                .count() as i64,
        },
        grants: GrantCount {
            grants: granted.len() as i64,
            granted: per_currency(granted.iter().filter_map(|a| a.approved.as_ref())),
        },
        links,
        steps,
        idea_to_pilot: LeadDays::of(
            pilots
                .iter()
                .filter_map(|p| since_idea(&p.origin_idea, p.planned_at))
                .collect(),
        ),
        pilot_to_decision: LeadDays::of(
            pilots
                .iter()
                .filter_map(|p| Some(days(p.started_at?, p.decided_at?)))
                .collect(),
        ),
        idea_to_process: LeadDays::of(
            processes
                .iter()
                .filter_map(|p| since_idea(&p.origin_idea, p.submitted_at))
                .collect(),
        ),
    }
}

/// An optional time column (RFC 3339 text).
fn maybe_time(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>, QueryError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|raw| crate::queries::parse_time(&raw))
        .transpose()
}

impl PilotQueries {
    /// The innovation funnel of `municipality`'s ideas, processes and pilots that the viewer
    /// may read, created in the days `from` to `to` (both included; an end not given is
    /// open). The funnel is its municipality's own: the gateway answers it to members only.
    pub async fn innovation_funnel(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<InnovationFunnel, QueryError> {
        let span = Span::days(from, to);
        let ideas = IdeaQueries::new(self.db.clone())
            .idea_paths(viewer, municipality)
            .await?;
        let processes = self.funnel_processes(viewer, municipality, &span).await?;
        let pilots = self.funnel_pilots(viewer, municipality, &span).await?;
        let applications = self
            .funnel_applications(viewer, municipality, &span)
            .await?;
        let records = Records {
            ideas: &ideas,
            processes: &processes,
            pilots: &pilots,
            applications: &applications,
        };
        Ok(funnel(municipality.clone(), records, &span))
    }

    /// The fund applications of `municipality` drafted in `span` that the viewer may read.
    async fn funnel_applications(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
        span: &Span,
    ) -> Result<Vec<ApplicationPoint>, QueryError> {
        let mut sql = Sql::new(
            "SELECT pv.status, pv.drafted_at, pv.origin_idea, r.record \
             FROM application_view pv JOIN application_record r ON r.id = pv.id \
             WHERE pv.municipality = ",
        );
        sql.bind(municipality.as_str());
        span.push(&mut sql, "pv.drafted_at");
        sql.push(" AND ");
        access::visible(&mut sql, viewer, &APPLICATIONS);
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        rows.iter()
            .map(|row| {
                let raw: String = row.try_get("status")?;
                let status =
                    status_named(&raw).ok_or_else(|| corrupt(format!("no status {raw}")))?;
                let record: ApplicationRecord = crate::queries::record(row)?;
                Ok(ApplicationPoint {
                    status,
                    drafted_at: time(row, "drafted_at")?,
                    submitted: record.submission.is_some(),
                    origin_idea: row.try_get("origin_idea")?,
                    approved: record
                        .decision
                        .and_then(|d| d.decided)
                        .and_then(|d| d.approved),
                })
            })
            .collect()
    }

    /// The processes of `municipality` submitted in `span` that the viewer may read.
    async fn funnel_processes(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
        span: &Span,
    ) -> Result<Vec<ProcessPoint>, QueryError> {
        let mut sql = Sql::new(
            "SELECT pv.phase, pv.submitted_at, r.record FROM process_view pv \
             JOIN process_record r ON r.id = pv.id WHERE pv.municipality = ",
        );
        sql.bind(municipality.as_str());
        span.push(&mut sql, "pv.submitted_at");
        sql.push(" AND ");
        access::visible(&mut sql, viewer, &PROCESSES);
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        rows.iter()
            .map(|row| {
                let raw: String = row.try_get("phase")?;
                let phase = Phase::from_str_name(&format!("PHASE_{raw}"))
                    .ok_or_else(|| corrupt(format!("no phase {raw}")))?;
                let bytes: Vec<u8> = row.try_get("record")?;
                let record = ProcessRecord::decode(bytes.as_slice()).map_err(corrupt)?;
                Ok(ProcessPoint {
                    phase,
                    submitted_at: time(row, "submitted_at")?,
                    origin_idea: record
                        .origin
                        .filter(|o| (o.context.as_str(), o.kind.as_str()) == IDEAS)
                        .map(|o| o.id),
                })
            })
            .collect()
    }

    /// The pilots of `municipality` planned in `span` that the viewer may read.
    async fn funnel_pilots(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
        span: &Span,
    ) -> Result<Vec<PilotPoint>, QueryError> {
        let mut sql = Sql::new(
            "SELECT pv.status, pv.planned_at, pv.started_at, pv.decided_at, pv.origin_idea \
             FROM pilot_view pv WHERE pv.municipality = ",
        );
        sql.bind(municipality.as_str());
        span.push(&mut sql, "pv.planned_at");
        sql.push(" AND ");
        access::visible(&mut sql, viewer, &PILOTS);
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        rows.iter()
            .map(|row| {
                let raw: String = row.try_get("status")?;
                let status = pb::Status::from_str_name(&format!("STATUS_{raw}"))
                    .ok_or_else(|| corrupt(format!("no status {raw}")))?;
                Ok(PilotPoint {
                    status,
                    planned_at: time(row, "planned_at")?,
                    started_at: maybe_time(row, "started_at")?,
                    decided_at: maybe_time(row, "decided_at")?,
                    origin_idea: row.try_get("origin_idea")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idea_funnel::tests::{at, day, path};
    use Stage::*;

    fn idea(id: &str, entered: &[(Stage, &str)]) -> (String, IdeaPath) {
        (id.into(), path(entered, false))
    }

    fn pilot(
        status: pb::Status,
        planned: &str,
        run: Option<(&str, &str)>,
        origin: Option<&str>,
    ) -> PilotPoint {
        PilotPoint {
            status,
            planned_at: at(planned),
            started_at: run.map(|(s, _)| at(s)),
            decided_at: run.map(|(_, d)| at(d)),
            origin_idea: origin.map(Into::into),
        }
    }

    fn application(
        status: ApplicationStatus,
        drafted: &str,
        origin: Option<&str>,
        approved: Option<i64>,
    ) -> ApplicationPoint {
        ApplicationPoint {
            status,
            drafted_at: at(drafted),
            submitted: status != ApplicationStatus::Draft,
            origin_idea: origin.map(Into::into),
            approved: approved.map(|minor_units| Money {
                minor_units,
                currency: "NOK".into(),
            }),
        }
    }

    fn process(phase: Phase, submitted: &str, origin: Option<&str>) -> ProcessPoint {
        ProcessPoint {
            phase,
            submitted_at: at(submitted),
            origin_idea: origin.map(Into::into),
        }
    }

    #[test]
    fn the_funnel_counts_steps_links_conversions_and_lead_times() {
        // Given four ideas of January (two reached DESIGNING, one of them piloted, one turned
        // into a process), one of December, three pilots of January (one from an idea, in
        // operation; one stopped; one planning) and a pilot of February, and three processes
        // (one from an idea, in operation; one reported on its own, in operation; one of
        // February).
        let ideas = [
            idea(
                "a",
                &[
                    (Submitted, "2026-01-01T00:00:00Z"),
                    (Exploring, "2026-01-02T00:00:00Z"),
                    (Designing, "2026-01-04T00:00:00Z"),
                    (Piloting, "2026-01-05T00:00:00Z"),
                ],
            ),
            idea(
                "b",
                &[
                    (Submitted, "2026-01-02T00:00:00Z"),
                    (Designing, "2026-01-03T00:00:00Z"),
                    (Stopped, "2026-01-04T00:00:00Z"),
                ],
            ),
            idea("c", &[(Submitted, "2026-01-03T00:00:00Z")]),
            idea(
                "d",
                &[
                    (Submitted, "2026-01-04T00:00:00Z"),
                    (Exploring, "2026-01-05T00:00:00Z"),
                ],
            ),
            idea("old", &[(Submitted, "2025-12-01T00:00:00Z")]),
        ];
        let pilots = [
            pilot(
                pb::Status::InOperation,
                "2026-01-11T00:00:00Z",
                Some(("2026-01-12T00:00:00Z", "2026-01-22T00:00:00Z")),
                Some("a"),
            ),
            pilot(
                pb::Status::Stopped,
                "2026-01-12T00:00:00Z",
                Some(("2026-01-13T00:00:00Z", "2026-01-17T00:00:00Z")),
                None,
            ),
            pilot(
                pb::Status::Planning,
                "2026-01-20T00:00:00Z",
                None,
                Some("old"),
            ),
            pilot(
                pb::Status::Planning,
                "2026-02-01T00:00:00Z",
                None,
                Some("c"),
            ),
        ];
        let processes = [
            process(Phase::Operation, "2026-01-06T00:00:00Z", Some("b")),
            process(Phase::Operation, "2026-01-07T00:00:00Z", None),
            process(Phase::Idea, "2026-02-07T00:00:00Z", Some("d")),
        ];
        // And fund applications of January: one for idea a, granted 250 kNOK, one granted
        // 100 of 200 kNOK, one in review for idea b, one still a draft; and one of
        // February, granted.
        use ApplicationStatus as A;
        let applications = [
            application(
                A::Approved,
                "2026-01-06T00:00:00Z",
                Some("a"),
                Some(25_000_000),
            ),
            application(
                A::PartiallyApproved,
                "2026-01-07T00:00:00Z",
                None,
                Some(10_000_000),
            ),
            application(A::InReview, "2026-01-08T00:00:00Z", Some("b"), None),
            application(A::Draft, "2026-01-09T00:00:00Z", Some("c"), None),
            application(A::Approved, "2026-02-02T00:00:00Z", None, Some(1)),
        ];
        let no = MunicipalityId::parse("NO-4626").expect("municipality");
        let span = Span::days(day("2026-01-01"), day("2026-01-31"));
        let records = Records {
            ideas: &ideas,
            processes: &processes,
            pilots: &pilots,
            applications: &applications,
        };

        // When the funnel of January is folded.
        let f = funnel(no.clone(), records, &span);

        // Then each step counts its records of January, converted from the step before.
        let steps: Vec<(FunnelStep, i64)> = f.steps.iter().map(|s| (s.step, s.count)).collect();
        assert_eq!(
            steps,
            [
                (FunnelStep::IdeasSubmitted, 4),
                (FunnelStep::IdeasReachedDesigning, 2),
                (FunnelStep::PilotsPlanned, 3),
                (FunnelStep::InOperation, 2),
            ]
        );
        let conversions: Vec<Option<f64>> = f.steps.iter().map(|s| s.conversion).collect();
        assert_eq!(conversions[0], None);
        assert_eq!(conversions[1], Some(50.0));
        assert_eq!(conversions[2], Some(150.0));
        let last = conversions[3].expect("a conversion");
        assert!((last - 200.0 / 3.0).abs() < 1e-9, "{last}");
        assert_eq!(
            f.links,
            Links {
                idea_to_process: 1,
                idea_to_pilot: 2,
                pilot_to_operation: 1
            }
        );
        let stage = |s| f.ideas.iter().find(|c| c.stage == s).map(|c| c.ideas);
        assert_eq!(
            (stage(Piloting), stage(Stopped), stage(Submitted)),
            (Some(1), Some(1), Some(1))
        );
        let phase = |p| {
            f.processes
                .iter()
                .find(|c| c.phase == p)
                .map(|c| c.processes)
        };
        assert_eq!(
            (phase(Phase::Operation), phase(Phase::Idea)),
            (Some(2), Some(0))
        );
        assert_eq!(f.processes.len(), 7);
        let status = |s| f.pilots.iter().find(|c| c.status == s).map(|c| c.pilots);
        assert_eq!(status(pb::Status::Planning), Some(1));
        assert_eq!(f.pilots.len(), 6);
        // Idea a → its pilot: 10 days; the December idea → its pilot: 50 days.
        assert_eq!(f.idea_to_pilot.records, 2);
        assert_eq!(f.idea_to_pilot.median_days, Some(30.0));
        // Started → decided: 10 and 4 days.
        assert_eq!(f.pilot_to_decision.median_days, Some(7.0));
        // Idea b → its process: 4 days.
        assert_eq!(
            f.idea_to_process,
            LeadDays {
                records: 1,
                median_days: Some(4.0)
            }
        );

        // The three submitted applications of January, two for an idea; two grants of
        // 350 kNOK in all.
        assert_eq!(
            f.applications,
            ApplicationCount {
                applications: 3,
                from_ideas: 2
            }
        );
        assert_eq!(
            f.grants,
            GrantCount {
                grants: 2,
                granted: vec![Money {
                    minor_units: 35_000_000,
                    currency: "NOK".into()
                }]
            }
        );

        // And over an empty span nothing converts.
        let march = Span::days(day("2026-03-01"), day("2026-03-31"));
        let empty = funnel(no, records, &march);
        assert_eq!(empty.grants, GrantCount::default());
        assert!(
            empty
                .steps
                .iter()
                .all(|s| s.count == 0 && s.conversion.is_none())
        );
        assert_eq!(empty.idea_to_pilot.median_days, None);
    }
}
