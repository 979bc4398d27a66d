//! What the read-model tests share: a fresh database on either backend (and the four stores
//! a scenario is checked on), a projection fed in batches as its runner feeds it, viewers,
//! days, numbers compared within rounding and a list read page by page.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use innohub_projections::keyset::{Cursor, Listed};
use innohub_projections::queries::Page;
use innohub_runtime::projection::Projection;
use innohub_runtime::{
    Database, DepartmentId, MunicipalityId, Principal, Role, StoredEvent, UserId, Viewer,
};
use prost::{Message, Name};
use uuid::Uuid;

/// A store's worth of events, numbered as they are made.
#[derive(Default)]
pub struct Events {
    /// The events, in the order made.
    pub made: Vec<StoredEvent>,
    sequences: HashMap<String, i64>,
}

impl Events {
    /// An event of the aggregate `(type, id)` of `municipality` that occurred at `at`.
    pub fn event<M: Message + Name>(
        &mut self,
        (kind, aggregate): (&str, &str),
        municipality: &str,
        at: &str,
        m: M,
    ) {
        let sequence = self.sequences.entry(aggregate.to_owned()).or_default();
        *sequence += 1;
        self.made.push(StoredEvent {
            position: self.made.len() as i64 + 1,
            event_id: Uuid::now_v7(),
            municipality: municipality.into(),
            aggregate_type: kind.into(),
            aggregate_id: aggregate.into(),
            sequence: *sequence,
            event_type: M::NAME.into(),
            payload: m.encode_to_vec(),
            actor_user: "anna".into(),
            actor_municipality: municipality.into(),
            occurred_at: time(at),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
        });
    }

    /// The events made since `from`, as a batch.
    pub fn since(&self, from: usize) -> Vec<&StoredEvent> {
        self.made[from..].iter().collect()
    }
}

/// An RFC 3339 time.
pub fn time(raw: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(raw)
        .unwrap()
        .with_timezone(&Utc)
}

/// A fresh, migrated read-model database: a SQLite file, or a new schema on the tests'
/// PostgreSQL server (`INNOHUB_TEST_POSTGRES_URL`).
pub struct Fresh {
    pub db: Database,
    /// The SQLite file, or the PostgreSQL server and schema, to remove after.
    cleanup: Result<std::path::PathBuf, (Database, String)>,
}

impl Fresh {
    pub async fn sqlite(name: &str) -> Fresh {
        let path = std::env::temp_dir().join(format!("innohub-{name}-{}.sqlite", Uuid::now_v7()));
        let db = Database::connect(&Database::sqlite_url(&path))
            .await
            .unwrap();
        db.migrate(&innohub_projections::migrations())
            .await
            .unwrap();
        Fresh {
            db,
            cleanup: Ok(path),
        }
    }

    pub async fn postgres(name: &str) -> Fresh {
        let url = std::env::var("INNOHUB_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let server = Database::connect(&url)
            .await
            .expect("the tests' PostgreSQL server");
        let schema = format!("{name}_{}", &Uuid::now_v7().simple().to_string()[20..]);
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(server.writer())
            .await
            .unwrap();
        let db = server.in_schema(&schema).await.unwrap();
        db.migrate(&innohub_projections::migrations())
            .await
            .unwrap();
        Fresh {
            db,
            cleanup: Err((server, schema)),
        }
    }

    pub async fn remove(self) {
        self.db.close().await;
        match self.cleanup {
            Ok(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Err((server, schema)) => {
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(server.writer())
                    .await
                    .unwrap();
                server.close().await;
            }
        }
    }
}

/// Apply `events` to `projection` in batches of `size`, each in its transaction, as the
/// runner does.
pub async fn project<P: Projection>(
    projection: &P,
    db: &Database,
    events: &[&StoredEvent],
    size: usize,
) {
    for batch in events.chunks(size) {
        let mut tx = db.writer().begin().await.unwrap();
        projection.apply(&mut tx, batch).await.unwrap();
        tx.commit().await.unwrap();
    }
}

/// An employee of `municipality` in `department`, with those network partners.
pub fn viewer(user: &str, municipality: &str, department: &str, partners: &[&str]) -> Viewer {
    let mut viewer = Viewer::new(Principal {
        user: UserId::parse(user).unwrap(),
        municipality: MunicipalityId::parse(municipality).unwrap(),
        department: Some(DepartmentId::parse(department).unwrap()),
        roles: [Role::Employee].into_iter().collect(),
    });
    viewer.network_partners = partners
        .iter()
        .map(|m| MunicipalityId::parse(m).unwrap())
        .collect();
    viewer
}

/// The stores a scenario is checked on: SQLite and PostgreSQL, each fed one event a batch
/// and all in one (the batch sizes to feed them with).
pub async fn stores(name: &str) -> Vec<(Fresh, usize)> {
    vec![
        (Fresh::sqlite(name).await, 1),
        (Fresh::sqlite(name).await, 1000),
        (Fresh::postgres(name).await, 1),
        (Fresh::postgres(name).await, 1000),
    ]
}

/// An ISO date.
pub fn day(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

/// `actual` is `expected`, but for rounding.
pub fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a value");
    assert!((actual - expected).abs() < 1e-9, "{actual} ≠ {expected}");
}

/// The ids (`id`) of every item of a list, a page of one at a time (`read`), each after the
/// cursor (as its text) of the last.
pub async fn page_through<L: Listed, V>(
    mut read: impl AsyncFnMut(Option<&Cursor<L>>) -> Page<V, Cursor<L>>,
    id: fn(&V) -> Uuid,
) -> Vec<Uuid> {
    let (mut seen, mut after) = (Vec::new(), None::<Cursor<L>>);
    loop {
        let page = read(after.as_ref()).await;
        seen.extend(page.items.iter().map(|(view, _)| id(view)));
        match page.items.last() {
            Some((_, at)) if page.has_next => {
                after = Some(Cursor::parse(&at.to_string()).unwrap());
            }
            _ => return seen,
        }
    }
}
