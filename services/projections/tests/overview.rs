//! The cross-municipal overview on both backends: processes of every visibility are fed
//! through the `process_views` projection, the directory's tables are given a network and
//! size bands, and the overview's groups, numbers, members and filters are checked against
//! what is shared with the viewer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use innohub_projections::OverviewQueries;
use innohub_projections::ProcessViews;
use innohub_projections::overview::{ClassificationPrefix, OverviewFilter, OverviewGroup, Usage};
use innohub_proto::innohub::processes::v1 as pb;
use innohub_runtime::projection::Projection;
use innohub_runtime::{
    Access, Database, DepartmentId, MunicipalityId, Principal, Role, StoredEvent, UserId, Viewer,
};
use prost::{Message, Name};
use uuid::Uuid;

const DK: &str = "DK-0706";
const SE: &str = "SE-1283";
const NO: &str = "NO-4626";
const FI: &str = "FI-0091";

/// One process: its municipality, visibility, classification, phase, systems, technologies
/// and cases per year (at 60 minutes and 50 %, so hours saved = cases / 2).
struct P {
    name: &'static str,
    municipality: &'static str,
    visibility: pb::Visibility,
    classification: Option<(&'static str, &'static str)>,
    operating: bool,
    systems: &'static [&'static str],
    technologies: &'static [&'static str],
    cases: u32,
}

fn processes() -> Vec<P> {
    use pb::Visibility::*;
    let p = |name,
             municipality,
             visibility,
             classification,
             operating,
             systems,
             technologies,
             cases| P {
        name,
        municipality,
        visibility,
        classification,
        operating,
        systems,
        technologies,
        cases,
    };
    let kle = Some(("KLE", "27.24.00"));
    vec![
        p("p1", DK, Public, kle, true, &["SBSYS"], &["RPA"], 1000),
        p(
            "p2",
            SE,
            Network,
            kle,
            false,
            &["SBSYS", "Opus"],
            &["RPA", "AI"],
            400,
        ),
        // Shared with its network only, which DK is not in.
        p("p3", NO, Network, kle, true, &["SBSYS"], &["RPA"], 9000),
        p(
            "p4",
            NO,
            Public,
            Some(("FORM online", "17.03")),
            true,
            &[],
            &["OCR"],
            200,
        ),
        // Never shared, not even with DK's own members.
        p("p5", DK, Private, kle, true, &["SBSYS"], &["RPA"], 8000),
        p(
            "p6",
            DK,
            Municipality,
            kle,
            true,
            &["SBSYS"],
            &["RPA"],
            7000,
        ),
        p("p7", FI, Public, None, false, &["Acadre"], &[], 60),
        p(
            "p8",
            DK,
            Network,
            Some(("KLE", "32.18.02")),
            false,
            &[],
            &["AI"],
            100,
        ),
    ]
}

/// The events that make `processes`, each `name`'s id derived from its name.
fn events(processes: &[P]) -> Vec<StoredEvent> {
    let mut made = Vec::new();
    let mut push = |m: &str, id: &str, sequence: i64, event_type: &str, payload: Vec<u8>| {
        made.push(StoredEvent {
            position: made.len() as i64 + 1,
            event_id: Uuid::now_v7(),
            municipality: m.into(),
            aggregate_type: "process".into(),
            aggregate_id: id.into(),
            sequence,
            event_type: event_type.into(),
            payload,
            actor_user: "it".into(),
            actor_municipality: m.into(),
            occurred_at: Utc::now(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
        });
    };
    for p in processes {
        let id = id(p.name);
        let details = pb::ProcessDetails {
            title: p.name.into(),
            short_description: "Manuel sagsbehandling".into(),
            departments: vec!["social".into()],
            owner: "mette".into(),
            classification: p.classification.map(|(scheme, code)| pb::Classification {
                scheme: scheme.into(),
                code: code.into(),
            }),
            it_systems: p.systems.iter().map(|s| (*s).into()).collect(),
            technologies: p.technologies.iter().map(|s| (*s).into()).collect(),
            volume: Some(pb::Volume {
                cases_per_year: p.cases,
                minutes_per_case: 60.0,
                employees: None,
                automation_share: 50,
            }),
            visibility: p.visibility as i32,
            ..Default::default()
        };
        let submitted = pb::ProcessSubmitted {
            process_id: id.clone(),
            municipality: p.municipality.into(),
            reporter: "it".into(),
            details: Some(details),
            adopted_from: None,
            origin: None,
        };
        push(
            p.municipality,
            &id,
            1,
            pb::ProcessSubmitted::NAME,
            submitted.encode_to_vec(),
        );
        if p.operating {
            // The read model takes the phase as it comes; the service checks the way there.
            let moved = pb::ProcessPhaseChanged {
                from: pb::Phase::Implementation as i32,
                to: pb::Phase::Operation as i32,
                reason: String::new(),
            };
            push(
                p.municipality,
                &id,
                2,
                pb::ProcessPhaseChanged::NAME,
                moved.encode_to_vec(),
            );
        }
    }
    made
}

/// A stable id per name: `00000000-0000-7000-8000-0000000000NN`.
fn id(name: &str) -> String {
    let n: u64 = name[1..].parse().unwrap();
    Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0000 | u128::from(n)).to_string()
}

async fn sqlite() -> (Database, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("innohub-overview-{}.sqlite", Uuid::now_v7()));
    let db = Database::connect(&Database::sqlite_url(&path))
        .await
        .unwrap();
    (db, path)
}

async fn postgres() -> (Database, Database, String) {
    let url = std::env::var("INNOHUB_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let server = Database::connect(&url)
        .await
        .expect("the tests' PostgreSQL server");
    let schema = format!("overview_{}", &Uuid::now_v7().simple().to_string()[20..]);
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(server.writer())
        .await
        .unwrap();
    let db = server.in_schema(&schema).await.unwrap();
    (server, db, schema)
}

/// Migrate, project the processes, and write the directory's rows (as its projection
/// would): DK and SE are members of network n1, NO left it; DK and NO are of 30–60k.
async fn fill(db: &Database) {
    db.migrate(&innohub_projections::migrations())
        .await
        .unwrap();
    let made = events(&processes());
    let batch: Vec<&StoredEvent> = made.iter().collect();
    let mut tx = db.writer().begin().await.unwrap();
    ProcessViews.apply(&mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
    for (network, municipality, state) in [
        ("n1", DK, "MEMBER"),
        ("n1", SE, "MEMBER"),
        ("n1", NO, "LEFT"),
    ] {
        sqlx::query(
            "INSERT INTO directory_network_member (network_id, municipality, state, since) \
             VALUES ($1, $2, $3, '2026-01-01T00:00:00Z')",
        )
        .bind(network)
        .bind(municipality)
        .bind(state)
        .execute(db.writer())
        .await
        .unwrap();
    }
    for (m, band) in [
        (DK, "30K_TO_60K"),
        (SE, "100K_AND_MORE"),
        (NO, "30K_TO_60K"),
        (FI, "100K_AND_MORE"),
    ] {
        let (country, code) = m.split_once('-').unwrap();
        sqlx::query(
            "INSERT INTO directory_municipality (id, country, code, name, inhabitants, size_band, \
             registered_at) VALUES ($1, $2, $3, $1, 1, $4, '2026-01-01T00:00:00Z')",
        )
        .bind(m)
        .bind(country)
        .bind(code)
        .bind(band)
        .execute(db.writer())
        .await
        .unwrap();
    }
}

fn viewer(municipality: &str, partners: &[&str]) -> Viewer {
    let mut viewer = Viewer::new(Principal {
        user: UserId::parse("it").unwrap(),
        municipality: MunicipalityId::parse(municipality).unwrap(),
        department: Some(DepartmentId::parse("social").unwrap()),
        roles: [Role::Employee, Role::ItPortfolio].into_iter().collect(),
    });
    viewer.network_partners = partners
        .iter()
        .map(|m| MunicipalityId::parse(m).unwrap())
        .collect();
    viewer
}

/// A group as `(scheme code, in operation, municipalities, processes, hours in operation,
/// hours, systems, technologies, members by name)`.
type Row = (String, i64, i64, i64, f64, f64, String, String, Vec<String>);

fn rows(groups: &[OverviewGroup]) -> Vec<Row> {
    let names = |u: &[Usage]| {
        u.iter()
            .map(|u| format!("{} {}", u.name, u.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let by_id: std::collections::HashMap<String, &str> =
        processes().iter().map(|p| (id(p.name), p.name)).collect();
    groups
        .iter()
        .map(|g| {
            (
                g.classification
                    .as_ref()
                    .map_or("-".into(), |c| format!("{}|{}", c.scheme, c.code)),
                g.municipalities_in_operation,
                g.municipalities,
                g.processes,
                g.hours_saved_in_operation,
                g.hours_saved,
                names(&g.it_systems),
                names(&g.technologies),
                g.members
                    .iter()
                    .map(|m| by_id[&m.id.to_string()].to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn row(
    key: &str,
    numbers: (i64, i64, i64, f64, f64),
    systems: &str,
    technologies: &str,
    members: &[&str],
) -> Row {
    (
        key.into(),
        numbers.0,
        numbers.1,
        numbers.2,
        numbers.3,
        numbers.4,
        systems.into(),
        technologies.into(),
        members.iter().map(|m| (*m).to_owned()).collect(),
    )
}

async fn check(db: &Database) {
    let q = OverviewQueries::new(db.clone());
    let dk = viewer(DK, &[SE]);
    let all = OverviewFilter::default();
    let groups = q.cross_municipal(&dk, &all, 20).await.unwrap();
    let kle = row(
        "KLE|27.24.00",
        (1, 2, 2, 500.0, 700.0),
        "SBSYS 2, Opus 1",
        "RPA 2, AI 1",
        &["p1", "p2"],
    );
    let form = row(
        "FORM online|17.03",
        (1, 1, 1, 100.0, 100.0),
        "",
        "OCR 1",
        &["p4"],
    );
    let kle32 = row("KLE|32.18.02", (0, 1, 1, 0.0, 50.0), "", "AI 1", &["p8"]);
    let unclassified = row("-", (0, 1, 1, 0.0, 30.0), "Acadre 1", "", &["p7"]);
    assert_eq!(
        rows(&groups),
        vec![
            kle.clone(),
            form.clone(),
            kle32.clone(),
            unclassified.clone()
        ]
    );
    // Partners' members are redacted; the viewer's own are not.
    let members = &groups[0].members;
    assert_eq!(members[0].access, Access::Full);
    assert_eq!(members[1].access, Access::Partner);
    assert_eq!(members[1].reporter, None);
    assert!(members[1].details.owner.is_empty() && members[1].details.departments.is_empty());

    // Without network partners, SE's NETWORK process is not DK's to see or count.
    let alone = q.cross_municipal(&viewer(DK, &[]), &all, 20).await.unwrap();
    let p1_only = row(
        "KLE|27.24.00",
        (1, 1, 1, 500.0, 500.0),
        "SBSYS 1",
        "RPA 1",
        &["p1"],
    );
    // Tied with FORM online on both counts, it follows it by scheme.
    assert_eq!(rows(&alone)[..2], [form.clone(), p1_only.clone()]);
    // NO sees its own NETWORK process, and the PUBLIC ones.
    let no = rows(&q.cross_municipal(&viewer(NO, &[]), &all, 20).await.unwrap());
    assert_eq!(
        no[0],
        row(
            "KLE|27.24.00",
            (2, 2, 2, 5000.0, 5000.0),
            "SBSYS 2",
            "RPA 2",
            &["p3", "p1"]
        )
    );

    // Members per group.
    let first = q.cross_municipal(&dk, &all, 1).await.unwrap();
    assert_eq!(rows(&first)[0].8, vec!["p1"]);
    assert!(
        q.cross_municipal(&dk, &all, 0).await.unwrap()[0]
            .members
            .is_empty()
    );

    // Filters.
    let filtered = |f: OverviewFilter| {
        let q = q.clone();
        let dk = dk.clone();
        async move { rows(&q.cross_municipal(&dk, &f, 20).await.unwrap()) }
    };
    let prefix = |scheme: &str, code: &str| OverviewFilter {
        classification: Some(ClassificationPrefix {
            scheme: scheme.into(),
            code_prefix: code.into(),
        }),
        ..OverviewFilter::default()
    };
    assert_eq!(filtered(prefix("KLE", "27.2")).await, vec![kle.clone()]);
    assert_eq!(
        filtered(prefix("KLE", "")).await,
        vec![kle.clone(), kle32.clone()]
    );
    assert_eq!(
        filtered(prefix("FORM online", "17")).await,
        vec![form.clone()]
    );
    assert_eq!(
        filtered(prefix("KLE", "27_24")).await,
        vec![],
        "no wildcards"
    );
    assert_eq!(
        filtered(prefix("KL", "")).await,
        vec![],
        "a scheme is matched whole"
    );
    let tech = filtered(OverviewFilter {
        technology: Some("AI".into()),
        ..OverviewFilter::default()
    })
    .await;
    assert_eq!(
        tech,
        vec![
            row(
                "KLE|27.24.00",
                (0, 1, 1, 0.0, 200.0),
                "Opus 1, SBSYS 1",
                "AI 1, RPA 1",
                &["p2"]
            ),
            kle32.clone()
        ]
    );
    let system = filtered(OverviewFilter {
        it_system: Some("Acadre".into()),
        ..OverviewFilter::default()
    })
    .await;
    assert_eq!(system, vec![unclassified.clone()]);
    let band = filtered(OverviewFilter {
        size_band: Some("30K_TO_60K".into()),
        ..OverviewFilter::default()
    })
    .await;
    assert_eq!(band, vec![form.clone(), p1_only, kle32.clone()]);
    let network = OverviewFilter {
        network: Some("n1".into()),
        ..OverviewFilter::default()
    };
    assert_eq!(
        filtered(network.clone()).await,
        vec![kle.clone(), kle32.clone()]
    );
    // NO left the network: it shows NO nothing, nor does one it was never in.
    assert!(
        q.cross_municipal(&viewer(NO, &[]), &network, 20)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        q.cross_municipal(&viewer(FI, &[]), &network, 20)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_overview_groups_what_is_shared_on_sqlite() {
    let (db, path) = sqlite().await;
    fill(&db).await;
    check(&db).await;
    db.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn the_overview_groups_what_is_shared_on_postgres() {
    let (server, db, schema) = postgres().await;
    fill(&db).await;
    check(&db).await;
    db.close().await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(server.writer())
        .await
        .unwrap();
    server.close().await;
}
