//! Lowercase hex of byte ids (trace and span ids), straight into the line: hex digits never need
//! escaping, so there is no text to check.

/// Appends the lowercase hex of `bytes`, eight bytes (two 8-byte stores) at a time.
pub(crate) fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    let (words, tail) = bytes.as_chunks::<8>();
    for word in words {
        let [high, low] = hex_word(word);
        out.extend_from_slice(&high.to_be_bytes());
        out.extend_from_slice(&low.to_be_bytes());
    }
    if !tail.is_empty() {
        let mut last = [0; 8];
        last[..tail.len()].copy_from_slice(tail);
        let [high, low] = hex_word(&last);
        let digits = (u128::from(high) << 64 | u128::from(low)).to_be_bytes();
        out.extend_from_slice(&digits[..2 * tail.len()]);
    }
}

/// The 16 hex digits of 8 bytes as two words (big-endian: the first digit in the top byte),
/// computed in registers: digits gathered byte by byte in an array and then copied out would be
/// reloaded across the stores that wrote them (a store-forwarding stall).
#[inline]
fn hex_word(bytes: &[u8; 8]) -> [u64; 2] {
    let value = u64::from_be_bytes(*bytes);
    [hex_half((value >> 32) as u32), hex_half(value as u32)]
}

/// The 8 hex digits of `value`, the first in the top byte.
#[inline(always)]
const fn hex_half(value: u32) -> u64 {
    const NIBBLES: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    // One nibble per byte: 0xAABBCCDD -> 0x0A0A_0B0B_0C0C_0D0D.
    let x = value as u64;
    let x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    let x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    let x = (x | (x << 4)) & NIBBLES;
    // Nibbles of 10 and more carry into bit 4 when 6 is added; they get `'a' - '0' - 10` more.
    let letters = ((x + 6 * ONES) >> 4) & ONES;
    x + b'0' as u64 * ONES + letters * (b'a' - b'0' - 10) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn every_byte_at_every_position() {
        for byte in 0..=255u8 {
            for position in 0..8 {
                let mut word = [0x5a; 8];
                word[position] = byte;
                let [high, low] = hex_word(&word);
                let digits = (u128::from(high) << 64 | u128::from(low)).to_be_bytes();
                assert_eq!(digits, reference(&word).as_bytes(), "{word:?}");
            }
        }
    }

    #[test]
    fn every_length() {
        let bytes: Vec<u8> = (0..40u8).map(|b| b.wrapping_mul(97) ^ 0xa5).collect();
        for len in 0..bytes.len() {
            let mut out = b"x".to_vec();
            push_hex(&mut out, &bytes[..len]);
            assert_eq!(
                out[1..],
                *reference(&bytes[..len]).as_bytes(),
                "length {len}"
            );
        }
    }
}
