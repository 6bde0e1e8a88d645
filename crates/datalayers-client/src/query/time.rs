//! RFC3339 timestamps <-> Unix nanoseconds, without a date-time crate.
//!
//! Datalayers prints `TIMESTAMP` columns as RFC3339 text in the server's time zone, with the
//! fraction's trailing zeros trimmed (`2023-02-28T17:21:51.63678163+00:00`); queries compare the
//! time column against RFC3339 literals. Both directions are small enough to write here: the
//! calendar arithmetic is Howard Hinnant's `days_from_civil` / `civil_from_days`.
//!
//! Why not a crate: `humantime` (already a dependency, for durations) parses RFC3339 in UTC only
//! (`Z` or `+00:00`) and from 1970 on, while Datalayers prints the server's zone (`+08:00`) and
//! `i64` nanoseconds reach back to 1677; the crates that do both (chrono, jiff, time) are not in
//! the tree and are much larger than these two functions.

use std::fmt;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Why a timestamp text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError {
    text: String,
    reason: &'static str,
}

impl TimestampError {
    fn new(text: &str, reason: &'static str) -> Self {
        Self {
            text: text.chars().take(64).collect(),
            reason,
        }
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid timestamp {:?}: {}", self.text, self.reason)
    }
}

impl std::error::Error for TimestampError {}

/// Parses a strict RFC3339 timestamp (`2024-09-22T17:30:56.349+08:00`, `...Z`) into Unix
/// nanoseconds (UTC).
///
/// Accepts `T`/`t` (or a space) between date and time, `Z`/`z` or a `±HH:MM` offset, and 0 to 9
/// fraction digits. Refuses a missing offset, more than 9 fraction digits, out-of-range fields
/// (February 30th, hour 24, ...) and instants outside the `i64` nanosecond range (1677..2262).
///
/// ```
/// use datalayers_client::query::parse_rfc3339;
/// assert_eq!(parse_rfc3339("1970-01-01T08:00:00.5+08:00"), Ok(500_000_000));
/// ```
pub fn parse_rfc3339(text: &str) -> Result<i64, TimestampError> {
    parse(text, false)
}

/// Like [`parse_rfc3339`], but a timestamp without an offset is taken as UTC.
///
/// Servers print `Timestamp(Millisecond, None)` columns without an offset; reading those as UTC is
/// the only interpretation that does not depend on the client machine's time zone.
pub fn parse_timestamp_lenient(text: &str) -> Result<i64, TimestampError> {
    parse(text, true)
}

fn parse(text: &str, offset_optional: bool) -> Result<i64, TimestampError> {
    let err = |reason| TimestampError::new(text, reason);
    let b = text.as_bytes();
    let mut pos = 0usize;
    let year = digits(b, &mut pos, 4).ok_or_else(|| err("expected a 4-digit year"))?;
    expect(b, &mut pos, b'-').ok_or_else(|| err("expected '-' after the year"))?;
    let month = digits(b, &mut pos, 2).ok_or_else(|| err("expected a 2-digit month"))?;
    expect(b, &mut pos, b'-').ok_or_else(|| err("expected '-' after the month"))?;
    let day = digits(b, &mut pos, 2).ok_or_else(|| err("expected a 2-digit day"))?;
    match b.get(pos) {
        Some(b'T' | b't' | b' ') => pos += 1,
        _ => return Err(err("expected 'T' between date and time")),
    }
    let hour = digits(b, &mut pos, 2).ok_or_else(|| err("expected a 2-digit hour"))?;
    expect(b, &mut pos, b':').ok_or_else(|| err("expected ':' after the hour"))?;
    let minute = digits(b, &mut pos, 2).ok_or_else(|| err("expected 2-digit minutes"))?;
    expect(b, &mut pos, b':').ok_or_else(|| err("expected ':' after the minutes"))?;
    let second = digits(b, &mut pos, 2).ok_or_else(|| err("expected 2-digit seconds"))?;

    let mut nanos = 0i64;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        let count = pos - start;
        if count == 0 {
            return Err(err("expected digits after '.'"));
        }
        if count > 9 {
            return Err(err("more than 9 fraction digits"));
        }
        for &d in &b[start..pos] {
            nanos = nanos * 10 + i64::from(d - b'0');
        }
        nanos *= 10i64.pow(9 - count as u32);
    }

    let offset_seconds = match b.get(pos) {
        Some(b'Z' | b'z') => {
            pos += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            pos += 1;
            let oh = digits(b, &mut pos, 2).ok_or_else(|| err("expected a 2-digit offset hour"))?;
            expect(b, &mut pos, b':').ok_or_else(|| err("expected ':' in the offset"))?;
            let om =
                digits(b, &mut pos, 2).ok_or_else(|| err("expected 2-digit offset minutes"))?;
            if oh > 23 || om > 59 {
                return Err(err("offset out of range"));
            }
            let s = oh * 3600 + om * 60;
            if sign == b'-' { -s } else { s }
        }
        None if offset_optional => 0,
        _ => return Err(err("expected 'Z' or a ±HH:MM offset")),
    };
    if pos != b.len() {
        return Err(err("unexpected text after the timestamp"));
    }

    if !(1..=12).contains(&month) {
        return Err(err("month out of range"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(err("day out of range for the month"));
    }
    // 60 is RFC3339's leap second; it is counted as the first second of the next minute.
    if hour > 23 || minute > 59 || second > 60 {
        return Err(err("time of day out of range"));
    }

    let days = days_from_civil(year, month, day);
    let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
    // In i128: the seconds of the first instants of the range overflow i64 before their fraction
    // is added (i64::MIN is -9223372037 s + 145224192 ns).
    let total = i128::from(seconds) * i128::from(NANOS_PER_SECOND) + i128::from(nanos);
    i64::try_from(total).map_err(|_| err("outside the range of i64 nanoseconds (years 1677..2262)"))
}

fn digits(b: &[u8], pos: &mut usize, count: usize) -> Option<i64> {
    let slice = b.get(*pos..*pos + count)?;
    let mut value = 0i64;
    for &d in slice {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(d - b'0');
    }
    *pos += count;
    Some(value)
}

fn expect(b: &[u8], pos: &mut usize, byte: u8) -> Option<()> {
    (b.get(*pos) == Some(&byte)).then(|| *pos += 1)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A Unix-nanosecond instant printed as RFC3339 in UTC.
///
/// `Display` writes all nine fraction digits (`2026-11-25T00:00:00.000000000Z`): a fixed width
/// keeps SQL literals exact and table columns aligned. [`Rfc3339::seconds`] and
/// [`Rfc3339::millis`] shorten it for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339 {
    nanos: i64,
    fraction_digits: u8,
}

impl Rfc3339 {
    /// Nanosecond precision.
    pub fn new(unix_nanos: i64) -> Self {
        Self {
            nanos: unix_nanos,
            fraction_digits: 9,
        }
    }

    /// Whole seconds only (truncated).
    pub fn seconds(unix_nanos: i64) -> Self {
        Self {
            nanos: unix_nanos,
            fraction_digits: 0,
        }
    }

    /// Milliseconds (truncated).
    pub fn millis(unix_nanos: i64) -> Self {
        Self {
            nanos: unix_nanos,
            fraction_digits: 3,
        }
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.nanos.div_euclid(NANOS_PER_SECOND);
        let sub = self.nanos.rem_euclid(NANOS_PER_SECOND);
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        )?;
        match self.fraction_digits {
            0 => {}
            3 => write!(f, ".{:03}", sub / 1_000_000)?,
            _ => write!(f, ".{sub:09}")?,
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_many_days() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }
}
