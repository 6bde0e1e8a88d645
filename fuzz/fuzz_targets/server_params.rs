//! Fuzzes the trace server's request parsing: any query string given to `GET /api/traces` (API
//! v1) or an API v3 search is read into a filter or refused with a message, never a panic; what
//! is accepted is sound (a window that does not end before it starts, a limit within the cap,
//! duration bounds in order) and builds SQL and InfluxQL text without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trace_query::{InfluxQlQueries, SqlQueries, TraceFilter};
use trace_server::DEFAULT_MAX_SEARCH_LIMIT;
use trace_server::fuzzing::{go_duration, v1_search, v3_search};

const NOW: i64 = 1_764_028_800_000_000_000;

fn check(filter: &TraceFilter) {
    let range = filter.range.expect("a search always has a window");
    if let (Some(start), Some(end)) = (range.start_ns, range.end_ns) {
        assert!(start <= end, "a window ending before it starts: {filter:?}");
    }
    assert!((1..=DEFAULT_MAX_SEARCH_LIMIT).contains(&filter.limit), "{filter:?}");
    if let (Some(min), Some(max)) = (filter.min_duration, filter.max_duration) {
        assert!(min <= max, "{filter:?}");
    }
    let columns: Vec<String> = filter.tags.iter().map(|(k, _)| k.clone()).collect();
    let _ = SqlQueries::default().list_traces(filter, &range, &columns);
    let _ = InfluxQlQueries::default().matching_trace_ids(filter, &range);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((filter, _ids)) = v1_search(text, NOW) {
        check(&filter);
    }
    if let Ok(filter) = v3_search(text, NOW) {
        check(&filter);
    }
    if let Ok(duration) = go_duration(text) {
        assert!(duration.as_nanos() <= i64::MAX as u128);
    }
});
