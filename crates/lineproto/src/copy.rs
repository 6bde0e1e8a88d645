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
    copy_short(&mut out[start..start + MAX], bytes);
    out.truncate(start + n);
}

/// Copies `bytes` (at most 32) to the start of `dst` as a few overlapping fixed-size words.
#[inline(always)]
fn copy_short(dst: &mut [u8], bytes: &[u8]) {
    let n = bytes.len();
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
}

/// Appends `before`, `bytes` and `after` (`,key=`, ` key=`) with one capacity check: up to 30
/// bytes as fixed-size stores, longer ones through [`append`].
#[inline(always)]
pub(crate) fn append_framed(out: &mut Vec<u8>, before: u8, bytes: &[u8], after: u8) {
    const MAX: usize = 32;
    let n = bytes.len();
    if n > MAX - 2 {
        out.push(before);
        append(out, bytes);
        out.push(after);
        return;
    }
    let start = out.len();
    out.extend_from_slice(&[0; MAX]);
    let dst = &mut out[start..start + MAX];
    dst[0] = before;
    copy_short(&mut dst[1..MAX - 1], bytes);
    dst[n + 1] = after;
    out.truncate(start + n + 2);
}

/// Up to `N` bytes kept in a zero-padded block of `N`, for text appended over and over (template
/// keys, escaped pieces): appending is one fixed-size copy of the whole block and the end moved
/// back, with no copy that depends on the length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Block<N> {
    /// `bytes` in a block, if they fit.
    pub(crate) fn new(bytes: &[u8]) -> Option<Self> {
        let mut block = [0; N];
        block.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Self {
            bytes: block,
            len: bytes.len(),
        })
    }

    /// Appends the bytes to `out`.
    #[inline(always)]
    pub(crate) fn append_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
        out.truncate(out.len() - (N - self.len));
    }
}

/// Copies `N` bytes at `at` from `bytes` to `dst` (the callers keep `at + N` within both).
#[inline(always)]
fn copy_word<const N: usize>(dst: &mut [u8], bytes: &[u8], at: usize) {
    dst[at..at + N].copy_from_slice(&bytes[at..at + N]);
}

#[cfg(test)]
mod tests {
    #[test]
    fn blocks_append_exactly_their_bytes() {
        let source: Vec<u8> = (1..=20u8).collect();
        for len in 0..=20 {
            let block = super::Block::<16>::new(&source[..len]);
            assert_eq!(block.is_some(), len <= 16, "length {len}");
            if let Some(block) = block {
                let mut out = vec![0xaa; 3];
                block.append_to(&mut out);
                assert_eq!(out[..3], [0xaa; 3]);
                assert_eq!(out[3..], source[..len], "length {len}");
            }
        }
    }

    #[test]
    fn frames_every_length_exactly() {
        let source: Vec<u8> = (0..100u8).map(|b| b.wrapping_mul(37) | 1).collect();
        for len in 0..=100 {
            let mut out = vec![0xaa; 5];
            super::append_framed(&mut out, b',', &source[..len], b'=');
            assert_eq!(out.len(), 5 + len + 2);
            assert_eq!(out[..6], [0xaa, 0xaa, 0xaa, 0xaa, 0xaa, b',']);
            assert_eq!(&out[6..6 + len], &source[..len], "length {len}");
            assert_eq!(out[6 + len], b'=');
        }
    }

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
