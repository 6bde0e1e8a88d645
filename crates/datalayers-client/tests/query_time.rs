//! RFC3339 parsing and printing (no date-time crate: the calendar math is ours, so it is tested
//! against independent facts: known Unix times, leap years, offsets and range limits).

use datalayers_client::query::{Rfc3339, parse_rfc3339, parse_timestamp_lenient};

const NS: i64 = 1_000_000_000;

#[test]
fn known_instants() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
    assert_eq!(parse_rfc3339("2000-03-01T00:00:00Z"), Ok(951_868_800 * NS));
    assert_eq!(
        parse_rfc3339("2024-02-29T23:59:59Z"),
        Ok(1_709_251_199 * NS)
    );
    // The Datalayers docs' example row, printed in Asia/Shanghai.
    assert_eq!(
        parse_rfc3339("2024-09-22T17:30:56.349+08:00"),
        Ok(1_726_997_456_349_000_000)
    );
    // EMQX's observation: trailing zeros of the fraction trimmed, 8 digits.
    assert_eq!(
        parse_rfc3339("2023-02-28T17:21:51.63678163+00:00"),
        Ok(1_677_604_911_636_781_630)
    );
    assert_eq!(parse_rfc3339("1969-12-31T23:59:59.999999999Z"), Ok(-1));
}

#[test]
fn offsets_move_the_instant_both_ways() {
    let utc = parse_rfc3339("2026-11-25T00:00:00Z").unwrap();
    assert_eq!(parse_rfc3339("2026-11-25T08:00:00+08:00").unwrap(), utc);
    assert_eq!(parse_rfc3339("2026-11-24T14:30:00-09:30").unwrap(), utc);
    assert_eq!(parse_rfc3339("2026-11-25T00:00:00+00:00").unwrap(), utc);
    assert_eq!(parse_rfc3339("2026-11-25t00:00:00z").unwrap(), utc);
    assert_eq!(parse_rfc3339("2026-11-25 00:00:00Z").unwrap(), utc);
}

#[test]
fn fraction_digits_scale_to_nanoseconds() {
    let base = parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
    for (text, ns) in [
        (".1", 100_000_000),
        (".12", 120_000_000),
        (".123456", 123_456_000),
        (".000000001", 1),
    ] {
        assert_eq!(
            parse_rfc3339(&format!("2026-01-01T00:00:00{text}Z")).unwrap() - base,
            ns,
            "{text}"
        );
    }
}

#[test]
fn malformed_and_out_of_range_are_refused() {
    for bad in [
        "",
        "2026-11-25",
        "2026-11-25T00:00:00",             // no offset (strict)
        "2026-11-25T00:00:00.Z",           // empty fraction
        "2026-11-25T00:00:00.1234567891Z", // 10 fraction digits
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-02-29T00:00:00Z", // not a leap year
        "1900-02-29T00:00:00Z", // century, not a leap year
        "2026-04-31T00:00:00Z",
        "2026-11-25T24:00:00Z",
        "2026-11-25T00:60:00Z",
        "2026-11-25T00:00:00+24:00",
        "2026-11-25T00:00:00+0800",
        "2026-11-25T00:00:00Z trailing",
        "20261125T000000Z",
        "2262-04-12T00:00:00Z", // past i64 nanoseconds
        "1677-09-20T00:00:00Z",
        "+026-11-25T00:00:00Z",
    ] {
        assert!(parse_rfc3339(bad).is_err(), "accepted {bad:?}");
    }
    assert!(
        parse_rfc3339("2000-02-29T00:00:00Z").is_ok(),
        "2000 is a leap year"
    );
    let message = parse_rfc3339("2026-02-30T00:00:00Z")
        .unwrap_err()
        .to_string();
    assert!(message.contains("day out of range"), "{message}");
}

#[test]
fn lenient_reads_a_missing_offset_as_utc() {
    assert_eq!(parse_timestamp_lenient("1970-01-01T00:00:01"), Ok(NS));
    assert_eq!(
        parse_timestamp_lenient("1970-01-01 00:00:01.5"),
        Ok(NS + NS / 2)
    );
    assert_eq!(parse_timestamp_lenient("1970-01-01T09:00:01+09:00"), Ok(NS));
}

#[test]
fn printing_round_trips_through_parsing() {
    let mut t: i64 = -9_000_000_000 * NS;
    while t < 9_000_000_000 * NS {
        let text = Rfc3339::new(t).to_string();
        assert_eq!(parse_rfc3339(&text), Ok(t), "{text}");
        t += 7_777_777_777_777_777;
    }
    assert_eq!(
        Rfc3339::new(0).to_string(),
        "1970-01-01T00:00:00.000000000Z"
    );
    assert_eq!(
        Rfc3339::new(-1).to_string(),
        "1969-12-31T23:59:59.999999999Z"
    );
    assert_eq!(
        Rfc3339::millis(1_726_997_456_349_999_999).to_string(),
        "2024-09-22T09:30:56.349Z"
    );
    assert_eq!(
        Rfc3339::seconds(1_726_997_456_349_000_000).to_string(),
        "2024-09-22T09:30:56Z"
    );
}

#[test]
fn the_first_second_of_the_range_parses_and_round_trips() {
    // Its whole seconds alone are below i64::MIN ns; only the fraction brings it back in range
    // (found by the query_time fuzz target).
    assert_eq!(
        parse_rfc3339("1677-09-21T00:12:43.145224192Z"),
        Ok(i64::MIN)
    );
    assert_eq!(
        parse_rfc3339("1677-09-21T00:12:43.933753344Z"),
        Ok(-9_223_372_036_066_246_656)
    );
    assert!(parse_rfc3339("1677-09-21T00:12:43.145224191Z").is_err());
    for instant in [i64::MIN, i64::MIN + 1, i64::MAX] {
        assert_eq!(
            parse_rfc3339(&Rfc3339::new(instant).to_string()),
            Ok(instant)
        );
    }
}
