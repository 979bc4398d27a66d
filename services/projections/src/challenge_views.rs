//! The `challenge_views` projection and its queries: a municipality's own innovation work
//! from the ideas events: challenges (`idea_challenge`), workshops (`idea_workshop`) and
//! their action items (`idea_action_item`). Each table is written once per batch: rows
//! created in the batch are inserted as the batch left them, and the status changes of
//! rows that existed before are one multi-row `UPDATE … FROM (VALUES …)`.
//!
//! All of it is answered to the municipality's own members only (a partner finds nothing,
//! as for an id that names nothing), through [`IdeaQueries`]. A challenge's idea count
//! counts only the ideas the viewer may read (the one read rule, [`access::visible`]); an
//! action item is overdue when it is open and its deadline is before the day asked
//! ([`ActionItemView::overdue`]: the one place of that rule).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use innohub_proto::innohub::ideas::v1 as pb;
use innohub_runtime::projection::{Projection, ProjectionError};
use innohub_runtime::sql::{Rows, Sql, Value};
use innohub_runtime::{MunicipalityId, StoredEvent, Viewer};
use prost::{Message, Name};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::access::{self, IDEAS};
use crate::filter::ActionItemFilter;
use crate::idea_queries::IdeaQueries;
use crate::queries::{QueryError, corrupt, parse_time, time};
use crate::timeline::stored_time;

/// The projection.
#[derive(Debug, Default, Clone, Copy)]
pub struct ChallengeViews;

/// The aggregate types of the ideas service's streams that this projection reads.
const CHALLENGE: &str = "challenge";
const WORKSHOP: &str = "workshop";
const ACTION_ITEM: &str = "action_item";

/// Status of an action item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionItemStatus {
    /// To be done.
    Open,
    /// Done.
    Done,
    /// Dropped, with a reason.
    Dropped,
}

impl ActionItemStatus {
    /// The stored spelling.
    fn as_str(self) -> &'static str {
        match self {
            ActionItemStatus::Open => "OPEN",
            ActionItemStatus::Done => "DONE",
            ActionItemStatus::Dropped => "DROPPED",
        }
    }

    fn parse(raw: &str) -> Result<Self, QueryError> {
        [Self::Open, Self::Done, Self::Dropped]
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| corrupt(format!("no action item status {raw}")))
    }
}

/// A challenge created in the batch.
struct NewChallenge {
    municipality: String,
    status: &'static str,
    created_by: String,
    created_at: String,
    closed_reason: String,
    details: Vec<u8>,
}

/// An action item added in the batch.
struct NewItem {
    added: pb::ActionItemAdded,
    added_at: String,
    closed: Option<ItemClosed>,
}

/// How an action item left OPEN: status, when, and the reason it was dropped for.
#[derive(Clone)]
struct ItemClosed {
    status: ActionItemStatus,
    at: String,
    reason: Option<String>,
}

/// What one batch writes: rows it creates, and status changes of rows created before it.
#[derive(Default)]
struct Batch {
    challenges: BTreeMap<String, NewChallenge>,
    /// Status and reason of challenges created before the batch.
    challenge_status: BTreeMap<String, (&'static str, String)>,
    workshops: Vec<Vec<Value>>,
    items: BTreeMap<String, NewItem>,
    /// Closings of items added before the batch.
    closed_items: BTreeMap<String, ItemClosed>,
}

impl Projection for ChallengeViews {
    fn name(&self) -> &'static str {
        "challenge_views"
    }

    fn source(&self) -> &'static str {
        "ideas"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["idea_challenge", "idea_workshop", "idea_action_item"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut batch = Batch::default();
        for event in events {
            batch
                .fold(event)
                .map_err(|e| ProjectionError::refused(event, e))?;
        }
        batch.write(conn).await
    }
}

impl Batch {
    /// Fold one event in; other aggregate types and unknown event types are skipped.
    fn fold(&mut self, event: &StoredEvent) -> Result<(), String> {
        let id = event.aggregate_id.clone();
        let at = stored_time(&event.occurred_at);
        let message = |e: innohub_runtime::StoreError| e.to_string();
        match (event.aggregate_type.as_str(), event.event_type.as_str()) {
            (CHALLENGE, pb::ChallengeCreated::NAME) => {
                let e: pb::ChallengeCreated = event.message().map_err(message)?;
                let status = pb::ChallengeStatus::try_from(e.status)
                    .ok()
                    .filter(|s| *s != pb::ChallengeStatus::Unspecified)
                    .ok_or("a challenge without a status")?;
                self.challenges.insert(
                    id,
                    NewChallenge {
                        municipality: e.municipality,
                        status: status.as_str_name(),
                        created_by: e.created_by,
                        created_at: at,
                        closed_reason: String::new(),
                        details: e.details.unwrap_or_default().encode_to_vec(),
                    },
                );
            }
            (CHALLENGE, pb::ChallengeOpened::NAME) => {
                event.message::<pb::ChallengeOpened>().map_err(message)?;
                self.challenge_became(id, pb::ChallengeStatus::Open, String::new());
            }
            (CHALLENGE, pb::ChallengeClosed::NAME) => {
                let e: pb::ChallengeClosed = event.message().map_err(message)?;
                self.challenge_became(id, pb::ChallengeStatus::Closed, e.reason);
            }
            (WORKSHOP, pb::WorkshopRecorded::NAME) => {
                let e: pb::WorkshopRecorded = event.message().map_err(message)?;
                let details = e.details.unwrap_or_default();
                self.workshops.push(vec![
                    id.into(),
                    e.municipality.into(),
                    details.date.clone().into(),
                    at.into(),
                    details.encode_to_vec().into(),
                ]);
            }
            (ACTION_ITEM, pb::ActionItemAdded::NAME) => {
                let added = event.message().map_err(message)?;
                self.items.insert(
                    id,
                    NewItem {
                        added,
                        added_at: at,
                        closed: None,
                    },
                );
            }
            (ACTION_ITEM, pb::ActionItemCompleted::NAME) => {
                event
                    .message::<pb::ActionItemCompleted>()
                    .map_err(message)?;
                self.item_closed(id, ActionItemStatus::Done, at, None);
            }
            (ACTION_ITEM, pb::ActionItemDropped::NAME) => {
                let e: pb::ActionItemDropped = event.message().map_err(message)?;
                self.item_closed(id, ActionItemStatus::Dropped, at, Some(e.reason));
            }
            _ => {}
        }
        Ok(())
    }

    fn challenge_became(&mut self, id: String, status: pb::ChallengeStatus, reason: String) {
        match self.challenges.get_mut(&id) {
            Some(new) => {
                new.status = status.as_str_name();
                new.closed_reason = reason;
            }
            None => {
                self.challenge_status
                    .insert(id, (status.as_str_name(), reason));
            }
        }
    }

    fn item_closed(
        &mut self,
        id: String,
        status: ActionItemStatus,
        at: String,
        reason: Option<String>,
    ) {
        let closed = ItemClosed { status, at, reason };
        match self.items.get_mut(&id) {
            Some(new) => new.closed = Some(closed),
            None => {
                self.closed_items.insert(id, closed);
            }
        }
    }

    /// Each table once (and once more for the status changes of earlier rows).
    async fn write(self, conn: &mut AnyConnection) -> Result<(), ProjectionError> {
        let mut challenges = Rows::new(
            "INSERT INTO idea_challenge (id, municipality, status, created_by, created_at, \
             closed_reason, details)",
            "ON CONFLICT (id) DO NOTHING",
        );
        for (id, c) in self.challenges {
            challenges.push(vec![
                id.into(),
                c.municipality.into(),
                c.status.into(),
                c.created_by.into(),
                c.created_at.into(),
                c.closed_reason.into(),
                c.details.into(),
            ]);
        }
        challenges.execute(conn).await?;
        let mut statuses = Rows::new(
            "UPDATE idea_challenge SET status = v.column2, closed_reason = v.column3 FROM (",
            ") AS v WHERE idea_challenge.id = v.column1",
        );
        for (id, (status, reason)) in self.challenge_status {
            statuses.push(vec![id.into(), status.into(), reason.into()]);
        }
        statuses.execute(conn).await?;
        let mut workshops = Rows::new(
            "INSERT INTO idea_workshop (id, municipality, held_on, recorded_at, details)",
            "ON CONFLICT (id) DO NOTHING",
        );
        for row in self.workshops {
            workshops.push(row);
        }
        workshops.execute(conn).await?;
        let mut items = Rows::new(
            "INSERT INTO idea_action_item (id, municipality, workshop_id, idea_id, title, owner, \
             deadline, status, added_at, closed_at, drop_reason)",
            "ON CONFLICT (id) DO NOTHING",
        );
        for (id, item) in self.items {
            let a = item.added;
            let (status, closed_at, reason) = closing(item.closed);
            items.push(vec![
                id.into(),
                a.municipality.into(),
                a.workshop_id.into(),
                (!a.idea_id.is_empty()).then_some(a.idea_id).into(),
                a.title.into(),
                a.owner.into(),
                a.deadline.into(),
                status.into(),
                item.added_at.into(),
                closed_at.into(),
                reason.into(),
            ]);
        }
        items.execute(conn).await?;
        let mut closings = Rows::new(
            "UPDATE idea_action_item SET status = v.column2, closed_at = v.column3, \
             drop_reason = v.column4 FROM (",
            ") AS v WHERE idea_action_item.id = v.column1",
        );
        for (id, closed) in self.closed_items {
            let (status, closed_at, reason) = closing(Some(closed));
            closings.push(vec![
                id.into(),
                status.into(),
                closed_at.into(),
                reason.into(),
            ]);
        }
        closings.execute(conn).await?;
        Ok(())
    }
}

/// The status, closing time and drop reason columns of an item closed so (open if `None`).
fn closing(closed: Option<ItemClosed>) -> (&'static str, Option<String>, Option<String>) {
    match closed {
        None => (ActionItemStatus::Open.as_str(), None, None),
        Some(c) => (c.status.as_str(), Some(c.at), c.reason),
    }
}

/// A challenge, as its municipality's members read it.
#[derive(Debug, Clone)]
pub struct ChallengeView {
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// What it asks.
    pub details: pb::ChallengeDetails,
    /// DRAFT, OPEN or CLOSED.
    pub status: pb::ChallengeStatus,
    /// The innovation lead who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Why it was closed, if a reason was given.
    pub closed_reason: Option<String>,
    /// How many ideas answer it, of those the viewer may read.
    pub idea_count: i64,
}

/// A workshop, as its municipality's members read it.
#[derive(Debug, Clone)]
pub struct WorkshopView {
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// What happened.
    pub details: pb::WorkshopDetails,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// An action item, as its municipality's members read it on one day.
#[derive(Debug, Clone)]
pub struct ActionItemView {
    /// Its id.
    pub id: Uuid,
    /// Owning municipality.
    pub municipality: MunicipalityId,
    /// The workshop it came out of.
    pub workshop: Uuid,
    /// The idea it belongs to; `None` for the workshop as a whole.
    pub idea: Option<Uuid>,
    /// What is to be done.
    pub title: String,
    /// Who is responsible.
    pub owner: String,
    /// By when.
    pub deadline: NaiveDate,
    /// OPEN, DONE or DROPPED.
    pub status: ActionItemStatus,
    /// When it was added.
    pub added_at: DateTime<Utc>,
    /// When it was done or dropped.
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was dropped.
    pub drop_reason: Option<String>,
    /// Open past its deadline on the day asked.
    pub overdue: bool,
}

impl ActionItemView {
    /// The rule: an item is overdue on `today` when it is open and its deadline is before.
    pub fn overdue(status: ActionItemStatus, deadline: NaiveDate, today: NaiveDate) -> bool {
        status == ActionItemStatus::Open && deadline < today
    }
}

fn uuid(row: &AnyRow, column: &str) -> Result<Uuid, QueryError> {
    Uuid::parse_str(&row.try_get::<String, _>(column)?).map_err(corrupt)
}

fn municipality(row: &AnyRow) -> Result<MunicipalityId, QueryError> {
    MunicipalityId::parse(&row.try_get::<String, _>("municipality")?).map_err(corrupt)
}

/// A stored message column.
fn message<M: Message + Default>(row: &AnyRow, column: &str) -> Result<M, QueryError> {
    let bytes: Vec<u8> = row.try_get(column)?;
    M::decode(bytes.as_slice()).map_err(corrupt)
}

impl IdeaQueries {
    /// The viewer's municipality's challenges whose rows `id` selects (all with `None`),
    /// newest first.
    async fn challenges_where(
        &self,
        viewer: &Viewer,
        id: Option<Uuid>,
    ) -> Result<Vec<ChallengeView>, QueryError> {
        let mut sql = Sql::new(
            "SELECT c.id, c.municipality, c.status, c.created_by, c.created_at, c.closed_reason, \
             c.details, (SELECT COUNT(*) FROM idea_view pv WHERE pv.challenge_id = c.id AND ",
        );
        access::visible(&mut sql, viewer, &IDEAS);
        sql.push(") AS ideas FROM idea_challenge c WHERE c.municipality = ")
            .bind(viewer.principal.municipality.as_str());
        if let Some(id) = id {
            sql.push(" AND c.id = ").bind(id.to_string());
        }
        sql.push(" ORDER BY c.created_at DESC, c.id DESC");
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                let reason: String = row.try_get("closed_reason")?;
                Ok(ChallengeView {
                    id: uuid(row, "id")?,
                    municipality: municipality(row)?,
                    details: message(row, "details")?,
                    status: pb::ChallengeStatus::from_str_name(&status)
                        .ok_or_else(|| corrupt(format!("no challenge status {status}")))?,
                    created_by: row.try_get("created_by")?,
                    created_at: time(row, "created_at")?,
                    closed_reason: (!reason.is_empty()).then_some(reason),
                    idea_count: row.try_get("ideas")?,
                })
            })
            .collect()
    }

    /// The viewer's municipality's challenges, newest first.
    pub async fn challenges(&self, viewer: &Viewer) -> Result<Vec<ChallengeView>, QueryError> {
        self.challenges_where(viewer, None).await
    }

    /// Challenge `id`, if it is the viewer's municipality's.
    pub async fn challenge(
        &self,
        viewer: &Viewer,
        id: Uuid,
    ) -> Result<Option<ChallengeView>, QueryError> {
        Ok(self.challenges_where(viewer, Some(id)).await?.pop())
    }

    /// The viewer's municipality's workshops whose rows `id` selects, latest held first.
    async fn workshops_where(
        &self,
        viewer: &Viewer,
        id: Option<Uuid>,
    ) -> Result<Vec<WorkshopView>, QueryError> {
        let mut sql = Sql::new(
            "SELECT w.id, w.municipality, w.recorded_at, w.details FROM idea_workshop w \
             WHERE w.municipality = ",
        );
        sql.bind(viewer.principal.municipality.as_str());
        if let Some(id) = id {
            sql.push(" AND w.id = ").bind(id.to_string());
        }
        sql.push(" ORDER BY w.held_on DESC, w.id DESC");
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        rows.iter()
            .map(|row| {
                Ok(WorkshopView {
                    id: uuid(row, "id")?,
                    municipality: municipality(row)?,
                    details: message(row, "details")?,
                    recorded_at: time(row, "recorded_at")?,
                })
            })
            .collect()
    }

    /// The viewer's municipality's workshops, latest held first.
    pub async fn workshops(&self, viewer: &Viewer) -> Result<Vec<WorkshopView>, QueryError> {
        self.workshops_where(viewer, None).await
    }

    /// Workshop `id`, if it is the viewer's municipality's.
    pub async fn workshop(
        &self,
        viewer: &Viewer,
        id: Uuid,
    ) -> Result<Option<WorkshopView>, QueryError> {
        Ok(self.workshops_where(viewer, Some(id)).await?.pop())
    }

    /// The viewer's municipality's action items that `filter` matches on `today`, by
    /// deadline.
    pub async fn action_items(
        &self,
        viewer: &Viewer,
        filter: &ActionItemFilter,
        today: NaiveDate,
    ) -> Result<Vec<ActionItemView>, QueryError> {
        let mut sql = Sql::new(
            "SELECT a.id, a.municipality, a.workshop_id, a.idea_id, a.title, a.owner, \
             a.deadline, a.status, a.added_at, a.closed_at, a.drop_reason \
             FROM idea_action_item a WHERE a.municipality = ",
        );
        sql.bind(viewer.principal.municipality.as_str());
        filter.push(&mut sql);
        sql.push(" ORDER BY a.deadline, a.id");
        let rows = sql.query().fetch_all(self.db.reader()).await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let status = ActionItemStatus::parse(&row.try_get::<String, _>("status")?)?;
            let deadline: String = row.try_get("deadline")?;
            let deadline: NaiveDate = deadline.parse().map_err(corrupt)?;
            let overdue = ActionItemView::overdue(status, deadline, today);
            if filter.overdue.is_some_and(|wanted| wanted != overdue) {
                continue;
            }
            let idea: Option<String> = row.try_get("idea_id")?;
            let closed_at: Option<String> = row.try_get("closed_at")?;
            items.push(ActionItemView {
                id: uuid(row, "id")?,
                municipality: municipality(row)?,
                workshop: uuid(row, "workshop_id")?,
                idea: idea
                    .map(|i| Uuid::parse_str(&i))
                    .transpose()
                    .map_err(corrupt)?,
                title: row.try_get("title")?,
                owner: row.try_get("owner")?,
                deadline,
                status,
                added_at: time(row, "added_at")?,
                closed_at: closed_at.as_deref().map(parse_time).transpose()?,
                drop_reason: row.try_get("drop_reason")?,
                overdue,
            });
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Open past the deadline is overdue; on the deadline, or done or dropped, it is not.
    #[test]
    fn an_item_is_overdue_when_open_past_its_deadline() {
        let day = |raw: &str| raw.parse::<NaiveDate>().expect("date");
        let deadline = day("2026-03-31");
        use ActionItemStatus::*;
        assert!(ActionItemView::overdue(Open, deadline, day("2026-04-01")));
        assert!(!ActionItemView::overdue(Open, deadline, day("2026-03-31")));
        assert!(!ActionItemView::overdue(Done, deadline, day("2026-04-01")));
        assert!(!ActionItemView::overdue(
            Dropped,
            deadline,
            day("2026-04-01")
        ));
    }
}
