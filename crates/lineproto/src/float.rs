//! Float text: ryu's shortest round-trip digits, laid out either compactly or exactly like Go's
//! `strconv.FormatFloat(f, 'g', -1, 64)`.

use crate::copy::append;
use crate::int::{append_i64, append_u64};
use crate::options::FloatFormat;

/// Appends the text of a finite `value` in `format`.
///
/// Both formats write the shortest digits that read back as the same `f64`, never more than 17
/// significant digits, and never `NaN`/`inf`: a non-finite `value` appends nothing (line protocol
/// has no text for it; the [`Encoder`](crate::Encoder) applies its [`NonFinite`](crate::NonFinite)
/// policy before calling this).
///
/// ```
/// use lineproto::{FloatFormat, write_float};
/// let mut out = Vec::new();
/// write_float(&mut out, 2693000.0, FloatFormat::GoStrconv);
/// out.push(b' ');
/// write_float(&mut out, 2693000.0, FloatFormat::Shortest);
/// assert_eq!(out, b"2.693e+06 2693000");
/// ```
pub fn write_float(out: &mut Vec<u8>, value: f64, format: FloatFormat) {
    if !value.is_finite() {
        return;
    }
    if format == FloatFormat::Shortest && is_exact_integer(value) {
        // Whole numbers (counts, sizes, status codes) are their integer text: written from
        // registers, without a formatter's buffer to copy from.
        append_i64(out, value as i64);
        return;
    }
    let mut zmij = zmij::Buffer::new();
    let mut itoa = itoa::Buffer::new();
    let text = shortest_text(value, &mut itoa, &mut zmij);
    match format {
        FloatFormat::Shortest if value.abs() >= PLUS_EXPONENTS => {
            // `1e+16` is written `1e16` (ryu's layout, and one byte shorter).
            match text.iter().position(|&b| b == b'+') {
                Some(plus) => {
                    append(out, &text[..plus]);
                    append(out, &text[plus + 1..]);
                }
                None => append(out, text),
            }
        }
        FloatFormat::Shortest => append(out, text.strip_suffix(b".0").unwrap_or(text)),
        FloatFormat::GoStrconv => write_go_g(out, text),
    }
}

/// From here up, the shortest text has a positive exponent (`1e+16`); below it has none.
const PLUS_EXPONENTS: f64 = 1e16;

/// The shortest decimal digits that read back as a finite `f64` (ryu's, the same as Go's and
/// the ES6 number text's), with the position of the decimal point: the value is
/// `±0.d₁d₂…dₙ × 10^point`. Every text layout of a float (Go's `%g`, ES6, plain decimal) is
/// these digits placed around a point; this is the one place that reads them out of ryu.
///
/// ```
/// use lineproto::text::Digits;
/// let d = Digits::of(-1234.5);
/// assert_eq!((d.negative(), d.digits(), d.point()), (true, &b"12345"[..], 4));
/// let d = Digits::of(1.5e-7);
/// assert_eq!((d.digits(), d.point()), (&b"15"[..], -6));
/// assert_eq!(Digits::of(0.0).digits(), b"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digits {
    negative: bool,
    digits: [u8; 24],
    len: usize,
    /// Position of the decimal point relative to the first digit (Go's `decimal.dp`).
    point: i32,
}

impl Digits {
    /// The digits of a finite `value` (a non-finite one reads as zero: it has no digits).
    pub fn of(value: f64) -> Self {
        if !value.is_finite() {
            return Self::from_ryu(b"0.0");
        }
        let mut itoa = itoa::Buffer::new();
        let mut zmij = zmij::Buffer::new();
        Self::from_ryu(shortest_text(value, &mut itoa, &mut zmij))
    }

    /// Whether the value is negative (`-0.0` included).
    pub fn negative(&self) -> bool {
        self.negative
    }

    /// The significant digits, ASCII, without leading or trailing zeros; empty for zero.
    pub fn digits(&self) -> &[u8] {
        &self.digits[..self.len]
    }

    /// Where the decimal point goes: `value = ±0.digits × 10^point`.
    pub fn point(&self) -> i32 {
        self.point
    }

    /// Reads ryu's output (`123.45`, `0.000123`, `1.5e-7`, `1e16`, `-0.0`).
    fn from_ryu(text: &[u8]) -> Self {
        let (negative, text) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
            Some(e) => (&text[..e], parse_exponent(&text[e + 1..])),
            None => (text, 0),
        };
        let mut decimal = Self {
            negative,
            digits: [0; 24],
            len: 0,
            point: 0,
        };
        let mut integer_digits = 0;
        let mut seen_point = false;
        for &b in mantissa {
            if b == b'.' {
                seen_point = true;
                continue;
            }
            if !seen_point {
                integer_digits += 1;
            }
            if decimal.len == 0 && b == b'0' {
                // A leading zero moves the point, it is no significant digit.
                integer_digits -= 1;
                continue;
            }
            decimal.digits[decimal.len] = b;
            decimal.len += 1;
        }
        while decimal.len > 0 && decimal.digits[decimal.len - 1] == b'0' {
            decimal.len -= 1;
        }
        // Zero has no digits, and its point is 0 (as Go's decimal has it).
        decimal.point = if decimal.len == 0 {
            0
        } else {
            integer_digits + exponent
        };
        decimal
    }
}

/// The shortest round-trip text of a finite `value`, in ryu's layout (`123.45`, `0.000123`,
/// `1.5e-7`, `-0.0`) except for positive exponents, written `1e+16`: `zmij`'s (the same digits
/// as ryu's, about twice as fast; a proptest holds it to ryu), or for integral values below 2^53
/// (counts, bucket counts: common in metrics) the integer's digits, which are the same digits
/// (no exponent there).
fn shortest_text<'b>(
    value: f64,
    itoa: &'b mut itoa::Buffer,
    zmij: &'b mut zmij::Buffer,
) -> &'b [u8] {
    if is_exact_integer(value) {
        itoa.format(value as i64).as_bytes()
    } else {
        zmij.format_finite(value).as_bytes()
    }
}

/// Whether `value` is a nonzero whole number that an `i64` holds exactly (its shortest text is
/// the integer's; zero is left to the float formatter for the sign of `-0`).
#[inline(always)]
fn is_exact_integer(value: f64) -> bool {
    const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;
    // `as` conversions, not `fract()` (a libm call without SSE4.1).
    value != 0.0 && value.abs() < EXACT_INTEGERS && (value as i64) as f64 == value
}

fn parse_exponent(text: &[u8]) -> i32 {
    let (sign, digits) = match text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        Some((b'+', rest)) => (1, rest),
        _ => (1, text),
    };
    sign * digits
        .iter()
        .fold(0i32, |acc, &d| acc * 10 + i32::from(d - b'0'))
}

/// Go's `%g` with shortest precision (`strconv/ftoa.go`): exponent form iff `exp < -4 || exp >= 6`
/// (`eprec = 6` when shortest), where `exp = point - 1`.
fn write_go_g(out: &mut Vec<u8>, ryu_text: &[u8]) {
    let decimal = Digits::from_ryu(ryu_text);
    if decimal.negative {
        out.push(b'-');
    }
    let digits = decimal.digits();
    if digits.is_empty() {
        // Zero: Go's decimal has nd = 0, dp = 0, which takes the %f branch: "0".
        out.push(b'0');
        return;
    }
    let exp = decimal.point - 1;
    if !(-4..6).contains(&exp) {
        // %e: d[.ddd]e±dd
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        append_u64(out, u64::from(magnitude));
    } else if decimal.point <= 0 {
        // %f below one: 0.000ddd
        out.extend_from_slice(b"0.");
        out.resize(out.len() + decimal.point.unsigned_abs() as usize, b'0');
        out.extend_from_slice(digits);
    } else {
        let point = decimal.point as usize;
        if point >= digits.len() {
            out.extend_from_slice(digits);
            out.resize(out.len() + point - digits.len(), b'0');
        } else {
            out.extend_from_slice(&digits[..point]);
            out.push(b'.');
            out.extend_from_slice(&digits[point..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: f64, format: FloatFormat) -> String {
        let mut out = Vec::new();
        write_float(&mut out, value, format);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn go_strconv_g_layout() {
        // The rendered examples of the reference (Go strconv.FormatFloat(f, 'g', -1, 64)).
        let cases: &[(f64, &str)] = &[
            (87.332, "87.332"),
            (999999.0, "999999"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (17560473.0, "1.7560473e+07"),
            (144320.0, "144320"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e20, "1e+20"),
            (1.5e300, "1.5e+300"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.0, "0"),
            (-0.0, "-0"),
            (100.0, "100"),
            (2693000.0, "2.693e+06"),
            (-1.5, "-1.5"),
            (123456.5, "123456.5"),
            (0.000123, "0.000123"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (1e-7, "1e-07"),
            (-1e100, "-1e+100"),
            (12345678901234567890.0, "1.2345678901234567e+19"),
        ];
        for &(value, expected) in cases {
            assert_eq!(text(value, FloatFormat::GoStrconv), expected, "{value:e}");
        }
    }

    #[test]
    fn shortest_layout() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-0.0, "-0"),
            (0.0, "0"),
            (87.332, "87.332"),
            (1e300, "1e300"),
            (1.5e-7, "1.5e-7"),
            (1e16, "1e16"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::MAX, "1.7976931348623157e308"),
        ];
        for &(value, expected) in cases {
            assert_eq!(text(value, FloatFormat::Shortest), expected, "{value:e}");
        }
    }

    #[test]
    fn both_layouts_round_trip_and_stay_short() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = f64::from_bits(state);
            if !value.is_finite() {
                continue;
            }
            for format in [FloatFormat::Shortest, FloatFormat::GoStrconv] {
                let written = text(value, format);
                assert!(written.len() <= 24, "{written}");
                assert_eq!(
                    written.parse::<f64>().unwrap().to_bits(),
                    value.to_bits(),
                    "{written}"
                );
            }
        }
    }

    #[test]
    fn digits_read_every_layout_of_ryu() {
        let cases: &[(f64, bool, &[u8], i32)] = &[
            (0.0, false, b"", 0),
            (-0.0, true, b"", 0),
            (1.0, false, b"1", 1),
            (100.0, false, b"1", 3),
            (123.45, false, b"12345", 3),
            (0.000123, false, b"123", -3),
            (1.5e-7, false, b"15", -6),
            (1e16, false, b"1", 17),
            (-2.5e300, true, b"25", 301),
            (5e-324, false, b"5", -323),
            (1e15, false, b"1", 16),
        ];
        for &(value, negative, digits, point) in cases {
            let d = Digits::of(value);
            assert_eq!(
                (d.negative(), d.digits(), d.point()),
                (negative, digits, point),
                "{value:e}"
            );
        }
        assert_eq!(Digits::of(f64::NAN).digits(), b"");
    }

    /// ryu's text with `.0` dropped: the layout `FloatFormat::Shortest` promises.
    fn ryu_shortest(value: f64) -> String {
        let mut ryu = ryu::Buffer::new();
        let text = ryu.format_finite(value);
        text.strip_suffix(".0").unwrap_or(text).to_owned()
    }

    #[test]
    fn shortest_is_ryus_text() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for i in 0..200_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Random bits, then values with few digits around every power of ten.
            let value = if i % 2 == 0 {
                f64::from_bits(state)
            } else {
                (state % 100_000) as f64 * 10f64.powi((state >> 40) as i32 % 40 - 20)
            };
            if value.is_finite() {
                assert_eq!(text(value, FloatFormat::Shortest), ryu_shortest(value));
            }
        }
        for value in [
            1e15,
            1e16,
            9.999999999999998e15,
            1e21,
            1e-5,
            1e-4,
            5e-324,
            f64::MAX,
        ] {
            assert_eq!(text(value, FloatFormat::Shortest), ryu_shortest(value));
            assert_eq!(text(-value, FloatFormat::Shortest), ryu_shortest(-value));
        }
    }

    #[test]
    fn non_finite_writes_nothing() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for format in [FloatFormat::Shortest, FloatFormat::GoStrconv] {
                assert_eq!(text(value, format), "");
            }
        }
    }
}
