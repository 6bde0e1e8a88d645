//! Names the metric schemas derive from numbers and metric names: bucket and quantile keys, and
//! measurement names that satisfy the Datalayers naming rule.

use std::fmt::Write as _;

/// Appends `value` as Go's `strconv.FormatFloat(value, 'f', -1, 64)` does: the shortest digits that
/// round-trip, in plain decimal notation (never an exponent), `+Inf`, `-Inf` or `NaN` for the
/// non-finite values. This is the text of the reference's bucket (`le`) and quantile keys.
///
/// Go picks the shortest digits with Ryū and takes the even last digit when two shortest
/// candidates are exactly as close (`ryuDigits32` in Go's `strconv/ftoaryu.go`); the `ryu` crate
/// does the same, and is used where it writes plain decimals (`1e-5 <= |v| < 1e16`, every usual
/// bound and quantile). Elsewhere Rust's `Display` writes the same shortest digits without an
/// exponent (`1e-21` -> `0.000000000000000000001`, `-0.0` -> `-0`), except that it rounds such an
/// exact tie up (the last digit can then differ from Go's).
pub(crate) fn push_go_decimal(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value == f64::INFINITY {
        out.push_str("+Inf");
    } else if value == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else if let Some(text) =
        crate::value::es6::plain_shortest_decimal(value, &mut ryu::Buffer::new())
    {
        // The common bounds and quantiles: ryu, much cheaper than `Display`, same digits.
        out.push_str(text);
    } else {
        // Writing to a String cannot fail.
        let _ = write!(out, "{value}");
    }
}

/// Longest measurement name Datalayers accepts.
pub(crate) const DATALAYERS_MAX_MEASUREMENT_LEN: usize = 63;

/// Whether `name` satisfies the Datalayers measurement rule `[A-Za-z_][A-Za-z0-9_.-]{0,62}`.
pub(crate) fn is_datalayers_measurement(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(first) if first.is_ascii_alphabetic() || *first == b'_' => {}
        _ => return false,
    }
    bytes.len() <= DATALAYERS_MAX_MEASUREMENT_LEN
        && bytes.iter().all(|b| is_datalayers_name_byte(*b))
}

fn is_datalayers_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-')
}

/// Rewrites `name` into `out` so that it satisfies the Datalayers measurement rule, deterministically:
/// every byte outside `[A-Za-z0-9_.-]` becomes `_` (a multi-byte character becomes one `_` per
/// byte), a name that does not start with a letter or `_` gets a `_` prefix, and a name longer than
/// 63 bytes is cut to 54 bytes followed by `_` and 8 hex digits of a 32-bit FNV-1a hash of the
/// original name (so two long names that share a prefix stay distinct). An empty name becomes `_`.
/// Valid names are copied unchanged.
pub(crate) fn push_datalayers_measurement(out: &mut String, name: &str) {
    let start = out.len();
    if !name
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        out.push('_');
    }
    for byte in name.bytes() {
        out.push(if is_datalayers_name_byte(byte) {
            char::from(byte)
        } else {
            '_'
        });
    }
    if out.len() - start > DATALAYERS_MAX_MEASUREMENT_LEN {
        const KEEP: usize = DATALAYERS_MAX_MEASUREMENT_LEN - 9;
        out.truncate(start + KEEP);
        let _ = write!(out, "_{:08x}", fnv1a_32(name.as_bytes()));
    }
}

/// 32-bit FNV-1a: tiny, stable across platforms and releases (unlike `std`'s hasher).
fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_decimal(value: f64) -> String {
        let mut out = String::new();
        push_go_decimal(&mut out, value);
        out
    }

    #[test]
    fn go_decimal_matches_format_float_f_minus_one() {
        // Expected texts are Go's strconv.FormatFloat(v, 'f', -1, 64).
        let cases: &[(f64, &str)] = &[
            (0.05, "0.05"),
            (1.0, "1"),
            (0.0000001, "0.0000001"),
            (0.99, "0.99"),
            (100.0, "100"),
            (0.0, "0"),
            (-0.0, "-0"),
            (-2.5, "-2.5"),
            (1e21, "1000000000000000000000"),
            (0.1 + 0.2, "0.30000000000000004"),
            // An exact tie between ...049.2 and ...049.3 (the value is ...049.25): Go takes the
            // even digit (Rust's `Display` writes ...049.3).
            (872_624_002_757_049.0 + 0.25, "872624002757049.2"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for (value, expected) in cases {
            assert_eq!(go_decimal(*value), *expected, "{value:e}");
        }
        // The smallest subnormal: 323 zeros after the point, then its one digit.
        assert_eq!(go_decimal(5e-324), format!("0.{}5", "0".repeat(323)));
    }

    fn sanitized(name: &str) -> String {
        let mut out = String::new();
        push_datalayers_measurement(&mut out, name);
        out
    }

    #[test]
    fn valid_names_pass_unchanged() {
        for name in [
            "cpu_temp",
            "http.server.duration",
            "_x",
            "a-b.c_d",
            &"a".repeat(63),
        ] {
            assert!(is_datalayers_measurement(name), "{name}");
            assert_eq!(sanitized(name), name);
        }
    }

    #[test]
    fn invalid_names_are_rewritten_into_the_rule() {
        assert_eq!(sanitized("job:rate5m"), "job_rate5m");
        assert_eq!(sanitized("http/requests"), "http_requests");
        assert_eq!(sanitized("9lives"), "_9lives");
        assert_eq!(sanitized(".x"), "_.x");
        assert_eq!(sanitized(""), "_");
        assert_eq!(sanitized("temp°"), "temp__");
        assert_eq!(sanitized("a b,c"), "a_b_c");
        for name in ["job:rate5m", "9lives", "", "temp°", &"x".repeat(200)] {
            assert!(is_datalayers_measurement(&sanitized(name)), "{name}");
        }
        assert!(!is_datalayers_measurement("job:rate5m"));
        assert!(!is_datalayers_measurement(&"a".repeat(64)));
    }

    #[test]
    fn long_names_keep_a_prefix_and_stay_distinct() {
        let a = format!("{}_a", "p".repeat(70));
        let b = format!("{}_b", "p".repeat(70));
        let (sa, sb) = (sanitized(&a), sanitized(&b));
        assert_eq!(sa.len(), 63);
        assert!(sa.starts_with(&"p".repeat(54)));
        assert_ne!(sa, sb);
        assert_eq!(sa, sanitized(&a), "deterministic");
        // FNV-1a 32 of "" and "a" (published test vectors).
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Keys read back as the same number (Go's 'f' -1 is shortest round-trip) and never use
        /// an exponent.
        #[test]
        fn go_decimal_round_trips(value in any::<f64>().prop_filter("finite", |v| v.is_finite())) {
            let mut text = String::new();
            push_go_decimal(&mut text, value);
            prop_assert!(!text.contains(['e', 'E']), "{}", text);
            prop_assert_eq!(text.parse::<f64>().unwrap().to_bits(), value.to_bits());
            assert_display_or_even_tie(&text, value)?;
        }

        /// The same over the ryu range, where random bit patterns rarely land.
        #[test]
        fn go_decimal_fast_path_is_display(mantissa in 1u64..(1 << 53), exp in -17i32..16) {
            let value = mantissa as f64 * 10f64.powi(exp - 15);
            let mut text = String::new();
            push_go_decimal(&mut text, value);
            prop_assert_eq!(text.parse::<f64>().unwrap().to_bits(), value.to_bits());
            assert_display_or_even_tie(&text, value)?;
        }


        /// Any name becomes a valid Datalayers measurement, valid names stay as they are, and the
        /// rewrite is stable.
        #[test]
        fn datalayers_rewrite_is_valid_and_idempotent(name in ".{0,80}") {
            let mut once = String::new();
            push_datalayers_measurement(&mut once, &name);
            prop_assert!(is_datalayers_measurement(&once), "{:?} -> {:?}", name, once);
            let mut twice = String::new();
            push_datalayers_measurement(&mut twice, &once);
            prop_assert_eq!(&twice, &once);
            if is_datalayers_measurement(&name) {
                prop_assert_eq!(&once, &name);
            }
        }
    }

    /// `text` is `Display`'s text, or, on an exact tie, the same digits with the even last digit
    /// where `Display` rounded up (Go's choice).
    fn assert_display_or_even_tie(text: &str, value: f64) -> Result<(), TestCaseError> {
        let display = value.to_string();
        if text != display {
            let (ours, theirs) = (text.as_bytes(), display.as_bytes());
            prop_assert_eq!(ours.len(), theirs.len(), "{} vs {}", text, display);
            let last = ours.len() - 1;
            prop_assert_eq!(&ours[..last], &theirs[..last], "{} vs {}", text, display);
            prop_assert!(
                ours[last] % 2 == 0 && theirs[last] == ours[last] + 1,
                "{} vs {}",
                text,
                display
            );
        }
        Ok(())
    }
}
