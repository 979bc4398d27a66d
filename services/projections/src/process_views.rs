//! The `process_views` projection: one row per process with its priority score and backlog
//! rank, its facets for filtering, its comments, each municipality's scoring weights and
//! ranking, and how many processes each municipality has per visibility, open or closed
//! (`process_counts`, what `totalCount` reads). Built from the processes events only, decoded
//! from the contract's messages: the record is folded into an
//! `innohub.projections.v1.ProcessRecord` and stored as its bytes.
//!
//! A batch is applied in three steps ([`Projection::apply`]): [`Batch::load`] decodes every
//! event and reads, once, the records, weights and rankings the batch touches; [`Batch::fold`]
//! folds the events into them in memory; [`Batch::write`] writes each table once, in
//! multi-row statements.
//!
//! Two times of the last change are kept: `updated_at`, of any change, which members read,
//! and `shared_updated_at`, of the last change partners can see, which they read instead
//! (`access::ProcessView::new`), so that an edit of internal fields does not show as a new
//! time. Whether an event changes what partners see is decided as it is folded, from the
//! part of the record it replaces ([`Batch::fold_process`], [`differs_for_partners`]): only
//! the details can change for members alone, and they are redacted only when they differ.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::innohub::projections::v1::{BacklogOrder, ProcessRecord};
use innohub_proto::short_name as short;
use innohub_runtime::StoredEvent;
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::reflect::redact;
use innohub_runtime::sql::{Rows, Sql, Value};
use prost::{Message, Name};
use sqlx::{AnyConnection, Row};

use crate::access::{PROCESSES, ReadModel};
use crate::filter::facets;

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessViews;

/// The aggregate types of the processes service's streams.
const PROCESS: &str = "process";
const BACKLOG: &str = "backlog";
const SETTINGS: &str = "municipality_settings";

/// Ids per `IN (…)` list when loading.
const IDS_PER_QUERY: usize = 10_000;

impl Projection for ProcessViews {
    fn name(&self) -> &'static str {
        "process_views"
    }

    fn source(&self) -> &'static str {
        "processes"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "process_comment",
            "process_facet",
            "process_record",
            "process_view",
            "scoring_weights",
            "backlog_order",
            "process_counts",
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

fn corrupt(e: impl std::fmt::Display) -> ProjectionError {
    ProjectionError::Corrupt(e.to_string())
}

/// The priority score of a record with its municipality's weights.
fn score(record: &ProcessRecord, weights: &pb::ScoringWeights) -> f64 {
    let volume = record
        .details
        .as_ref()
        .and_then(|d| d.volume)
        .unwrap_or_default();
    innohub_priority::priority_score(&volume, record.assessment.as_ref(), weights)
}

/// Closed processes leave the backlog: stopped, or already running (or retired).
fn is_closed(record: &ProcessRecord) -> bool {
    use pb::{Phase, Status};
    [Status::Rejected, Status::Failed, Status::NotRelevant]
        .iter()
        .any(|s| *s as i32 == record.status)
        || record.phase >= Phase::Operation as i32
}

/// An event's contract message, decoded once.
enum Change {
    Process(Box<ProcessChange>),
    Ranked {
        municipality: String,
        process: String,
        after: Option<String>,
    },
    Unranked {
        municipality: String,
        process: String,
    },
    Weights(pb::ScoringWeightsSet),
    /// Another aggregate type: nothing here.
    None,
}

enum ProcessChange {
    Submitted(Box<pb::ProcessSubmitted>),
    Details(Box<pb::ProcessDetailsChanged>),
    Assessed(pb::ProcessAssessed),
    Phase(pb::ProcessPhaseChanged),
    Status(pb::ProcessStatusChanged),
    Commented(pb::ProcessCommented),
    Followed(pb::ProcessFollowed),
    Unfollowed(pb::ProcessUnfollowed),
    Experience(pb::ProcessExperienceRecorded),
}

/// Decode `event` (an event of another aggregate type is [`Change::None`]), or refuse it.
fn decode(event: &StoredEvent) -> Result<Change, ProjectionError> {
    if ![PROCESS, BACKLOG, SETTINGS].contains(&event.aggregate_type.as_str()) {
        return Ok(Change::None);
    }
    decode_known(event).map_err(|e| ProjectionError::refused(event, e))
}

fn decode_known(event: &StoredEvent) -> Result<Change, ProjectionError> {
    use ProcessChange as P;
    Ok(match event.event_type.as_str() {
        pb::ProcessSubmitted::NAME => {
            Change::Process(Box::new(P::Submitted(Box::new(event.message()?))))
        }
        pb::ProcessDetailsChanged::NAME => {
            Change::Process(Box::new(P::Details(Box::new(event.message()?))))
        }
        pb::ProcessAssessed::NAME => Change::Process(Box::new(P::Assessed(event.message()?))),
        pb::ProcessPhaseChanged::NAME => Change::Process(Box::new(P::Phase(event.message()?))),
        pb::ProcessStatusChanged::NAME => Change::Process(Box::new(P::Status(event.message()?))),
        pb::ProcessCommented::NAME => Change::Process(Box::new(P::Commented(event.message()?))),
        pb::ProcessFollowed::NAME => Change::Process(Box::new(P::Followed(event.message()?))),
        pb::ProcessUnfollowed::NAME => Change::Process(Box::new(P::Unfollowed(event.message()?))),
        pb::ProcessExperienceRecorded::NAME => {
            Change::Process(Box::new(P::Experience(event.message()?)))
        }
        pb::ProcessRanked::NAME => {
            let e: pb::ProcessRanked = event.message()?;
            Change::Ranked {
                municipality: e.municipality,
                process: e.process_id,
                after: (!e.after_process_id.is_empty()).then_some(e.after_process_id),
            }
        }
        pb::ProcessUnranked::NAME => {
            let e: pb::ProcessUnranked = event.message()?;
            Change::Unranked {
                municipality: e.municipality,
                process: e.process_id,
            }
        }
        pb::ScoringWeightsSet::NAME => Change::Weights(event.message()?),
        other => return Err(corrupt(format!("unknown event type {other}"))),
    })
}

/// A municipality's ranking, as loaded and as the batch leaves it.
struct Ranking {
    before: Vec<String>,
    now: Vec<String>,
}

/// What one batch reads, folds and writes.
struct Batch<'a> {
    events: Vec<(&'a StoredEvent, Change)>,
    /// Every process the batch touches: its record (`None` before its submission).
    records: HashMap<String, Option<ProcessRecord>>,
    /// The `process_counts` row each loaded process counted in before the batch: its keys
    /// are the processes that had a row (and facets) before the batch.
    counted_before: HashMap<String, Counted>,
    /// Processes whose record changed, with the time of their last event.
    changed: BTreeMap<String, String>,
    /// Processes that changed in a way partners can see, with the time of the last such
    /// event.
    changed_for_partners: HashMap<String, String>,
    /// Processes submitted in this batch, with the time.
    submitted: HashMap<String, String>,
    /// Processes whose facets changed.
    refaceted: BTreeSet<String>,
    comments: Rows,
    weights: HashMap<String, pb::ScoringWeights>,
    /// Municipalities whose weights the batch set: every process of theirs is re-scored.
    reweighted: BTreeSet<String>,
    rankings: HashMap<String, Ranking>,
}

impl<'a> Batch<'a> {
    /// Decode the events and read what they touch.
    async fn load(
        conn: &mut AnyConnection,
        events: &[&'a StoredEvent],
    ) -> Result<Batch<'a>, ProjectionError> {
        let (events, records): (_, HashMap<String, Option<ProcessRecord>>) = decode_and_load(
            conn,
            events,
            decode,
            |c| matches!(c, Change::Process(_)),
            ("process_record", "id", "record"),
        )
        .await?;
        let counted_before = records
            .iter()
            .filter_map(|(id, r)| Some((id.clone(), counted_as(r.as_ref()?))))
            .collect();
        let mut municipalities: BTreeSet<String> = records
            .values()
            .flatten()
            .map(|r| r.municipality.clone())
            .collect();
        for (_, change) in &events {
            match change {
                Change::Process(change) => match &**change {
                    ProcessChange::Submitted(e) => municipalities.insert(e.municipality.clone()),
                    _ => false,
                },
                Change::Ranked { municipality, .. } | Change::Unranked { municipality, .. } => {
                    municipalities.insert(municipality.clone())
                }
                Change::Weights(e) => municipalities.insert(e.municipality.clone()),
                _ => false,
            };
        }
        let municipalities: Vec<String> = municipalities.into_iter().collect();
        let weights: HashMap<String, pb::ScoringWeights> = stored_messages(
            conn,
            ("scoring_weights", "municipality", "weights"),
            &municipalities,
        )
        .await?;
        let orders: HashMap<String, BacklogOrder> = stored_messages(
            conn,
            ("backlog_order", "municipality", "ranked"),
            &municipalities,
        )
        .await?;
        let rankings = municipalities
            .iter()
            .map(|m| {
                let before = orders.get(m).cloned().unwrap_or_default().process_ids;
                let ranking = Ranking {
                    now: before.clone(),
                    before,
                };
                (m.clone(), ranking)
            })
            .collect();
        let weights = municipalities
            .iter()
            .map(|m| {
                let w = weights
                    .get(m)
                    .cloned()
                    .unwrap_or_else(innohub_priority::default_weights);
                (m.clone(), w)
            })
            .collect();
        Ok(Batch {
            events,
            records,
            counted_before,
            changed: BTreeMap::new(),
            changed_for_partners: HashMap::new(),
            submitted: HashMap::new(),
            refaceted: BTreeSet::new(),
            comments: Rows::new(
                "INSERT INTO process_comment (comment_id, process_id, author, author_municipality, \
                 text, created_at, position)",
                "",
            ),
            weights,
            reweighted: BTreeSet::new(),
            rankings,
        })
    }

    /// Fold every event into the loaded state.
    fn fold(&mut self) -> Result<(), ProjectionError> {
        for (event, change) in std::mem::take(&mut self.events) {
            match change {
                Change::Process(change) => self
                    .fold_process(event, *change)
                    .map_err(|e| ProjectionError::refused(event, e))?,
                Change::Ranked {
                    municipality,
                    process,
                    after,
                } => {
                    let ranking = self.ranking(&municipality)?;
                    innohub_priority::place(&mut ranking.now, process, after.as_ref());
                }
                Change::Unranked {
                    municipality,
                    process,
                } => self.ranking(&municipality)?.now.retain(|p| *p != process),
                Change::Weights(e) => {
                    self.weights
                        .insert(e.municipality.clone(), e.weights.unwrap_or_default());
                    self.reweighted.insert(e.municipality);
                }
                Change::None => {}
            }
        }
        Ok(())
    }

    /// The ranking of a municipality the batch names ([`Batch::load`] read each).
    fn ranking(&mut self, municipality: &str) -> Result<&mut Ranking, ProjectionError> {
        self.rankings
            .get_mut(municipality)
            .ok_or_else(|| corrupt(format!("the ranking of {municipality} was not loaded")))
    }

    fn fold_process(
        &mut self,
        event: &StoredEvent,
        change: ProcessChange,
    ) -> Result<(), ProjectionError> {
        let id = &event.aggregate_id;
        let at = event.occurred_at.to_rfc3339();
        let slot = self.records.entry(id.clone()).or_default();
        if let ProcessChange::Submitted(e) = change {
            *slot = Some(ProcessRecord {
                process_id: e.process_id,
                municipality: e.municipality,
                reporter: e.reporter,
                details: e.details,
                origin: e.origin,
                phase: pb::Phase::Idea as i32,
                status: pb::Status::NotAssessed as i32,
                ..ProcessRecord::default()
            });
            self.refaceted.insert(id.clone());
            self.submitted.insert(id.clone(), at.clone());
            self.changed_for_partners.insert(id.clone(), at.clone());
            self.changed.insert(id.clone(), at);
            return Ok(());
        }
        let Some(r) = slot.as_mut() else {
            return Err(corrupt(format!(
                "{} {id} has no submission",
                event.event_type
            )));
        };
        // Whether partners see the change (people, internal notes and departments are all
        // in the details; the rest of the record is theirs to read, followers as a count).
        let seen = match change {
            ProcessChange::Submitted(_) => unreachable!("handled above"),
            ProcessChange::Details(e) => {
                let seen = differs_for_partners(&r.details, &e.details, &r.municipality)?;
                r.details = e.details;
                self.refaceted.insert(id.clone());
                seen
            }
            ProcessChange::Assessed(e) => {
                let seen = differs_for_partners(&r.assessment, &e.assessment, &r.municipality)?;
                r.assessment = e.assessment;
                seen
            }
            ProcessChange::Phase(e) => std::mem::replace(&mut r.phase, e.to) != e.to,
            ProcessChange::Status(e) => {
                let seen = (r.status, &r.status_reason) != (e.to, &e.reason);
                r.status = e.to;
                r.status_reason = e.reason;
                seen
            }
            ProcessChange::Commented(c) => {
                r.comment_count += 1;
                self.comments.push(vec![
                    c.comment_id.into(),
                    id.into(),
                    c.author.into(),
                    c.author_municipality.into(),
                    c.text.into(),
                    at.clone().into(),
                    event.position.into(),
                ]);
                true
            }
            ProcessChange::Followed(follower) => {
                let key = |f: &pb::ProcessFollowed| (f.municipality.clone(), f.user.clone());
                match r.followers.binary_search_by_key(&key(&follower), key) {
                    Err(at) => {
                        r.followers.insert(at, follower);
                        true
                    }
                    Ok(_) => false,
                }
            }
            ProcessChange::Unfollowed(e) => {
                let before = r.followers.len();
                r.followers
                    .retain(|f| !(f.user == e.user && f.municipality == e.municipality));
                r.followers.len() != before
            }
            ProcessChange::Experience(e) => {
                let seen = differs_for_partners(&r.experience, &e.experience, &r.municipality)?;
                r.experience = e.experience;
                seen
            }
        };
        if seen {
            self.changed_for_partners.insert(id.clone(), at.clone());
        }
        self.changed.insert(id.clone(), at);
        Ok(())
    }

    /// Each table once.
    async fn write(self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        self.comments.execute(conn).await?;
        self.write_facets(conn).await?;
        let mut records = Rows::new(
            "INSERT INTO process_record (id, record)",
            "ON CONFLICT (id) DO UPDATE SET record = excluded.record",
        );
        let mut views = Rows::new(
            "INSERT INTO process_view (id, municipality, visibility, reporter, owner, phase, \
             status, closed, title, classification, hours_saved, score, backlog_rank, \
             submitted_at, updated_at, shared_updated_at)",
            "ON CONFLICT (id) DO UPDATE SET visibility = excluded.visibility, \
             owner = excluded.owner, phase = excluded.phase, status = excluded.status, \
             closed = excluded.closed, title = excluded.title, \
             classification = excluded.classification, hours_saved = excluded.hours_saved, \
             score = excluded.score, backlog_rank = excluded.backlog_rank, \
             updated_at = excluded.updated_at, \
             shared_updated_at = COALESCE(excluded.shared_updated_at, process_view.shared_updated_at)",
        );
        let ranks = self.ranks();
        for (id, at) in &self.changed {
            let Some(record) = self.records.get(id).and_then(Option::as_ref) else {
                continue;
            };
            let weights = &self.weights[&record.municipality];
            // A process submitted here takes the time of its submission; an existing row
            // keeps its own (the upsert does not overwrite it).
            let submitted = self.submitted.get(id).unwrap_or(at);
            // Null (keep the row's own) unless partners saw a change in this batch; a new
            // process always has one, its submission.
            let shared_at = self.changed_for_partners.get(id).map(String::as_str);
            views.push(view_row(
                record,
                weights,
                ranks.get(id.as_str()).copied(),
                submitted,
                (at, shared_at),
            ));
            records.push(vec![id.into(), record.encode_to_vec().into()]);
        }
        records.execute(conn).await?;
        views.execute(conn).await?;
        self.write_counts(conn).await?;
        self.write_rankings(conn, &ranks).await?;
        self.write_weights(conn).await
    }

    /// Move each changed process from the `process_counts` row it counted in (none when new)
    /// to the one it counts in now.
    async fn write_counts(&self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        let mut moves: BTreeMap<Counted, i64> = BTreeMap::new();
        for id in self.changed.keys() {
            let Some(record) = self.records.get(id).and_then(Option::as_ref) else {
                continue;
            };
            let now = counted_as(record);
            let before = self.counted_before.get(id);
            if before != Some(&now) {
                if let Some(before) = before {
                    *moves.entry(before.clone()).or_default() -= 1;
                }
                *moves.entry(now).or_default() += 1;
            }
        }
        let mut counts = Rows::new(
            "INSERT INTO process_counts (municipality, visibility, closed, n)",
            "ON CONFLICT (municipality, visibility, closed) DO UPDATE SET n = process_counts.n + excluded.n",
        );
        for ((municipality, visibility, closed), by) in moves {
            if by != 0 {
                counts.push(vec![
                    municipality.into(),
                    visibility.into(),
                    closed.into(),
                    by.into(),
                ]);
            }
        }
        counts.execute(conn).await?;
        Ok(())
    }

    /// The rank (1 = first) of every process in the rankings as the batch leaves them.
    fn ranks(&self) -> HashMap<&str, i64> {
        self.rankings
            .values()
            .flat_map(|r| r.now.iter().enumerate())
            .map(|(i, id)| (id.as_str(), i as i64 + 1))
            .collect()
    }

    async fn write_facets(&self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        // Only a process that had a row before the batch (`counted_before`) has facets to
        // replace.
        replace_facets(
            conn,
            (
                &PROCESSES,
                "INSERT INTO process_facet (process_id, facet, value)",
            ),
            &self.refaceted,
            |id| self.counted_before.contains_key(id),
            |id| {
                self.records
                    .get(id)
                    .and_then(Option::as_ref)
                    .map(facets)
                    .unwrap_or_default()
            },
        )
        .await
    }

    /// The rankings that moved, and the rank of every process not written with its row
    /// whose place in them moved. A ranking may name a process that has no row yet (Kafka
    /// orders events per aggregate only): its rank is set when its row is written.
    async fn write_rankings(
        &self,
        conn: &mut AnyConnection,
        ranks: &HashMap<&str, i64>,
    ) -> Result<(), ProjectionError> {
        let mut orders = Rows::new(
            "INSERT INTO backlog_order (municipality, ranked)",
            "ON CONFLICT (municipality) DO UPDATE SET ranked = excluded.ranked",
        );
        let mut moved = Rows::new(
            "UPDATE process_view SET backlog_rank = v.column2 FROM (",
            ") AS v WHERE process_view.id = v.column1",
        );
        for (municipality, ranking) in &self.rankings {
            if ranking.before == ranking.now {
                continue;
            }
            orders.push(vec![
                municipality.into(),
                BacklogOrder {
                    process_ids: ranking.now.clone(),
                }
                .encode_to_vec()
                .into(),
            ]);
            let before: HashMap<&str, usize> = ranking
                .before
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i))
                .collect();
            let unranked = ranking
                .before
                .iter()
                .filter(|id| !ranks.contains_key(id.as_str()));
            for id in ranking.now.iter().chain(unranked) {
                let rank = ranks.get(id.as_str()).copied();
                let was = before.get(id.as_str()).map(|i| *i as i64 + 1);
                if rank != was && !self.changed.contains_key(id) {
                    moved.push(vec![id.into(), Value::OptInt(rank)]);
                }
            }
        }
        orders.execute(conn).await?;
        moved.execute(conn).await?;
        Ok(())
    }

    /// New weights, and the scores of the processes of their municipalities that the batch
    /// did not write.
    async fn write_weights(&self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        if self.reweighted.is_empty() {
            return Ok(());
        }
        let mut weights = Rows::new(
            "INSERT INTO scoring_weights (municipality, weights)",
            "ON CONFLICT (municipality) DO UPDATE SET weights = excluded.weights",
        );
        let mut scores = Rows::new(
            "UPDATE process_view SET score = v.column2 FROM (",
            ") AS v WHERE process_view.id = v.column1",
        );
        for municipality in &self.reweighted {
            let w = &self.weights[municipality];
            weights.push(vec![municipality.into(), w.encode_to_vec().into()]);
            let rows = sqlx::query(
                "SELECT r.id, r.record FROM process_record r JOIN process_view pv ON pv.id = r.id \
                 WHERE pv.municipality = $1",
            )
            .bind(municipality)
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                let id: String = row.try_get("id")?;
                if self.changed.contains_key(&id) {
                    continue;
                }
                let bytes: Vec<u8> = row.try_get("record")?;
                let record = ProcessRecord::decode(bytes.as_slice()).map_err(corrupt)?;
                scores.push(vec![id.into(), score(&record, w).into()]);
            }
        }
        weights.execute(conn).await?;
        scores.execute(conn).await?;
        Ok(())
    }
}

/// The `process_counts` row a process counts in: municipality, visibility, closed.
type Counted = (String, String, i64);

fn counted_as(record: &ProcessRecord) -> Counted {
    (
        record.municipality.clone(),
        visibility(record),
        i64::from(is_closed(record)),
    )
}

/// The `visibility` column: the contract's name without its prefix (`PUBLIC`).
fn visibility(record: &ProcessRecord) -> String {
    let raw = record.details.as_ref().map_or(0, |d| d.visibility);
    short(
        pb::Visibility::try_from(raw)
            .ok()
            .map(|v| v.as_str_name())
            .unwrap_or_default(),
    )
    .to_owned()
}

/// The `process_view` row of a record.
fn view_row(
    record: &ProcessRecord,
    weights: &pb::ScoringWeights,
    rank: Option<i64>,
    submitted_at: &str,
    (updated_at, shared_updated_at): (&str, Option<&str>),
) -> Vec<Value> {
    let d = record.details.clone().unwrap_or_default();
    let volume = d.volume.unwrap_or_default();
    let name = |enum_name: Option<&'static str>| short(enum_name.unwrap_or_default()).to_owned();
    vec![
        record.process_id.clone().into(),
        record.municipality.clone().into(),
        name(
            pb::Visibility::try_from(d.visibility)
                .ok()
                .map(|v| v.as_str_name()),
        )
        .into(),
        record.reporter.clone().into(),
        (!d.owner.is_empty()).then_some(d.owner).into(),
        name(
            pb::Phase::try_from(record.phase)
                .ok()
                .map(|p| p.as_str_name()),
        )
        .into(),
        name(
            pb::Status::try_from(record.status)
                .ok()
                .map(|s| s.as_str_name()),
        )
        .into(),
        i64::from(is_closed(record)).into(),
        d.title.into(),
        d.classification
            .as_ref()
            .map(|c| format!("{} {}", c.scheme, c.code))
            .into(),
        innohub_priority::hours_saved(&volume).into(),
        score(record, weights).into(),
        rank.into(),
        submitted_at.into(),
        updated_at.into(),
        shared_updated_at.map(str::to_owned).into(),
    ]
}

/// Whether replacing `old` by `new`, a part of the record of a process owned by `owner`,
/// changes what partners see of it: the two differ once redacted for a reader of no
/// municipality, i.e. without anything internal or personal. Redacts only parts that differ.
fn differs_for_partners<M: Message + Name + Default + PartialEq>(
    old: &Option<M>,
    new: &Option<M>,
    owner: &str,
) -> Result<bool, ProjectionError> {
    if old == new {
        return Ok(false);
    }
    let partners = |m: &Option<M>| -> Result<Option<M>, ProjectionError> {
        m.as_ref()
            .map(|m| redact(m, owner, "").map_err(corrupt))
            .transpose()
    };
    Ok(partners(old)? != partners(new)?)
}

/// Replace, in the facet table of `model` (whose rows `insert` adds: `INSERT INTO <table>
/// (<key>, facet, value)`), the facets of each record in `refaceted`: those of the records
/// that `had` facets before the batch are deleted, and each record's facets now
/// (`facets_of`) inserted.
pub(crate) async fn replace_facets(
    conn: &mut AnyConnection,
    (model, insert): (&ReadModel, &'static str),
    refaceted: &BTreeSet<String>,
    had: impl Fn(&str) -> bool,
    facets_of: impl Fn(&str) -> Vec<(&'static str, String)>,
) -> Result<(), ProjectionError> {
    let stale: Vec<&str> = refaceted
        .iter()
        .map(String::as_str)
        .filter(|id| had(id))
        .collect();
    for chunk in stale.chunks(IDS_PER_QUERY) {
        let mut sql = Sql::new(&format!(
            "DELETE FROM {} WHERE {} IN ",
            model.facets, model.facet_key
        ));
        sql.bind_set(chunk.iter().copied());
        sql.query().execute(&mut *conn).await?;
    }
    let mut rows = Rows::new(insert, "");
    for id in refaceted {
        for (facet, value) in facets_of(id) {
            rows.push(vec![id.into(), facet.into(), value.into()]);
        }
    }
    rows.execute(conn).await?;
    Ok(())
}

/// A batch's events decoded by `decode`, and the stored record (in `place`, as for
/// [`records_of`]) of every aggregate with an event that `has_record` says folds into one.
pub(crate) async fn decode_and_load<'a, C, M: Message + Default>(
    conn: &mut AnyConnection,
    events: &[&'a StoredEvent],
    decode: fn(&StoredEvent) -> Result<C, ProjectionError>,
    has_record: fn(&C) -> bool,
    place: (&str, &str, &str),
) -> Result<Decoded<'a, C, M>, ProjectionError> {
    let events = decoded(events, decode)?;
    let records = records_of(conn, place, aggregates(&events, has_record)).await?;
    Ok((events, records))
}

/// A batch's events, each with what `decode` makes of it.
pub(crate) fn decoded<'a, C>(
    events: &[&'a StoredEvent],
    decode: fn(&StoredEvent) -> Result<C, ProjectionError>,
) -> Result<Vec<(&'a StoredEvent, C)>, ProjectionError> {
    events.iter().map(|e| decode(e).map(|c| (*e, c))).collect()
}

/// The aggregates with an event of `events` (as [`decoded`]) that `of` picks.
pub(crate) fn aggregates<'e, C>(
    events: &'e [(&StoredEvent, C)],
    of: fn(&C) -> bool,
) -> BTreeSet<&'e str> {
    events
        .iter()
        .filter(|(_, c)| of(c))
        .map(|(e, _)| e.aggregate_id.as_str())
        .collect()
}

/// A batch's events with what they decode to, and the records they fold into.
pub(crate) type Decoded<'a, C, M> = (Vec<(&'a StoredEvent, C)>, HashMap<String, Option<M>>);

/// Each of `ids` with its stored record in `table.column` (by `table.key`), `None` if it has
/// none yet.
pub(crate) async fn records_of<M: Message + Default>(
    conn: &mut AnyConnection,
    place: (&str, &str, &str),
    ids: BTreeSet<&str>,
) -> Result<HashMap<String, Option<M>>, ProjectionError> {
    let ids: Vec<String> = ids.into_iter().map(str::to_owned).collect();
    let mut stored: HashMap<String, M> = stored_messages(conn, place, &ids).await?;
    Ok(ids
        .into_iter()
        .map(|id| {
            let record = stored.remove(&id);
            (id, record)
        })
        .collect())
}

/// The message in `table.column` of each of `keys` that has a row, by `table.key`: what a
/// projection reads back of what it stored (records, weights, rankings, criteria).
pub(crate) async fn stored_messages<M: Message + Default>(
    conn: &mut AnyConnection,
    (table, key, column): (&str, &str, &str),
    keys: &[String],
) -> Result<HashMap<String, M>, ProjectionError> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(IDS_PER_QUERY) {
        let mut sql = Sql::new(&format!(
            "SELECT {key} AS k, {column} AS message FROM {table} WHERE {key} IN "
        ));
        sql.bind_set(chunk.iter().map(String::as_str));
        for row in sql.query().fetch_all(&mut *conn).await? {
            let bytes: Vec<u8> = row.try_get("message")?;
            found.insert(
                row.try_get("k")?,
                M::decode(bytes.as_slice()).map_err(corrupt)?,
            );
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `phase`, `status` and `visibility` columns hold the names without the prefix.
    #[test]
    fn enum_columns_drop_the_contracts_prefix() {
        assert_eq!(short(pb::Status::InProgress.as_str_name()), "IN_PROGRESS");
        assert_eq!(short(pb::Phase::PreAnalysis.as_str_name()), "PRE_ANALYSIS");
        assert_eq!(short(pb::Visibility::Public.as_str_name()), "PUBLIC");
    }

    fn details(title: &str) -> Option<pb::ProcessDetails> {
        Some(pb::ProcessDetails {
            title: title.into(),
            internal_notes: "Afventer IT".into(),
            owner: "mette".into(),
            departments: vec!["social".into()],
            visibility: pb::Visibility::Public as i32,
            ..Default::default()
        })
    }

    /// Partners see a change of the details unless it is of people, internal notes or
    /// departments alone: only such a change moves the time they read.
    #[test]
    fn partners_see_changes_of_what_they_read_only() {
        let before = details("Sygedagpenge");
        let mut internal = before.clone().expect("details");
        internal.internal_notes = "Kun til internt brug".into();
        internal.owner = "olle".into();
        internal.contact = "olle@syddjurs.dk".into();
        internal.departments.push("it".into());
        let seen = |new: &Option<pb::ProcessDetails>| {
            differs_for_partners(&before, new, "DK-0706").expect("redact")
        };
        assert!(!seen(&before));
        assert!(!seen(&Some(internal)));
        assert!(seen(&details("Sygedagpenge sager")));
        let mut withdrawn = before.clone().expect("details");
        withdrawn.visibility = pb::Visibility::Municipality as i32;
        assert!(seen(&Some(withdrawn)), "sharing is a change partners see");
        assert!(seen(&None));
    }
}
