//! The write path: batching, compression, retries, 413 splitting and 400 partial writes.
//!
//! A write call cuts its [`Lines`] into requests of at most `payload_max_lines` lines and
//! `payload_max_bytes` bytes, in order, and sends them one after the other. Each request gets the
//! configured deadline ([`ClientConfig::timeout`](crate::config::ClientConfig::timeout)); inside
//! it the request is retried on 5xx, 408, 429 and transport errors with exponential back-off and
//! full jitter, waiting exactly `Retry-After` when the server sends one. A 413 halves the request
//! (down to one line). A 400 is never resent as is: its message is read line by line (InfluxDB
//! 1.x names the lines it refused and keeps the others), and a refusal that names no line
//! (Datalayers) is halved, within a budget, until the bad lines stand alone. Everything ends up
//! counted in the [`WriteReport`].

mod partial;
mod report;

use std::borrow::Cow;
use std::io::Write as _;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use lineproto::Lines;
use reqwest::Method;

pub use self::report::{
    LineRejection, MAX_ERROR_DETAILS, MAX_REJECTED_LINE_BYTES, MAX_REJECTION_DETAILS, WriteReport,
};
use crate::Client;
use crate::config::{Compression, Protocol};
use crate::error::{WriteError, WriteErrorKind};
use crate::transport::{HttpResponse, Request};

impl Client {
    /// Writes `lines` (encoded in [`ClientConfig::dialect`](crate::config::ClientConfig::dialect)
    /// at the configured precision), in as many requests as the payload limits need.
    ///
    /// Never fails as a whole: the report counts every line as written, rejected or failed.
    pub async fn write_lines(&self, lines: Lines<'_>) -> WriteReport {
        self.write_impl(lines, None, None).await
    }

    /// Like [`Client::write_lines`], but the whole call also ends by `deadline`: lines not yet
    /// sent by then are counted as failed.
    pub async fn write_lines_until(&self, lines: Lines<'_>, deadline: Instant) -> WriteReport {
        self.write_impl(lines, None, Some(deadline)).await
    }

    /// Writes lines held in a shared buffer: request bodies are slices of `body`, not copies.
    /// `line_ends` are the exclusive end offsets of the lines in `body` (as
    /// [`lineproto::Encoder::line_ends`] gives them). With a `deadline`, lines not yet sent by
    /// then are counted as failed. An OTLP gateway coalescing several requests' lines into one
    /// write, or an exporter handing over its encoder's buffer, avoids a copy this way.
    pub async fn write_bytes(
        &self,
        body: &Bytes,
        line_ends: &[usize],
        deadline: Option<Instant>,
    ) -> WriteReport {
        if line_ends.last().is_some_and(|&end| end > body.len()) {
            let mut report = WriteReport::default();
            report.record(client_error(
                line_ends.len(),
                "line end offset beyond the buffer".into(),
            ));
            return report;
        }
        self.write_impl(Lines::new(body, line_ends), Some(body), deadline)
            .await
    }

    async fn write_impl(
        &self,
        lines: Lines<'_>,
        owner: Option<&Bytes>,
        deadline: Option<Instant>,
    ) -> WriteReport {
        let mut report = WriteReport::default();
        if lines.is_empty() {
            return report;
        }
        let url = match &self.inner.write_url {
            Ok(url) => url,
            Err(err) => {
                report.record(client_error(lines.len(), err.to_string()));
                return report;
            }
        };
        let mut rest = lines;
        let mut first_index = 0;
        while !rest.is_empty() {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                report.record(WriteError {
                    kind: WriteErrorKind::Exhausted,
                    status: None,
                    message: "the write call's deadline passed before these lines were sent".into(),
                    lines: rest.len() as u64,
                });
                break;
            }
            let count = self.batch_len(&rest);
            if count == 0 {
                // One line longer than a whole request may be: refused alone.
                let line = rest.get(0);
                report.reject_line(
                    first_index,
                    line,
                    format!(
                        "line of {} bytes exceeds payload_max_bytes ({})",
                        line.len(),
                        self.config().payload_max_bytes
                    ),
                );
                report.push_error(WriteError {
                    kind: WriteErrorKind::TooLarge,
                    status: None,
                    message: "line longer than payload_max_bytes".into(),
                    lines: 1,
                });
                rest = rest.split_at(1).1;
                first_index += 1;
                continue;
            }
            let (batch, tail) = rest.split_at(count);
            let batch_deadline = Instant::now() + self.config().timeout;
            let batch_deadline = deadline.map_or(batch_deadline, |d| d.min(batch_deadline));
            let gave_up = self
                .write_batch(url, batch, first_index, owner, batch_deadline, &mut report)
                .await;
            rest = tail;
            first_index += count;
            if gave_up && !rest.is_empty() {
                // Do not spend a whole deadline on every remaining batch of an unavailable server.
                report.record(exhausted(
                    rest.len() as u64,
                    "not sent: an earlier request of this write exhausted its retries (the server \
                     looks unavailable)"
                        .into(),
                ));
                break;
            }
        }
        report
    }

    /// How many leading lines of `lines` fit one request (0 if the first line alone is too big).
    fn batch_len(&self, lines: &Lines<'_>) -> usize {
        let config = self.config();
        fitting_prefix(
            lines,
            config.effective_payload_max_lines(),
            config.payload_max_bytes,
        )
    }

    /// Sends one batch, splitting it on 413; every line ends up in `report`. Returns whether a
    /// retryable failure outlasted the deadline (the server looks unavailable).
    async fn write_batch(
        &self,
        url: &reqwest::Url,
        batch: Lines<'_>,
        first_index: usize,
        owner: Option<&Bytes>,
        deadline: Instant,
        report: &mut WriteReport,
    ) -> bool {
        // Depth-first, first half first, so lines arrive in order.
        let mut pending = vec![(batch, first_index)];
        let mut isolation_left = self.config().rejection_isolation_budget;
        let mut gave_up = false;
        while let Some((piece, first)) = pending.pop() {
            let may_isolate = isolation_left > 0;
            match self
                .send_piece(url, piece, first, owner, deadline, may_isolate, report)
                .await
            {
                Outcome::Counted => {}
                Outcome::GaveUp => gave_up = true,
                Outcome::Split(split) => {
                    if split == Split::Isolate {
                        isolation_left -= 1;
                    }
                    let (head, tail) = piece.split_at(piece.len() / 2);
                    pending.push((tail, first + head.len()));
                    pending.push((head, first));
                }
            }
        }
        gave_up
    }

    /// Sends `piece` with retries; see [`Outcome`].
    #[allow(clippy::too_many_arguments)]
    async fn send_piece(
        &self,
        url: &reqwest::Url,
        piece: Lines<'_>,
        first: usize,
        owner: Option<&Bytes>,
        deadline: Instant,
        may_isolate: bool,
        report: &mut WriteReport,
    ) -> Outcome {
        let config = self.config();
        let n = piece.len() as u64;
        let (body, encoding) = match encode_body(piece.bytes(), owner, config.compression) {
            Ok(encoded) => encoded,
            Err(err) => {
                report.record(client_error(
                    piece.len(),
                    format!("cannot compress the body: {err}"),
                ));
                return Outcome::Counted;
            }
        };
        let mut attempt = 0u32;
        // The first failure is often the telling one (the last may only be the deadline cutting
        // a short attempt): reports name both.
        let mut first_reason: Option<String> = None;
        loop {
            let now = Instant::now();
            let Some(budget) = deadline
                .checked_duration_since(now)
                .filter(|d| !d.is_zero())
            else {
                report.record(exhausted(
                    n,
                    "the deadline passed before the request could be sent".into(),
                ));
                return Outcome::GaveUp;
            };
            report.requests += 1;
            report.retries += u64::from(attempt > 0);
            report.bytes_sent += body.len() as u64;
            let request = Request {
                method: Method::POST,
                url: Cow::Borrowed(url),
                body: body.clone(),
                // No Content-Type, like the reference exporter (the one client documented to work
                // with Datalayers' /write); InfluxDB ignores it.
                content_type: None,
                content_encoding: encoding,
                timeout: budget,
            };
            let (reason, retry_after) = match self.inner.transport.execute(request).await {
                Ok(response) if response.is_success() => {
                    report.written_lines += n;
                    return Outcome::Counted;
                }
                Ok(response) => match response.status {
                    413 if piece.len() > 1 => return Outcome::Split(Split::TooLarge),
                    413 => {
                        let reason = format!(
                            "request too large for the server (413): {}",
                            response.error_message()
                        );
                        report.reject_line(first, piece.get(0), reason.clone());
                        report.push_error(WriteError {
                            kind: WriteErrorKind::TooLarge,
                            status: Some(413),
                            message: reason,
                            lines: 1,
                        });
                        return Outcome::Counted;
                    }
                    400 => {
                        let message = response.error_message();
                        let parsed = partial::parse_bad_request(&message, &piece);
                        // An all-or-nothing refusal that names no line (Datalayers): halve the
                        // batch to find the bad lines and deliver the others.
                        let unexplained =
                            !parsed.partial && parsed.named.is_empty() && parsed.unmatched == 0;
                        if unexplained && may_isolate && piece.len() > 1 {
                            return Outcome::Split(Split::Isolate);
                        }
                        Self::record_bad_request(&parsed, piece, first, report);
                        return Outcome::Counted;
                    }
                    408 | 429 | 500..=599 => (
                        format!("HTTP {}: {}", response.status, response.error_message()),
                        response.retry_after(SystemTime::now()),
                    ),
                    _ => {
                        report.record(self.permanent_error(&response, n));
                        return Outcome::Counted;
                    }
                },
                Err(err) if err.is_retryable() => (err.to_string(), None),
                Err(err) => {
                    report.record(client_error(piece.len(), err.to_string()));
                    return Outcome::Counted;
                }
            };
            let first_reason = first_reason.get_or_insert_with(|| reason.clone());
            let history = if *first_reason == reason {
                format!("last error: {reason}")
            } else {
                format!("first error: {first_reason}; last error: {reason}")
            };
            if config.retry.max_retries.is_some_and(|max| attempt >= max) {
                report.record(exhausted(
                    n,
                    format!("gave up after {} attempts; {history}", attempt + 1),
                ));
                return Outcome::GaveUp;
            }
            let wait = retry_after
                .unwrap_or_else(|| crate::retry::jittered_backoff(&config.retry, attempt));
            if Instant::now() + wait >= deadline {
                let why = match retry_after {
                    Some(after) => {
                        format!("the server asked to retry after {after:?}, past the deadline")
                    }
                    None => "the deadline passed".to_owned(),
                };
                report.record(exhausted(
                    n,
                    format!("{why} after {} attempts; {history}", attempt + 1),
                ));
                return Outcome::GaveUp;
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// A 400: name the refused lines; on a partial write the others were stored.
    fn record_bad_request(
        parsed: &partial::BadRequest<'_>,
        piece: Lines<'_>,
        first: usize,
        report: &mut WriteReport,
    ) {
        let mut named = vec![false; piece.len()];
        for &(index, reason) in &parsed.named {
            named[index] = true;
            report.reject_line(first + index, piece.get(index), reason);
        }
        let named_count = parsed.named.len() as u64;
        if !parsed.named.is_empty() {
            report.push_error(WriteError {
                kind: WriteErrorKind::Rejected,
                status: Some(400),
                message: "lines the server could not parse (see rejections)".into(),
                lines: named_count,
            });
        }
        let n = piece.len() as u64;
        // Lines refused without a name: on a partial write only `dropped` (+ cut entries) of them,
        // otherwise every line not named (the server wrote nothing). `dropped` is the server's
        // number, not ours: saturate rather than overflow on a hostile or broken answer.
        let unnamed = if parsed.partial {
            (parsed.dropped.saturating_add(parsed.unmatched)).min(n - named_count)
        } else {
            n - named_count
        };
        if unnamed > 0 {
            let reason = if parsed.partial {
                format!("partial write: {}", parsed.reason)
            } else {
                parsed.reason.to_owned()
            };
            report.record(WriteError {
                kind: WriteErrorKind::Rejected,
                status: Some(400),
                message: reason.clone(),
                lines: unnamed,
            });
            if !parsed.partial {
                // Every line shares this reason: list them (the detail list is capped).
                for index in (0..piece.len())
                    .filter(|&i| !named[i])
                    .take(MAX_REJECTION_DETAILS)
                {
                    report.rejections.push(LineRejection {
                        index: first + index,
                        line: String::from_utf8_lossy(trim_line(piece.get(index))).into_owned(),
                        reason: reason.clone(),
                    });
                }
                report.rejections.truncate(MAX_REJECTION_DETAILS);
            }
        }
        report.written_lines += n - named_count - unnamed;
    }

    /// A non-retryable status other than 400/413, with advice.
    fn permanent_error(&self, response: &HttpResponse, lines: u64) -> WriteError {
        let config = self.config();
        let server = response.error_message();
        let (kind, message) = match response.status {
            401 => (
                WriteErrorKind::Unauthorized,
                format!(
                    "authentication failed ({server}): check the user name and password ({}/{}) or token ({})",
                    crate::config::OTEL_EXPORTER_DATALAYERS_USERNAME,
                    crate::config::OTEL_EXPORTER_DATALAYERS_PASSWORD,
                    crate::config::OTEL_EXPORTER_DATALAYERS_TOKEN
                ),
            ),
            403 => (
                WriteErrorKind::Forbidden,
                format!("the user may not write here ({server})"),
            ),
            404 => (
                WriteErrorKind::NotFound,
                not_found_advice(config.protocol, config, &server),
            ),
            status => (
                WriteErrorKind::UnexpectedStatus,
                format!("unexpected HTTP {status}: {server}"),
            ),
        };
        WriteError {
            kind,
            status: Some(response.status),
            message,
            lines,
        }
    }
}

/// What to do about a 404 on a write.
fn not_found_advice(
    protocol: Protocol,
    config: &crate::config::ClientConfig,
    server: &str,
) -> String {
    let database = config.database.as_deref().unwrap_or("<database>");
    match protocol {
        Protocol::Datalayers => format!(
            "{server}: create the database first with the SQL statement `create database {database}` \
             (POST /api/v1/sql on the same HTTP port), or check the endpoint"
        ),
        Protocol::InfluxDbV1 => format!(
            "{server}: create the database first with the InfluxQL statement `CREATE DATABASE \"{database}\"` \
             (POST /query?q=...), or check the endpoint"
        ),
        Protocol::InfluxDbV2 => format!(
            "{server}: create the bucket `{}` first (e.g. `influx bucket create --name {0}`), check the org, or the endpoint",
            config.effective_bucket().unwrap_or("<bucket>")
        ),
    }
}

/// How sending one piece ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Every line of the piece was counted (written, rejected or failed for good).
    Counted,
    /// Counted as failed after retryable errors outlasted the deadline or the retry budget.
    GaveUp,
    /// The piece (of more than one line) must be halved and the halves sent.
    Split(Split),
}

/// Why a piece is halved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// 413: the body is too large for the server.
    TooLarge,
    /// 400 naming no line: find the bad lines (costs the isolation budget).
    Isolate,
}

fn trim_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    &line[..line.len().min(MAX_REJECTED_LINE_BYTES)]
}

fn exhausted(lines: u64, message: String) -> WriteError {
    WriteError {
        kind: WriteErrorKind::Exhausted,
        status: None,
        message,
        lines,
    }
}

fn client_error(lines: usize, message: String) -> WriteError {
    WriteError {
        kind: WriteErrorKind::Client,
        status: None,
        message,
        lines: lines as u64,
    }
}

/// How many leading lines of `lines` fit a request of at most `max_lines` lines and `max_bytes`
/// bytes (0 if the first line alone is too long). Bisects on the line offsets rather than walking
/// every line.
fn fitting_prefix(lines: &Lines<'_>, max_lines: usize, max_bytes: usize) -> usize {
    let fits = |count: usize| lines.split_at(count).0.bytes().len() <= max_bytes;
    let most = lines.len().min(max_lines);
    if fits(most) {
        return most;
    }
    let (mut fitting, mut too_big) = (0, most);
    while too_big - fitting > 1 {
        let middle = fitting + (too_big - fitting) / 2;
        if fits(middle) {
            fitting = middle;
        } else {
            too_big = middle;
        }
    }
    fitting
}

/// The request body, compressed once (retries resend the same `Bytes`). Uncompressed bodies are
/// slices of `owner` when the caller holds the lines in a shared buffer.
fn encode_body(
    bytes: &[u8],
    owner: Option<&Bytes>,
    compression: Compression,
) -> std::io::Result<(Bytes, Option<&'static str>)> {
    match compression {
        Compression::None => Ok((
            owner.map_or_else(|| Bytes::copy_from_slice(bytes), |o| o.slice_ref(bytes)),
            None,
        )),
        Compression::Gzip => {
            // Level 1: line protocol compresses ~5-10x even at the fastest level, at a fraction of the CPU.
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(bytes.len() / 4 + 64),
                flate2::Compression::fast(),
            );
            encoder.write_all(bytes)?;
            Ok((Bytes::from(encoder.finish()?), Some("gzip")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    #[test]
    fn batches_respect_both_limits() {
        let client = Client::new(
            ClientConfig::new("http://h")
                .with_database("d")
                .with_payload_max_lines(3)
                .with_payload_max_bytes(10),
        )
        .unwrap();
        let mut ends = Vec::new();
        let lines = Lines::from_newline_terminated(b"a 1\nb 2\nc 3\nd 4\n", &mut ends);
        assert_eq!(client.batch_len(&lines), 2); // 3 lines would be 12 bytes
        let mut ends = Vec::new();
        let lines = Lines::from_newline_terminated(b"a\nb\nc\nd\n", &mut ends);
        assert_eq!(client.batch_len(&lines), 3); // line cap
        let mut ends = Vec::new();
        let lines = Lines::from_newline_terminated(b"a_very_long_line 1\nb 2\n", &mut ends);
        assert_eq!(client.batch_len(&lines), 0); // refused alone
    }

    #[test]
    fn the_fitting_prefix_is_the_longest_within_both_limits() {
        let mut ends = Vec::new();
        let all = Lines::from_newline_terminated(
            b"a 1\nbb 22\nc 3\nddddd 4\ne 5\nf 66666\ng 7\n",
            &mut ends,
        );
        // The walk it replaces: add lines while both limits hold.
        let walk = |lines: &Lines<'_>, max_lines: usize, max_bytes: usize| {
            let mut bytes = 0;
            lines
                .iter()
                .take(max_lines)
                .take_while(|line| {
                    bytes += line.len();
                    bytes <= max_bytes
                })
                .count()
        };
        for view in [all, all.split_at(2).1, all.split_at(6).1, all.split_at(7).1] {
            for max_lines in 1..9 {
                for max_bytes in 1..60 {
                    assert_eq!(
                        fitting_prefix(&view, max_lines, max_bytes),
                        walk(&view, max_lines, max_bytes),
                        "{max_lines} lines, {max_bytes} bytes, {:?}",
                        std::str::from_utf8(view.bytes())
                    );
                }
            }
        }
    }

    #[test]
    fn gzip_round_trips_and_plain_bodies_are_not_copied() {
        use std::io::Read as _;
        let owner = Bytes::from_static(b"m,t=a v=1 1\nm,t=a v=2 2\n");
        let (plain, encoding) = encode_body(&owner[12..], Some(&owner), Compression::None).unwrap();
        assert_eq!(encoding, None);
        assert_eq!(plain.as_ptr(), owner[12..].as_ptr());
        let (gz, encoding) = encode_body(&owner, None, Compression::Gzip).unwrap();
        assert_eq!(encoding, Some("gzip"));
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, owner);
    }
}
