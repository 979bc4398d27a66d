//! A statement builder with `$n` parameters, which both SQLite and PostgreSQL accept, for
//! queries whose filters are only known at run time. Not sqlx's `QueryBuilder`: over the
//! `Any` driver (sqlx 0.8.6) it writes every parameter as `?` (`AnyArguments` keeps the
//! default `Arguments::format_placeholder`, and the PostgreSQL leg passes the text on as it
//! is), which PostgreSQL rejects (launchbadge/sqlx#3000).

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// A value to bind.
#[derive(Debug, Clone)]
pub enum Value {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
    /// Floating point.
    Real(f64),
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
        self.text.push_str(&format!("${}", self.params.len()));
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

    /// The query, ready to run.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.params
            .iter()
            .fold(sqlx::query(&self.text), |q, p| match p {
                Value::Text(s) => q.bind(s.as_str()),
                Value::Int(i) => q.bind(*i),
                Value::Real(r) => q.bind(*r),
            })
    }

    /// The SQL text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The statement with `text` in front, e.g. `EXPLAIN`.
    #[cfg(test)]
    pub(crate) fn prefixed(&self, text: &str) -> Self {
        Self {
            text: format!("{text}{}", self.text),
            params: self.params.clone(),
        }
    }
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

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
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
            .bind_list(["p", "q"]);
        assert_eq!(a.text(), "a = $1 AND b = $2 AND c IN ($3, $4)");
        assert_eq!(a.params.len(), 4);
    }
}
