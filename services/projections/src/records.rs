//! The room for what the projections that keep one record per aggregate in a `*_record`
//! table, with a `*_view` row and facets (`idea_views`, `pilot_views`, `funding_views`), do
//! alike in a batch: [`Records::load`] decodes the events and reads, once, the records they
//! touch ([`Records::read`] the records of events decoded already);
//! [`Records::created`] and the public maps keep what the fold changes; [`Records::write`]
//! writes the facets, the records and the view rows of what changed, each table once. What
//! each event does to its record, and what a view row holds, stays with each projection.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use innohub_runtime::StoredEvent;
use innohub_runtime::projection::ProjectionError;
use innohub_runtime::sql::{Rows, Value};
use prost::Message;
use sqlx::AnyConnection;

use crate::access::ReadModel;
use crate::process_views::{decode_and_load, records_of, replace_facets};

/// A record kept per aggregate: where it is stored and what it is filed under.
pub(crate) trait Kept: Message + Default {
    /// Its table (`idea_record`: `id`, `record`).
    const TABLE: &'static str;
    /// The statement that adds it: `INSERT INTO <table> (id, record)`.
    const INSERT: &'static str;
    /// Its read model, whose facet table holds its facets.
    const MODEL: &'static ReadModel;
    /// The statement that adds its facets: `INSERT INTO <facets> (<key>, facet, value)`.
    const INSERT_FACETS: &'static str;

    /// The facets it is filed under.
    fn facets(&self) -> Vec<(&'static str, String)>;
}

/// The records one batch folds into, by aggregate id.
pub(crate) struct Records<R> {
    /// Every aggregate the batch touches: its record (`None` before its first event).
    pub(crate) records: HashMap<String, Option<R>>,
    /// The aggregates that had a row (and facets) before the batch.
    existed: BTreeSet<String>,
    /// Aggregates whose record changed, with the time of their last event.
    pub(crate) changed: BTreeMap<String, String>,
    /// Aggregates whose facets changed.
    pub(crate) refaceted: BTreeSet<String>,
}

impl<R: Kept> Records<R> {
    /// The batch's events decoded by `decode`, and the records of the aggregates with an
    /// event that `has_record` says folds into one.
    pub(crate) async fn load<'a, C>(
        conn: &mut AnyConnection,
        events: &[&'a StoredEvent],
        decode: fn(&StoredEvent) -> Result<C, ProjectionError>,
        has_record: fn(&C) -> bool,
    ) -> Result<(Vec<(&'a StoredEvent, C)>, Self), ProjectionError> {
        let (events, records) =
            decode_and_load(conn, events, decode, has_record, (R::TABLE, "id", "record")).await?;
        Ok((events, Self::of(records)))
    }

    /// The records of the aggregates `ids` (of events decoded already), as stored.
    pub(crate) async fn read(
        conn: &mut AnyConnection,
        ids: BTreeSet<&str>,
    ) -> Result<Self, ProjectionError> {
        Ok(Self::of(
            records_of(conn, (R::TABLE, "id", "record"), ids).await?,
        ))
    }

    fn of(records: HashMap<String, Option<R>>) -> Self {
        let existed = records
            .iter()
            .filter(|(_, r)| r.is_some())
            .map(|(id, _)| id.clone())
            .collect();
        Self {
            records,
            existed,
            changed: BTreeMap::new(),
            refaceted: BTreeSet::new(),
        }
    }

    /// `id`'s first event, at `at`, created `record`.
    pub(crate) fn created(&mut self, id: String, record: R, at: String) {
        self.records.insert(id.clone(), Some(record));
        self.refaceted.insert(id.clone());
        self.changed.insert(id, at);
    }

    /// Write the facets of the records whose facets changed, then each changed record and
    /// its view row, made by `view_row` (of its id, record and time of its last event) for
    /// `views`, an upsert into the view's table.
    pub(crate) async fn write(
        &self,
        conn: &mut AnyConnection,
        mut views: Rows,
        view_row: impl Fn(&str, &R, &str) -> Vec<Value>,
    ) -> Result<(), ProjectionError> {
        replace_facets(
            conn,
            (R::MODEL, R::INSERT_FACETS),
            &self.refaceted,
            |id| self.existed.contains(id),
            |id| {
                self.records
                    .get(id)
                    .and_then(Option::as_ref)
                    .map(R::facets)
                    .unwrap_or_default()
            },
        )
        .await?;
        let mut records = Rows::new(
            R::INSERT,
            "ON CONFLICT (id) DO UPDATE SET record = excluded.record",
        );
        for (id, at) in &self.changed {
            let Some(record) = self.records.get(id).and_then(Option::as_ref) else {
                continue;
            };
            views.push(view_row(id, record, at));
            records.push(vec![id.into(), record.encode_to_vec().into()]);
        }
        records.execute(conn).await?;
        views.execute(conn).await?;
        Ok(())
    }
}
