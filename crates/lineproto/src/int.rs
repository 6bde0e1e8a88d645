//! Integer text for the values every line carries: nanosecond timestamps (19 digits until the
//! year 2286), counts and ids, written as eight digits at a time instead of two.
//!
//! The digits are computed in registers and stored straight into the line, eight bytes at a
//! time. A formatter's stack buffer (`itoa`'s) would be stored two digits at a time and then
//! copied out with word-wide loads, each of which stalls on store forwarding.

/// Appends the decimal text of `value`.
#[inline]
pub(crate) fn append_i64(out: &mut Vec<u8>, value: i64) {
    if value < 0 {
        out.push(b'-');
    }
    append_u64(out, value.unsigned_abs());
}

/// Appends the decimal text of `value`.
#[inline]
pub(crate) fn append_u64(out: &mut Vec<u8>, value: u64) {
    const E8: u64 = 100_000_000;
    const E16: u64 = E8 * E8;
    let start = out.len();
    // Room for 20 digits plus the slack of the last 8-byte store; trimmed below.
    out.extend_from_slice(&[0; 24]);
    let dst = out[start..]
        .first_chunk_mut::<24>()
        .expect("24 bytes were just added");
    let len = if value < E8 {
        put_leading(dst, value)
    } else if value < E16 {
        let lead = put_leading(dst, value / E8);
        put_eight(dst, lead, value % E8);
        lead + 8
    } else {
        // 17 to 20 digits: the timestamps of this century have 19.
        let lead = put_leading(dst, value / E16);
        let rest = value % E16;
        put_eight(dst, lead, rest / E8);
        put_eight(dst, lead + 8, rest % E8);
        lead + 16
    };
    out.truncate(start + len);
}

/// Stores the digits of `value` (below 10^8) without leading zeros at the start of `dst` (one
/// 8-byte store), returns how many there are (at least one: `0` is written as such).
#[inline(always)]
fn put_leading(dst: &mut [u8; 24], value: u64) -> usize {
    debug_assert!(value < 100_000_000);
    let digits = 1
        + usize::from(value >= 10)
        + usize::from(value >= 100)
        + usize::from(value >= 1_000)
        + usize::from(value >= 10_000)
        + usize::from(value >= 100_000)
        + usize::from(value >= 1_000_000)
        + usize::from(value >= 10_000_000);
    // Little-endian: the leading zeros are the low bytes; shifting drops them.
    let word = u64::from_le_bytes(eight_digits(value)) >> (8 * (8 - digits));
    dst[..8].copy_from_slice(&word.to_le_bytes());
    digits
}

/// Stores the eight digits of `value` (below 10^8, zero-padded) at `dst[at..]`.
#[inline(always)]
fn put_eight(dst: &mut [u8; 24], at: usize, value: u64) {
    dst[at..at + 8].copy_from_slice(&eight_digits(value));
}

/// The eight decimal digits of `value` (below 10^8, zero-padded), computed in one `u64`: split
/// into 4 + 4 digits, then 2 + 2 per half, then 1 + 1 per quarter, all lanes at once
/// (multiplications by reciprocals that are exact in these ranges).
#[inline(always)]
fn eight_digits(value: u64) -> [u8; 8] {
    debug_assert!(value < 100_000_000);
    // Lanes of 32 bits: [high 4 digits, low 4 digits] (little-endian: the high digits first).
    let fours = (value / 10_000) | ((value % 10_000) << 32);
    // x * 10486 >> 20 == x / 100 for x < 10^4.
    let hundreds = ((fours * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let twos = hundreds | ((fours - 100 * hundreds) << 16);
    // x * 103 >> 10 == x / 10 for x < 100.
    let tens = ((twos * 103) >> 10) & 0x000f_000f_000f_000f;
    let ones = tens | ((twos - 10 * tens) << 8);
    (ones + 0x3030_3030_3030_3030).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: i64) -> String {
        let mut out = b"x".to_vec();
        append_i64(&mut out, value);
        String::from_utf8(out[1..].to_vec()).unwrap()
    }

    #[test]
    fn eight_digits_of_every_pattern() {
        for value in (0..100_000_000u64)
            .step_by(9_973)
            .chain([0, 1, 9, 10, 99_999_999])
        {
            assert_eq!(eight_digits(value), *format!("{value:08}").as_bytes());
        }
    }

    #[test]
    fn unsigned_text_as_std() {
        let mut out = Vec::new();
        let mut value = 1u64;
        loop {
            for v in [value - 1, value, value + 1, value.saturating_mul(7) / 3] {
                out.clear();
                append_u64(&mut out, v);
                assert_eq!(out, v.to_string().as_bytes());
            }
            match value.checked_mul(10) {
                Some(next) => value = next,
                None => break,
            }
        }
        out.clear();
        append_u64(&mut out, u64::MAX);
        assert_eq!(out, u64::MAX.to_string().as_bytes());
    }

    #[test]
    fn same_text_as_std() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let edges = [
            0,
            -1,
            i64::MIN,
            i64::MAX,
            10_000_000_000_000_000,
            9_999_999_999_999_999,
            99_999_999_999_999_999,
            100_000_000_000_000_000,
            1_000_000_000_000_000_000,
            1_700_000_000_000_000_000,
        ];
        for value in edges {
            assert_eq!(text(value), value.to_string());
        }
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let value = state as i64;
            assert_eq!(text(value), value.to_string());
            let value = (state % 1_000_000_000_000_000_000) as i64 + 10_000_000_000_000_000;
            assert_eq!(text(value), value.to_string());
        }
    }
}
