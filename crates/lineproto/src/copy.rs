//! Appending short byte strings without a `memcpy` call.

/// Appends `bytes` to `out`. Up to 32 bytes are copied as a few overlapping fixed-size words
/// (a call to `memcpy` costs more than the copy for the names, numbers and ids a line is made
/// of); longer ones through `extend_from_slice`.
#[inline(always)]
pub(crate) fn append(out: &mut Vec<u8>, bytes: &[u8]) {
    const MAX: usize = 32;
    let n = bytes.len();
    if n > MAX {
        out.extend_from_slice(bytes);
        return;
    }
    let start = out.len();
    // One fixed-size store makes room (and reserves); the words below overwrite it.
    out.extend_from_slice(&[0; MAX]);
    let dst = &mut out[start..start + MAX];
    match n {
        16.. => {
            copy_word::<8>(dst, bytes, 0);
            copy_word::<8>(dst, bytes, 8);
            copy_word::<8>(dst, bytes, n - 16);
            copy_word::<8>(dst, bytes, n - 8);
        }
        8.. => {
            copy_word::<8>(dst, bytes, 0);
            copy_word::<8>(dst, bytes, n - 8);
        }
        4.. => {
            copy_word::<4>(dst, bytes, 0);
            copy_word::<4>(dst, bytes, n - 4);
        }
        1.. => {
            dst[0] = bytes[0];
            dst[n / 2] = bytes[n / 2];
            dst[n - 1] = bytes[n - 1];
        }
        0 => {}
    }
    out.truncate(start + n);
}

/// Copies `N` bytes at `at` from `bytes` to `dst` (the callers keep `at + N` within both).
#[inline(always)]
fn copy_word<const N: usize>(dst: &mut [u8], bytes: &[u8], at: usize) {
    dst[at..at + N].copy_from_slice(&bytes[at..at + N]);
}

#[cfg(test)]
mod tests {
    #[test]
    fn appends_every_length_exactly() {
        let source: Vec<u8> = (0..100u8).map(|b| b.wrapping_mul(37) | 1).collect();
        for len in 0..=100 {
            for prefix in [0, 3, 40] {
                let mut out = vec![0xaa; prefix];
                super::append(&mut out, &source[..len]);
                assert_eq!(out.len(), prefix + len);
                assert!(out[..prefix].iter().all(|&b| b == 0xaa));
                assert_eq!(&out[prefix..], &source[..len], "length {len}");
            }
        }
    }
}
