//! [`WriteReport`]: what happened to every line of a write.

use std::fmt;

use crate::error::{WriteError, WriteErrorKind};

/// Most [`LineRejection`]s kept in a report (the counts are always complete).
pub const MAX_REJECTION_DETAILS: usize = 100;
/// Most distinct [`WriteError`]s kept in a report (same kind, status and message are merged).
pub const MAX_ERROR_DETAILS: usize = 16;
/// Longest line text kept in a [`LineRejection`], in bytes.
pub const MAX_REJECTED_LINE_BYTES: usize = 256;

/// One line the server (or the client, for a line over `payload_max_bytes`) refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRejection {
    /// Index of the line in the [`Lines`](lineproto::Lines) given to the write call.
    pub index: usize,
    /// The line's text, cut at [`MAX_REJECTED_LINE_BYTES`] (lossy UTF-8, no trailing newline).
    pub line: String,
    /// Why.
    pub reason: String,
}

/// The outcome of a write call: every line given is counted exactly once in `written_lines`,
/// `rejected_lines` or `failed_lines`.
///
/// - **written**: the server stored it (2xx, or a line not named in an InfluxDB partial write).
/// - **rejected**: the server refused its content (400), or it cannot fit any request (413 alone,
///   or longer than `payload_max_bytes`). Retrying would not help.
/// - **failed**: it was not delivered: auth (401/403), missing database (404), other statuses, or
///   retryable errors (5xx, 408, 429, transport) that outlasted the deadline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Lines the server stored.
    pub written_lines: u64,
    /// Lines refused for their content or size.
    pub rejected_lines: u64,
    /// Lines not delivered.
    pub failed_lines: u64,
    /// Retried attempts (after 5xx, 408, 429 or a transport error).
    pub retries: u64,
    /// HTTP requests sent (attempts, including retries and split halves).
    pub requests: u64,
    /// Body bytes sent over all attempts (after compression).
    pub bytes_sent: u64,
    /// Refused lines, with reasons (the first [`MAX_REJECTION_DETAILS`]).
    pub rejections: Vec<LineRejection>,
    /// Errors with the lines each cost (the first [`MAX_ERROR_DETAILS`] distinct ones).
    pub errors: Vec<WriteError>,
}

impl WriteReport {
    /// Lines accounted for: written + rejected + failed.
    pub fn lines(&self) -> u64 {
        self.written_lines + self.rejected_lines + self.failed_lines
    }

    /// Whether every line was written.
    pub fn is_success(&self) -> bool {
        self.rejected_lines == 0 && self.failed_lines == 0
    }

    /// Lines not written (rejected + failed).
    pub fn lost_lines(&self) -> u64 {
        self.rejected_lines + self.failed_lines
    }

    /// The first error, for a one-line summary.
    pub fn first_error(&self) -> Option<&WriteError> {
        self.errors.first()
    }

    /// Adds `other`'s counts and details (details stay capped).
    pub fn merge(&mut self, other: &Self) {
        self.written_lines += other.written_lines;
        self.rejected_lines += other.rejected_lines;
        self.failed_lines += other.failed_lines;
        self.retries += other.retries;
        self.requests += other.requests;
        self.bytes_sent += other.bytes_sent;
        for rejection in &other.rejections {
            self.push_rejection_detail(rejection.clone());
        }
        for error in &other.errors {
            self.push_error(error.clone());
        }
    }

    /// Records one refused line (counted in `rejected_lines`).
    pub(crate) fn reject_line(&mut self, index: usize, line: &[u8], reason: impl Into<String>) {
        self.rejected_lines += 1;
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let cut = &line[..line.len().min(MAX_REJECTED_LINE_BYTES)];
        self.push_rejection_detail(LineRejection {
            index,
            line: String::from_utf8_lossy(cut).into_owned(),
            reason: reason.into(),
        });
    }

    fn push_rejection_detail(&mut self, rejection: LineRejection) {
        if self.rejections.len() < MAX_REJECTION_DETAILS {
            self.rejections.push(rejection);
        }
    }

    /// Counts `error.lines` as rejected or failed (by kind) and keeps the error.
    pub(crate) fn record(&mut self, error: WriteError) {
        match error.kind {
            WriteErrorKind::Rejected | WriteErrorKind::TooLarge => {
                self.rejected_lines += error.lines
            }
            _ => self.failed_lines += error.lines,
        }
        self.push_error(error);
    }

    /// Keeps `error` (merging it into an equal one) without counting lines.
    pub(crate) fn push_error(&mut self, error: WriteError) {
        if let Some(same) = self.errors.iter_mut().find(|e| {
            e.kind == error.kind && e.status == error.status && e.message == error.message
        }) {
            same.lines += error.lines;
        } else if self.errors.len() < MAX_ERROR_DETAILS {
            self.errors.push(error);
        }
    }
}

impl fmt::Display for WriteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} written, {} rejected, {} failed ({} requests, {} retries, {} bytes)",
            self.written_lines,
            self.rejected_lines,
            self.failed_lines,
            self.requests,
            self.retries,
            self.bytes_sent
        )?;
        if let Some(error) = self.first_error() {
            write!(f, "; first error: {error}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_details_and_merging() {
        let mut report = WriteReport {
            written_lines: 5,
            ..WriteReport::default()
        };
        report.reject_line(3, b"m x=1 bad\n", "bad timestamp");
        let not_found = WriteError {
            kind: WriteErrorKind::NotFound,
            status: Some(404),
            message: "no db".into(),
            lines: 2,
        };
        report.record(not_found.clone());
        report.record(not_found);
        assert_eq!(
            (
                report.written_lines,
                report.rejected_lines,
                report.failed_lines
            ),
            (5, 1, 4)
        );
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].lines, 4);
        assert_eq!(report.rejections[0].line, "m x=1 bad");
        let mut total = WriteReport::default();
        total.merge(&report);
        total.merge(&report);
        assert_eq!(total.lines(), 20);
        assert_eq!(total.errors[0].lines, 8);
        assert!(!total.is_success());
        assert!(
            total
                .to_string()
                .starts_with("10 written, 2 rejected, 8 failed"),
            "{total}"
        );
    }

    #[test]
    fn details_are_capped_counts_are_not() {
        let mut report = WriteReport::default();
        let long = vec![b'x'; 1000];
        for i in 0..(MAX_REJECTION_DETAILS + 50) {
            report.reject_line(i, &long, "too long");
        }
        for i in 0..(MAX_ERROR_DETAILS + 5) {
            report.record(WriteError {
                kind: WriteErrorKind::Rejected,
                status: Some(400),
                message: format!("e{i}"),
                lines: 1,
            });
        }
        assert_eq!(
            report.rejected_lines as usize,
            MAX_REJECTION_DETAILS + 50 + MAX_ERROR_DETAILS + 5
        );
        assert_eq!(report.rejections.len(), MAX_REJECTION_DETAILS);
        assert_eq!(report.errors.len(), MAX_ERROR_DETAILS);
        assert_eq!(report.rejections[0].line.len(), MAX_REJECTED_LINE_BYTES);
    }
}
