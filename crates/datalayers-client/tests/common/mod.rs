//! Shared test helpers: line builders. (The scripted HTTP server replaying documented response
//! shapes is `test_support::scripted`.)
#![allow(dead_code, unreachable_pub)]

/// `n` valid lines (`m,t=<i%7> v=<i>i <ts>`), with their ends.
pub fn numbered_lines(measurement: &str, n: usize) -> (Vec<u8>, Vec<usize>) {
    let mut body = Vec::new();
    let mut ends = Vec::with_capacity(n);
    for i in 0..n {
        body.extend_from_slice(
            format!(
                "{measurement},t=t{} v={i}i {}\n",
                i % 7,
                1_700_000_000_000_000_000u64 + i as u64
            )
            .as_bytes(),
        );
        ends.push(body.len());
    }
    (body, ends)
}
