//! Lowercase hex of byte ids (trace and span ids), straight into the line: hex digits never need
//! escaping, so there is no text to check.

/// Appends the lowercase hex of `bytes`, eight bytes at a time.
pub(crate) fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    let (words, tail) = bytes.as_chunks::<8>();
    for word in words {
        out.extend_from_slice(&hex_word(*word));
    }
    if !tail.is_empty() {
        let mut last = [0; 8];
        last[..tail.len()].copy_from_slice(tail);
        out.extend_from_slice(&hex_word(last)[..2 * tail.len()]);
    }
}

/// The 16 hex digits of 8 bytes: each nibble spread into a byte of its own (most significant
/// first), then turned into `0`-`9` or `a`-`f` by adding to all sixteen at once.
#[inline]
fn hex_word(bytes: [u8; 8]) -> [u8; 16] {
    const fn repeat(byte: u8) -> u128 {
        u128::from_ne_bytes([byte; 16])
    }
    let mut v = u128::from(u64::from_be_bytes(bytes));
    v = (v | (v << 32)) & 0x0000_0000_FFFF_FFFF_0000_0000_FFFF_FFFF;
    v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF_0000_FFFF_0000_FFFF;
    v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF_00FF_00FF_00FF_00FF;
    v = (v | (v << 4)) & repeat(0x0F);
    // 1 in every byte whose nibble is 10 or more (adding 6 carries it into bit 4).
    let letters = ((v + repeat(0x06)) >> 4) & repeat(0x01);
    (v + repeat(b'0') + letters * u128::from(b'a' - b'0' - 10)).to_be_bytes()
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
                assert_eq!(hex_word(word), reference(&word).as_bytes(), "{word:?}");
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
