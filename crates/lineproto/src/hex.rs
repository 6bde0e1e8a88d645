//! Lowercase hex of byte ids (trace and span ids), straight into the line: hex digits never need
//! escaping, so there is no text to check.

/// Appends the lowercase hex of `bytes`, eight bytes (one 16-byte store) at a time.
pub(crate) fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    let (words, tail) = bytes.as_chunks::<8>();
    for word in words {
        out.extend_from_slice(&hex_word(word));
    }
    if !tail.is_empty() {
        let mut last = [0; 8];
        last[..tail.len()].copy_from_slice(tail);
        out.extend_from_slice(&hex_word(&last)[..2 * tail.len()]);
    }
}

/// The 16 hex digits of 8 bytes, a table lookup per byte.
#[inline]
fn hex_word(bytes: &[u8; 8]) -> [u8; 16] {
    let mut digits = [0; 16];
    for (pair, &byte) in digits.as_chunks_mut::<2>().0.iter_mut().zip(bytes) {
        *pair = HEX_PAIRS[usize::from(byte)];
    }
    digits
}

/// The two lowercase hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut i = 0;
    while i < 256 {
        pairs[i] = [DIGITS[i >> 4], DIGITS[i & 0xf]];
        i += 1;
    }
    pairs
};

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
                assert_eq!(hex_word(&word), reference(&word).as_bytes(), "{word:?}");
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
