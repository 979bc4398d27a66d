//! The quarterly status history: the `process_timeline` projection keeps, per process, a row
//! for every event that changes what the history counts (phase, status) or who may count it
//! (visibility, owner, departments; the reporter comes with the submission), with the event's
//! time and the state after it; [`HistoryQueries::status_history`] counts, at the end of each
//! quarter asked for, every process in the state of its last row by then, with the read rule
//! ([`innohub_runtime::access::access`]) evaluated on that state.
//!
//! Only event times matter, never the clock: a past quarter gives the same answer whenever it
//! is asked, whatever changed since. The rule is evaluated for the viewer as they are now
//! (their department, their network partners): a partner counts a NETWORK process of a
//! quarter only while they are partners, and only if it was shared at the end of that
//! quarter.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_proto::short_name as short;
use innohub_runtime::access::{Audience, Visibility, access};
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::sql::{Rows, Sql, Value};
use innohub_runtime::{
    Access, Database, DepartmentId, MunicipalityId, StoredEvent, UserId, Viewer,
};
use prost::Name;
use sqlx::{AnyConnection, Row};

use crate::queries::{QueryError, StatusCount, corrupt};

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessTimeline;

/// The aggregate type of a process's stream.
const PROCESS: &str = "process";

/// Ids per `IN (…)` set when loading.
const IDS_PER_QUERY: usize = 10_000;

/// Joins a snapshot's department ids in one column: a control character, which no
/// department id may hold (`DepartmentId::parse`).
const SEPARATOR: char = '\u{1f}';

/// Most quarters one history may span (ten years).
pub const MAX_QUARTERS: usize = 40;

/// A process's state after one of its events: what the history counts it as, and who may.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    municipality: String,
    /// Enum names without their prefix, as stored.
    phase: String,
    status: String,
    visibility: String,
    reporter: String,
    owner: Option<String>,
    departments: Vec<String>,
}

impl Snapshot {
    /// The read rule's part of the details.
    fn with_details(mut self, details: Option<&pb::ProcessDetails>) -> Self {
        let d = details.cloned().unwrap_or_default();
        self.visibility = visibility_name(d.visibility).to_owned();
        self.owner = (!d.owner.is_empty()).then_some(d.owner);
        self.departments = d.departments;
        self
    }
}

/// The stored visibility: an unknown or unspecified one reads as PRIVATE (the contract's
/// rule), so that nobody counts more than they may see.
fn visibility_name(raw: i32) -> &'static str {
    match pb::Visibility::try_from(raw) {
        Ok(pb::Visibility::Unspecified) | Err(_) => Visibility::Private.as_str(),
        Ok(v) => short(v.as_str_name()),
    }
}

/// An event's time as stored: fixed width, so that text order is time order.
pub(crate) fn stored_time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// What one event does to the timeline.
enum Change {
    Submitted(Box<pb::ProcessSubmitted>),
    Details(Box<pb::ProcessDetailsChanged>),
    Phase(pb::ProcessPhaseChanged),
    Status(pb::ProcessStatusChanged),
}

/// The change an event makes, if any: other aggregate types and the process events that
/// change nothing here (assessments, comments, follows, experience) are skipped.
fn decode(event: &StoredEvent) -> Result<Option<Change>, ProjectionError> {
    if event.aggregate_type != PROCESS {
        return Ok(None);
    }
    let refused = |e| ProjectionError::refused(event, e);
    Ok(Some(match event.event_type.as_str() {
        pb::ProcessSubmitted::NAME => {
            Change::Submitted(Box::new(event.message().map_err(refused)?))
        }
        pb::ProcessDetailsChanged::NAME => {
            Change::Details(Box::new(event.message().map_err(refused)?))
        }
        pb::ProcessPhaseChanged::NAME => Change::Phase(event.message().map_err(refused)?),
        pb::ProcessStatusChanged::NAME => Change::Status(event.message().map_err(refused)?),
        _ => return Ok(None),
    }))
}

impl Projection for ProcessTimeline {
    fn name(&self) -> &'static str {
        "process_timeline"
    }

    fn source(&self) -> &'static str {
        "processes"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["process_timeline"]
    }

    /// Load the last snapshot of every process the batch changes, fold the batch's events
    /// onto them in memory, and write the new rows in one statement.
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut changes = Vec::new();
        for event in events {
            if let Some(change) = decode(event)? {
                changes.push((*event, change));
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        let mut latest = load_latest(conn, &changes).await?;
        let mut rows = Rows::new(
            "INSERT INTO process_timeline (process_id, sequence, occurred_at, municipality, \
             phase, status, visibility, reporter, owner, departments)",
            "",
        );
        for (event, change) in changes {
            let id = &event.aggregate_id;
            let before = latest.get(id);
            let after = match (change, before) {
                (Change::Submitted(e), _) => Snapshot {
                    municipality: e.municipality,
                    phase: short(pb::Phase::Idea.as_str_name()).to_owned(),
                    status: short(pb::Status::NotAssessed.as_str_name()).to_owned(),
                    visibility: String::new(),
                    reporter: e.reporter,
                    owner: None,
                    departments: Vec::new(),
                }
                .with_details(e.details.as_ref()),
                (_, None) => {
                    return Err(ProjectionError::refused(
                        event,
                        format!("{} {id} has no submission", event.event_type),
                    ));
                }
                (Change::Details(e), Some(before)) => {
                    before.clone().with_details(e.details.as_ref())
                }
                (Change::Phase(e), Some(before)) => Snapshot {
                    phase: enum_name(pb::Phase::try_from(e.to).map(|p| p.as_str_name()), event)?,
                    ..before.clone()
                },
                (Change::Status(e), Some(before)) => Snapshot {
                    status: enum_name(pb::Status::try_from(e.to).map(|s| s.as_str_name()), event)?,
                    ..before.clone()
                },
            };
            if before == Some(&after) {
                continue;
            }
            rows.push(row(event, &after));
            latest.insert(id.clone(), after);
        }
        rows.execute(conn).await?;
        Ok(())
    }
}

/// The stored name of a contract enum value of `event`, which must be known.
fn enum_name<E>(
    name: Result<&'static str, E>,
    event: &StoredEvent,
) -> Result<String, ProjectionError> {
    name.map(|n| short(n).to_owned())
        .map_err(|_| ProjectionError::refused(event, "unknown phase or status"))
}

/// The row of `snapshot` after `event`.
fn row(event: &StoredEvent, s: &Snapshot) -> Vec<Value> {
    let departments: Vec<&str> = s.departments.iter().map(String::as_str).collect();
    vec![
        event.aggregate_id.clone().into(),
        event.sequence.into(),
        stored_time(&event.occurred_at).into(),
        s.municipality.clone().into(),
        s.phase.clone().into(),
        s.status.clone().into(),
        s.visibility.clone().into(),
        s.reporter.clone().into(),
        s.owner.clone().into(),
        departments.join(&SEPARATOR.to_string()).into(),
    ]
}

/// The last snapshot of every process the changes name that has one.
async fn load_latest(
    conn: &mut AnyConnection,
    changes: &[(&StoredEvent, Change)],
) -> Result<HashMap<String, Snapshot>, ProjectionError> {
    let ids: Vec<&str> = changes
        .iter()
        .filter(|(_, c)| !matches!(c, Change::Submitted(_)))
        .map(|(e, _)| e.aggregate_id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut latest = HashMap::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let mut sql = Sql::new(
            "SELECT t.process_id, t.municipality, t.phase, t.status, t.visibility, t.reporter, \
             t.owner, t.departments FROM process_timeline t WHERE t.process_id IN ",
        );
        sql.bind_set(chunk.iter().copied()).push(
            " AND t.sequence = (SELECT MAX(l.sequence) FROM process_timeline l \
             WHERE l.process_id = t.process_id)",
        );
        for row in sql.query().fetch_all(&mut *conn).await? {
            latest.insert(row.try_get("process_id")?, snapshot(&row)?);
        }
    }
    Ok(latest)
}

/// A stored snapshot.
fn snapshot(row: &sqlx::any::AnyRow) -> Result<Snapshot, sqlx::Error> {
    let departments: String = row.try_get("departments")?;
    Ok(Snapshot {
        municipality: row.try_get("municipality")?,
        phase: row.try_get("phase")?,
        status: row.try_get("status")?,
        visibility: row.try_get("visibility")?,
        reporter: row.try_get("reporter")?,
        owner: row.try_get("owner")?,
        departments: if departments.is_empty() {
            Vec::new()
        } else {
            departments.split(SEPARATOR).map(str::to_owned).collect()
        },
    })
}

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    /// The year.
    pub year: i32,
    /// 1 to 4.
    pub number: u32,
}

impl Quarter {
    /// The quarter `date` lies in.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            number: date.month0() / 3 + 1,
        }
    }

    /// The quarter after this one.
    pub fn next(self) -> Self {
        Self::at(self.index() + 1)
    }

    /// Quarters since the year 0.
    fn index(self) -> i64 {
        i64::from(self.year) * 4 + i64::from(self.number) - 1
    }

    /// The quarter of an [`Quarter::index`].
    fn at(index: i64) -> Self {
        Self {
            year: i32::try_from(index.div_euclid(4)).unwrap_or(i32::MAX),
            number: u32::try_from(index.rem_euclid(4)).unwrap_or(0) + 1,
        }
    }

    /// Its first day.
    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, (self.number - 1) * 3 + 1, 1)
    }

    /// Its last day.
    pub fn end(self) -> Option<NaiveDate> {
        self.next().first_day()?.pred_opt()
    }

    /// The first instant after it: the quarter counts what occurred before this.
    fn after(self) -> Option<DateTime<Utc>> {
        Some(self.next().first_day()?.and_hms_opt(0, 0, 0)?.and_utc())
    }
}

impl std::fmt::Display for Quarter {
    /// `2026-Q3`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

/// Why a span of quarters is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    /// `from` is after `to`.
    #[error("from must not be after to")]
    Reversed,
    /// More quarters end in the span than one history gives.
    #[error("at most {MAX_QUARTERS} quarters may end between from and to, got {0}")]
    TooLong(usize),
}

/// The quarters whose last day lies in `[from, to]`, oldest first.
pub fn quarters_ending(from: NaiveDate, to: NaiveDate) -> Result<Vec<Quarter>, SpanError> {
    if from > to {
        return Err(SpanError::Reversed);
    }
    // The quarter of `from` ends on or after it; the quarter of `to` counts if it ends on it.
    let first = Quarter::of(from).index();
    let last = Quarter::of(to).index() - i64::from(Quarter::of(to).end() != Some(to));
    let n = usize::try_from(last - first + 1).unwrap_or(0);
    if n > MAX_QUARTERS {
        return Err(SpanError::TooLong(n));
    }
    Ok((first..=last).map(Quarter::at).collect())
}

/// The counts at the end of one quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterCounts {
    /// The quarter.
    pub quarter: Quarter,
    /// Processes per department (members only), phase and status, as the viewer may see
    /// them at the quarter's end; cells with no process are left out.
    pub cells: Vec<StatusCount>,
}

/// Queries on the timeline.
#[derive(Debug, Clone)]
pub struct HistoryQueries {
    db: Database,
}

impl HistoryQueries {
    /// Query the read models in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Counts by phase × status at the end of each of `quarters` of `municipality`'s
    /// processes, each in its state at that time and counted only if the read rule lets the
    /// viewer see that state; per department for the municipality's members (a process
    /// with several departments counts in each), with no department for partners.
    ///
    /// It reads the municipality's timeline up to the end of the last quarter (one range of
    /// `process_timeline_by_municipality`) and folds it in memory.
    pub async fn status_history(
        &self,
        viewer: &Viewer,
        municipality: &MunicipalityId,
        quarters: &[Quarter],
    ) -> Result<Vec<QuarterCounts>, QueryError> {
        let mut quarters = quarters.to_vec();
        quarters.sort();
        quarters.dedup();
        let bounds: Vec<String> = quarters
            .iter()
            .map(|q| {
                q.after()
                    .map(|at| stored_time(&at))
                    .ok_or_else(|| QueryError::Corrupt(format!("no end of quarter {q}")))
            })
            .collect::<Result<_, _>>()?;
        let Some(last) = bounds.last() else {
            return Ok(Vec::new());
        };
        let mut sql = Sql::new(
            "SELECT t.process_id, t.occurred_at, t.municipality, t.phase, t.status, \
             t.visibility, t.reporter, t.owner, t.departments FROM process_timeline t \
             WHERE t.municipality = ",
        );
        sql.bind(municipality.as_str())
            .push(" AND t.occurred_at < ")
            .bind(last.as_str())
            .push(" ORDER BY t.process_id, t.sequence");
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        let member = viewer.principal.is_member_of(municipality);
        let mut counts: Vec<Cells> = vec![BTreeMap::new(); quarters.len()];
        // Each process's state at each quarter's end: its last row before the bound.
        let mut current: Vec<Option<Snapshot>> = vec![None; quarters.len()];
        let mut process: Option<String> = None;
        for row in rows.iter().map(Some).chain([None]) {
            let parsed = row
                .map(|row| -> Result<_, QueryError> {
                    let id: String = row.try_get("process_id")?;
                    let at: String = row.try_get("occurred_at")?;
                    Ok((id, at, snapshot(row)?))
                })
                .transpose()?;
            let next = parsed.as_ref().map(|(id, _, _)| id.clone());
            if next != process {
                for (q, state) in current.iter_mut().enumerate() {
                    if let Some(s) = state.take() {
                        count(&mut counts[q], viewer, member, &s)?;
                    }
                }
                process = next;
            }
            if let Some((_, at, s)) = parsed {
                for (q, bound) in bounds.iter().enumerate() {
                    if at.as_str() < bound.as_str() {
                        current[q] = Some(s.clone());
                    }
                }
            }
        }
        quarters
            .into_iter()
            .zip(counts)
            .map(|(quarter, cells)| {
                let cells = cells
                    .into_iter()
                    .map(|((department, phase, status), count)| {
                        Ok(StatusCount {
                            department,
                            phase: pb::Phase::try_from(phase).map_err(corrupt)?,
                            status: pb::Status::try_from(status).map_err(corrupt)?,
                            count,
                        })
                    })
                    .collect::<Result<_, QueryError>>()?;
                Ok(QuarterCounts { quarter, cells })
            })
            .collect()
    }
}

/// A quarter's counts by department (for members), phase and status.
type Cells = BTreeMap<(Option<String>, i32, i32), i64>;

/// Count `s` in a quarter's cells if the viewer may see it: per department for members,
/// without for partners.
fn count(cells: &mut Cells, viewer: &Viewer, member: bool, s: &Snapshot) -> Result<(), QueryError> {
    let municipality = MunicipalityId::parse(&s.municipality).map_err(corrupt)?;
    let visibility: Visibility = s.visibility.parse().map_err(corrupt)?;
    let departments: Vec<DepartmentId> = s
        .departments
        .iter()
        .filter_map(|d| DepartmentId::parse(d).ok())
        .collect();
    let reporter = UserId::parse(&s.reporter).map_err(corrupt)?;
    let owner = s.owner.as_deref().and_then(|o| UserId::parse(o).ok());
    let mut people = vec![&reporter];
    people.extend(owner.as_ref());
    let audience = Audience {
        municipality: &municipality,
        visibility,
        departments: &departments,
        people: &people,
    };
    let phase = pb::Phase::from_str_name(&format!("PHASE_{}", s.phase))
        .ok_or_else(|| corrupt(format!("bad phase {}", s.phase)))? as i32;
    let status = pb::Status::from_str_name(&format!("STATUS_{}", s.status))
        .ok_or_else(|| corrupt(format!("bad status {}", s.status)))? as i32;
    match access(viewer, audience) {
        Access::None => {}
        Access::Full if member && !s.departments.is_empty() => {
            for d in &s.departments {
                *cells.entry((Some(d.clone()), phase, status)).or_default() += 1;
            }
        }
        Access::Full | Access::Partner => *cells.entry((None, phase, status)).or_default() += 1,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(raw: &str) -> NaiveDate {
        raw.parse().expect("date")
    }

    /// The quarters whose last day is in the span, inclusive at both ends.
    #[test]
    fn quarters_end_inside_the_span() {
        let q = |year, number| Quarter { year, number };
        assert_eq!(
            quarters_ending(day("2026-03-31"), day("2026-12-31")),
            Ok(vec![q(2026, 1), q(2026, 2), q(2026, 3), q(2026, 4)])
        );
        assert_eq!(
            quarters_ending(day("2026-04-01"), day("2026-12-30")),
            Ok(vec![q(2026, 2), q(2026, 3)])
        );
        assert_eq!(
            quarters_ending(day("2026-04-01"), day("2026-06-29")),
            Ok(vec![])
        );
        assert_eq!(
            quarters_ending(day("2026-07-01"), day("2026-06-30")),
            Err(SpanError::Reversed)
        );
        assert_eq!(
            quarters_ending(day("2016-01-01"), day("2025-12-31")).map(|q| q.len()),
            Ok(MAX_QUARTERS)
        );
        assert_eq!(
            quarters_ending(day("2016-01-01"), day("2026-03-31")),
            Err(SpanError::TooLong(41))
        );
        assert!(matches!(
            quarters_ending(day("0001-01-01"), day("9999-12-31")),
            Err(SpanError::TooLong(_))
        ));
        assert_eq!(q(2026, 3).to_string(), "2026-Q3");
        assert_eq!(q(2026, 3).end(), Some(day("2026-09-30")));
        assert_eq!(q(2024, 1).end(), Some(day("2024-03-31")));
        assert_eq!(
            q(2026, 4).after().map(|t| stored_time(&t)),
            Some("2027-01-01T00:00:00.000000000Z".to_owned())
        );
    }
}
