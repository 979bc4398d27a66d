//! The read rule exists twice: in Rust (`innohub_runtime::access`, used by the write side)
//! and in SQL (`innohub_projections::access::visible`, used by every read). This suite
//! builds a matrix of processes and viewers through the real command and projection path
//! and checks that both rules give the same answer, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use innohub_processes::ProcessesApp;
use innohub_processes::domain::process::Process;
use innohub_projections::queries::{ProcessFilter, ProcessList};
use innohub_projections::{ProcessQueries, ProcessViews};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::command::{CommandContext, load};
use innohub_runtime::projection::ProjectionRunner;
use innohub_runtime::{
    Access, Database, DepartmentId, EventStore, MunicipalityId, Principal, Role, UserId, Viewer,
};
use uuid::Uuid;

fn principal(user: &str, municipality: &str, department: &str) -> Principal {
    Principal {
        user: UserId::parse(user).unwrap(),
        municipality: MunicipalityId::parse(municipality).unwrap(),
        department: Some(DepartmentId::parse(department).unwrap()),
        roles: [Role::Employee].into_iter().collect::<BTreeSet<_>>(),
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
                let ctx = CommandContext {
                    principal: reporter,
                    idempotency_key: None,
                    correlation_id: Uuid::now_v7(),
                    request: "submit",
                };
                let done = app.submit(ctx, details).await.unwrap();
                ids.push(Uuid::parse_str(&done.result.aggregate_id).unwrap());
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
    let viewers = viewers.into_iter().map(Viewer::new).chain([network_viewer]);
    for viewer in viewers {
        let mut expected = BTreeSet::new();
        for id in &ids {
            let (process, _) = load::<Process>(&store, &id.to_string()).await.unwrap();
            if process.0.unwrap().access(&viewer) != Access::None {
                expected.insert(*id);
            }
        }
        let listed = queries
            .processes(
                &viewer,
                ProcessList::All,
                &ProcessFilter::default(),
                0,
                1000,
            )
            .await
            .unwrap();
        let seen: BTreeSet<Uuid> = listed.items.iter().map(|v| v.id).collect();
        assert_eq!(seen, expected, "viewer {:?}", viewer.principal.user);
        assert_eq!(listed.total as usize, expected.len());
        for id in &ids {
            let one = queries.get(&viewer, *id).await.unwrap();
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
    }
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
