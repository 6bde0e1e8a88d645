//! Integer text for the values every line carries: nanosecond timestamps (19 digits until the
//! year 2286), written as eight digits at a time instead of two.

use crate::copy::append;

/// Appends the decimal text of `value`.
#[inline]
pub(crate) fn append_i64(out: &mut Vec<u8>, value: i64) {
    const E8: u64 = 100_000_000;
    const E16: u64 = E8 * E8;
    match u64::try_from(value) {
        // 17 to 19 digits: the timestamps of this century.
        Ok(unsigned) if unsigned >= E16 => {
            let high = unsigned / E16;
            let rest = unsigned % E16;
            // Straight into the line: digits gathered in a stack array first and copied from
            // there would be reloaded across the stores that wrote them (a store-forwarding
            // stall per load).
            let start = out.len();
            out.extend_from_slice(&[0; 19]);
            let digits = out[start..]
                .first_chunk_mut::<19>()
                .expect("19 bytes were just added");
            let lead = append_small(digits, high);
            digits[lead..lead + 8].copy_from_slice(&eight_digits(rest / E8));
            digits[lead + 8..lead + 16].copy_from_slice(&eight_digits(rest % E8));
            out.truncate(start + lead + 16);
        }
        _ => append(out, itoa::Buffer::new().format(value).as_bytes()),
    }
}

/// Writes `value` (1 to 999) at the start of `digits`, returns how many digits it has.
#[inline(always)]
fn append_small(digits: &mut [u8; 19], value: u64) -> usize {
    let [a, b, c] = [value / 100, value / 10 % 10, value % 10].map(|d| b'0' + d as u8);
    match value {
        100.. => {
            digits[..3].copy_from_slice(&[a, b, c]);
            3
        }
        10.. => {
            digits[..2].copy_from_slice(&[b, c]);
            2
        }
        _ => {
            digits[0] = c;
            1
        }
    }
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
