//! The room for what the newest-first lists of records share (ideas, pilots): one
//! [`Listed`] says where a kind of record is read and what orders it; [`Cursor`] is a place
//! in its list (the creation time as stored, which never changes, and the id), [`readable`]
//! selects its rows by the one read rule, [`rows_after`] reads one page of them off an
//! index and [`page`] pairs the views of those rows with their cursors. The views
//! themselves, and how each record is redacted, stay with each kind's queries.

use std::marker::PhantomData;

use chrono::DateTime;
use innohub_runtime::sql::Sql;
use innohub_runtime::{Database, Viewer};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::access::{self, ReadModel};
use crate::queries::{NotAPosition, Page, QueryError};

/// A kind of record listed newest first.
pub trait Listed {
    /// The list's name, the first part of its cursors (`ideas`).
    const NAME: &'static str;
    /// The read model's row (`idea_view`), aliased `pv`.
    const VIEW: &'static str;
    /// The table of its records (`idea_record`), aliased `r`, joined on `r.id = pv.id`.
    const RECORD: &'static str;
    /// The row's column of its creation time (`submitted_at`), as stored.
    const AT: &'static str;
    /// The columns its views are made of.
    const COLUMNS: &'static str;
    /// Where the read rule finds the people and the departments.
    const MODEL: &'static ReadModel;
}

/// A record's place in the newest-first list `L`: its creation time (as stored) and id. A
/// page continues after a cursor; clients hold it as an opaque text (its `Display`).
pub struct Cursor<L> {
    at: String,
    id: Uuid,
    list: PhantomData<L>,
}

impl<L: Listed> Cursor<L> {
    /// Read a cursor written by `Display`.
    pub fn parse(raw: &str) -> Result<Self, NotAPosition> {
        let mut parts = raw.splitn(3, '|');
        let (Some(name), Some(at), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NotAPosition);
        };
        if name != L::NAME {
            return Err(NotAPosition);
        }
        DateTime::parse_from_rfc3339(at).map_err(|_| NotAPosition)?;
        Ok(Self::new(
            at.to_owned(),
            Uuid::parse_str(id).map_err(|_| NotAPosition)?,
        ))
    }

    fn new(at: String, id: Uuid) -> Self {
        Self {
            at,
            id,
            list: PhantomData,
        }
    }
}

impl<L: Listed> std::fmt::Display for Cursor<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}|{}|{}", L::NAME, self.at, self.id)
    }
}

impl<L> std::fmt::Debug for Cursor<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cursor")
            .field("at", &self.at)
            .field("id", &self.id)
            .finish()
    }
}

impl<L> Clone for Cursor<L> {
    fn clone(&self) -> Self {
        Self {
            at: self.at.clone(),
            id: self.id,
            list: PhantomData,
        }
    }
}

impl<L> PartialEq for Cursor<L> {
    fn eq(&self, other: &Self) -> bool {
        (&self.at, self.id) == (&other.at, other.id)
    }
}

impl<L> Eq for Cursor<L> {}

/// `SELECT` the [`Listed::COLUMNS`] of the rows of `L` that `viewer` may read; more
/// conditions follow with ` AND `.
pub(crate) fn readable<L: Listed>(viewer: &Viewer) -> Sql {
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM {} pv JOIN {} r ON r.id = pv.id WHERE ",
        L::COLUMNS,
        L::VIEW,
        L::RECORD
    ));
    access::visible(&mut sql, viewer, L::MODEL);
    sql
}

/// How many rows of `L` `viewer` may read that the conditions `narrow` appends (each after
/// ` AND `) match.
pub(crate) async fn count<L: Listed>(
    db: &Database,
    viewer: &Viewer,
    narrow: impl FnOnce(&mut Sql),
) -> Result<i64, QueryError> {
    let mut sql = Sql::new(&format!("SELECT COUNT(*) AS n FROM {} pv WHERE ", L::VIEW));
    access::visible(&mut sql, viewer, L::MODEL);
    narrow(&mut sql);
    Ok(sql.query().fetch_one(db.reader()).await?.try_get("n")?)
}

/// The first `limit` rows `sql` (a [`readable`] query) selects after `after` (from the
/// start without), newest first, and whether more follow. Creation times never change, so
/// a page continues exactly after its cursor, read off an index.
pub(crate) async fn rows_after<L: Listed>(
    db: &Database,
    mut sql: Sql,
    after: Option<&Cursor<L>>,
    limit: i64,
) -> Result<(Vec<AnyRow>, bool), QueryError> {
    let at = format!("pv.{}", L::AT);
    if let Some(after) = after {
        // The first condition alone is a range of the index on both backends.
        sql.push(&format!(" AND {at} <= "))
            .bind(after.at.as_str())
            .push(&format!(" AND ({at}, pv.id) < ("))
            .bind(after.at.as_str())
            .push(", ")
            .bind(after.id.to_string())
            .push(")");
    }
    sql.push(&format!(" ORDER BY {at} DESC, pv.id DESC LIMIT "))
        .bind(limit + 1);
    let mut rows = sql.query().fetch_all(db.reader()).await?;
    let has_next = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok((rows, has_next))
}

/// The page of `views`, made of `rows` in their order, each with its cursor.
pub(crate) fn page<L: Listed, V>(
    rows: &[AnyRow],
    views: Vec<V>,
    id: impl Fn(&V) -> Uuid,
    has_next: bool,
) -> Result<Page<V, Cursor<L>>, QueryError> {
    let items = rows
        .iter()
        .zip(views)
        .map(|(row, view)| {
            let cursor = Cursor::new(row.try_get(L::AT)?, id(&view));
            Ok((view, cursor))
        })
        .collect::<Result<_, QueryError>>()?;
    Ok(Page { items, has_next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idea_queries::IdeaList;
    use crate::pilot_queries::PilotList;

    /// A cursor of `L` reads back what it wrote, and not a cursor of the list `other`, a
    /// time that is not one or a name alone.
    fn reads_back_what_it_wrote_and_nothing_else<L: Listed>(other: &str) {
        let cursor = Cursor::<L>::new("2026-03-01T10:00:00.000000000Z".into(), Uuid::now_v7());
        assert_eq!(
            Cursor::<L>::parse(&cursor.to_string()).ok(),
            Some(cursor.clone())
        );
        let text = cursor.to_string();
        for bad in [
            text.replacen(L::NAME, other, 1),
            format!("{}|yesterday|x", L::NAME),
            L::NAME.to_owned(),
        ] {
            assert!(Cursor::<L>::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        reads_back_what_it_wrote_and_nothing_else::<IdeaList>("processes");
        reads_back_what_it_wrote_and_nothing_else::<PilotList>("ideas");
    }
}
