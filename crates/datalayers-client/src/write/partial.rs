//! Reading a 400 answer to a write: which lines the server refused, and whether it kept the rest.
//!
//! InfluxDB 1.x answers (from `services/httpd/handler.go` and `models/points.go`):
//! - every line failed to parse: `unable to parse '<line>': <reason>` for each line, joined by
//!   `\n`; nothing is written;
//! - some lines failed to parse, the others were written:
//!   `partial write: unable to parse '<line>': <reason>[\n...] dropped=0` (parse failures are not
//!   in `dropped`);
//! - the storage refused some parsed points (type conflict, retention window):
//!   `partial write: <reason> dropped=<n>`; the lines are not named.
//!
//! Datalayers answers `{"error": "<reason>"}` and, as far as documented, writes nothing.

use std::collections::{HashMap, VecDeque};

use lineproto::Lines;

const PARTIAL_PREFIX: &str = "partial write:";
const PARSE_FAILURE: &str = "unable to parse '";
const LINE_END: &str = "': ";

/// What a 400 message says about a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRequest<'m> {
    /// `partial write:`: the server kept every line not named or counted as dropped.
    pub(crate) partial: bool,
    /// `dropped=<n>`: points refused without being named.
    pub(crate) dropped: u64,
    /// The message without the `partial write:` prefix and the `dropped=` suffix.
    pub(crate) reason: &'m str,
    /// Lines named by `unable to parse '<line>': <reason>`: (index in the batch, reason).
    pub(crate) named: Vec<(usize, &'m str)>,
    /// `unable to parse` entries whose line could not be matched to the batch (e.g. a cut message).
    pub(crate) unmatched: u64,
}

/// Reads `message` against the batch `lines` it answers.
pub(crate) fn parse_bad_request<'m>(message: &'m str, lines: &Lines<'_>) -> BadRequest<'m> {
    let (partial, rest) = match message.trim().strip_prefix(PARTIAL_PREFIX) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, message.trim()),
    };
    let (reason, dropped) = split_dropped(rest);
    let mut report = BadRequest {
        partial,
        dropped,
        reason,
        named: Vec::new(),
        unmatched: 0,
    };
    if !reason.contains(PARSE_FAILURE) {
        return report;
    }
    // Lines as the server prints them: without the trailing newline. Duplicates are matched in order.
    let mut by_text: HashMap<&[u8], VecDeque<usize>> = HashMap::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        by_text
            .entry(line.strip_suffix(b"\n").unwrap_or(line))
            .or_default()
            .push_back(index);
    }
    let starts: Vec<usize> = reason
        .match_indices(PARSE_FAILURE)
        .map(|(at, _)| at)
        .collect();
    for (i, &at) in starts.iter().enumerate() {
        let entry_end = starts.get(i + 1).map_or(reason.len(), |&next| next);
        let entry = &reason[at + PARSE_FAILURE.len()..entry_end];
        // The line itself may contain `': `: try each candidate end until the text is a batch line.
        let found = entry.match_indices(LINE_END).find_map(|(end, _)| {
            let index = by_text.get_mut(&entry.as_bytes()[..end])?.pop_front()?;
            Some((index, entry[end + LINE_END.len()..].trim_end()))
        });
        match found {
            Some(named) => report.named.push(named),
            None => report.unmatched += 1,
        }
    }
    report
}

/// Splits a trailing ` dropped=<n>` off `text`.
fn split_dropped(text: &str) -> (&str, u64) {
    if let Some(at) = text.rfind(" dropped=")
        && let Ok(n) = text[at + " dropped=".len()..].trim().parse::<u64>()
    {
        return (text[..at].trim_end(), n);
    }
    (text, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_lines<R>(text: &str, f: impl FnOnce(Lines<'_>) -> R) -> R {
        let mut ends = Vec::new();
        f(Lines::from_newline_terminated(text.as_bytes(), &mut ends))
    }

    #[test]
    fn partial_parse_failure_names_the_line() {
        let batch = "m,t=a u=7u 1\nm,t=a v=1 2\n";
        with_lines(batch, |lines| {
            let message = "partial write: unable to parse 'm,t=a u=7u 1': invalid number dropped=0";
            let parsed = parse_bad_request(message, &lines);
            assert!(parsed.partial);
            assert_eq!(parsed.dropped, 0);
            assert_eq!(parsed.named, vec![(0, "invalid number")]);
            assert_eq!(parsed.unmatched, 0);
        });
    }

    #[test]
    fn every_line_failed_with_tricky_text() {
        // Line 1 holds `': ` and a raw LF inside its string field; lines 0 and 2 are identical.
        let bad = "m f=1 abc";
        let tricky = "m s=\"x': \ny\" zz";
        let ends_text = format!("{bad}\n{tricky}\n{bad}\n");
        let ends = [
            bad.len() + 1,
            bad.len() + 1 + tricky.len() + 1,
            ends_text.len(),
        ];
        let lines = Lines::new(ends_text.as_bytes(), &ends);
        let message = format!(
            "unable to parse '{bad}': bad timestamp\nunable to parse '{tricky}': bad timestamp\nunable to parse '{bad}': bad timestamp"
        );
        let parsed = parse_bad_request(&message, &lines);
        assert!(!parsed.partial);
        assert_eq!(
            parsed.named,
            vec![
                (0, "bad timestamp"),
                (1, "bad timestamp"),
                (2, "bad timestamp")
            ]
        );
    }

    #[test]
    fn storage_refusal_counts_dropped_without_names() {
        with_lines("a x=1\na x=\"s\"\n", |lines| {
            let message = "partial write: field type conflict: input field \"x\" on measurement \"a\" is type string, already exists as type float dropped=1";
            let parsed = parse_bad_request(message, &lines);
            assert!(parsed.partial);
            assert_eq!(parsed.dropped, 1);
            assert!(parsed.named.is_empty());
            assert!(
                parsed.reason.starts_with("field type conflict"),
                "{}",
                parsed.reason
            );
        });
    }

    #[test]
    fn datalayers_message_is_a_whole_batch_reason() {
        with_lines("rule/test/trace,t=a v=1\n", |lines| {
            let message = "Measurement name rule/test/trace must begin with ('a-z','A-Z','_'), followed by ('a-z','A-Z','_','0-9','-', '.'), and end with ('a-z','A-Z','_'), and length is 1~63";
            let parsed = parse_bad_request(message, &lines);
            assert!(!parsed.partial);
            assert_eq!(parsed.dropped, 0);
            assert!(parsed.named.is_empty());
            assert_eq!(parsed.reason, message);
        });
    }

    #[test]
    fn cut_messages_count_unmatched_entries() {
        with_lines("a x=1 bad\nb x=1 bad\n", |lines| {
            let message = "unable to parse 'a x=1 bad': bad timestamp\nunable to parse 'b x=1 b";
            let parsed = parse_bad_request(message, &lines);
            assert_eq!(parsed.named, vec![(0, "bad timestamp")]);
            assert_eq!(parsed.unmatched, 1);
        });
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Line-protocol-ish text, including the characters that make messages ambiguous.
    fn line_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-z,= '\":\\\\]{1,24}( [0-9]{1,3})?").unwrap()
    }

    proptest! {
        /// Any message: no panic, named indexes are in range and distinct.
        #[test]
        fn any_message_is_safe(message in ".{0,200}", lines in proptest::collection::vec(line_text(), 0..8)) {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let mut ends = Vec::new();
            let batch = Lines::from_newline_terminated(text.as_bytes(), &mut ends);
            let parsed = parse_bad_request(&message, &batch);
            let mut seen = std::collections::HashSet::new();
            for (index, _) in &parsed.named {
                prop_assert!(*index < batch.len());
                prop_assert!(seen.insert(*index));
            }
        }

        /// A message InfluxDB 1.x would write for some refused lines names exactly those lines,
        /// with their reasons, whatever the lines contain.
        #[test]
        fn influxdb_messages_name_exactly_the_refused_lines(
            lines in proptest::collection::vec(line_text(), 1..10),
            refused_mask in any::<u16>(),
            partial in any::<bool>(),
        ) {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let mut ends = Vec::new();
            let batch = Lines::from_newline_terminated(text.as_bytes(), &mut ends);
            let mut refused: Vec<usize> = (0..lines.len()).filter(|i| refused_mask & (1 << i) != 0).collect();
            if refused.is_empty() {
                refused.push(0);
            }
            let entries: Vec<String> =
                refused.iter().map(|&i| format!("unable to parse '{}': reason {i}", lines[i])).collect();
            let mut message = entries.join("\n");
            if partial {
                message = format!("partial write: {message} dropped=0");
            }
            let parsed = parse_bad_request(&message, &batch);
            prop_assert_eq!(parsed.partial, partial);
            prop_assert_eq!(parsed.unmatched, 0);
            let mut named: Vec<usize> = parsed.named.iter().map(|(i, _)| *i).collect();
            named.sort_unstable();
            // Identical lines may be matched to one another; the multiset of texts must agree.
            let texts = |ix: &[usize]| { let mut t: Vec<&str> = ix.iter().map(|&i| lines[i].as_str()).collect(); t.sort_unstable(); t };
            prop_assert_eq!(texts(&named), texts(&refused));
            for (index, reason) in &parsed.named {
                prop_assert!(reason.starts_with("reason "), "{:?} for line {}", reason, index);
            }
        }
    }
}
