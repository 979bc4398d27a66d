//! The `pilot_views` projection: one row per pilot for the read rule, the filters, the order
//! and the innovation funnel (`pilot_view`), the pilot as its events made it
//! (`pilot_record`, an `innohub.projections.v1.PilotRecord`: plan, status, origin, start,
//! observations, incidents, benefits with their measurements, evaluation, decisions) and its
//! facets (`pilot_facet`). Built from the pilots events only, decoded from the contract's
//! messages (`innohub.pilots.v1`); read by [`crate::pilot_queries`] and
//! [`crate::innovation_funnel`].
//!
//! Plan completeness, lens means and realisation are not stored: they are computed when read
//! (`innohub-pilot-rules`), from the record.
//!
//! A batch is applied in three steps, like `idea_views`: [`Batch::load`] decodes every event
//! and reads, once, the records the batch touches; [`Batch::fold`] folds the events into them
//! in memory; [`Batch::write`] writes each table once, in multi-row statements (the records,
//! their rows and facets as every kept record: `crate::records`).

use innohub_proto::innohub::pilots::v1 as pb;
use innohub_proto::innohub::projections::v1::{
    PilotBenefit, PilotDecision, PilotEvaluation, PilotRecord, PilotStart,
};
use innohub_proto::short_name as short;
use innohub_runtime::StoredEvent;
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::sql::{Rows, Value};
use prost::Name;
use sqlx::AnyConnection;

use crate::access::PILOTS;
use crate::filter::pilot_facets;
use crate::idea_views::visibility_of;
use crate::records::{Kept, Records};
use crate::timeline::stored_time;

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct PilotViews;

/// The aggregate type of a pilot's stream.
const PILOT: &str = "pilot";

/// The context and kind of an idea in a link (`RecordRef`): the origin the idea filter and
/// the funnel read.
pub(crate) const IDEAS: (&str, &str) = ("ideas", "idea");

impl Projection for PilotViews {
    fn name(&self) -> &'static str {
        "pilot_views"
    }

    fn source(&self) -> &'static str {
        "pilots"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["pilot_view", "pilot_record", "pilot_facet"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut batch = Batch::load(conn, events).await?;
        batch.fold()?;
        batch.write(conn).await
    }
}

/// The stored name of a status, without its prefix (`IN_OPERATION`).
pub(crate) fn status_name(raw: i32) -> Option<&'static str> {
    pb::Status::try_from(raw)
        .ok()
        .filter(|s| *s != pb::Status::Unspecified)
        .map(|s| short(s.as_str_name()))
}

/// The status a decision leads to.
fn decided(decision: i32) -> Result<pb::Status, String> {
    match pb::Decision::try_from(decision) {
        Ok(pb::Decision::ToOperation) => Ok(pb::Status::InOperation),
        Ok(pb::Decision::Extend) => Ok(pb::Status::Running),
        Ok(pb::Decision::Stop) => Ok(pb::Status::Stopped),
        Ok(pb::Decision::BackToIdeation) => Ok(pb::Status::BackToIdeation),
        _ => Err(format!("no decision {decision}")),
    }
}

/// Whether a pilot in `status` is decided for good.
pub(crate) fn is_final(status: pb::Status) -> bool {
    matches!(
        status,
        pb::Status::InOperation | pb::Status::Stopped | pb::Status::BackToIdeation
    )
}

/// An event's contract message, decoded once.
enum Change {
    Planned(Box<pb::PilotPlanned>),
    PlanChanged(Box<pb::PilotPlanChanged>),
    Started(pb::PilotStarted),
    Observed(pb::PilotObservationRecorded),
    Incident(pb::PilotIncidentRecorded),
    Benefit(pb::PilotBenefitDefined),
    Measured(pb::PilotMeasurementRecorded),
    Evaluated(Box<pb::PilotEvaluated>),
    Decided(pb::PilotDecided),
    /// Another aggregate type, or an event type this build does not know: nothing here.
    None,
}

/// Decode `event`, or refuse it. Unknown event types are skipped (the contract's rule).
fn decode(event: &StoredEvent) -> Result<Change, ProjectionError> {
    if event.aggregate_type != PILOT {
        return Ok(Change::None);
    }
    let decoded = match event.event_type.as_str() {
        pb::PilotPlanned::NAME => event.message().map(|m| Change::Planned(Box::new(m))),
        pb::PilotPlanChanged::NAME => event.message().map(|m| Change::PlanChanged(Box::new(m))),
        pb::PilotStarted::NAME => event.message().map(Change::Started),
        pb::PilotObservationRecorded::NAME => event.message().map(Change::Observed),
        pb::PilotIncidentRecorded::NAME => event.message().map(Change::Incident),
        pb::PilotBenefitDefined::NAME => event.message().map(Change::Benefit),
        pb::PilotMeasurementRecorded::NAME => event.message().map(Change::Measured),
        pb::PilotEvaluated::NAME => event.message().map(|m| Change::Evaluated(Box::new(m))),
        pb::PilotDecided::NAME => event.message().map(Change::Decided),
        _ => Ok(Change::None),
    };
    decoded.map_err(|e| ProjectionError::refused(event, e))
}

impl Kept for PilotRecord {
    const TABLE: &'static str = "pilot_record";
    const INSERT: &'static str = "INSERT INTO pilot_record (id, record)";
    const MODEL: &'static crate::access::ReadModel = &PILOTS;
    const INSERT_FACETS: &'static str = "INSERT INTO pilot_facet (pilot_id, facet, value)";

    fn facets(&self) -> Vec<(&'static str, String)> {
        pilot_facets(self)
    }
}

/// What one batch reads, folds and writes.
struct Batch<'a> {
    events: Vec<(&'a StoredEvent, Change)>,
    /// Every pilot the batch touches (`None` before it was planned).
    pilots: Records<PilotRecord>,
}

impl<'a> Batch<'a> {
    /// Decode the events and read the records they touch.
    async fn load(
        conn: &mut AnyConnection,
        events: &[&'a StoredEvent],
    ) -> Result<Batch<'a>, ProjectionError> {
        let (events, pilots) =
            Records::load(conn, events, decode, |c| !matches!(c, Change::None)).await?;
        Ok(Batch { events, pilots })
    }

    /// Fold every event into the loaded records.
    fn fold(&mut self) -> Result<(), ProjectionError> {
        for (event, change) in std::mem::take(&mut self.events) {
            self.fold_pilot(event, change)
                .map_err(|reason| ProjectionError::refused(event, reason))?;
        }
        Ok(())
    }

    fn fold_pilot(&mut self, event: &StoredEvent, change: Change) -> Result<(), String> {
        if matches!(change, Change::None) {
            return Ok(());
        }
        let id = event.aggregate_id.clone();
        let at = stored_time(&event.occurred_at);
        if let Change::Planned(e) = change {
            let e = *e;
            let record = PilotRecord {
                pilot_id: e.pilot_id,
                municipality: e.municipality,
                status: pb::Status::Planning as i32,
                plan: e.plan,
                planned_by: e.planned_by,
                origin: e.origin,
                planned_at: at.clone(),
                ..PilotRecord::default()
            };
            self.pilots.created(id, record, at);
            return Ok(());
        }
        let Some(Some(r)) = self.pilots.records.get_mut(&id) else {
            return Err(format!(
                "{} of pilot {id} before it was planned",
                event.event_type
            ));
        };
        match change {
            Change::Planned(_) | Change::None => unreachable!("handled above"),
            Change::PlanChanged(e) => {
                r.plan = e.plan;
                self.pilots.refaceted.insert(id.clone());
            }
            Change::Started(e) => {
                r.status = pb::Status::Running as i32;
                r.start = Some(PilotStart {
                    started: Some(e),
                    started_at: at.clone(),
                });
            }
            Change::Observed(e) => r.observations.push(e),
            Change::Incident(e) => r.incidents.push(e),
            Change::Benefit(e) => {
                let known = r.benefits.iter_mut().find(|b| {
                    b.definition
                        .as_ref()
                        .is_some_and(|d| d.benefit_id == e.benefit_id)
                });
                match known {
                    Some(benefit) => benefit.definition = Some(e),
                    None => r.benefits.push(PilotBenefit {
                        definition: Some(e),
                        measurements: Vec::new(),
                    }),
                }
            }
            Change::Measured(e) => {
                let benefit = r
                    .benefits
                    .iter_mut()
                    .find(|b| {
                        b.definition
                            .as_ref()
                            .is_some_and(|d| d.benefit_id == e.benefit_id)
                    })
                    .ok_or_else(|| format!("a measurement of no benefit {}", e.benefit_id))?;
                benefit.measurements.push(e);
            }
            Change::Evaluated(e) => {
                r.status = pb::Status::Evaluating as i32;
                r.evaluation = Some(PilotEvaluation {
                    evaluated: Some(*e),
                    evaluated_at: at.clone(),
                });
            }
            Change::Decided(e) => {
                let status = decided(e.decision)?;
                if status == pb::Status::Running
                    && let Some(plan) = r.plan.as_mut()
                {
                    plan.end_date = e.new_end_date.clone();
                }
                r.status = status as i32;
                r.decisions.push(PilotDecision {
                    decided: Some(e),
                    decided_at: at.clone(),
                });
            }
        }
        self.pilots.changed.insert(id, at);
        Ok(())
    }

    /// Each table once.
    async fn write(self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        let views = Rows::new(
            "INSERT INTO pilot_view (id, municipality, visibility, planned_by, responsible, \
             status, origin_idea, planned_at, started_at, decided_at, updated_at)",
            "ON CONFLICT (id) DO UPDATE SET visibility = excluded.visibility, \
             responsible = excluded.responsible, status = excluded.status, \
             started_at = excluded.started_at, decided_at = excluded.decided_at, \
             updated_at = excluded.updated_at",
        );
        self.pilots
            .write(conn, views, |_, record, at| view_row(record, at))
            .await
    }
}

/// The `pilot_view` row of a record last changed at `updated_at`.
fn view_row(record: &PilotRecord, updated_at: &str) -> Vec<Value> {
    let plan = record.plan.as_ref();
    let visibility = visibility_of(plan.map_or(0, |p| p.visibility));
    let responsible = plan
        .map(|p| p.responsible.clone())
        .filter(|r| !r.is_empty());
    let origin_idea = record
        .origin
        .as_ref()
        .filter(|o| (o.context.as_str(), o.kind.as_str()) == IDEAS)
        .map(|o| o.id.clone());
    let started_at = record.start.as_ref().map(|s| s.started_at.clone());
    let status = pb::Status::try_from(record.status).unwrap_or_default();
    let decided_at = record
        .decisions
        .last()
        .filter(|_| is_final(status))
        .map(|d| d.decided_at.clone());
    vec![
        record.pilot_id.clone().into(),
        record.municipality.clone().into(),
        short(visibility.as_str_name()).into(),
        record.planned_by.clone().into(),
        responsible.into(),
        status_name(record.status).unwrap_or_default().into(),
        origin_idea.into(),
        record.planned_at.clone().into(),
        started_at.into(),
        decided_at.into(),
        updated_at.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decision_leads_to_its_status_and_only_three_are_final() {
        // Given each decision, when it is applied, then the pilot is in its status; EXTEND
        // runs on, the other three end the pilot.
        use pb::Decision::*;
        let status = |d: pb::Decision| decided(d as i32).expect("a decision");
        assert_eq!(status(ToOperation), pb::Status::InOperation);
        assert_eq!(status(Extend), pb::Status::Running);
        assert_eq!(status(Stop), pb::Status::Stopped);
        assert_eq!(status(BackToIdeation), pb::Status::BackToIdeation);
        assert!(decided(Unspecified as i32).is_err());
        let finals: Vec<bool> = [ToOperation, Extend, Stop, BackToIdeation]
            .into_iter()
            .map(|d| is_final(status(d)))
            .collect();
        assert_eq!(finals, [true, false, true, true]);
        assert_eq!(
            status_name(pb::Status::InOperation as i32),
            Some("IN_OPERATION")
        );
        assert_eq!(status_name(0), None);
    }
}
