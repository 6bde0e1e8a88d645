//! [`Lines`]: whole lines and their boundaries, for batching and splitting without re-scanning.

/// A borrowed view of whole lines with their boundaries.
///
/// String fields may hold a raw LF, so lines are never found by splitting on `b'\n'`: the encoder
/// records where each line ends ([`Encoder::line_ends`](crate::Encoder::line_ends)) and this view
/// carries those offsets. Batching code splits it with [`Lines::split_at`] and sends
/// [`Lines::bytes`], which is contiguous.
///
/// ```
/// use lineproto::{Dialect, Encoder, EncoderOptions};
/// let mut encoder = Encoder::new(EncoderOptions::new(Dialect::InfluxDbV3));
/// for i in 0..3 {
///     encoder.start_line("m").field_str("s", "a\nb").field_i64("i", i);
///     encoder.end_line(None).unwrap();
/// }
/// let (first, rest) = encoder.lines().split_at(1);
/// assert_eq!(first.bytes(), b"m s=\"a\nb\",i=0i\n");
/// assert_eq!(rest.len(), 2);
/// assert_eq!(rest.get(1), b"m s=\"a\nb\",i=2i\n");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a> {
    /// The underlying buffer (all of it; offsets index into it).
    buffer: &'a [u8],
    /// Where the first line starts.
    start: usize,
    /// Exclusive end offset of each line, ascending.
    ends: &'a [usize],
}

impl<'a> Lines<'a> {
    /// A view of `bytes`, whose lines end (exclusively) at the ascending offsets `ends`; the first
    /// line starts at 0.
    ///
    /// # Panics
    /// If the last offset is beyond `bytes`.
    pub fn new(bytes: &'a [u8], ends: &'a [usize]) -> Self {
        assert!(
            ends.last().is_none_or(|&end| end <= bytes.len()),
            "line end offset beyond the buffer"
        );
        Self {
            buffer: bytes,
            start: 0,
            ends,
        }
    }

    /// Finds the lines of newline-terminated text (e.g. read from a file), writing their ends into
    /// `ends_out` (cleared first, reused). A last line without `\n` counts as a line.
    ///
    /// Only for text where no string field holds a raw LF: such a field would be cut in two.
    pub fn from_newline_terminated(bytes: &'a [u8], ends_out: &'a mut Vec<usize>) -> Self {
        ends_out.clear();
        ends_out.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        if ends_out.last().copied().unwrap_or(0) < bytes.len() {
            ends_out.push(bytes.len());
        }
        Self::new(bytes, ends_out)
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no line.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Line `index`, including its trailing `\n`.
    ///
    /// # Panics
    /// If `index >= self.len()`.
    pub fn get(&self, index: usize) -> &'a [u8] {
        let start = if index == 0 {
            self.start
        } else {
            self.ends[index - 1]
        };
        &self.buffer[start..self.ends[index]]
    }

    /// All lines' bytes, contiguous (what goes into a request body).
    pub fn bytes(&self) -> &'a [u8] {
        let end = self.ends.last().copied().unwrap_or(self.start);
        &self.buffer[self.start..end]
    }

    /// The first `n` lines and the rest (`n` is clamped to the number of lines).
    pub fn split_at(self, n: usize) -> (Self, Self) {
        let n = n.min(self.ends.len());
        let (head, tail) = self.ends.split_at(n);
        let middle = head.last().copied().unwrap_or(self.start);
        (
            Self {
                buffer: self.buffer,
                start: self.start,
                ends: head,
            },
            Self {
                buffer: self.buffer,
                start: middle,
                ends: tail,
            },
        )
    }

    /// Iterates over the lines.
    pub fn iter(&self) -> LinesIter<'a> {
        LinesIter {
            lines: *self,
            next: 0,
        }
    }
}

impl<'a> IntoIterator for Lines<'a> {
    type Item = &'a [u8];
    type IntoIter = LinesIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the lines of a [`Lines`] view, each including its `\n`.
#[derive(Debug, Clone)]
pub struct LinesIter<'a> {
    lines: Lines<'a>,
    next: usize,
}

impl<'a> Iterator for LinesIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<Self::Item> {
        (self.next < self.lines.len()).then(|| {
            self.next += 1;
            self.lines.get(self.next - 1)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.lines.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for LinesIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_terminated_text() {
        let mut ends = Vec::new();
        let lines = Lines::from_newline_terminated(b"a 1\nb 2\nc 3", &mut ends);
        assert_eq!(
            lines.iter().collect::<Vec<_>>(),
            [&b"a 1\n"[..], b"b 2\n", b"c 3"]
        );
        let mut ends = Vec::new();
        assert!(Lines::from_newline_terminated(b"", &mut ends).is_empty());
    }

    #[test]
    fn split_keeps_offsets() {
        let bytes = b"a\nbb\nccc\n";
        let ends = [2, 5, 9];
        let lines = Lines::new(bytes, &ends);
        let (head, tail) = lines.split_at(1);
        assert_eq!(head.bytes(), b"a\n");
        assert_eq!(tail.bytes(), b"bb\nccc\n");
        let (middle, last) = tail.split_at(1);
        assert_eq!(middle.get(0), b"bb\n");
        assert_eq!(last.get(0), b"ccc\n");
        let (all, none) = lines.split_at(10);
        assert_eq!(all.len(), 3);
        assert!(none.is_empty());
        assert_eq!(none.bytes(), b"");
        assert_eq!(lines.into_iter().len(), 3);
    }

    #[test]
    #[should_panic(expected = "beyond the buffer")]
    fn ends_beyond_the_buffer_panic() {
        let _ = Lines::new(b"a\n", &[3]);
    }
}
