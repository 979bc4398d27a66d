//! The `directory_views` projection and its queries: who the tenants are (registered
//! municipalities and their department trees) and who shares with whom (networks and each
//! municipality's standing in them). Built from the directory events only, decoded from the
//! contract's messages (`innohub.directory.v1`); written only here, read by anyone
//! (`directory_municipality`, `directory_department`, `directory_network`,
//! `directory_network_member`; migration `3007_directory.sql`).
//!
//! A batch is applied in three steps, like `process_views`: [`Batch::load`] decodes every
//! event and reads, once, the departments of the municipalities the batch touches;
//! [`Batch::fold`] folds the events in memory; [`Batch::write`] writes each table once.
//!
//! [`DirectoryQueries`] answers the directory's reads, with its rules: a municipality's
//! departments are shown to its own members and to platform administrators only; a network
//! is shown only to the municipalities that are members of it or invited to it.
//! [`DirectoryQueries::tenant`] is what the gateway asks for every caller: whether their
//! municipality is registered, and who their network partners are.

use std::collections::{BTreeMap, BTreeSet};

use innohub_proto::innohub::directory::v1 as pb;
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::sql::{Rows, Sql};
use innohub_runtime::{Database, MunicipalityId, Principal, Role, StoredEvent};
use prost::Name;
use sqlx::{AnyConnection, Row};

use crate::process_views::{aggregates, decoded};
use crate::queries::{QueryError, corrupt};

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct DirectoryViews;

/// The aggregate types of the directory service's streams.
const MUNICIPALITY: &str = "municipality";
const NETWORK: &str = "network";

/// A municipality's standing in a network, as stored in `directory_network_member.state`.
const INVITED: &str = "INVITED";
const MEMBER: &str = "MEMBER";
const LEFT: &str = "LEFT";

impl Projection for DirectoryViews {
    fn name(&self) -> &'static str {
        "directory_views"
    }

    fn source(&self) -> &'static str {
        "directory"
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "directory_municipality",
            "directory_department",
            "directory_network",
            "directory_network_member",
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

/// An event's contract message, decoded once.
enum Change {
    Registered(pb::MunicipalityRegistered),
    DepartmentAdded(pb::DepartmentAdded),
    DepartmentRenamed(pb::DepartmentRenamed),
    DepartmentRetired(pb::DepartmentRetired),
    NetworkCreated(pb::NetworkCreated),
    Invited(pb::NetworkInvitationSent),
    Accepted(pb::NetworkInvitationAccepted),
    Left(pb::NetworkLeft),
    /// Another aggregate type: nothing here.
    None,
}

/// Decode `event` (an event of another aggregate type is [`Change::None`]), or refuse it.
fn decode(event: &StoredEvent) -> Result<Change, ProjectionError> {
    if ![MUNICIPALITY, NETWORK].contains(&event.aggregate_type.as_str()) {
        return Ok(Change::None);
    }
    decode_known(event).map_err(|e| ProjectionError::refused(event, e))
}

fn decode_known(event: &StoredEvent) -> Result<Change, ProjectionError> {
    Ok(match event.event_type.as_str() {
        pb::MunicipalityRegistered::NAME => Change::Registered(event.message()?),
        pb::DepartmentAdded::NAME => Change::DepartmentAdded(event.message()?),
        pb::DepartmentRenamed::NAME => Change::DepartmentRenamed(event.message()?),
        pb::DepartmentRetired::NAME => Change::DepartmentRetired(event.message()?),
        pb::NetworkCreated::NAME => Change::NetworkCreated(event.message()?),
        pb::NetworkInvitationSent::NAME => Change::Invited(event.message()?),
        pb::NetworkInvitationAccepted::NAME => Change::Accepted(event.message()?),
        pb::NetworkLeft::NAME => Change::Left(event.message()?),
        other => {
            return Err(ProjectionError::Corrupt(format!(
                "unknown event type {other}"
            )));
        }
    })
}

/// The stored name of a size band: the contract's name without its prefix.
pub fn size_band_name(band: pb::SizeBand) -> &'static str {
    let name = band.as_str_name();
    name.strip_prefix("SIZE_BAND_").unwrap_or(name)
}

/// A size band from its stored name (unknown names are unspecified).
pub fn size_band_from_name(name: &str) -> pb::SizeBand {
    pb::SizeBand::from_str_name(&format!("SIZE_BAND_{name}")).unwrap_or_default()
}

/// A department row as loaded and folded.
#[derive(Debug, Clone, PartialEq)]
struct DepartmentRow {
    name: String,
    parent: Option<String>,
    retired: bool,
}

/// What one batch reads, folds and writes.
struct Batch<'a> {
    events: Vec<(&'a StoredEvent, Change)>,
    /// Municipalities registered in this batch: (id, profile, registered at).
    municipalities: BTreeMap<String, (pb::MunicipalityProfile, String)>,
    /// The departments of every municipality the batch's department events touch, keyed by
    /// (municipality, department id).
    departments: BTreeMap<(String, String), DepartmentRow>,
    /// The departments the batch changed.
    changed_departments: BTreeSet<(String, String)>,
    /// Networks created in this batch: id → (name, founder, created at).
    networks: BTreeMap<String, (String, String, String)>,
    /// Standings the batch set: (network, municipality) → (state, since).
    members: BTreeMap<(String, String), (&'static str, String)>,
}

impl<'a> Batch<'a> {
    /// Decode the events and read the departments they touch.
    async fn load(
        conn: &mut AnyConnection,
        events: &[&'a StoredEvent],
    ) -> Result<Batch<'a>, ProjectionError> {
        let events = decoded(events, decode)?;
        let touched = aggregates(&events, |c| {
            matches!(
                c,
                Change::DepartmentAdded(_)
                    | Change::DepartmentRenamed(_)
                    | Change::DepartmentRetired(_)
            )
        });
        let mut departments = BTreeMap::new();
        if !touched.is_empty() {
            let mut sql = Sql::new(
                "SELECT municipality, department_id, name, parent_id, retired \
                 FROM directory_department WHERE municipality IN ",
            );
            sql.bind_set(touched.iter().copied());
            for row in sql.query().fetch_all(&mut *conn).await? {
                let retired: i64 = row.try_get("retired")?;
                departments.insert(
                    (row.try_get("municipality")?, row.try_get("department_id")?),
                    DepartmentRow {
                        name: row.try_get("name")?,
                        parent: row.try_get("parent_id")?,
                        retired: retired != 0,
                    },
                );
            }
        }
        Ok(Batch {
            events,
            municipalities: BTreeMap::new(),
            departments,
            changed_departments: BTreeSet::new(),
            networks: BTreeMap::new(),
            members: BTreeMap::new(),
        })
    }

    /// Fold the events into the loaded rows.
    fn fold(&mut self) -> Result<(), ProjectionError> {
        let events = std::mem::take(&mut self.events);
        for (event, change) in &events {
            let at = event.occurred_at.to_rfc3339();
            let municipality = event.aggregate_id.clone();
            let network = event.aggregate_id.clone();
            match change {
                Change::None => {}
                Change::Registered(e) => {
                    let profile = e.profile.clone().ok_or_else(|| {
                        ProjectionError::refused(event, "MunicipalityRegistered without profile")
                    })?;
                    self.municipalities.insert(municipality, (profile, at));
                }
                Change::DepartmentAdded(e) => {
                    let key = (municipality, e.department_id.clone());
                    self.departments.insert(
                        key.clone(),
                        DepartmentRow {
                            name: e.name.clone(),
                            parent: (!e.parent_id.is_empty()).then(|| e.parent_id.clone()),
                            retired: false,
                        },
                    );
                    self.changed_departments.insert(key);
                }
                Change::DepartmentRenamed(e) => {
                    let key = (municipality, e.department_id.clone());
                    let row = self.departments.get_mut(&key).ok_or_else(|| {
                        ProjectionError::refused(event, "rename of an unknown department")
                    })?;
                    row.name = e.name.clone();
                    self.changed_departments.insert(key);
                }
                Change::DepartmentRetired(e) => {
                    let key = (municipality, e.department_id.clone());
                    let row = self.departments.get_mut(&key).ok_or_else(|| {
                        ProjectionError::refused(event, "retirement of an unknown department")
                    })?;
                    row.retired = true;
                    self.changed_departments.insert(key);
                }
                Change::NetworkCreated(e) => {
                    self.networks.insert(
                        network.clone(),
                        (e.name.clone(), e.founder.clone(), at.clone()),
                    );
                    self.members
                        .insert((network, e.founder.clone()), (MEMBER, at));
                }
                Change::Invited(e) => {
                    self.members
                        .insert((network, e.municipality.clone()), (INVITED, at));
                }
                Change::Accepted(e) => {
                    self.members
                        .insert((network, e.municipality.clone()), (MEMBER, at));
                }
                Change::Left(e) => {
                    self.members
                        .insert((network, e.municipality.clone()), (LEFT, at));
                }
            }
        }
        self.events = events;
        Ok(())
    }

    /// Write each table once.
    async fn write(self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        let mut municipalities = Rows::new(
            "INSERT INTO directory_municipality (id, country, code, name, inhabitants, \
             size_band, registered_at)",
            "ON CONFLICT (id) DO UPDATE SET country = excluded.country, code = excluded.code, \
             name = excluded.name, inhabitants = excluded.inhabitants, \
             size_band = excluded.size_band, registered_at = excluded.registered_at",
        );
        for (id, (profile, at)) in self.municipalities {
            let band = size_band_name(profile.size_band());
            municipalities.push(vec![
                id.into(),
                profile.country.into(),
                profile.code.into(),
                profile.name.into(),
                i64::from(profile.inhabitants).into(),
                band.into(),
                at.into(),
            ]);
        }
        municipalities.execute(conn).await?;

        let mut departments = Rows::new(
            "INSERT INTO directory_department (municipality, department_id, name, parent_id, \
             retired)",
            "ON CONFLICT (municipality, department_id) DO UPDATE SET name = excluded.name, \
             parent_id = excluded.parent_id, retired = excluded.retired",
        );
        for key in &self.changed_departments {
            if let Some(row) = self.departments.get(key) {
                departments.push(vec![
                    key.0.clone().into(),
                    key.1.clone().into(),
                    row.name.clone().into(),
                    row.parent.clone().into(),
                    i64::from(row.retired).into(),
                ]);
            }
        }
        departments.execute(conn).await?;

        let mut networks = Rows::new(
            "INSERT INTO directory_network (id, name, founder, created_at)",
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, founder = excluded.founder, \
             created_at = excluded.created_at",
        );
        for (id, (name, founder, at)) in self.networks {
            networks.push(vec![id.into(), name.into(), founder.into(), at.into()]);
        }
        networks.execute(conn).await?;

        let mut members = Rows::new(
            "INSERT INTO directory_network_member (network_id, municipality, state, since)",
            "ON CONFLICT (network_id, municipality) DO UPDATE SET state = excluded.state, \
             since = excluded.since",
        );
        for ((network, municipality), (state, since)) in self.members {
            members.push(vec![
                network.into(),
                municipality.into(),
                state.into(),
                since.into(),
            ]);
        }
        members.execute(conn).await?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

/// A registered municipality's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityView {
    /// Its id, e.g. `DK-0706`.
    pub id: String,
    /// What the platform registered (country, code, name, inhabitants, size band).
    pub profile: pb::MunicipalityProfile,
    /// When it was registered (RFC 3339).
    pub registered_at: String,
}

/// A department in a municipality's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentView {
    /// Its id (the slug tokens name).
    pub id: String,
    /// Its name.
    pub name: String,
    /// The department it belongs under; `None` at the top level.
    pub parent: Option<String>,
    /// Whether it is retired.
    pub retired: bool,
}

/// A municipality as a caller may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityDetail {
    /// Its profile, seen by everyone.
    pub municipality: MunicipalityView,
    /// Its departments, sorted by id: `Some` for its own members and platform
    /// administrators, `None` for everyone else.
    pub departments: Option<Vec<DepartmentView>>,
}

/// A municipality's place in a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkMemberView {
    /// The municipality.
    pub municipality: String,
    /// Its name (`None` if it is not in the directory).
    pub name: Option<String>,
    /// Since when it has this standing (RFC 3339).
    pub since: String,
}

/// A network as one of its members, or a municipality invited to it, sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The founding municipality.
    pub founder: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// The current members, sorted by municipality.
    pub members: Vec<NetworkMemberView>,
    /// The pending invitations, sorted by municipality.
    pub invitations: Vec<NetworkMemberView>,
}

/// Whether `principal` may see the departments of `municipality`: its own members and
/// platform administrators.
pub fn sees_departments(principal: &Principal, municipality: &MunicipalityId) -> bool {
    principal.is_member_of(municipality) || principal.has(Role::PlatformAdmin)
}

/// The query side of the directory read models.
#[derive(Debug, Clone)]
pub struct DirectoryQueries {
    db: Database,
}

fn municipality_view(row: &sqlx::any::AnyRow) -> Result<MunicipalityView, QueryError> {
    let inhabitants: i64 = row.try_get("inhabitants")?;
    let band: String = row.try_get("size_band")?;
    Ok(MunicipalityView {
        id: row.try_get("id")?,
        profile: pb::MunicipalityProfile {
            country: row.try_get("country")?,
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            inhabitants: u32::try_from(inhabitants).map_err(corrupt)?,
            size_band: size_band_from_name(&band) as i32,
        },
        registered_at: row.try_get("registered_at")?,
    })
}

const MUNICIPALITY_COLUMNS: &str = "SELECT id, country, code, name, inhabitants, size_band, registered_at FROM directory_municipality";

impl DirectoryQueries {
    /// Queries on `db`, the read-model database.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Whether `municipality` is registered (`None` if not), and if so its network partners:
    /// the other municipalities that are currently members of a network in which it is
    /// currently a member.
    pub async fn tenant(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Option<BTreeSet<MunicipalityId>>, QueryError> {
        let registered: Option<String> =
            sqlx::query_scalar("SELECT id FROM directory_municipality WHERE id = $1")
                .bind(municipality.as_str())
                .fetch_optional(self.db.reader())
                .await?;
        if registered.is_none() {
            return Ok(None);
        }
        let partners: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT other.municipality FROM directory_network_member me \
             JOIN directory_network_member other ON other.network_id = me.network_id \
             WHERE me.municipality = $1 AND me.state = 'MEMBER' AND other.state = 'MEMBER' \
             AND other.municipality <> $1",
        )
        .bind(municipality.as_str())
        .fetch_all(self.db.reader())
        .await?;
        partners
            .into_iter()
            .map(|p| MunicipalityId::parse(&p).map_err(corrupt))
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Some)
    }

    /// Every registered municipality, sorted by id.
    pub async fn municipalities(&self) -> Result<Vec<MunicipalityView>, QueryError> {
        let sql = format!("{MUNICIPALITY_COLUMNS} ORDER BY id");
        sqlx::query(&sql)
            .fetch_all(self.db.reader())
            .await?
            .iter()
            .map(municipality_view)
            .collect()
    }

    /// One municipality (`None` if not registered), with its departments if `viewer` may see
    /// them ([`sees_departments`]).
    pub async fn municipality(
        &self,
        viewer: &Principal,
        id: &MunicipalityId,
    ) -> Result<Option<MunicipalityDetail>, QueryError> {
        let sql = format!("{MUNICIPALITY_COLUMNS} WHERE id = $1");
        let Some(row) = sqlx::query(&sql)
            .bind(id.as_str())
            .fetch_optional(self.db.reader())
            .await?
        else {
            return Ok(None);
        };
        let municipality = municipality_view(&row)?;
        let departments = self.departments(viewer, id).await?;
        Ok(Some(MunicipalityDetail {
            municipality,
            departments,
        }))
    }

    /// The departments of `municipality`, sorted by id, if `viewer` may see them
    /// ([`sees_departments`]); `None` otherwise.
    pub async fn departments(
        &self,
        viewer: &Principal,
        municipality: &MunicipalityId,
    ) -> Result<Option<Vec<DepartmentView>>, QueryError> {
        if !sees_departments(viewer, municipality) {
            return Ok(None);
        }
        self.all_departments(municipality).await.map(Some)
    }

    /// The departments of `municipality`, sorted by id, with no read rule.
    async fn all_departments(
        &self,
        municipality: &MunicipalityId,
    ) -> Result<Vec<DepartmentView>, QueryError> {
        let rows = sqlx::query(
            "SELECT department_id, name, parent_id, retired FROM directory_department \
             WHERE municipality = $1 ORDER BY department_id",
        )
        .bind(municipality.as_str())
        .fetch_all(self.db.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let retired: i64 = row.try_get("retired")?;
                Ok(DepartmentView {
                    id: row.try_get("department_id")?,
                    name: row.try_get("name")?,
                    parent: row.try_get("parent_id")?,
                    retired: retired != 0,
                })
            })
            .collect()
    }

    /// The networks `viewer`'s municipality is a member of or invited to, sorted by name
    /// then id.
    pub async fn networks(&self, viewer: &Principal) -> Result<Vec<NetworkView>, QueryError> {
        self.networks_where(viewer, None).await
    }

    /// One network, if `viewer`'s municipality is a member of it or invited to it; `None`
    /// otherwise, exactly as for a network that does not exist.
    pub async fn network(
        &self,
        viewer: &Principal,
        id: &str,
    ) -> Result<Option<NetworkView>, QueryError> {
        Ok(self.networks_where(viewer, Some(id)).await?.pop())
    }

    async fn networks_where(
        &self,
        viewer: &Principal,
        id: Option<&str>,
    ) -> Result<Vec<NetworkView>, QueryError> {
        let mut sql = Sql::new(
            "SELECT n.id, n.name, n.founder, n.created_at FROM directory_network n \
             JOIN directory_network_member me ON me.network_id = n.id \
             WHERE me.municipality = ",
        );
        sql.bind(viewer.municipality.as_str());
        sql.push(" AND me.state IN ('MEMBER', 'INVITED')");
        if let Some(id) = id {
            sql.push(" AND n.id = ").bind(id);
        }
        sql.push(" ORDER BY n.name, n.id");
        let mut networks: Vec<NetworkView> = Vec::new();
        for row in sql.query().fetch_all(self.db.reader()).await? {
            networks.push(NetworkView {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                founder: row.try_get("founder")?,
                created_at: row.try_get("created_at")?,
                members: Vec::new(),
                invitations: Vec::new(),
            });
        }
        if networks.is_empty() {
            return Ok(networks);
        }
        let mut sql = Sql::new(
            "SELECT m.network_id, m.municipality, m.state, m.since, d.name \
             FROM directory_network_member m \
             LEFT JOIN directory_municipality d ON d.id = m.municipality \
             WHERE m.state IN ('MEMBER', 'INVITED') AND m.network_id IN ",
        );
        sql.bind_set(networks.iter().map(|n| n.id.as_str()));
        sql.push(" ORDER BY m.municipality");
        let mut standings: BTreeMap<String, Vec<(String, NetworkMemberView)>> = BTreeMap::new();
        for row in sql.query().fetch_all(self.db.reader()).await? {
            let network: String = row.try_get("network_id")?;
            let state: String = row.try_get("state")?;
            standings.entry(network).or_default().push((
                state,
                NetworkMemberView {
                    municipality: row.try_get("municipality")?,
                    name: row.try_get("name")?,
                    since: row.try_get("since")?,
                },
            ));
        }
        for network in &mut networks {
            for (state, member) in standings.remove(&network.id).unwrap_or_default() {
                match state.as_str() {
                    MEMBER => network.members.push(member),
                    INVITED => network.invitations.push(member),
                    _ => {}
                }
            }
        }
        Ok(networks)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use innohub_runtime::{DepartmentId, UserId};
    use prost::Message;
    use uuid::Uuid;

    const DK: &str = "DK-0706";
    const SE: &str = "SE-1283";
    const UPPSALA: &str = "SE-0380";
    const NO: &str = "NO-4626";

    /// Builds stored events in order, each a minute after the last.
    #[derive(Default)]
    struct Events {
        events: Vec<StoredEvent>,
        sequences: BTreeMap<String, i64>,
    }

    impl Events {
        fn push<M: Message + Name>(&mut self, aggregate_type: &str, id: &str, message: M) {
            let sequence = self.sequences.entry(id.to_owned()).or_default();
            *sequence += 1;
            let position = self.events.len() as i64 + 1;
            self.events.push(StoredEvent {
                position,
                event_id: Uuid::now_v7(),
                municipality: DK.into(),
                aggregate_type: aggregate_type.into(),
                aggregate_id: id.into(),
                sequence: *sequence,
                event_type: M::NAME.into(),
                payload: message.encode_to_vec(),
                actor_user: "admin".into(),
                actor_municipality: DK.into(),
                occurred_at: at(position),
                correlation_id: Uuid::now_v7(),
                causation_id: None,
            });
        }

        fn register(&mut self, id: &str, name: &str, inhabitants: u32, band: pb::SizeBand) {
            let (country, code) = id.split_once('-').unwrap();
            self.push(
                MUNICIPALITY,
                id,
                pb::MunicipalityRegistered {
                    municipality: id.into(),
                    profile: Some(pb::MunicipalityProfile {
                        country: country.into(),
                        code: code.into(),
                        name: name.into(),
                        inhabitants,
                        size_band: band as i32,
                    }),
                },
            );
        }

        fn standing(&mut self, network: &str, municipality: &str, state: &str) {
            let municipality = municipality.to_owned();
            match state {
                INVITED => self.push(
                    NETWORK,
                    network,
                    pb::NetworkInvitationSent {
                        municipality,
                        invited_by: DK.into(),
                    },
                ),
                MEMBER => self.push(
                    NETWORK,
                    network,
                    pb::NetworkInvitationAccepted { municipality },
                ),
                _ => self.push(NETWORK, network, pb::NetworkLeft { municipality }),
            }
        }
    }

    /// The time of the event at `position`.
    fn at(position: i64) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap() + Duration::minutes(position)
    }

    fn principal(municipality: &str, roles: &[Role]) -> Principal {
        Principal {
            user: UserId::parse("someone").unwrap(),
            municipality: MunicipalityId::parse(municipality).unwrap(),
            department: Some(DepartmentId::parse("it").unwrap()),
            roles: roles.iter().copied().collect(),
        }
    }

    fn id(raw: &str) -> MunicipalityId {
        MunicipalityId::parse(raw).unwrap()
    }

    async fn sqlite() -> Database {
        let path =
            std::env::temp_dir().join(format!("innohub-directory-{}.sqlite", Uuid::now_v7()));
        let db = Database::connect(&Database::sqlite_url(&path))
            .await
            .unwrap();
        db.migrate(&crate::migrations()).await.unwrap();
        db
    }

    /// Apply `events` in batches of `batch`, each in its own transaction.
    async fn apply(db: &Database, events: &[StoredEvent], batch: usize) {
        for chunk in events.chunks(batch) {
            let refs: Vec<&StoredEvent> = chunk.iter().collect();
            let mut tx = db.writer().begin().await.unwrap();
            DirectoryViews.apply(&mut tx, &refs).await.unwrap();
            tx.commit().await.unwrap();
        }
    }

    /// Every row of the four tables, as text, in key order.
    async fn dump(db: &Database) -> Vec<String> {
        let mut rows = Vec::new();
        for (table, key) in [
            ("directory_municipality", "id"),
            ("directory_department", "municipality, department_id"),
            ("directory_network", "id"),
            ("directory_network_member", "network_id, municipality"),
        ] {
            let sql = format!("SELECT * FROM {table} ORDER BY {key}");
            for row in sqlx::query(&sql).fetch_all(db.reader()).await.unwrap() {
                let cells: Vec<String> = (0..row.len())
                    .map(|i| {
                        row.try_get::<String, _>(i)
                            .or_else(|_| row.try_get::<i64, _>(i).map(|n| n.to_string()))
                            .or_else(|_| {
                                row.try_get::<Option<String>, _>(i)
                                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
                            })
                            .unwrap()
                    })
                    .collect();
                rows.push(format!("{table}: {}", cells.join(" | ")));
            }
        }
        rows
    }

    /// Two networks: "Øst" founded by DK with SE a member and Uppsala invited; "Vest"
    /// founded by NO with DK invited. DK has a department tree.
    fn scenario() -> (Events, String, String) {
        let east = Uuid::now_v7().to_string();
        let west = Uuid::now_v7().to_string();
        let mut events = Events::default();
        events.register(DK, "Syddjurs", 42_000, pb::SizeBand::SizeBand30kTo60k);
        events.register(
            SE,
            "Helsingborg",
            150_000,
            pb::SizeBand::SizeBand100kAndMore,
        );
        events.register(
            UPPSALA,
            "Uppsala",
            240_000,
            pb::SizeBand::SizeBand100kAndMore,
        );
        events.register(NO, "Øygarden", 9_000, pb::SizeBand::Under10k);
        events.push(
            MUNICIPALITY,
            DK,
            pb::DepartmentAdded {
                department_id: "social".into(),
                name: "Social".into(),
                parent_id: String::new(),
            },
        );
        events.push(
            MUNICIPALITY,
            DK,
            pb::DepartmentAdded {
                department_id: "jobcenter".into(),
                name: "Jobcenter".into(),
                parent_id: "social".into(),
            },
        );
        events.push(
            MUNICIPALITY,
            DK,
            pb::DepartmentRenamed {
                department_id: "jobcenter".into(),
                name: "Jobcenter Syddjurs".into(),
            },
        );
        events.push(
            MUNICIPALITY,
            DK,
            pb::DepartmentRetired {
                department_id: "jobcenter".into(),
            },
        );
        // Another context's stream in the same store: ignored.
        events.push(
            "process",
            &Uuid::now_v7().to_string(),
            pb::NetworkLeft::default(),
        );
        events.push(
            NETWORK,
            &east,
            pb::NetworkCreated {
                network_id: east.clone(),
                name: "Øst".into(),
                founder: DK.into(),
            },
        );
        events.standing(&east, SE, INVITED);
        events.standing(&east, UPPSALA, INVITED);
        events.standing(&east, SE, MEMBER);
        events.push(
            NETWORK,
            &west,
            pb::NetworkCreated {
                network_id: west.clone(),
                name: "Vest".into(),
                founder: NO.into(),
            },
        );
        events.standing(&west, DK, INVITED);
        (events, east, west)
    }

    /// One batch and one event per batch leave the same rows.
    #[tokio::test]
    async fn batches_of_any_size_leave_the_same_rows() {
        let (events, _, _) = scenario();
        let (whole, single) = (sqlite().await, sqlite().await);
        apply(&whole, &events.events, 1_000).await;
        apply(&single, &events.events, 1).await;
        let rows = dump(&whole).await;
        assert_eq!(rows, dump(&single).await);
        assert_eq!(rows.len(), 4 + 2 + 2 + 5, "{rows:#?}");
        assert!(
            rows.contains(&format!(
                "directory_department: {DK} | jobcenter | Jobcenter Syddjurs | social | 1"
            )),
            "{rows:#?}"
        );
        assert!(
            rows.contains(&format!(
                "directory_municipality: {NO} | NO | 4626 | Øygarden | 9000 | UNDER_10K | {}",
                at(4).to_rfc3339()
            )),
            "{rows:#?}"
        );
    }

    /// A rename or retirement of a department the read model does not know is refused.
    #[tokio::test]
    async fn an_unknown_department_is_refused() {
        let db = sqlite().await;
        let mut events = Events::default();
        events.push(
            MUNICIPALITY,
            DK,
            pb::DepartmentRenamed {
                department_id: "ghost".into(),
                name: "Ghost".into(),
            },
        );
        let refs: Vec<&StoredEvent> = events.events.iter().collect();
        let mut tx = db.writer().begin().await.unwrap();
        let refused = DirectoryViews.apply(&mut tx, &refs).await;
        assert!(
            matches!(refused, Err(ProjectionError::Refused { .. })),
            "{refused:?}"
        );
    }

    /// Registration, partners, networks and departments as each caller sees them, on SQLite.
    #[tokio::test]
    async fn queries_answer_by_the_directory_rules() {
        queries_on(sqlite().await).await;
    }

    /// The same on PostgreSQL (`INNOHUB_TEST_POSTGRES_URL`, by default the local server),
    /// in a schema of its own: the suite never skips a backend.
    #[tokio::test]
    async fn queries_answer_by_the_directory_rules_on_postgres() {
        let url = std::env::var("INNOHUB_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = Database::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
        let schema = format!("directory_test_{}", Uuid::now_v7().simple());
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(admin.writer())
            .await
            .unwrap();
        let db = admin.in_schema(&schema).await.unwrap();
        db.migrate(&crate::migrations()).await.unwrap();
        queries_on(db.clone()).await;
        db.close().await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(admin.writer())
            .await
            .unwrap();
    }

    async fn queries_on(db: Database) {
        let (mut events, east, west) = scenario();
        apply(&db, &events.events, 3).await;
        let q = DirectoryQueries::new(db.clone());

        // Tenants and partners: only current members of a shared network.
        assert_eq!(q.tenant(&id(DK)).await.unwrap(), Some([id(SE)].into()));
        assert_eq!(q.tenant(&id(SE)).await.unwrap(), Some([id(DK)].into()));
        assert_eq!(q.tenant(&id(UPPSALA)).await.unwrap(), Some([].into()));
        assert_eq!(q.tenant(&id(NO)).await.unwrap(), Some([].into()));
        assert_eq!(q.tenant(&id("FI-0091")).await.unwrap(), None);

        let all = q.municipalities().await.unwrap();
        let ids: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, [DK, NO, UPPSALA, SE]);
        assert_eq!(all[0].profile.size_band(), pb::SizeBand::SizeBand30kTo60k);
        assert_eq!(all[0].registered_at, at(1).to_rfc3339());

        // Departments: members and platform administrators only.
        let tree = vec![
            DepartmentView {
                id: "jobcenter".into(),
                name: "Jobcenter Syddjurs".into(),
                parent: Some("social".into()),
                retired: true,
            },
            DepartmentView {
                id: "social".into(),
                name: "Social".into(),
                parent: None,
                retired: false,
            },
        ];
        let member = principal(DK, &[Role::Employee]);
        let partner = principal(SE, &[Role::MunicipalityAdmin]);
        let platform = principal(NO, &[Role::PlatformAdmin]);
        let seen = q.municipality(&member, &id(DK)).await.unwrap().unwrap();
        assert_eq!(seen.municipality.profile.name, "Syddjurs");
        assert_eq!(seen.departments.as_ref(), Some(&tree));
        let by_partner = q.municipality(&partner, &id(DK)).await.unwrap().unwrap();
        assert_eq!(by_partner.municipality, seen.municipality);
        assert_eq!(by_partner.departments, None);
        assert_eq!(q.departments(&partner, &id(DK)).await.unwrap(), None);
        assert_eq!(
            q.departments(&platform, &id(DK)).await.unwrap().as_ref(),
            Some(&tree)
        );
        assert_eq!(q.municipality(&member, &id("FI-0091")).await.unwrap(), None);

        // Networks: members and invitees see them; outsiders see nothing.
        let founder = q.networks(&member).await.unwrap();
        let names: Vec<&str> = founder.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["Vest", "Øst"]);
        let east_view = founder.iter().find(|n| n.id == east).unwrap();
        let members: Vec<(&str, Option<&str>)> = east_view
            .members
            .iter()
            .map(|m| (m.municipality.as_str(), m.name.as_deref()))
            .collect();
        assert_eq!(members, [(DK, Some("Syddjurs")), (SE, Some("Helsingborg"))]);
        let invited: Vec<&str> = east_view
            .invitations
            .iter()
            .map(|m| m.municipality.as_str())
            .collect();
        assert_eq!(invited, [UPPSALA]);
        assert_eq!(east_view.founder, DK);
        let west_view = founder.iter().find(|n| n.id == west).unwrap();
        assert_eq!(west_view.invitations.len(), 1);
        assert_eq!(west_view.members.len(), 1);

        let invitee = principal(UPPSALA, &[Role::Employee]);
        let outsider = principal("FI-0091", &[Role::PlatformAdmin]);
        assert_eq!(q.networks(&invitee).await.unwrap().len(), 1);
        assert!(q.networks(&outsider).await.unwrap().is_empty());
        assert_eq!(q.network(&partner, &west).await.unwrap(), None);
        assert_eq!(q.network(&outsider, &east).await.unwrap(), None);
        assert_eq!(
            q.network(&partner, &east).await.unwrap().as_ref(),
            Some(east_view)
        );

        // SE leaves, Uppsala joins: partners follow.
        let before = events.events.len();
        events.standing(&east, SE, LEFT);
        events.standing(&east, UPPSALA, MEMBER);
        apply(&db, &events.events[before..], 10).await;
        assert_eq!(q.tenant(&id(DK)).await.unwrap(), Some([id(UPPSALA)].into()));
        assert_eq!(q.tenant(&id(SE)).await.unwrap(), Some([].into()));
        assert!(q.networks(&partner).await.unwrap().is_empty());
        let east_now = q.network(&invitee, &east).await.unwrap().unwrap();
        assert!(east_now.invitations.is_empty());
        let since: Vec<&str> = east_now.members.iter().map(|m| m.since.as_str()).collect();
        assert_eq!(
            since,
            [
                at(10).to_rfc3339(),
                at(events.events.len() as i64).to_rfc3339()
            ]
        );
    }
}
