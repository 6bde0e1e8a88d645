//! The text of every trace query, for both languages: exact snapshots, and injection attempts
//! through every filter (service, span name, tag keys and values, trace ids), checked with a
//! lexer of each language: a hostile value must change the content of one quoted token and
//! nothing else.

use std::time::Duration;

use trace_query::{InfluxQlQueries, SqlQueries, TimeRange, TraceFilter, TraceId, TraceSchema};

const ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn range() -> TimeRange {
    // 2025-11-25T00:00:00Z .. 01:00:00Z
    TimeRange::between(1_764_028_800_000_000_000, 1_764_032_400_000_000_000)
}

fn full_filter() -> TraceFilter {
    TraceFilter {
        service: Some("checkout".into()),
        span_name: Some("GET /cart".into()),
        tags: vec![("host.name".into(), "web-1".into())],
        min_duration: Some(Duration::from_millis(10)),
        max_duration: Some(Duration::from_secs(2)),
        limit: 50,
        offset: 10,
        ..TraceFilter::default()
    }
}

const SQL_SUMMARY_COLUMNS: &str = "SELECT `trace_id`, min(`time`) AS start_time, \
coalesce(max(CASE WHEN (`parent_span_id` IS NULL OR `parent_span_id` = '') THEN `service.name` END), first_value(`service.name` ORDER BY `time`)) AS root_service, \
coalesce(max(CASE WHEN (`parent_span_id` IS NULL OR `parent_span_id` = '') THEN `span.name` END), first_value(`span.name` ORDER BY `time`)) AS root_span, \
max(`end_time_unix_nano`) - min(`end_time_unix_nano` - `duration_nano`) AS duration_ns, count(*) AS span_count, \
sum(CASE WHEN `otel.status_code` = 'Error' THEN 1 ELSE 0 END) AS error_count FROM `spans`";
fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

const SQL_RANGE: &str =
    "`time` >= '2025-11-25T00:00:00.000000000Z' AND `time` < '2025-11-25T01:00:00.000000000Z'";

#[test]
fn sql_list_snapshots() {
    let q = SqlQueries::default();
    assert_eq!(
        q.list_traces(&TraceFilter::default(), &range(), &[]),
        format!(
            "{SQL_SUMMARY_COLUMNS} WHERE {SQL_RANGE} GROUP BY `trace_id` ORDER BY start_time DESC, `trace_id` LIMIT 20 OFFSET 0"
        )
    );
    let duration = "max(`end_time_unix_nano`) - min(`end_time_unix_nano` - `duration_nano`)";
    assert_eq!(
        q.list_traces(&full_filter(), &range(), &columns(&["host.name"])),
        format!(
            "{SQL_SUMMARY_COLUMNS} WHERE {SQL_RANGE} AND `trace_id` IN (SELECT `trace_id` FROM `spans` WHERE {SQL_RANGE} \
             AND `service.name` = 'checkout' AND `span.name` = 'GET /cart' \
             AND (`host.name` = 'web-1' OR strpos(`attributes`, '\"host.name\":\"web-1\"') > 0)) GROUP BY `trace_id` \
             HAVING {duration} >= 10000000 AND {duration} <= 2000000000 ORDER BY start_time DESC, `trace_id` LIMIT 50 OFFSET 10"
        )
    );
    // Open ranges drop their bound.
    let open = q.list_traces(&TraceFilter::default(), &TimeRange::UNBOUNDED, &[]);
    assert!(open.contains("FROM `spans` GROUP BY `trace_id`"), "{open}");
}

#[test]
fn sql_trace_and_catalog_snapshots() {
    let q = SqlQueries::default();
    let id = TraceId::parse(ID).unwrap();
    assert_eq!(
        q.trace_spans(&id, &range()),
        format!("SELECT * FROM `spans` WHERE `trace_id` = '{ID}' AND {SQL_RANGE} ORDER BY `time`")
    );
    assert_eq!(
        q.trace_events(&id, &range()),
        format!(
            "SELECT * FROM `logs` WHERE `trace_id` = '{ID}' AND `time` >= '2025-11-25T00:00:00.000000000Z' ORDER BY `time`"
        )
    );
    assert_eq!(
        q.trace_links(&id, &TimeRange::UNBOUNDED),
        format!("SELECT * FROM `span-links` WHERE `trace_id` = '{ID}' ORDER BY `time`")
    );
    assert_eq!(
        q.services(),
        "SELECT DISTINCT `service.name` AS service FROM `spans` WHERE `service.name` IS NOT NULL ORDER BY service"
    );
    assert_eq!(
        q.operations("checkout"),
        "SELECT DISTINCT `span.name` AS operation FROM `spans` WHERE `service.name` = 'checkout' AND `span.name` IS NOT NULL ORDER BY operation"
    );
}

#[test]
fn sql_server_query_snapshots() {
    let q = SqlQueries::default();
    let id = TraceId::parse(ID).unwrap();
    let other = TraceId::parse("00000000000000020000000000000001").unwrap();
    assert_eq!(
        q.trace_services(&[id, other], &range()),
        format!(
            "SELECT `trace_id`, `service.name` AS service, count(*) AS span_count, \
             sum(CASE WHEN `otel.status_code` = 'Error' THEN 1 ELSE 0 END) AS error_count FROM `spans` \
             WHERE {SQL_RANGE} AND `trace_id` IN ('{ID}', '00000000000000020000000000000001') \
             GROUP BY `trace_id`, `service.name`"
        )
    );
    assert_eq!(
        q.traces_spans(&[id, other], &TimeRange::UNBOUNDED),
        format!(
            "SELECT * FROM `spans` WHERE `trace_id` IN ('{ID}', '00000000000000020000000000000001') ORDER BY `time`"
        )
    );
    assert_eq!(q.describe_spans(), "DESC TABLE `spans`");
    assert_eq!(q.describe_spans_datafusion(), "DESCRIBE `spans`");
    assert_eq!(
        q.operations_with_kind("checkout", Some("SERVER")),
        "SELECT DISTINCT `span.name` AS operation, `span.kind` AS kind FROM `spans` \
         WHERE `service.name` = 'checkout' AND `span.name` IS NOT NULL AND `span.kind` = 'Server' \
         ORDER BY operation, kind"
    );
    assert_eq!(
        q.dependencies(&range()),
        "SELECT p.`service.name` AS parent, c.`service.name` AS child, count(*) AS call_count \
         FROM `spans` AS c JOIN `spans` AS p ON c.`trace_id` = p.`trace_id` AND c.`parent_span_id` = p.`span_id` \
         WHERE c.`time` >= '2025-11-25T00:00:00.000000000Z' AND c.`time` < '2025-11-25T01:00:00.000000000Z' \
         AND p.`time` >= '2025-11-25T00:00:00.000000000Z' AND p.`time` < '2025-11-25T01:00:00.000000000Z' \
         AND p.`service.name` <> c.`service.name` GROUP BY p.`service.name`, c.`service.name` ORDER BY parent, child"
    );
}

#[test]
fn tag_filters_look_in_columns_attributes_and_derived_tags() {
    let filter = |key: &str, value: &str| TraceFilter {
        tags: vec![(key.into(), value.into())],
        ..TraceFilter::default()
    };
    let sql = |key: &str, value: &str, columns: &[&str]| {
        let text = SqlQueries::default().list_traces(
            &filter(key, value),
            &range(),
            &self::columns(columns),
        );
        let start = text.find(" AND (").unwrap() + 5;
        let end = text.find(") GROUP BY").unwrap();
        text[start..end].to_owned()
    };
    // An attribute: as a string, and as the number it spells.
    assert_eq!(
        sql("http.status_code", "500", &[]),
        "(strpos(`attributes`, '\"http.status_code\":\"500\"') > 0 \
         OR strpos(`attributes`, '\"http.status_code\":500,') > 0 \
         OR strpos(`attributes`, '\"http.status_code\":500}') > 0)"
    );
    // A column only when the table has it.
    assert_eq!(
        sql("host.name", "db-2", &["host.name"]),
        "(`host.name` = 'db-2' OR strpos(`attributes`, '\"host.name\":\"db-2\"') > 0)"
    );
    // The tags the Jaeger conversion derives, as stored.
    assert!(sql("error", "true", &[]).starts_with("(`otel.status_code` = 'Error' OR strpos("));
    assert!(sql("span.kind", "server", &[]).starts_with("(`span.kind` = 'Server' OR "));
    assert!(sql("otel.status_code", "ERROR", &[]).starts_with("(`otel.status_code` = 'Error' OR "));
    // JSON escaping as the writer does it (`<`, `>`, `&`, quotes), then SQL quoting.
    assert_eq!(
        sql("q", "a<b & \"c\"", &[]),
        format!(
            "(strpos(`attributes`, {}) > 0)",
            datalayers_client::query::sql_literal(r#""q":"a\u003cb \u0026 \"c\"""#)
        )
    );

    let influxql =
        InfluxQlQueries::default().matching_trace_ids(&filter("error", "true"), &range());
    assert!(
        influxql.contains(
            "(\"otel.status_code\" = 'Error' OR \"error\" = 'true' OR \"attributes\" =~ /\"error\":(?:\"true\"|true)/)"
        ),
        "{influxql}"
    );
}

#[test]
fn influxql_server_query_snapshots() {
    let q = InfluxQlQueries::default();
    let id = TraceId::parse(ID).unwrap();
    let other = TraceId::parse("00000000000000020000000000000001").unwrap();
    assert_eq!(
        q.traces(&[id, other], &TimeRange::UNBOUNDED),
        format!(
            "SELECT * FROM \"spans\" WHERE (\"trace_id\" = '{ID}' OR \"trace_id\" = '00000000000000020000000000000001'); \
             SELECT * FROM \"logs\" WHERE (\"trace_id\" = '{ID}' OR \"trace_id\" = '00000000000000020000000000000001'); \
             SELECT * FROM \"span-links\" WHERE (\"trace_id\" = '{ID}' OR \"trace_id\" = '00000000000000020000000000000001')"
        )
    );
    assert_eq!(
        q.operations_of_kind("checkout", "Server"),
        "SELECT DISTINCT(\"span.name\") FROM \"spans\" WHERE \"service.name\" = 'checkout' AND \"span.kind\" = 'Server'"
    );
    assert_eq!(
        q.dependency_spans(&range()),
        format!(
            "SELECT \"span_id\", \"parent_span_id\", \"service.name\", \"duration_nano\" FROM \"spans\" \
             WHERE {IQL_RANGE} GROUP BY \"trace_id\""
        )
    );
}

#[test]
fn schema_names_are_quoted_too() {
    let schema = TraceSchema {
        spans_table: "otel`spans".into(),
        time_column: "ts".into(),
        service_column: "service_name".into(),
        ..TraceSchema::default()
    };
    let sql = SqlQueries::new(schema.clone()).services();
    assert_eq!(
        sql,
        "SELECT DISTINCT `service_name` AS service FROM `otel``spans` WHERE `service_name` IS NOT NULL ORDER BY service"
    );
    let influxql = InfluxQlQueries::new(schema).services();
    assert_eq!(
        influxql,
        "SHOW TAG VALUES FROM \"otel`spans\" WITH KEY = \"service_name\""
    );
}

const IQL_RANGE: &str = "time >= 1764028800000000000 AND time < 1764032400000000000";
const IQL_SUMMARY_COLUMNS: &str = "SELECT \"span_id\", \"parent_span_id\", \"service.name\", \"span.name\", \"duration_nano\", \"end_time_unix_nano\", \"otel.status_code\" FROM \"spans\"";

#[test]
fn influxql_snapshots() {
    let q = InfluxQlQueries::default();
    let id = TraceId::parse(ID).unwrap();
    let other = TraceId::parse("00000000000000020000000000000001").unwrap();
    assert_eq!(
        q.matching_trace_ids(&full_filter(), &range()),
        format!(
            "SELECT count(\"duration_nano\") FROM \"spans\" WHERE {IQL_RANGE} AND \"service.name\" = 'checkout' \
             AND \"span.name\" = 'GET /cart' AND (\"host.name\" = 'web-1' OR \"attributes\" =~ /\"host\\.name\":\"web-1\"/) GROUP BY \"trace_id\""
        )
    );
    assert_eq!(
        q.summary_spans(&range(), None),
        format!("{IQL_SUMMARY_COLUMNS} WHERE {IQL_RANGE} GROUP BY \"trace_id\"")
    );
    assert_eq!(
        q.summary_spans(&range(), Some(&[id, other])),
        format!(
            "{IQL_SUMMARY_COLUMNS} WHERE {IQL_RANGE} AND (\"trace_id\" = '{ID}' OR \"trace_id\" = '00000000000000020000000000000001') GROUP BY \"trace_id\""
        )
    );
    assert_eq!(
        q.trace(&id, &range()),
        format!(
            "SELECT * FROM \"spans\" WHERE \"trace_id\" = '{ID}' AND {IQL_RANGE}; \
             SELECT * FROM \"logs\" WHERE \"trace_id\" = '{ID}' AND time >= 1764028800000000000; \
             SELECT * FROM \"span-links\" WHERE \"trace_id\" = '{ID}' AND {IQL_RANGE}"
        )
    );
    assert_eq!(
        q.services(),
        "SHOW TAG VALUES FROM \"spans\" WITH KEY = \"service.name\""
    );
    assert_eq!(
        q.operations("checkout"),
        "SELECT DISTINCT(\"span.name\") FROM \"spans\" WHERE \"service.name\" = 'checkout'"
    );
}

// ---- injection -------------------------------------------------------------------------------

/// Values that end a quoted token early in some quoting scheme.
const HOSTILE: &[&str] = &[
    "x' OR '1'='1",
    "x'; DROP TABLE spans; --",
    "x\\' OR 1=1 --",
    "x\\",
    "\\\\'",
    "x` OR 1=1 --",
    "x\" OR 1=1 --",
    "x\\\" OR \"1\"=\"1",
    "line\nbreak' OR '1'='1",
    "tab\there",
    "'",
    "",
    "ünïcødé ' ☃",
];

#[derive(Debug, PartialEq)]
enum Token {
    Literal(String),
    Ident(String),
    Regex(String),
    Code(String),
}

/// A SQL lexer: `'...'` literals, `` `...` `` and `"..."` identifiers, doubled quote = the quote
/// itself; with `backslash_escapes` (MySQL's rule) `\x` inside a string literal is one escaped
/// character (MySQL never applies it inside quoted identifiers).
fn lex_sql(query: &str, backslash_escapes: bool) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut code = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '\'' | '`' | '"') {
            if !code.is_empty() {
                tokens.push(Token::Code(std::mem::take(&mut code)));
            }
            let mut text = String::new();
            i += 1;
            loop {
                if i >= chars.len() {
                    return Err(format!("unterminated quote in {query}"));
                }
                if backslash_escapes && c == '\'' && chars[i] == '\\' && i + 1 < chars.len() {
                    text.push(chars[i + 1]);
                    i += 2;
                } else if chars[i] == c && chars.get(i + 1) == Some(&c) {
                    text.push(c);
                    i += 2;
                } else if chars[i] == c {
                    i += 1;
                    break;
                } else {
                    text.push(chars[i]);
                    i += 1;
                }
            }
            tokens.push(if c == '\'' {
                Token::Literal(text)
            } else {
                Token::Ident(text)
            });
        } else {
            code.push(c);
            i += 1;
        }
    }
    if !code.is_empty() {
        tokens.push(Token::Code(code));
    }
    Ok(tokens)
}

/// An InfluxQL lexer after its scanner: `'...'` literals and `"..."` identifiers with the escapes
/// `\\ \' \" \n`; any other escape or a raw line feed inside quotes is an error. After `=~`, a
/// `/.../` regular expression, where `\/` is a slash and any other backslash is kept (influxql's
/// `ScanRegex`).
fn lex_influxql(query: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = query.chars().collect();
    let mut tokens = Vec::new();
    let mut code = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && code.trim_end().ends_with("=~") {
            tokens.push(Token::Code(std::mem::take(&mut code)));
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None | Some('\n') => return Err(format!("unterminated regex in {query}")),
                    Some('\\') if chars.get(i + 1) == Some(&'/') => {
                        text.push('/');
                        i += 2;
                    }
                    Some('/') => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        text.push(other);
                        i += 1;
                    }
                }
            }
            tokens.push(Token::Regex(text));
        } else if matches!(c, '\'' | '"') {
            if !code.is_empty() {
                tokens.push(Token::Code(std::mem::take(&mut code)));
            }
            let mut text = String::new();
            i += 1;
            loop {
                if i >= chars.len() {
                    return Err(format!("unterminated quote in {query}"));
                }
                match chars[i] {
                    '\n' => return Err(format!("raw line feed inside quotes: {query}")),
                    '\\' => {
                        text.push(match chars.get(i + 1) {
                            Some('n') => '\n',
                            Some(&e @ ('\\' | '\'' | '"')) => e,
                            other => return Err(format!("bad escape {other:?} in {query}")),
                        });
                        i += 2;
                    }
                    q if q == c => {
                        i += 1;
                        break;
                    }
                    other => {
                        text.push(other);
                        i += 1;
                    }
                }
            }
            tokens.push(if c == '\'' {
                Token::Literal(text)
            } else {
                Token::Ident(text)
            });
        } else {
            code.push(c);
            i += 1;
        }
    }
    if !code.is_empty() {
        tokens.push(Token::Code(code));
    }
    Ok(tokens)
}

/// The filters with `value` placed in one position at a time (service, span name, tag key, tag
/// value), as (position, filter).
fn filters_with(value: &str) -> Vec<(&'static str, TraceFilter)> {
    let base = full_filter();
    vec![
        (
            "service",
            TraceFilter {
                service: Some(value.into()),
                ..base.clone()
            },
        ),
        (
            "span name",
            TraceFilter {
                span_name: Some(value.into()),
                ..base.clone()
            },
        ),
        (
            "tag key",
            TraceFilter {
                tags: vec![(value.into(), "web-1".into())],
                ..base.clone()
            },
        ),
        (
            "tag value",
            TraceFilter {
                tags: vec![("host.name".into(), value.into())],
                ..base.clone()
            },
        ),
    ]
}

/// A harmless value of the same shape for the SQL builder: backslashes kept (they change the
/// literal's form, `concat(.., chr(92), ..)`, by design), and so are the characters that a tag
/// filter's JSON needle escapes with one (quotes, control characters, `<>&`).
fn harmless_sql(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if matches!(c, '\\' | '"' | '<' | '>' | '&') || c.is_control() {
                c
            } else {
                'a'
            }
        })
        .collect()
}

/// The tokens with quoted contents blanked: the query's structure (or why it does not lex).
fn structure(tokens: &Result<Vec<Token>, String>) -> Result<Vec<String>, String> {
    let tokens = tokens.as_ref().map_err(Clone::clone)?;
    Ok(tokens
        .iter()
        .map(|t| match t {
            Token::Literal(_) => "'?'".to_owned(),
            Token::Ident(_) => "`?`".to_owned(),
            Token::Regex(_) => "/?/".to_owned(),
            Token::Code(c) => c.clone(),
        })
        .collect())
}

#[test]
fn sql_injection_through_every_filter_changes_only_quoted_contents() {
    let q = SqlQueries::default();
    for hostile in HOSTILE {
        for ((position, attack), (_, harmless)) in filters_with(hostile)
            .into_iter()
            .zip(filters_with(&harmless_sql(hostile)))
        {
            // The tag key is a column here, so it appears as an identifier too.
            let known = [
                hostile.to_string(),
                harmless_sql(hostile),
                "host.name".into(),
            ];
            let attacked = q.list_traces(&attack, &range(), &known);
            let expected = q.list_traces(&harmless, &range(), &known);
            for backslash_escapes in [false, true] {
                let got = lex_sql(&attacked, backslash_escapes);
                assert_eq!(
                    structure(&got),
                    structure(&lex_sql(&expected, backslash_escapes)),
                    "{position} = {hostile:?} (backslash escapes: {backslash_escapes}) changed the query: {attacked}"
                );
                if !hostile.contains('\\') {
                    let token = if position == "tag key" {
                        Token::Ident(hostile.to_string())
                    } else {
                        Token::Literal(hostile.to_string())
                    };
                    assert!(
                        got.as_ref().unwrap().contains(&token),
                        "{position} = {hostile:?} not found intact in {attacked}"
                    );
                }
            }
        }
        let operations = q.operations(hostile);
        for backslash_escapes in [false, true] {
            assert_eq!(
                structure(&lex_sql(&operations, backslash_escapes)),
                structure(&lex_sql(
                    &q.operations(&harmless_sql(hostile)),
                    backslash_escapes
                )),
                "operations({hostile:?}): {operations}"
            );
        }
    }
}

#[test]
fn sql_backslash_values_read_the_same_under_both_rules() {
    let q = SqlQueries::default();
    let filter = TraceFilter {
        service: Some("a\\' OR 1=1 --".into()),
        ..TraceFilter::default()
    };
    let text = q.list_traces(&filter, &range(), &[]);
    assert!(
        text.contains("`service.name` = concat('a', chr(92), ''' OR 1=1 --')"),
        "{text}"
    );
}

#[test]
fn influxql_injection_through_every_filter_changes_only_quoted_contents() {
    let q = InfluxQlQueries::default();
    for hostile in HOSTILE {
        for ((position, attack), (_, harmless)) in filters_with(hostile)
            .into_iter()
            .zip(filters_with("harmless"))
        {
            let attacked = q.matching_trace_ids(&attack, &range());
            let got = lex_influxql(&attacked);
            assert_eq!(
                structure(&got),
                structure(&lex_influxql(&q.matching_trace_ids(&harmless, &range()))),
                "{position} = {hostile:?} changed the query: {attacked}"
            );
            let token = if position == "tag key" {
                Token::Ident(hostile.to_string())
            } else {
                Token::Literal(hostile.to_string())
            };
            assert!(
                got.as_ref().unwrap().contains(&token),
                "{position} = {hostile:?} not found intact in {attacked}"
            );
        }
        let operations = q.operations(hostile);
        let got = lex_influxql(&operations);
        assert_eq!(
            structure(&got),
            structure(&lex_influxql(&q.operations("harmless"))),
            "{operations}"
        );
        assert!(
            got.unwrap().contains(&Token::Literal(hostile.to_string())),
            "{operations}"
        );
    }
}

#[test]
fn trace_ids_are_checked_before_any_query_exists() {
    for bad in [
        "",
        "4bf92f3577b34da6a3ce929d0e0e473",   // 31
        "4bf92f3577b34da6a3ce929d0e0e47361", // 33
        "4bf92f3577b34da6a3ce929d0e0e473g",
        "4bf92f35' OR '1'='1' --__________",
        "4bf92f3577b34da6\\3ce929d0e0e4736",
        "00000000000000000000000000000000",
        " 4bf92f3577b34da6a3ce929d0e0e4736",
        "４bf92f3577b34da6a3ce929d0e0e473", // a full-width digit
    ] {
        assert!(TraceId::parse(bad).is_err(), "accepted {bad:?}");
    }
    let upper = TraceId::parse(&ID.to_ascii_uppercase()).unwrap();
    assert_eq!(upper.as_str(), ID);
    // What ends up in the text is exactly the normalized id, in one literal.
    let sql = SqlQueries::default().trace_spans(&upper, &TimeRange::UNBOUNDED);
    assert_eq!(
        lex_sql(&sql, true)
            .unwrap()
            .iter()
            .filter(|t| matches!(t, Token::Literal(_)))
            .count(),
        1
    );
    assert!(
        lex_sql(&sql, false)
            .unwrap()
            .contains(&Token::Literal(ID.into()))
    );
    let influxql = InfluxQlQueries::default().trace(&upper, &TimeRange::UNBOUNDED);
    assert_eq!(
        lex_influxql(&influxql)
            .unwrap()
            .iter()
            .filter(|t| **t == Token::Literal(ID.into()))
            .count(),
        3
    );
}

#[test]
fn the_lexers_do_catch_an_unquoted_value() {
    // The checks above are only worth something if a naive builder fails them.
    let naive = |v: &str| format!("SELECT * FROM spans WHERE `service.name` = '{v}'");
    let good = structure(&lex_sql(&naive("aaaa"), false));
    assert_ne!(structure(&lex_sql(&naive("x' OR '1'='1"), false)), good);
    let naive_doubled = |v: &str| format!("SELECT 1 WHERE a = '{}'", v.replace('\'', "''"));
    // Doubling alone is broken by a backslash under MySQL's rule.
    assert_ne!(
        structure(&lex_sql(&naive_doubled("x\\' OR 1=1 --"), true)),
        structure(&lex_sql(&naive_doubled("a\\aaaaaaaaaaaa"), true))
    );
}

/// Evaluates a quoted SQL value as the server would: literals, and `chr(92)` for a backslash.
fn sql_value(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Token::Literal(text) => out.push_str(text),
            Token::Code(code) => {
                out.extend(std::iter::repeat_n('\\', code.matches("chr(92)").count()))
            }
            Token::Ident(_) | Token::Regex(_) => {
                panic!("an identifier inside a value: {tokens:?}")
            }
        }
    }
    out
}

#[test]
fn quoting_round_trips_for_arbitrary_text() {
    use datalayers_client::query::{influxql_ident, influxql_literal, sql_ident, sql_literal};
    const ALPHABET: &[char] = &[
        'a', 'Z', '\'', '"', '`', '\\', '\n', '\r', '\t', ';', '-', ' ', 'é', '☃', '\0', '(', ')',
    ];
    // xorshift64*: deterministic, so a failure reproduces.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    for _ in 0..20_000 {
        let len = (next() % 12) as usize;
        let text: String = (0..len)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        for backslash_escapes in [false, true] {
            let tokens = lex_sql(&sql_literal(&text), backslash_escapes).unwrap();
            assert_eq!(
                sql_value(&tokens),
                text,
                "sql_literal({text:?}), backslash escapes {backslash_escapes}"
            );
            let tokens = lex_sql(&sql_ident(&text), backslash_escapes).unwrap();
            assert_eq!(tokens, [Token::Ident(text.clone())], "sql_ident({text:?})");
        }
        assert_eq!(
            lex_influxql(&influxql_literal(&text)).unwrap(),
            [Token::Literal(text.clone())]
        );
        assert_eq!(
            lex_influxql(&influxql_ident(&text)).unwrap(),
            [Token::Ident(text.clone())]
        );
    }
}
