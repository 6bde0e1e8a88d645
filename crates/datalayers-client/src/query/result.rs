//! The typed table every query returns.

use super::{ColumnType, Value};

/// One table of results: a Datalayers SQL result, or one InfluxQL series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// InfluxQL: the series (measurement) name. `None` for SQL.
    pub name: Option<String>,
    /// InfluxQL: the series' `GROUP BY` tags, sorted by key. Empty for SQL.
    pub tags: Vec<(String, String)>,
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Column types, one per column (declared by Datalayers, inferred for InfluxQL).
    pub types: Vec<ColumnType>,
    /// Rows, each with one [`Value`] per column.
    pub rows: Vec<Vec<Value>>,
    /// SQL DDL/DML: the `affected_rows` the server reported.
    pub affected_rows: Option<u64>,
}

impl QueryResult {
    /// The index of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The cell of row `row` in the column called `name`.
    pub fn get(&self, row: usize, name: &str) -> Option<&Value> {
        let column = self.column_index(name)?;
        self.rows.get(row)?.get(column)
    }

    /// The value of the series tag `key` (InfluxQL `GROUP BY`).
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every row as (column name, value) pairs, for code that looks cells up by name.
    pub fn records(&self) -> impl Iterator<Item = Record<'_>> + '_ {
        self.rows.iter().map(move |row| Record {
            columns: &self.columns,
            row,
            tags: &self.tags,
        })
    }

    /// The first non-empty text cell of each row (names from `SHOW` statements, `DISTINCT`
    /// lists), in order; rows without one are skipped.
    pub fn first_texts(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter_map(|row| {
                row.iter()
                    .find_map(|v| v.as_str().filter(|s| !s.is_empty()))
            })
            .map(str::to_owned)
            .collect()
    }

    /// `true` when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One row of a [`QueryResult`], looked up by column name; series tags count as columns.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    columns: &'a [String],
    row: &'a [Value],
    tags: &'a [(String, String)],
}

impl<'a> Record<'a> {
    /// The cell in the column called `name`, if the column exists.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        let index = self.columns.iter().position(|c| c == name)?;
        self.row.get(index)
    }

    /// The text of column or series tag `name`, when it is a non-empty string.
    pub fn str(&self, name: &str) -> Option<&'a str> {
        match self.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            Some(_) => None,
            None => self
                .tags
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty()),
        }
    }

    /// The integer in column `name`.
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }

    /// (column name, value) pairs, columns first, then series tags as strings.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.columns.iter().map(String::as_str).zip(self.row.iter())
    }

    /// The series tags of the row's series.
    pub fn series_tags(&self) -> &'a [(String, String)] {
        self.tags
    }
}
