//! The read rule exists twice: in Rust (`innohub_runtime::access`, used by the write side)
//! and in SQL (`innohub_projections::access::visible`, used by every read). This suite
//! builds a matrix of processes and viewers through the real command and projection path
//! and checks that both rules give the same answer, on SQLite and on PostgreSQL: in what
//! paging through every list finds (each process once) and in every list's count (kept in
//! `process_counts`), before and after processes change visibility and close.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use innohub_processes::ProcessesApp;
use innohub_processes::domain::process::{Process, ProcessCommand};
use innohub_projections::queries::{Position, ProcessFilter, ProcessList};
use innohub_projections::{ProcessQueries, ProcessViews};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::command::{CommandContext, load};
use innohub_runtime::projection::ProjectionRunner;
use innohub_runtime::{
    Access, Database, DepartmentId, EventStore, MunicipalityId, Principal, Role, UserId, Viewer,
    Visibility,
};
use prost_types::FieldMask;
use uuid::Uuid;

fn principal(user: &str, municipality: &str, department: &str) -> Principal {
    Principal {
        user: UserId::parse(user).unwrap(),
        municipality: MunicipalityId::parse(municipality).unwrap(),
        department: Some(DepartmentId::parse(department).unwrap()),
        roles: [Role::Employee].into_iter().collect::<BTreeSet<_>>(),
    }
}

fn it_of(municipality: &str, department: &str) -> Principal {
    Principal {
        roles: [Role::Employee, Role::ItPortfolio].into_iter().collect(),
        ..principal("it", municipality, department)
    }
}

fn context(principal: &Principal) -> CommandContext<'_> {
    CommandContext {
        principal,
        idempotency_key: None,
        correlation_id: Uuid::now_v7(),
        request: "read rule",
    }
}

const MUNICIPALITIES: [&str; 3] = ["DK-0706", "SE-1283", "SE-0380"];

/// Every process of a list, a page of 3 at a time, each page after the cursor (as its
/// text) of the last.
async fn page_through(
    queries: &ProcessQueries,
    viewer: &Viewer,
    list: ProcessList,
    filter: &ProcessFilter,
) -> Vec<Uuid> {
    let (mut seen, mut after) = (Vec::new(), None::<Position>);
    loop {
        let page = queries
            .processes(viewer, list, filter, after.as_ref(), 3)
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|(view, _)| view.id));
        match page.items.last() {
            Some((_, at)) if page.has_next => {
                after = Some(Position::parse(list, &at.to_string()).unwrap());
            }
            _ => return seen,
        }
    }
}

/// Paging finds exactly what the Rust rule lets each viewer see, each once, and the counts
/// say how many, in every list and by every way of counting.
async fn check(store: &EventStore, queries: &ProcessQueries, ids: &[Uuid], viewers: &[Viewer]) {
    let mut records = Vec::new();
    for id in ids {
        let (process, _) = load::<Process>(store, &id.to_string()).await.unwrap();
        records.push(process.0.unwrap());
    }
    for viewer in viewers {
        let who = &viewer.principal.user;
        let seen = |r: &&innohub_processes::domain::process::ProcessRecord| {
            r.access(viewer) != Access::None
        };
        let expected: BTreeSet<Uuid> = records.iter().filter(seen).map(|r| r.id).collect();
        let all = ProcessFilter::default();
        let listed = page_through(queries, viewer, ProcessList::All, &all).await;
        assert_eq!(listed.len(), expected.len(), "viewer {who}: each once");
        assert_eq!(
            listed.iter().copied().collect::<BTreeSet<_>>(),
            expected,
            "viewer {who}"
        );
        let count = queries.count(viewer, ProcessList::All, &all).await.unwrap();
        assert_eq!(count as usize, expected.len(), "viewer {who}");
        for id in ids {
            let one = queries.get(viewer, *id).await.unwrap();
            assert_eq!(one.is_some(), expected.contains(id));
            if let Some(view) = one
                && !viewer.principal.is_member_of(&view.municipality)
            {
                assert!(view.reporter.is_none() && view.details.owner.is_empty());
                assert!(
                    view.details.departments.is_empty() && view.details.internal_notes.is_empty()
                );
            }
        }
        for municipality in MUNICIPALITIES {
            let municipality = MunicipalityId::parse(municipality).unwrap();
            let theirs = |r: &&innohub_processes::domain::process::ProcessRecord| {
                seen(r) && r.municipality == municipality
            };
            let open = records
                .iter()
                .filter(theirs)
                .filter(|r| {
                    !matches!(
                        r.status,
                        pb::Status::Rejected | pb::Status::Failed | pb::Status::NotRelevant
                    ) && r.phase < pb::Phase::Operation
                })
                .count();
            let in_municipality = ProcessFilter {
                municipality: Some(municipality.clone()),
                ..ProcessFilter::default()
            };
            // The counts table answers these; a filter on anything else counts rows.
            let uncounted = ProcessFilter {
                phase: Some(pb::Phase::Idea),
                ..in_municipality.clone()
            };
            let ideas = records
                .iter()
                .filter(theirs)
                .filter(|r| r.phase == pb::Phase::Idea)
                .count();
            for (list, filter, expected) in [
                (ProcessList::Backlog, &in_municipality, open),
                (
                    ProcessList::Backlog,
                    &ProcessFilter {
                        include_closed: true,
                        ..in_municipality.clone()
                    },
                    records.iter().filter(theirs).count(),
                ),
                (
                    ProcessList::All,
                    &in_municipality,
                    records.iter().filter(theirs).count(),
                ),
                (ProcessList::All, &uncounted, ideas),
            ] {
                let what = format!("viewer {who}, {list:?} of {municipality} {filter:?}");
                let paged = page_through(queries, viewer, list, filter).await;
                assert_eq!(paged.len(), expected, "{what}");
                assert_eq!(
                    paged.iter().collect::<BTreeSet<_>>().len(),
                    expected,
                    "{what}: each once"
                );
                let count = queries.count(viewer, list, filter).await.unwrap();
                assert_eq!(count as usize, expected, "{what}");
            }
        }
    }
}

async fn scenario(db: Database) {
    db.migrate(&innohub_projections::migrations())
        .await
        .unwrap();
    let store = EventStore::open(db.clone(), false).await.unwrap();
    let app = ProcessesApp::new(store.clone());
    let reporters = [
        principal("anna", "DK-0706", "social"),
        principal("bo", "DK-0706", "culture"),
        principal("sara", "SE-1283", "social"),
    ];
    let mut ids = Vec::new();
    for reporter in &reporters {
        for visibility in [
            pb::Visibility::Private,
            pb::Visibility::Municipality,
            pb::Visibility::Network,
            pb::Visibility::Public,
        ] {
            for owner in [None, Some("olle")] {
                let details = pb::ProcessDetails {
                    title: format!("{} {visibility:?} {owner:?}", reporter.user),
                    short_description: "matrix".into(),
                    departments: vec![reporter.department.clone().unwrap().to_string()],
                    volume: Some(pb::Volume {
                        cases_per_year: 10,
                        minutes_per_case: 10.0,
                        employees: None,
                        automation_share: 50,
                    }),
                    owner: owner.unwrap_or_default().into(),
                    visibility: visibility as i32,
                    ..Default::default()
                };
                let done = app.submit(context(reporter), details, None).await.unwrap();
                ids.push((
                    Uuid::parse_str(&done.result.aggregate_id).unwrap(),
                    reporter,
                ));
            }
        }
    }
    let runner = ProjectionRunner::new(ProcessViews, store.clone(), db.clone())
        .await
        .unwrap();
    runner.catch_up().await.unwrap();
    let queries = ProcessQueries::new(db.clone());
    let viewers = [
        principal("anna", "DK-0706", "it"),
        principal("dora", "DK-0706", "social"),
        principal("olle", "DK-0706", "hr"),
        principal("carl", "DK-0706", "culture"),
        principal("sara", "SE-1283", "it"),
        principal("nils", "SE-0380", "social"),
    ];
    let mut network_viewer = Viewer::new(principal("nils", "SE-0380", "social"));
    network_viewer
        .network_partners
        .insert(MunicipalityId::parse("DK-0706").unwrap());
    let viewers: Vec<Viewer> = viewers
        .into_iter()
        .map(Viewer::new)
        .chain([network_viewer])
        .collect();
    let only_ids: Vec<Uuid> = ids.iter().map(|(id, _)| *id).collect();
    check(&store, &queries, &only_ids, &viewers).await;

    // Processes change their audience and close: every second one is shared one level
    // wider (PUBLIC ones become PRIVATE), every third is rejected.
    for (i, (id, reporter)) in ids.iter().enumerate() {
        if i % 2 == 0 {
            let (process, _) = load::<Process>(&store, &id.to_string()).await.unwrap();
            let wider = match process.0.unwrap().details.visibility {
                Visibility::Private => pb::Visibility::Municipality,
                Visibility::Municipality => pb::Visibility::Network,
                Visibility::Network => pb::Visibility::Public,
                Visibility::Public => pb::Visibility::Private,
            };
            let details = pb::ProcessDetails {
                visibility: wider as i32,
                ..Default::default()
            };
            app.on_process(context(reporter), *id, |by| ProcessCommand::Update {
                by,
                details: details.clone(),
                mask: FieldMask {
                    paths: vec!["visibility".into()],
                },
            })
            .await
            .unwrap();
        }
        if i % 3 == 0 {
            let it = it_of(
                reporter.municipality.as_str(),
                reporter.department.as_ref().unwrap().as_str(),
            );
            app.on_process(context(&it), *id, |by| ProcessCommand::ChangeStatus {
                by,
                to: pb::Status::Rejected,
                reason: Some("not now".into()),
            })
            .await
            .unwrap();
        }
    }
    runner.catch_up().await.unwrap();
    check(&store, &queries, &only_ids, &viewers).await;
}

#[tokio::test]
async fn sql_and_rust_read_rules_agree_on_sqlite() {
    let path = std::env::temp_dir().join(format!("innohub-read-rule-{}.sqlite", Uuid::now_v7()));
    scenario(
        Database::connect(&Database::sqlite_url(&path))
            .await
            .unwrap(),
    )
    .await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn sql_and_rust_read_rules_agree_on_postgres() {
    let admin_url = std::env::var("INNOHUB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = Database::connect(&admin_url)
        .await
        .expect("PostgreSQL must be running for this test (deploy/postgres.sh ensure)");
    let name = format!("innohub_read_rule_{}", Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.writer())
        .await
        .unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let db = Database::connect(&url).await.unwrap();
    scenario(db.clone()).await;
    db.close().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(admin.writer())
        .await
        .unwrap();
}
