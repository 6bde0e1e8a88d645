//! Query-string parameters as Jaeger's query service reads them: Go duration strings
//! (`1.5ms`, `2h45m`), microsecond and millisecond timestamps, RFC 3339 times (API v3), tag
//! filters (`tags={"k":"v"}` and repeated `tag=k:v`), limits. Each parser names the parameter
//! in its error, as Jaeger does (`unable to parse param 'minDuration': ...`).

use std::time::Duration;

use datalayers_client::query::parse_rfc3339;
use serde_json::Value as Json;
use trace_query::TraceId;

use crate::reply::ApiError;

/// The decoded query string: every `key=value` pair in order (keys may repeat).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes `a=1&b=2&b=3` (`+` as space, percent escapes; malformed escapes kept as text).
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first non-empty value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty value of `key`, else of its older spelling `alias` (API v3 keeps
    /// the snake_case names as aliases), with the name that was used.
    pub(crate) fn get_either<'a>(
        &'a self,
        key: &'a str,
        alias: &'a str,
    ) -> Option<(&'a str, &'a str)> {
        self.get(key)
            .map(|v| (key, v))
            .or_else(|| self.get(alias).map(|v| (alias, v)))
    }

    /// Every non-empty value of `key`, in order.
    pub(crate) fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

/// The error of a parameter that does not parse.
pub(crate) fn bad_param(name: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("unable to parse param '{name}': {why}"))
}

/// A duration in Go's `time.ParseDuration` syntax: one or more decimal numbers, each with an
/// optional fraction and a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), e.g. `300ms`, `1.5h`,
/// `2h45m`; `0` alone needs no unit. Negative durations are refused (they bound nothing).
///
/// ```text
/// "1.5ms" -> 1_500_000 ns    "2h45m" -> 9_900 s    "1e3s" -> error
/// ```
pub(crate) fn go_duration(text: &str) -> Result<Duration, String> {
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if let Some(positive) = rest.strip_prefix('-') {
        return if positive == "0" {
            Ok(Duration::ZERO)
        } else {
            Err(format!("negative duration {text:?}"))
        };
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(format!("invalid duration {text:?}"));
    }
    let invalid = || format!("invalid duration {text:?}");
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        rest = after;
        let mut fraction = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            fraction = &after_dot[..len];
            rest = &after_dot[len..];
        }
        if int.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (unit, after) = rest.split_at(unit_len);
        rest = after;
        let scale: u128 = match unit {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("missing unit in duration {text:?}")),
            other => return Err(format!("unknown unit {other:?} in duration {text:?}")),
        };
        // More than 30 digits overflow anyway; a long fraction only adds precision Go drops.
        let whole: u128 = if int.is_empty() {
            0
        } else {
            int.parse()
                .map_err(|_| format!("duration {text:?} is too large"))?
        };
        let mut part = whole
            .checked_mul(scale)
            .ok_or_else(|| format!("duration {text:?} is too large"))?;
        let fraction = &fraction[..fraction.len().min(18)];
        if !fraction.is_empty() {
            let digits: u128 = fraction.parse().map_err(|_| invalid())?;
            part += digits * scale / 10u128.pow(fraction.len() as u32);
        }
        total = total
            .checked_add(part)
            .filter(|t| *t <= i64::MAX as u128)
            .ok_or_else(|| format!("duration {text:?} is too large"))?;
    }
    Ok(Duration::from_nanos(total as u64))
}

/// A non-negative integer timestamp in `unit_ns` nanoseconds (1_000 for microseconds, 1_000_000
/// for milliseconds) as Unix nanoseconds.
pub(crate) fn epoch(name: &str, text: &str, unit_ns: i64) -> Result<i64, ApiError> {
    let value: i64 = text
        .trim()
        .parse()
        .map_err(|_| bad_param(name, format!("{text:?} is not an integer")))?;
    if value < 0 {
        return Err(bad_param(name, "a time before 1970"));
    }
    value
        .checked_mul(unit_ns)
        .ok_or_else(|| bad_param(name, "out of range"))
}

/// An RFC 3339 time (API v3) as Unix nanoseconds.
pub(crate) fn rfc3339(name: &str, text: &str) -> Result<i64, ApiError> {
    parse_rfc3339(text.trim()).map_err(|e| bad_param(name, e))
}

/// A duration parameter, when present.
pub(crate) fn duration(name: &str, text: Option<&str>) -> Result<Option<Duration>, ApiError> {
    text.map(|t| go_duration(t.trim()).map_err(|e| bad_param(name, e)))
        .transpose()
}

/// A count parameter (`limit`, `query.searchDepth`): absent or 0 is `default`; above `max` it is
/// refused rather than silently cut.
pub(crate) fn limit(
    name: &str,
    text: Option<&str>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let Some(text) = text else { return Ok(default) };
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|_| bad_param(name, format!("{text:?} is not an integer")))?;
    match n {
        0 => Ok(default),
        n if n < 0 => Err(bad_param(name, "must not be negative")),
        n if n as u64 > max as u64 => Err(ApiError::bad_request(format!(
            "'{name}' is {n}, more than this server allows ({max}); ask for fewer traces"
        ))),
        n => Ok(n as usize),
    }
}

/// Tag filters from `tags` JSON objects (`{"http.status_code":"500"}`; numbers and booleans are
/// taken as their text) and repeated `tag=key:value` pairs (split at the first `:`), in order;
/// a key given twice keeps its last value, as in Jaeger's map.
pub(crate) fn tags<'a>(
    json: impl Iterator<Item = &'a str>,
    pairs: impl Iterator<Item = &'a str>,
    json_name: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |key: String, value: String| {
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            out.push((key, value));
        }
    };
    for pair in pairs {
        let Some((key, value)) = pair.split_once(':') else {
            return Err(ApiError::bad_request(format!(
                "malformed 'tag' parameter, expecting key:value, received: {pair}"
            )));
        };
        put(key.to_owned(), value.to_owned());
    }
    for text in json {
        let object = match serde_json::from_str::<Json>(text) {
            Ok(Json::Object(object)) => object,
            Ok(_) => {
                return Err(ApiError::bad_request(format!(
                    "malformed '{json_name}' parameter: expected a JSON object of strings, got {text}"
                )));
            }
            Err(e) => {
                return Err(ApiError::bad_request(format!(
                    "malformed '{json_name}' parameter, cannot unmarshal JSON: {e}"
                )));
            }
        };
        for (key, value) in object {
            let value = match value {
                Json::String(s) => s,
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                other => {
                    return Err(ApiError::bad_request(format!(
                        "malformed '{json_name}' parameter: the value of {key:?} must be a string, got {other}"
                    )));
                }
            };
            put(key, value);
        }
    }
    if out.iter().any(|(k, _)| k.is_empty()) {
        return Err(ApiError::bad_request(
            "malformed tag filter: a tag with an empty key",
        ));
    }
    Ok(out)
}

/// A trace id (32 hex digits; shorter ids are left-padded with zeros, as Jaeger accepts 64-bit
/// ids).
pub(crate) fn trace_id(name: &str, text: &str) -> Result<TraceId, ApiError> {
    let text = text.trim();
    let padded;
    let text = if !text.is_empty() && text.len() < 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
    {
        padded = format!("{text:0>32}");
        &padded
    } else {
        text
    };
    TraceId::parse(text).map_err(|e| bad_param(name, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let ok = |text: &str, nanos: u64| {
            assert_eq!(go_duration(text), Ok(Duration::from_nanos(nanos)), "{text}")
        };
        ok("0", 0);
        ok("-0", 0);
        ok("1.5ms", 1_500_000);
        ok("2h45m", 9_900_000_000_000);
        ok("300ms", 300_000_000);
        ok("1h0m0s", 3_600_000_000_000);
        ok("+5s", 5_000_000_000);
        ok(".5s", 500_000_000);
        ok("1.s", 1_000_000_000);
        ok("100us", 100_000);
        ok("100\u{b5}s", 100_000);
        ok("100\u{3bc}s", 100_000);
        ok("7ns", 7);
        ok("1.0000000001s", 1_000_000_000);
        ok("2562047h", 2_562_047 * 3_600_000_000_000);
        for bad in [
            "",
            "1",
            "ms",
            "1x",
            "1e3s",
            ".s",
            "-1s",
            "1.5",
            "s1",
            " 1s",
            "1s ",
            "9999999999999h",
        ] {
            assert!(go_duration(bad).is_err(), "accepted {bad:?}");
        }
        assert!(
            go_duration("1d")
                .unwrap_err()
                .contains("unknown unit \"d\"")
        );
    }

    /// A duration as Go's `time.Duration.String` writes it (`1h2m3.5s`, `1.5ms`, `250µs`).
    fn go_string(nanos: u64) -> String {
        let frac = |value: u64, unit: u64| {
            let digits = format!("{:0width$}", value % unit, width = unit.ilog10() as usize);
            let digits = digits.trim_end_matches('0');
            if digits.is_empty() {
                format!("{}", value / unit)
            } else {
                format!("{}.{digits}", value / unit)
            }
        };
        match nanos {
            0 => "0s".into(),
            n if n < 1_000 => format!("{n}ns"),
            n if n < 1_000_000 => format!("{}\u{b5}s", frac(n, 1_000)),
            n if n < 1_000_000_000 => format!("{}ms", frac(n, 1_000_000)),
            n => {
                let (h, rest) = (n / 3_600_000_000_000, n % 3_600_000_000_000);
                let (m, rest) = (rest / 60_000_000_000, rest % 60_000_000_000);
                let s = format!("{}s", frac(rest, 1_000_000_000));
                match (h, m) {
                    (0, 0) => s,
                    (0, m) => format!("{m}m{s}"),
                    (h, m) => format!("{h}h{m}m{s}"),
                }
            }
        }
    }

    proptest::proptest! {
        /// Every duration reads back from the text Go writes for it.
        #[test]
        fn go_durations_round_trip(nanos in 0..=i64::MAX as u64) {
            let text = go_string(nanos);
            proptest::prop_assert_eq!(go_duration(&text), Ok(Duration::from_nanos(nanos)), "{}", text);
        }

        /// Any text is read or refused with a message, never a panic.
        #[test]
        fn any_text_is_read_or_refused(text in "\\PC{0,24}|[0-9.hmsun\u{b5}\u{3bc}+-]{0,24}") {
            let _ = go_duration(&text);
        }
    }

    #[test]
    fn go_strings_as_go_writes_them() {
        assert_eq!(go_string(9_900_000_000_000), "2h45m0s");
        assert_eq!(go_string(1_500_000), "1.5ms");
        assert_eq!(go_string(250_000), "250\u{b5}s");
        assert_eq!(go_string(3_723_500_000_000), "1h2m3.5s");
    }

    #[test]
    fn tag_parameters() {
        let parsed = tags(
            [r#"{"http.status_code":"500","error":true,"n":7}"#].into_iter(),
            ["db.system:postgres", "url:http://x:8080/a"].into_iter(),
            "tags",
        )
        .unwrap();
        assert_eq!(
            parsed,
            [
                ("db.system", "postgres"),
                ("url", "http://x:8080/a"),
                ("error", "true"),
                ("http.status_code", "500"),
                ("n", "7")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        for (json, pair) in [
            ("[1]", None),
            ("{", None),
            (r#"{"a":{"b":1}}"#, None),
            ("{}", Some("nocolon")),
        ] {
            let err = tags([json].into_iter(), pair.into_iter(), "tags").unwrap_err();
            assert_eq!(err.status.as_u16(), 400, "{json} {pair:?}");
        }
    }

    #[test]
    fn query_strings_keep_repeats_and_decode() {
        let params = Params::parse(Some("tag=a%3A1&tag=b:2&service=check+out&empty=&x=%zz"));
        assert_eq!(params.all("tag").collect::<Vec<_>>(), ["a:1", "b:2"]);
        assert_eq!(params.get("service"), Some("check out"));
        assert_eq!(params.get("empty"), None);
        assert_eq!(params.get("x"), Some("%zz"));
    }

    #[test]
    fn limits_and_ids() {
        assert_eq!(limit("limit", None, 20, 100).unwrap(), 20);
        assert_eq!(limit("limit", Some("0"), 20, 100).unwrap(), 20);
        assert_eq!(limit("limit", Some("100"), 20, 100).unwrap(), 100);
        assert!(
            limit("limit", Some("101"), 20, 100)
                .unwrap_err()
                .message
                .contains("more than this server allows (100)")
        );
        assert!(limit("limit", Some("-1"), 20, 100).is_err());
        assert_eq!(
            trace_id("traceID", "abc").unwrap().as_str(),
            "00000000000000000000000000000abc"
        );
        assert!(trace_id("traceID", "xyz").is_err());
        assert_eq!(
            epoch("start", "1700000000000000", 1_000).unwrap(),
            1_700_000_000_000_000_000
        );
        assert!(epoch("start", "-5", 1_000).is_err());
        assert!(epoch("start", "99999999999999999", 1_000).is_err());
    }
}
