//! The trace SQL against the schema our own mapper creates on Datalayers: `otlp-influx`'s
//! stable-columns DDL (what `Client::apply_ddl` runs, one statement per request). Every name the
//! trace queries use must be a column of the table they read, and the DDL must split into exactly
//! its statements. Datalayers itself cannot run here, so this is checked on the texts.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use datalayers_client::query::split_sql_statements;
use otlp_influx::{DdlOptions, MappingConfig, stable_columns_ddl};
use trace_query::{SqlQueries, TimeRange, TraceFilter, TraceId};

/// Backtick-quoted names in order (a doubled backtick is a backtick).
fn idents(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => in_string = !in_string,
            '`' if !in_string => {
                let mut name = String::new();
                while let Some(c) = chars.next() {
                    if c == '`' {
                        if chars.peek() == Some(&'`') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    name.push(c);
                }
                out.push(name);
            }
            _ => {}
        }
    }
    out
}

/// Table name -> its columns, from `CREATE TABLE IF NOT EXISTS `t` (`c` TYPE, ...)` statements.
fn tables(ddl: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    ddl.iter()
        .map(|statement| {
            let names = idents(statement);
            let columns = names[1..].iter().cloned().collect();
            (names[0].clone(), columns)
        })
        .collect()
}

fn ddl() -> Vec<String> {
    let config = MappingConfig::default().with_stable_columns(true);
    stable_columns_ddl(&config, &DdlOptions::default().with_ttl("7d"))
        .expect("a valid configuration")
}

#[test]
fn apply_ddl_sends_exactly_the_mappers_statements() {
    let ddl = ddl();
    assert_eq!(ddl.len(), 3);
    let script = ddl.join(";\n");
    let split = split_sql_statements(&script);
    let expected: Vec<&str> = ddl.iter().map(|s| s.trim()).collect();
    assert_eq!(split, expected);
}

#[test]
fn trace_queries_use_only_columns_of_the_stable_tables() {
    let tables = tables(&ddl());
    let queries = SqlQueries::default();
    let id = TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let range = TimeRange::between(0, 1);
    let filter = TraceFilter {
        service: Some("checkout".into()),
        span_name: Some("GET /cart".into()),
        tags: vec![("service.name".into(), "checkout".into())],
        min_duration: Some(Duration::from_millis(1)),
        max_duration: Some(Duration::from_secs(1)),
        ..TraceFilter::default()
    };
    // What `DESC TABLE spans` would answer.
    let span_columns: Vec<String> = tables["spans"].iter().cloned().collect();
    for sql in [
        queries.list_traces(&filter, &range, &span_columns),
        queries.trace_services(&[id], &range),
        queries.trace_spans(&id, &range),
        queries.trace_events(&id, &range),
        queries.trace_links(&id, &range),
        queries.services(),
        queries.operations("checkout"),
        queries.operations_with_kind("checkout", Some("server")),
        queries.dependencies(&range),
    ] {
        let names = idents(&sql);
        let table = sql
            .split(" FROM ")
            .nth(1)
            .and_then(|rest| idents(rest).into_iter().next())
            .unwrap();
        let columns = tables
            .get(&table)
            .unwrap_or_else(|| panic!("table {table} is not created by the DDL: {sql}"));
        for name in names.iter().filter(|n| **n != table) {
            assert!(
                columns.contains(name),
                "`{name}` is not a column of `{table}` {columns:?}: {sql}"
            );
        }
    }
}

#[test]
fn the_identifier_scan_sees_every_name() {
    // The check above only means something if names are found, quotes and all.
    assert_eq!(
        idents("SELECT `a``b`, 'x`y' FROM `span-links` WHERE `service.name` = 'it''s'"),
        ["a`b", "span-links", "service.name"]
    );
}
