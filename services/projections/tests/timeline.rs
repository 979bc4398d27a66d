//! The quarterly status history from events with chosen times: the `process_timeline`
//! projection is fed processes events directly (as its runner would), and the history is
//! asked for past quarters, before and after later events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use innohub_projections::queries::StatusCount;
use innohub_projections::timeline::{Quarter, QuarterCounts, quarters_ending};
use innohub_projections::{HistoryQueries, ProcessTimeline};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::{Database, MunicipalityId, StoredEvent, Viewer};
use prost::{Message, Name};

mod common;
use common::{Events, day, stores, viewer};

/// Apply `events` in batches of `size`, as the runner does.
async fn project(db: &Database, events: &[&StoredEvent], size: usize) {
    common::project(&ProcessTimeline, db, events, size).await;
}

const DK: &str = "DK-0706";
const SE: &str = "SE-1283";

impl Events {
    /// An event of `process` (of `municipality`) that occurred at `at`.
    fn push<M: Message + Name>(&mut self, municipality: &str, process: &str, at: &str, m: M) {
        self.event(("process", process), municipality, at, m);
    }

    fn submit(
        &mut self,
        municipality: &str,
        process: &str,
        at: &str,
        (reporter, departments, visibility): (&str, &[&str], pb::Visibility),
    ) {
        let details = details(departments, visibility);
        self.push(
            municipality,
            process,
            at,
            pb::ProcessSubmitted {
                process_id: process.into(),
                municipality: municipality.into(),
                reporter: reporter.into(),
                details: Some(details),
                adopted_from: None,
                origin: None,
            },
        );
    }

    fn phase(
        &mut self,
        municipality: &str,
        process: &str,
        at: &str,
        from: pb::Phase,
        to: pb::Phase,
    ) {
        self.push(
            municipality,
            process,
            at,
            pb::ProcessPhaseChanged {
                from: from as i32,
                to: to as i32,
                reason: String::new(),
            },
        );
    }

    fn status(&mut self, municipality: &str, process: &str, at: &str, to: pb::Status) {
        self.push(
            municipality,
            process,
            at,
            pb::ProcessStatusChanged {
                from: pb::Status::NotAssessed as i32,
                to: to as i32,
                reason: "Afventer".into(),
            },
        );
    }

    fn details(
        &mut self,
        municipality: &str,
        process: &str,
        at: &str,
        departments: &[&str],
        visibility: pb::Visibility,
    ) {
        self.push(
            municipality,
            process,
            at,
            pb::ProcessDetailsChanged {
                details: Some(details(departments, visibility)),
            },
        );
    }
}

fn details(departments: &[&str], visibility: pb::Visibility) -> pb::ProcessDetails {
    pb::ProcessDetails {
        title: "Sygedagpenge".into(),
        short_description: "Manuel registrering".into(),
        departments: departments.iter().map(|d| (*d).to_owned()).collect(),
        visibility: visibility as i32,
        volume: Some(pb::Volume {
            cases_per_year: 100,
            minutes_per_case: 10.0,
            employees: None,
            automation_share: 50,
        }),
        ..Default::default()
    }
}

/// A cell as the test writes it: department, phase, status, count.
type Cell = (Option<String>, &'static str, &'static str, i64);

/// The cells of every quarter, as `(department, phase, status, count)`.
fn table(history: &[QuarterCounts]) -> Vec<(String, Vec<Cell>)> {
    history
        .iter()
        .map(|q| {
            let cells = q
                .cells
                .iter()
                .map(|c: &StatusCount| {
                    (
                        c.department.clone(),
                        c.phase.as_str_name(),
                        c.status.as_str_name(),
                        c.count,
                    )
                })
                .collect();
            (q.quarter.to_string(), cells)
        })
        .collect()
}

/// The history of 2026 as `viewer` sees DK's.
async fn year(db: &Database, viewer: &Viewer) -> Vec<QuarterCounts> {
    let quarters = quarters_ending(day("2026-01-01"), day("2026-12-31")).unwrap();
    HistoryQueries::new(db.clone())
        .status_history(viewer, &MunicipalityId::parse(DK).unwrap(), &quarters)
        .await
        .unwrap()
}

fn cell(
    department: Option<&str>,
    phase: &'static str,
    status: &'static str,
    count: i64,
) -> (Option<String>, &'static str, &'static str, i64) {
    (department.map(str::to_owned), phase, status, count)
}

/// Each process counts in the state of its last event by the end of the quarter (the end of
/// its last day, UTC), and only if the viewer may see that state; members per department,
/// partners without; later events never change a past quarter; batching changes nothing.
#[tokio::test]
async fn past_quarters_come_from_the_events_by_their_times() {
    use pb::{Phase, Status, Visibility};
    let mut e = Events::default();
    // A: anna's department, MUNICIPALITY; through Q2 and Q3.
    e.submit(
        DK,
        "a",
        "2026-02-10T09:00:00Z",
        ("anna", &["social"], Visibility::Municipality),
    );
    e.phase(
        DK,
        "a",
        "2026-05-01T08:00:00Z",
        Phase::Idea,
        Phase::PreAnalysis,
    );
    e.status(DK, "a", "2026-06-30T23:59:59.999Z", Status::InProgress);
    e.phase(
        DK,
        "a",
        "2026-07-01T00:00:00Z",
        Phase::PreAnalysis,
        Phase::Specification,
    );
    // B: PRIVATE to bo in IT until it is made PUBLIC in Q3.
    e.submit(
        DK,
        "b",
        "2026-03-01T10:00:00Z",
        ("bo", &["it"], Visibility::Private),
    );
    e.details(DK, "b", "2026-08-01T10:00:00Z", &["it"], Visibility::Public);
    // C: shared with the network, then withdrawn in Q3; two departments.
    e.submit(
        DK,
        "c",
        "2026-01-05T10:00:00Z",
        ("carl", &["hr", "social"], Visibility::Network),
    );
    e.details(
        DK,
        "c",
        "2026-09-15T10:00:00Z",
        &["hr", "social"],
        Visibility::Municipality,
    );
    // A details change that changes nothing the history reads adds no row.
    e.details(
        DK,
        "c",
        "2026-09-16T10:00:00Z",
        &["hr", "social"],
        Visibility::Municipality,
    );
    // Another municipality's process is not DK's history.
    e.submit(
        SE,
        "s",
        "2026-02-01T10:00:00Z",
        ("sven", &["it"], Visibility::Public),
    );
    let first_part = e.made.len();

    // One event per batch and all in one, on SQLite and on PostgreSQL.
    let stores = stores("timeline").await;
    for (store, batch) in &stores {
        project(&store.db, &e.since(0), *batch).await;
    }
    let dbs: Vec<&Database> = stores.iter().map(|(s, _)| &s.db).collect();
    let whole = dbs[1].clone();

    let anna = viewer("anna", DK, "social", &[]);
    let expected = vec![
        (
            "2026-Q1".to_owned(),
            vec![
                cell(Some("hr"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1),
                cell(Some("social"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 2),
            ],
        ),
        (
            "2026-Q2".to_owned(),
            vec![
                cell(Some("hr"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1),
                cell(Some("social"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1),
                cell(
                    Some("social"),
                    "PHASE_PRE_ANALYSIS",
                    "STATUS_IN_PROGRESS",
                    1,
                ),
            ],
        ),
        (
            "2026-Q3".to_owned(),
            vec![
                cell(Some("hr"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1),
                cell(Some("it"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1),
                cell(Some("social"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1),
                cell(
                    Some("social"),
                    "PHASE_SPECIFICATION",
                    "STATUS_IN_PROGRESS",
                    1,
                ),
            ],
        ),
    ];
    let mut full_year = expected.clone();
    full_year.push(("2026-Q4".to_owned(), full_year[2].1.clone()));
    for db in &dbs {
        assert_eq!(table(&year(db, &anna).await), full_year);
    }

    // bo, in IT, sees his PRIVATE process from the start.
    let bo = viewer("bo", DK, "it", &[]);
    let q1 = &year(&whole, &bo).await[0];
    assert!(
        q1.cells.contains(&StatusCount {
            department: Some("it".into()),
            phase: Phase::Idea,
            status: Status::NotAssessed,
            count: 1
        }),
        "{q1:?}"
    );

    // A partner outside DK's networks: only B, once PUBLIC, without departments.
    let sven = viewer("sven", SE, "it", &[]);
    let public_b = vec![cell(None, "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1)];
    assert_eq!(
        table(&year(&whole, &sven).await),
        vec![
            ("2026-Q1".to_owned(), vec![]),
            ("2026-Q2".to_owned(), vec![]),
            ("2026-Q3".to_owned(), public_b.clone()),
            ("2026-Q4".to_owned(), public_b.clone()),
        ]
    );
    // A network partner: also C while it was shared with the network.
    let olle = viewer("olle", SE, "it", &[DK]);
    let c_shared = vec![cell(None, "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1)];
    assert_eq!(
        table(&year(&whole, &olle).await),
        vec![
            ("2026-Q1".to_owned(), c_shared.clone()),
            ("2026-Q2".to_owned(), c_shared),
            ("2026-Q3".to_owned(), public_b.clone()),
            ("2026-Q4".to_owned(), public_b),
        ]
    );

    // Later events: a move, a new process, B made PRIVATE again, all in Q4.
    e.phase(
        DK,
        "a",
        "2026-10-02T08:00:00Z",
        Phase::Specification,
        Phase::Development,
    );
    e.submit(
        DK,
        "d",
        "2026-11-01T08:00:00Z",
        ("anna", &["social"], Visibility::Public),
    );
    e.details(
        DK,
        "b",
        "2026-12-31T23:59:59Z",
        &["it"],
        Visibility::Private,
    );
    // And one in the next year, which no quarter of 2026 counts.
    e.submit(
        DK,
        "e",
        "2027-01-01T00:00:00Z",
        ("anna", &["social"], Visibility::Public),
    );
    for (store, batch) in &stores {
        project(&store.db, &e.since(first_part), *batch).await;
    }
    for db in &dbs {
        let after = table(&year(db, &anna).await);
        assert_eq!(after[..3], expected[..], "the past quarters did not change");
        assert_eq!(
            after[3].1,
            vec![
                cell(Some("hr"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1),
                cell(Some("social"), "PHASE_IDEA", "STATUS_NOT_ASSESSED", 2),
                cell(Some("social"), "PHASE_DEVELOPMENT", "STATUS_IN_PROGRESS", 1),
            ],
            "Q4 has A in development, D, and B private to bo again"
        );
        let sven = table(&year(db, &sven).await);
        assert_eq!(
            sven[2].1,
            vec![cell(None, "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1)]
        );
        assert_eq!(
            sven[3].1,
            vec![cell(None, "PHASE_IDEA", "STATUS_NOT_ASSESSED", 1)],
            "Q4: D is public, B no longer"
        );
    }

    // Every event left a row but C's second details change, which changed nothing the
    // history reads.
    for db in &dbs {
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM process_timeline")
            .fetch_one(db.reader())
            .await
            .unwrap();
        assert_eq!(rows, e.made.len() as i64 - 1);
    }

    // A quarter asked alone is the same as in the year.
    let q2 = HistoryQueries::new(whole.clone())
        .status_history(
            &anna,
            &MunicipalityId::parse(DK).unwrap(),
            &[Quarter {
                year: 2026,
                number: 2,
            }],
        )
        .await
        .unwrap();
    assert_eq!(table(&q2)[0], expected[1]);
    drop(dbs);
    for (store, _) in stores {
        store.remove().await;
    }
}
