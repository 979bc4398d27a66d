//! Statements whose shape is only known at run time, with `$n` parameters, which both SQLite
//! and PostgreSQL accept through the `Any` driver: [`Sql`] for queries built clause by clause
//! (filters), and [`Rows`] for writing many rows in a few multi-row statements (what a
//! projection writes per batch).
//!
//! sqlx's own `QueryBuilder` cannot serve here: over the `Any` driver it writes `?`
//! placeholders (`AnyArguments` keeps the default `Arguments::format_placeholder`), which
//! PostgreSQL refuses.

use std::fmt::Write as _;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection};

/// A value to bind.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// Text or NULL.
    OptText(Option<String>),
    /// Integer.
    Int(i64),
    /// Integer or NULL.
    OptInt(Option<i64>),
    /// Floating point.
    Float(f64),
    /// Bytes (BYTEA, BLOB).
    Bytes(Vec<u8>),
}

impl Value {
    fn bind<'q>(
        &'q self,
        query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        match self {
            Value::Text(s) => query.bind(s.as_str()),
            Value::OptText(s) => query.bind(s.as_deref()),
            Value::Int(i) => query.bind(*i),
            Value::OptInt(i) => query.bind(*i),
            Value::Float(f) => query.bind(*f),
            Value::Bytes(b) => query.bind(b.as_slice()),
        }
    }
}

/// SQL text and its parameters, in order.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    params: Vec<Value>,
}

impl Sql {
    /// Start with some SQL.
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            params: Vec::new(),
        }
    }

    /// Append SQL text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Append a parameter placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.params.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.params.len().to_string());
        self
    }

    /// Append `(p1, p2, …)` for a non-empty list.
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.push("(");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")")
    }

    /// Append `(SELECT column1 FROM (VALUES (p1), (p2), …) AS ids)`, the set to match with
    /// `IN` when the list is long (ids of a batch). PostgreSQL checks `x IN (p1, p2, …)` one
    /// element after another for every row it filters, and a table that grew faster than its
    /// statistics is filtered (a thousand ids over a hundred thousand rows took a second);
    /// a set is joined by hashing or through the index.
    pub fn bind_set<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.push("(SELECT column1 FROM (VALUES ");
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push("(").bind(v).push(")");
        }
        self.push(") AS ids)")
    }

    /// The query, ready to run.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.params
            .iter()
            .fold(sqlx::query(&self.text), |q, p| p.bind(q))
    }

    /// The SQL text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The statement with `text` in front, e.g. `EXPLAIN QUERY PLAN `.
    pub fn prefixed(&self, text: &str) -> Self {
        Self {
            text: format!("{text}{}", self.text),
            params: self.params.clone(),
        }
    }

    /// How many parameters are bound.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether nothing is bound.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

/// Parameters per statement: well under SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_PARAMS: usize = 30_000;

/// Many rows for one statement shape, written in as few statements as the parameter limits
/// allow: `{head} VALUES (…), (…) {tail}`, e.g. head `INSERT INTO t (a, b)` and tail
/// `ON CONFLICT (a) DO UPDATE SET b = excluded.b`. Every row has as many values as the first.
#[derive(Debug, Clone)]
pub struct Rows {
    head: &'static str,
    tail: &'static str,
    rows: Vec<Vec<Value>>,
}

impl Rows {
    /// Rows for `{head} VALUES … {tail}`.
    pub fn new(head: &'static str, tail: &'static str) -> Self {
        Self {
            head,
            tail,
            rows: Vec::new(),
        }
    }

    /// Add a row.
    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert!(
            self.rows
                .first()
                .is_none_or(|first| first.len() == row.len())
        );
        self.rows.push(row);
    }

    /// How many rows wait.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row waits.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Write the rows; returns the rows the statements affected.
    pub async fn execute(&self, conn: &mut AnyConnection) -> Result<u64, sqlx::Error> {
        let Some(width) = self.rows.first().map(Vec::len) else {
            return Ok(0);
        };
        let mut affected = 0;
        for chunk in self.rows.chunks((MAX_PARAMS / width.max(1)).max(1)) {
            let mut sql = Sql::new(self.head);
            sql.push(" VALUES ");
            for (i, row) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_list(row.iter().cloned());
            }
            sql.push(" ").push(self.tail);
            affected += sql.query().execute(&mut *conn).await?.rows_affected();
        }
        Ok(affected)
    }
}

/// `{1,2,3}`: a PostgreSQL array literal of `values`, bound as text (the `Any` driver binds
/// no arrays) and cast, e.g. `= ANY($1::bigint[])`.
pub fn array_literal(values: impl IntoIterator<Item = i64>) -> String {
    let mut literal = String::from("{");
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            literal.push(',');
        }
        let _ = write!(literal, "{v}");
    }
    literal.push('}');
    literal
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::OptText(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::OptInt(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_in_order() {
        let mut a = Sql::new("a = ");
        a.bind("x")
            .push(" AND b = ")
            .bind(2_i64)
            .push(" AND c IN ")
            .bind_list(["p", "q"])
            .push(" AND d IN ")
            .bind_set(["r", "s"]);
        assert_eq!(
            a.text(),
            "a = $1 AND b = $2 AND c IN ($3, $4) AND d IN (SELECT column1 FROM (VALUES ($5), ($6)) AS ids)"
        );
        assert_eq!(a.len(), 6);
    }

    #[test]
    fn array_literals_list_the_values() {
        assert_eq!(array_literal([3, -4]), "{3,-4}");
        assert_eq!(array_literal([]), "{}");
    }
}
