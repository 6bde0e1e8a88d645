//! Fuzzes the SQL and InfluxQL quoting of `datalayers_client::query`.
//!
//! Each quoted form is read back by a small reference unquoter written here from the languages'
//! rules (SQL: `''` inside `'...'`, ``` `` ``` inside backticks, no backslash inside quotes at all, so
//! MySQL-style and standard readers agree; InfluxQL: the Go scanner's `\\` `\n` `\'` `\"` escapes,
//! no raw line feed). The unquoter must consume the whole text and give back the input: a quote
//! that is not escaped ends the literal early and fails. The crate's own statement splitters must
//! also see a quoted value as one piece, whatever it holds.

#![no_main]

use datalayers_client::query::{
    influxql_ident, influxql_literal, influxql_needs_post, split_sql_statements, sql_ident,
    sql_literal,
};
use libfuzzer_sys::fuzz_target;

/// Reads a `quote`-delimited SQL run with doubled quotes from the start of `text`: the content
/// and the rest after the closing quote.
fn sql_quoted(text: &str, quote: char) -> (String, &str) {
    let mut chars = text.char_indices().peekable();
    assert_eq!(
        chars.next().map(|(_, c)| c),
        Some(quote),
        "no opening quote in {text:?}"
    );
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if chars.peek().map(|&(_, c)| c) == Some(quote) {
                chars.next();
                out.push(quote);
                continue;
            }
            return (out, &text[i + c.len_utf8()..]);
        }
        // MySQL reads backslash escapes in string literals (not in backtick identifiers).
        assert!(
            quote != '\'' || c != '\\',
            "a backslash inside SQL quotes: {text:?}"
        );
        out.push(c);
    }
    panic!("unterminated SQL quote: {text:?}");
}

/// Reads a `sql_literal`: `'...'` or `concat('...', chr(92), '...', ...)`.
fn sql_unquote_literal(text: &str) -> String {
    let Some(mut rest) = text.strip_prefix("concat(") else {
        let (value, rest) = sql_quoted(text, '\'');
        assert_eq!(rest, "", "text after the literal: {text:?}");
        return value;
    };
    let mut value = String::new();
    loop {
        let (part, after) = sql_quoted(rest, '\'');
        value.push_str(&part);
        if after == ")" {
            return value;
        }
        rest = after
            .strip_prefix(", chr(92), ")
            .unwrap_or_else(|| panic!("unexpected {after:?} in {text:?}"));
        value.push('\\');
    }
}

/// Reads an InfluxQL quoted string as InfluxDB's Go scanner (`influxql.ScanString`) does.
fn influxql_unquote(text: &str, quote: char) -> String {
    let mut chars = text.chars();
    assert_eq!(chars.next(), Some(quote), "no opening quote in {text:?}");
    let mut out = String::new();
    loop {
        match chars.next() {
            None => panic!("unterminated InfluxQL quote: {text:?}"),
            Some('\n') => panic!("raw line feed inside InfluxQL quotes: {text:?}"),
            Some('\\') => match chars.next() {
                Some('n') => out.push('\n'),
                Some(c @ ('\\' | '"' | '\'')) => out.push(c),
                other => panic!("bad escape \\{other:?} in {text:?}"),
            },
            Some(c) if c == quote => break,
            Some(c) => out.push(c),
        }
    }
    assert_eq!(chars.as_str(), "", "text after the quoted string: {text:?}");
    out
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    let literal = sql_literal(text);
    assert_eq!(sql_unquote_literal(&literal), text);
    let ident = sql_ident(text);
    let (name, rest) = sql_quoted(&ident, '`');
    assert_eq!((name.as_str(), rest), (text, ""));
    // One statement stays one, whatever the quoted values hold.
    let first = format!("SELECT {literal} AS {ident} FROM t");
    let two = format!("{first};\nSELECT 1 -- done");
    assert_eq!(
        split_sql_statements(&two),
        [first.as_str(), "SELECT 1 -- done"]
    );

    let literal = influxql_literal(text);
    assert_eq!(influxql_unquote(&literal, '\''), text);
    let ident = influxql_ident(text);
    assert_eq!(influxql_unquote(&ident, '"'), text);
    let select = format!("SELECT * FROM {ident} WHERE a = {literal}");
    // A word `INTO` inside a value may make it a POST (harmless); `;` inside never splits.
    if !text.to_ascii_uppercase().contains("INTO") {
        assert!(!influxql_needs_post(&select), "{select:?}");
    }
    assert!(influxql_needs_post(&format!(
        "{select}; DROP MEASUREMENT m"
    )));

    // Arbitrary text: the splitters never panic and give trimmed, non-blank pieces of it.
    for statement in split_sql_statements(text) {
        assert!(!statement.is_empty());
        assert_eq!(statement, statement.trim());
        assert!(text.contains(statement));
    }
    let _ = influxql_needs_post(text);
});
