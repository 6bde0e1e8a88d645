//! Tag filters (`key=value`, as Jaeger's search takes them) as conditions on stored spans.
//!
//! A stored span keeps a value in one of three places, and a filter looks in each:
//! - a **column**: a dimension tag (`service.name`, `host.name`, whatever the writer was told to
//!   make a tag) or a field, compared as text;
//! - the **`attributes` JSON** (every other attribute): the writer produces it exactly as Go's
//!   `encoding/json` does (compact, keys sorted, `<`, `>`, `&` escaped), so `"key":value` has one
//!   spelling, and a substring test for it is exact for top-level keys. (A nested map holding
//!   the same key and value also matches; nested maps are rare in attributes.)
//! - the tags the Jaeger conversion **derives** (see [`jaeger`](crate::jaeger)): `error=true`
//!   is an `Error` status, `span.kind=server` the stored kind `Server`, `otel.status_code=ERROR`
//!   the stored `Error`, `w3c.tracestate` the `trace_state` field.
//!
//! A value matches an attribute as a string, and also as the number or boolean it spells
//! (`http.status_code=500` finds the integer 500), as Jaeger compares tag values as text.

use otel_schema as col;

/// One place a tag filter may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Alternative {
    /// The column equals the text.
    Column {
        /// The column name.
        column: String,
        /// The text it must equal.
        value: String,
    },
    /// The `attributes` JSON text contains one of the needles.
    Attribute(AttributeNeedles),
}

/// What `"key":value` looks like in the stored JSON: a prefix (`"key":`) then one of the value
/// spellings, each complete when it is a string or a boolean, or followed by `,` or `}` when it
/// is a number (so `5` does not find `50`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttributeNeedles {
    /// `"key":` with the key escaped as the writer escapes it.
    pub(crate) prefix: String,
    /// Spellings that end where the value ends (strings, `true`, `false`).
    pub(crate) closed: Vec<String>,
    /// Number spellings, which must be followed by `,` or `}`.
    pub(crate) numbers: Vec<String>,
}

impl AttributeNeedles {
    /// Every substring whose presence means a match.
    pub(crate) fn substrings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .closed
            .iter()
            .map(|v| format!("{}{v}", self.prefix))
            .collect();
        for number in &self.numbers {
            for end in [',', '}'] {
                out.push(format!("{}{number}{end}", self.prefix));
            }
        }
        out
    }

    /// A regular expression (RE2 syntax, metacharacters escaped) matching any of the
    /// substrings.
    pub(crate) fn regex(&self) -> String {
        let mut choices: Vec<String> = self.closed.iter().map(|v| quote_meta(v)).collect();
        choices.extend(
            self.numbers
                .iter()
                .map(|n| format!("{}[,}}]", quote_meta(n))),
        );
        match choices.as_slice() {
            [one] => format!("{}{one}", quote_meta(&self.prefix)),
            _ => format!("{}(?:{})", quote_meta(&self.prefix), choices.join("|")),
        }
    }
}

/// The places `key=value` may match, in a fixed order: derived, column (when `is_column(key)`
/// says the column may exist), attribute.
pub(crate) fn alternatives(
    key: &str,
    value: &str,
    is_column: impl Fn(&str) -> bool,
) -> Vec<Alternative> {
    let mut out = Vec::with_capacity(3);
    if let Some((column, stored)) = derived(key, value) {
        out.push(Alternative::Column {
            column: column.to_owned(),
            value: stored,
        });
    }
    if is_column(key) {
        out.push(Alternative::Column {
            column: key.to_owned(),
            value: value.to_owned(),
        });
    }
    out.push(Alternative::Attribute(attribute_needles(key, value)));
    out
}

/// The stored column and value behind a tag the Jaeger conversion derives.
fn derived(key: &str, value: &str) -> Option<(&'static str, String)> {
    match key {
        crate::jaeger::TAG_ERROR if value.eq_ignore_ascii_case("true") => {
            Some((col::OTEL_STATUS_CODE, col::STATUS_CODE_ERROR.to_owned()))
        }
        crate::jaeger::TAG_SPAN_KIND => {
            crate::model::stored_span_kind(value).map(|kind| (col::SPAN_KIND, kind.to_owned()))
        }
        crate::jaeger::TAG_STATUS_CODE => [col::STATUS_CODE_ERROR, col::STATUS_CODE_OK]
            .into_iter()
            .find(|code| code.eq_ignore_ascii_case(value))
            .map(|code| (col::OTEL_STATUS_CODE, code.to_owned())),
        crate::jaeger::TAG_TRACE_STATE => Some((col::TRACE_STATE, value.to_owned())),
        _ => None,
    }
}

/// The spellings of `"key":value` in the stored JSON.
pub(crate) fn attribute_needles(key: &str, value: &str) -> AttributeNeedles {
    let mut prefix = go_json_string(key);
    prefix.push(':');
    let mut closed = vec![go_json_string(value)];
    if value == "true" || value == "false" {
        closed.push(value.to_owned());
    }
    let numbers = if is_json_number(value) {
        vec![value.to_owned()]
    } else {
        Vec::new()
    };
    AttributeNeedles {
        prefix,
        closed,
        numbers,
    }
}

/// `text` as Go's `encoding/json` writes a string (the writer's rules, as otlp-influx's
/// `value::AttributeValue::append_as_string` writes a string in a list): `"` and `\` escaped,
/// `\n` `\r` `\t` `\b` `\f`, other control characters as `\u00XX`, `<` `>` `&` and
/// U+2028/U+2029 as `\uXXXX`.
pub(crate) fn go_json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `true` when `text` is a JSON number as the writer would print one: an integer without
/// leading zeros, or a decimal/exponent form.
fn is_json_number(text: &str) -> bool {
    let bytes = text.strip_prefix('-').unwrap_or(text).as_bytes();
    let digits = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(bytes);
    if int == 0 || (int > 1 && bytes[0] == b'0') {
        return false;
    }
    let mut rest = &bytes[int..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = digits(frac);
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    if let Some(exp) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exp = exp
            .strip_prefix(b"+")
            .or_else(|| exp.strip_prefix(b"-"))
            .unwrap_or(exp);
        let n = digits(exp);
        if n == 0 {
            return false;
        }
        rest = &exp[n..];
    }
    rest.is_empty()
}

/// Escapes the RE2 metacharacters (as Go's `regexp.QuoteMeta`) and `/`, which ends an InfluxQL
/// regular expression literal.
fn quote_meta(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '.'
                | '+'
                | '*'
                | '?'
                | '('
                | ')'
                | '|'
                | '['
                | ']'
                | '{'
                | '}'
                | '^'
                | '$'
                | '/'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as the writer spells a JSON string: the one element of a string array attribute,
    /// written by otlp-influx's public `AttributeValue::append_as_string` (Go's JSON).
    fn writer_json_str(text: &str) -> String {
        use opentelemetry::{Array, StringValue, Value};
        use otlp_influx::value::AttributeValue as _;
        let value = Value::Array(Array::String(vec![StringValue::from(text.to_owned())]));
        let mut out = String::new();
        value.append_as_string(&mut out).unwrap();
        out[1..out.len() - 1].to_owned()
    }

    proptest::proptest! {
        /// The needle of a string value is exactly what the writer puts in the `attributes`
        /// JSON for that key and value.
        #[test]
        fn needles_spell_json_as_the_writer_does(key in "\\PC*|[\"\\\\<>&\u{0}-\u{1f}\u{2028}\u{2029}]{0,4}", value in "\\PC*|[\"\\\\<>&\u{0}-\u{1f}\u{2028}\u{2029}a-z]{0,6}") {
            let written = format!("{}:{}", writer_json_str(&key), writer_json_str(&value));
            let needles = attribute_needles(&key, &value);
            proptest::prop_assert_eq!(&needles.substrings()[0], &written);
        }
    }

    #[test]
    fn go_json_strings() {
        assert_eq!(go_json_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_json_string("<&>"), r#""\u003c\u0026\u003e""#);
        assert_eq!(go_json_string("\u{1}\n\u{2028}é"), "\"\\u0001\\n\\u2028é\"");
    }

    #[test]
    fn numbers_as_json_spells_them() {
        for yes in ["0", "-0", "500", "-12", "0.5", "1e+21", "1E-7", "3.25e2"] {
            assert!(is_json_number(yes), "{yes}");
        }
        for no in [
            "", "-", "007", "1.", ".5", "1e", "0x10", "NaN", "1_000", "+1", " 1",
        ] {
            assert!(!is_json_number(no), "{no}");
        }
    }

    #[test]
    fn needles_and_regex() {
        let needles = attribute_needles("http.status_code", "500");
        assert_eq!(
            needles.substrings(),
            [
                r#""http.status_code":"500""#,
                r#""http.status_code":500,"#,
                r#""http.status_code":500}"#
            ]
        );
        assert_eq!(needles.regex(), r#""http\.status_code":(?:"500"|500[,}])"#);
        let flag = attribute_needles("a/b", "true");
        assert_eq!(flag.regex(), r#""a\/b":(?:"true"|true)"#);
    }

    #[test]
    fn derived_tags() {
        let none = |_: &str| false;
        assert_eq!(
            alternatives("error", "true", none)[0],
            Alternative::Column {
                column: "otel.status_code".into(),
                value: "Error".into()
            }
        );
        assert_eq!(
            alternatives("span.kind", "server", none)[0],
            Alternative::Column {
                column: "span.kind".into(),
                value: "Server".into()
            }
        );
        // Not a kind: only the attribute is looked at.
        assert_eq!(alternatives("span.kind", "sideways", none).len(), 1);
        assert_eq!(alternatives("error", "false", none).len(), 1);
        assert_eq!(
            alternatives("host.name", "web-1", |k| k == "host.name").len(),
            2
        );
    }
}
