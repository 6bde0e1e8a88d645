//! ES6 number text (`Number.prototype.toString`, what Go's `encoding/json` and pdata
//! `AsString` write for a double): the shortest round-trip digits ([`lineproto::text::Digits`]), in
//! plain decimal notation unless `|f| < 1e-6` or `|f| >= 1e21`.

use super::TextSink;

/// Writes a finite double as Go `encoding/json` and pdata `AsString` do (ES6 number text):
/// plain decimal with the shortest round-trip digits, unless `|f| < 1e-6` or `|f| >= 1e21`
/// (then `d[.ddd]e±d…`, e.g. `1e-7`, `1.5e+21`). `-0.0` is written `-0`.
/// Non-finite values are the caller's business (JSON refuses them; AsString names them).
pub(crate) fn write_es6_float(f: f64, out: &mut impl TextSink) {
    let mut buf = [0u8; 40];
    let len = format_es6(f, &mut buf);
    out.push_str(std::str::from_utf8(&buf[..len]).unwrap_or_default());
}

fn format_es6(f: f64, buf: &mut [u8; 40]) -> usize {
    // Fastest path: a short decimal (`0.125`, `3.1`, `200`) found by scaling, no ryu.
    if let Some((digits, decimals)) = short_decimal(f) {
        let mut at = 0;
        if f.is_sign_negative() {
            buf[0] = b'-';
            at = 1;
        }
        let mut itoa_buf = itoa::Buffer::new();
        let text = itoa_buf.format(digits).as_bytes();
        // Zeros between the point and the digits (`0.0125`): `decimals` can exceed the digits.
        let (int_part, frac_part) = text.split_at(text.len().saturating_sub(decimals));
        if int_part.is_empty() {
            buf[at] = b'0';
            at += 1;
        } else {
            buf[at..at + int_part.len()].copy_from_slice(int_part);
            at += int_part.len();
        }
        if decimals > 0 {
            buf[at] = b'.';
            at += 1;
            let zeros = decimals - frac_part.len();
            buf[at..at + zeros].fill(b'0');
            at += zeros;
            buf[at..at + frac_part.len()].copy_from_slice(frac_part);
            at += frac_part.len();
        }
        return at;
    }
    // Fast path: ryu writes plain decimals for 1e-5 <= |f| < 1e16, the same digits ES6 writes
    // there, except that ryu adds `.0` to integers.
    if let Some(text) = plain_shortest_decimal(f, &mut ryu::Buffer::new()) {
        buf[..text.len()].copy_from_slice(text.as_bytes());
        return text.len();
    }
    format_es6_digits(f, buf)
}

/// `|f|` as `digits / 10^decimals` with the fewest decimals (at most 8) that read back as `f`,
/// for `1e-5 <= |f| < 1e15` and `digits < 2^52`: those are the shortest round-trip digits (ryu's
/// and Go's). Why: the division is correctly rounded, so equality means the decimal reads back
/// as `f`; below 2^52 decimals with that many places are spaced wider than doubles, so no other
/// one does; fewer places would have been found first, and a decimal with more places has more
/// significant digits.
fn short_decimal(f: f64) -> Option<(u64, usize)> {
    const POW10: [f64; 9] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
    const TWO_POW_52: f64 = 4_503_599_627_370_496.0;
    let a = f.abs();
    if !(1e-5..1e15).contains(&a) {
        return None;
    }
    for (decimals, &scale) in POW10.iter().enumerate() {
        let scaled = a * scale;
        if scaled >= TWO_POW_52 {
            return None;
        }
        // Near a whole number when it matters (see the check below), so truncating the sum rounds.
        let digits = ((scaled + 0.5) as u64) as f64;
        if digits / scale == a {
            // A whole number below 2^52: the conversions are exact.
            return Some((digits as u64, decimals));
        }
    }
    None
}

/// The shortest round-trip digits of `f` in plain decimal notation, where ryu writes them so
/// (`1e-5 <= |f| < 1e16`, integers without ryu's `.0`): there this is both the ES6 text and Go's
/// `strconv.FormatFloat(f, 'f', -1, 64)`. `None` elsewhere (the callers' slower general path).
pub(crate) fn plain_shortest_decimal(f: f64, buf: &mut ryu::Buffer) -> Option<&str> {
    if !(1e-5..1e16).contains(&f.abs()) {
        return None;
    }
    let text = buf.format_finite(f);
    (!text.contains('e')).then(|| text.strip_suffix(".0").unwrap_or(text))
}

fn format_es6_digits(f: f64, buf: &mut [u8; 40]) -> usize {
    let mut len = 0;
    let mut push = |b: u8, len: &mut usize| {
        buf[*len] = b;
        *len += 1;
    };
    if f.is_sign_negative() {
        push(b'-', &mut len);
    }
    if f == 0.0 {
        push(b'0', &mut len);
        return len;
    }
    let abs = f.abs();
    let shortest = lineproto::text::Digits::of(abs);
    let digits = shortest.digits();
    let n = digits.len();
    // The exponent of the first digit: `f = d1.d2… × 10^exp`.
    let exp = shortest.point() - 1;
    if !(1e-6..1e21).contains(&abs) {
        push(digits[0], &mut len);
        if n > 1 {
            push(b'.', &mut len);
            for &d in &digits[1..n] {
                push(d, &mut len);
            }
        }
        push(b'e', &mut len);
        push(if exp < 0 { b'-' } else { b'+' }, &mut len);
        let e = exp.unsigned_abs();
        // Go writes at least two exponent digits, then the JSON encoder trims `e-0X` to `e-X`;
        // positive exponents here are always >= 21.
        let mut ebuf = itoa::Buffer::new();
        for &d in ebuf.format(e).as_bytes() {
            push(d, &mut len);
        }
    } else if exp >= 0 {
        let int_digits = exp as usize + 1;
        for &d in &digits[..n.min(int_digits)] {
            push(d, &mut len);
        }
        for _ in n..int_digits {
            push(b'0', &mut len);
        }
        if n > int_digits {
            push(b'.', &mut len);
            for &d in &digits[int_digits..n] {
                push(d, &mut len);
            }
        }
    } else {
        push(b'0', &mut len);
        push(b'.', &mut len);
        for _ in 0..(-exp - 1) {
            push(b'0', &mut len);
        }
        for &d in digits {
            push(d, &mut len);
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn es6(f: f64) -> String {
        let mut s = String::new();
        write_es6_float(f, &mut s);
        s
    }

    #[test]
    fn es6_floats_match_go() {
        // Expected values are Go `json.Marshal(float64)` outputs.
        for (f, want) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (100.0, "100"),
            (87.332, "87.332"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789.0, "123456789"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-10, "1.5e-10"),
            (1.2345e-7, "1.2345e-7"),
            (5e-324, "5e-324"),
            (-2.5, "-2.5"),
            (0.001234, "0.001234"),
            (123.456, "123.456"),
            (1e16, "10000000000000000"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (-1e-7, "-1e-7"),
        ] {
            assert_eq!(es6(f), want, "{f:e}");
        }
    }

    #[test]
    fn es6_fast_path_agrees_with_the_digit_layout() {
        for f in [
            1e-5,
            1.5e-5,
            0.1,
            1.0,
            7.0,
            123.456,
            1e15,
            9.999999999999998e15,
            -3.25,
            1e6,
        ] {
            let mut fast = [0; 40];
            let mut slow = [0; 40];
            let n = format_es6(f, &mut fast);
            let m = format_es6_digits(f, &mut slow);
            assert_eq!(fast[..n], slow[..m], "{f:e}");
        }
    }

    #[test]
    fn short_decimals_agree_with_the_digit_layout() {
        // Short decimals, their neighbouring doubles (which need all their digits), and
        // pseudo-random doubles of every magnitude the fast path takes.
        let mut values = Vec::new();
        for k in 0..=10 {
            let scale = 10f64.powi(k);
            for i in (1..3000u32).chain([9_999_999, 123_456_789, 4_503_599, 4_294_967_295]) {
                let f = f64::from(i) / scale;
                values.extend([f, f.next_up(), f.next_down(), -f]);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let f = f64::from_bits(state);
            if f.is_finite() {
                values.push(f);
                // Rounded to a few decimals, so that the fast path takes many of them.
                let exp = (state % 20) as i32 - 6;
                values.push((f.fract() * 1e4).round() / 1e4 * 10f64.powi(exp));
            }
        }
        let mut taken = 0;
        for f in values {
            let mut fast = [0; 40];
            let mut slow = [0; 40];
            let n = format_es6(f, &mut fast);
            let m = format_es6_digits(f, &mut slow);
            assert_eq!(
                fast[..n],
                slow[..m],
                "{f:e} {:?}",
                std::str::from_utf8(&fast[..n])
            );
            taken += usize::from(short_decimal(f).is_some());
        }
        assert!(taken > 50_000, "the fast path took only {taken} values");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Finite doubles come back bit for bit (shortest round-trip digits).
        #[test]
        fn es6_floats_round_trip(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let mut out = String::new();
            write_es6_float(f, &mut out);
            let back: f64 = out.parse().unwrap();
            prop_assert_eq!(back.to_bits(), f.to_bits(), "{}", out);
            let abs = f.abs();
            prop_assert_eq!(out.contains('e'), abs != 0.0 && !(1e-6..1e21).contains(&abs), "{}", out);
        }
    }
}
