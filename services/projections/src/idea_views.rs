//! The `idea_views` projection: one row per idea for the read rule, the filters and the
//! order (`idea_view`), the idea as its events made it (`idea_record`, an
//! `innohub.projections.v1.IdeaRecord`: details, stage, gate decisions, supporters,
//! comments, each reviewer's raw values, outcomes), its facets (`idea_facet`), every stage
//! it entered with the time (`idea_stage`, for the funnel), and each municipality's
//! criteria in force (`idea_criteria`). Built from the ideas events only, decoded from the
//! contract's messages (`innohub.ideas.v1`); read by [`crate::idea_queries`].
//!
//! Scores are not stored: they are computed when read from the reviewers' raw values and
//! the criteria in force ([`crate::idea_score`]), so new criteria re-score every idea of the
//! municipality, whatever order criteria and scores arrive in.
//!
//! A batch is applied in three steps, like `process_views`: [`Batch::load`] decodes every
//! event and reads, once, the records the batch touches; [`Batch::fold`] folds the events
//! into them in memory; [`Batch::write`] writes each table once, in multi-row statements
//! (the records, their rows and facets as every kept record: `crate::records`).

use std::collections::{BTreeMap, HashMap};

use innohub_proto::innohub::ideas::v1 as pb;
use innohub_proto::innohub::processes::v1::Visibility;
use innohub_proto::innohub::projections::v1::{IdeaComment, IdeaGate, IdeaRecord};
use innohub_proto::short_name as short;
use innohub_runtime::StoredEvent;
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::sql::{Rows, Value};
use prost::{Message, Name};
use sqlx::AnyConnection;

use crate::access::IDEAS;
use crate::filter::idea_facets;
use crate::records::{Kept, Records};
use crate::timeline::stored_time;

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdeaViews;

/// The aggregate types of the ideas service's streams that this projection reads.
const IDEA: &str = "idea";
const CRITERIA: &str = "idea_criteria";

impl Projection for IdeaViews {
    fn name(&self) -> &'static str {
        "idea_views"
    }

    fn source(&self) -> &'static str {
        "ideas"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "idea_view",
            "idea_record",
            "idea_facet",
            "idea_stage",
            "idea_criteria",
        ]
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

/// Who may read an idea: see [`visibility_of`].
pub(crate) fn visibility(details: Option<&pb::IdeaDetails>) -> Visibility {
    visibility_of(details.map_or(0, |d| d.visibility))
}

/// Who may read a record of a context whose UNSPECIFIED visibility means MUNICIPALITY (the
/// contract's meaning for ideas and pilots); an unknown value is PRIVATE, so that nobody
/// reads more than they may.
pub(crate) fn visibility_of(raw: i32) -> Visibility {
    match Visibility::try_from(raw) {
        Ok(Visibility::Unspecified) => Visibility::Municipality,
        Ok(v) => v,
        Err(_) => Visibility::Private,
    }
}

/// The stored [`visibility`]: the contract's name without its prefix (`NETWORK`).
fn visibility_name(details: Option<&pb::IdeaDetails>) -> &'static str {
    short(visibility(details).as_str_name())
}

/// The stored name of a stage, without its prefix (`EXPLORING`).
pub(crate) fn stage_name(raw: i32) -> Option<&'static str> {
    pb::Stage::try_from(raw)
        .ok()
        .filter(|s| *s != pb::Stage::Unspecified)
        .map(|s| short(s.as_str_name()))
}

/// An event's contract message, decoded once.
enum Change {
    Idea(Box<IdeaChange>),
    Criteria(pb::IdeaCriteriaSet),
    /// Another aggregate type, or an event type this build does not know: nothing here.
    None,
}

enum IdeaChange {
    Submitted(pb::IdeaSubmitted),
    Details(pb::IdeaDetailsChanged),
    Gate(pb::IdeaGateDecided),
    Supported(pb::IdeaSupported),
    Withdrawn(pb::IdeaSupportWithdrawn),
    Commented(pb::IdeaCommented),
    Scored(pb::IdeaScored),
    Outcome(pb::IdeaOutcomeLinked),
}

/// Decode `event`, or refuse it. Unknown event types are skipped (the contract's rule).
fn decode(event: &StoredEvent) -> Result<Change, ProjectionError> {
    use IdeaChange as I;
    let idea = |change| Change::Idea(Box::new(change));
    let decoded = match (event.aggregate_type.as_str(), event.event_type.as_str()) {
        (IDEA, pb::IdeaSubmitted::NAME) => event.message().map(|m| idea(I::Submitted(m))),
        (IDEA, pb::IdeaDetailsChanged::NAME) => event.message().map(|m| idea(I::Details(m))),
        (IDEA, pb::IdeaGateDecided::NAME) => event.message().map(|m| idea(I::Gate(m))),
        (IDEA, pb::IdeaSupported::NAME) => event.message().map(|m| idea(I::Supported(m))),
        (IDEA, pb::IdeaSupportWithdrawn::NAME) => event.message().map(|m| idea(I::Withdrawn(m))),
        (IDEA, pb::IdeaCommented::NAME) => event.message().map(|m| idea(I::Commented(m))),
        (IDEA, pb::IdeaScored::NAME) => event.message().map(|m| idea(I::Scored(m))),
        (IDEA, pb::IdeaOutcomeLinked::NAME) => event.message().map(|m| idea(I::Outcome(m))),
        (CRITERIA, pb::IdeaCriteriaSet::NAME) => event.message().map(Change::Criteria),
        _ => Ok(Change::None),
    };
    decoded.map_err(|e| ProjectionError::refused(event, e))
}

impl Kept for IdeaRecord {
    const TABLE: &'static str = "idea_record";
    const INSERT: &'static str = "INSERT INTO idea_record (id, record)";
    const MODEL: &'static crate::access::ReadModel = &IDEAS;
    const INSERT_FACETS: &'static str = "INSERT INTO idea_facet (idea_id, facet, value)";

    fn facets(&self) -> Vec<(&'static str, String)> {
        idea_facets(self)
    }
}

/// What one batch reads, folds and writes.
struct Batch<'a> {
    events: Vec<(&'a StoredEvent, Change)>,
    /// Every idea the batch touches (`None` before its submission).
    ideas: Records<IdeaRecord>,
    /// Ideas submitted in this batch, with the time.
    submitted: HashMap<String, String>,
    /// The stages entered in this batch.
    stages: Rows,
    /// The criteria set in this batch, by municipality (the last one counts).
    criteria: BTreeMap<String, pb::IdeaCriteriaSet>,
}

impl<'a> Batch<'a> {
    /// Decode the events and read the records they touch.
    async fn load(
        conn: &mut AnyConnection,
        events: &[&'a StoredEvent],
    ) -> Result<Batch<'a>, ProjectionError> {
        let (events, ideas) =
            Records::load(conn, events, decode, |c| matches!(c, Change::Idea(_))).await?;
        Ok(Batch {
            events,
            ideas,
            submitted: HashMap::new(),
            stages: Rows::new(
                "INSERT INTO idea_stage (idea_id, sequence, stage, entered_at)",
                "",
            ),
            criteria: BTreeMap::new(),
        })
    }

    /// Fold every event into the loaded records.
    fn fold(&mut self) -> Result<(), ProjectionError> {
        for (event, change) in std::mem::take(&mut self.events) {
            match change {
                Change::Idea(change) => self
                    .fold_idea(event, *change)
                    .map_err(|reason| ProjectionError::refused(event, reason))?,
                Change::Criteria(e) => {
                    self.criteria.insert(e.municipality.clone(), e);
                }
                Change::None => {}
            }
        }
        Ok(())
    }

    /// Record that `event` entered its idea into `stage`.
    fn entered(&mut self, event: &StoredEvent, stage: i32, at: &str) -> Result<(), String> {
        let stage = stage_name(stage).ok_or_else(|| format!("no stage {stage}"))?;
        self.stages.push(vec![
            event.aggregate_id.clone().into(),
            event.sequence.into(),
            stage.into(),
            at.into(),
        ]);
        Ok(())
    }

    fn fold_idea(&mut self, event: &StoredEvent, change: IdeaChange) -> Result<(), String> {
        let id = event.aggregate_id.clone();
        let at = stored_time(&event.occurred_at);
        if let IdeaChange::Submitted(e) = change {
            self.entered(event, pb::Stage::Submitted as i32, &at)?;
            let record = IdeaRecord {
                idea_id: e.idea_id,
                municipality: e.municipality,
                submitter: e.submitter,
                details: e.details,
                stage: pb::Stage::Submitted as i32,
                ..IdeaRecord::default()
            };
            self.submitted.insert(id.clone(), at.clone());
            self.ideas.created(id, record, at);
            return Ok(());
        }
        let Some(Some(r)) = self.ideas.records.get_mut(&id) else {
            return Err(format!(
                "{} of idea {id} before its submission",
                event.event_type
            ));
        };
        let mut entered = None;
        match change {
            IdeaChange::Submitted(_) => unreachable!("handled above"),
            IdeaChange::Details(e) => {
                r.details = e.details;
                self.ideas.refaceted.insert(id.clone());
            }
            IdeaChange::Gate(e) => {
                entered = Some(e.to);
                r.stage = e.to;
                if e.likely_outcome != pb::Outcome::Unspecified as i32 {
                    r.likely_outcome = e.likely_outcome;
                }
                r.gates.push(IdeaGate {
                    decision: Some(e),
                    decided_at: at.clone(),
                });
            }
            IdeaChange::Supported(e) => {
                let known = r
                    .supporters
                    .iter()
                    .any(|s| s.user == e.user && s.municipality == e.municipality);
                if !known {
                    r.supporters.push(e);
                }
            }
            IdeaChange::Withdrawn(e) => r
                .supporters
                .retain(|s| !(s.user == e.user && s.municipality == e.municipality)),
            IdeaChange::Commented(e) => r.comments.push(IdeaComment {
                comment: Some(e),
                created_at: at.clone(),
            }),
            IdeaChange::Scored(e) => {
                match r.reviews.iter_mut().find(|s| s.reviewer == e.reviewer) {
                    Some(earlier) => earlier.scores = e.scores,
                    None => r.reviews.push(e),
                }
            }
            IdeaChange::Outcome(e) => {
                let outcome = e.outcome.ok_or("an outcome link without its outcome")?;
                if !r.outcomes.contains(&outcome) {
                    r.outcomes.push(outcome);
                    self.ideas.refaceted.insert(id.clone());
                }
            }
        }
        if let Some(stage) = entered {
            self.entered(event, stage, &at)?;
        }
        self.ideas.changed.insert(id, at);
        Ok(())
    }

    /// Each table once.
    async fn write(self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        let views = Rows::new(
            "INSERT INTO idea_view (id, municipality, visibility, submitter, stage, \
             likely_outcome, challenge_id, submitted_at, updated_at)",
            "ON CONFLICT (id) DO UPDATE SET visibility = excluded.visibility, \
             stage = excluded.stage, likely_outcome = excluded.likely_outcome, \
             challenge_id = excluded.challenge_id, updated_at = excluded.updated_at",
        );
        self.ideas
            .write(conn, views, |id, record, at| {
                // A new idea takes the time of its submission; an existing row keeps its own.
                view_row(
                    record,
                    self.submitted.get(id).map_or(at, String::as_str),
                    at,
                )
            })
            .await?;
        self.stages.execute(conn).await?;
        let mut criteria = Rows::new(
            "INSERT INTO idea_criteria (municipality, criteria)",
            "ON CONFLICT (municipality) DO UPDATE SET criteria = excluded.criteria",
        );
        for (municipality, set) in &self.criteria {
            criteria.push(vec![municipality.into(), set.encode_to_vec().into()]);
        }
        criteria.execute(conn).await?;
        Ok(())
    }
}

/// The `idea_view` row of a record.
fn view_row(record: &IdeaRecord, submitted_at: &str, updated_at: &str) -> Vec<Value> {
    let details = record.details.as_ref();
    let challenge = details
        .map(|d| d.challenge_id.clone())
        .filter(|c| !c.is_empty());
    let outcome = pb::Outcome::try_from(record.likely_outcome)
        .ok()
        .filter(|o| *o != pb::Outcome::Unspecified)
        .map(|o| short(o.as_str_name()).to_owned());
    vec![
        record.idea_id.clone().into(),
        record.municipality.clone().into(),
        visibility_name(details).into(),
        record.submitter.clone().into(),
        stage_name(record.stage).unwrap_or_default().into(),
        outcome.into(),
        challenge.into(),
        submitted_at.into(),
        updated_at.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UNSPECIFIED is the contract's MUNICIPALITY; a value this build does not know reads
    /// as PRIVATE.
    #[test]
    fn the_stored_visibility_never_widens_what_the_contract_says() {
        let of = |visibility: i32| {
            visibility_name(Some(&pb::IdeaDetails {
                visibility,
                ..Default::default()
            }))
        };
        assert_eq!(of(Visibility::Unspecified as i32), "MUNICIPALITY");
        assert_eq!(of(Visibility::Network as i32), "NETWORK");
        assert_eq!(of(99), "PRIVATE");
        assert_eq!(stage_name(pb::Stage::Designing as i32), Some("DESIGNING"));
        assert_eq!(stage_name(0), None);
    }
}
