//! Proof of "zero heap allocations per line in steady state": a counting global allocator
//! counts the allocations of this thread while lines are encoded.

use std::fmt::Write as _;

use lineproto::{Dialect, Encoder, EncoderOptions, FloatFormat, Key, Measurement};
use test_support::alloc::{CountingAllocator, count_on_this_thread};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator::new();

const SPANS: Measurement<'static> = Measurement::new_unchecked("spans");
const TRACE_ID: Key<'static> = Key::new_unchecked("trace_id");

/// A realistic span line: unsorted and duplicated tags, every field kind, hostile strings and a
/// streamed JSON field.
fn encode_span(encoder: &mut Encoder, i: u32) {
    let json = r#"{"http.method":"GET","http.url":"https://shop.example/cart?id=7&q=a b","peer":"10.0.0.1:\"443\"","path":"C:\\tmp"}"#;
    encoder
        .start_line(SPANS)
        .tag_hex("span_id", &[0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7])
        .tag("service.name", "check out, eu=1")
        .tag(TRACE_ID, "4bf92f3577b34da6a3ce929d0e0e4736")
        .tag("service.name", "checkout")
        .field_i64("duration_nano", 1_500_000 + i64::from(i))
        .field_u64("dropped_events_count", u64::from(i))
        .field_f64("ratio", f64::from(i) / 7.0)
        .field_f64("count", 2_693_000.0)
        .field_f64("tiny", 0.000_01)
        .field_bool("error", i.is_multiple_of(2))
        .field_str("name", "GET /cart \"quoted\"\nsecond line")
        .field_hex("parent_span_id", &i.to_be_bytes())
        .field_str("attributes", json)
        .field_str_with("events", |w| {
            w.push_str("[{\"name\":\"retry\",\"n\":");
            write!(w, "{i}").unwrap();
            w.push_str("}]");
        });
    encoder
        .end_line(Some(1_700_000_000_000_000_000 + i64::from(i)))
        .unwrap();
}

#[test]
fn steady_state_lines_do_not_allocate() {
    // Sanity: the counter sees allocations on this thread, so a zero below means something.
    assert!(count_on_this_thread(|| drop(std::hint::black_box(vec![1u8; 10]))) >= 1);

    for float_format in [FloatFormat::Shortest, FloatFormat::GoStrconv] {
        for dialect in [
            Dialect::InfluxDbV1,
            Dialect::InfluxDbV3,
            Dialect::Datalayers,
        ] {
            let options = EncoderOptions::new(dialect).with_float_format(float_format);
            let mut encoder = Encoder::new(options);
            // A batch is 50 lines, then the buffer is cleared and reused, as a writer does.
            let batch = |encoder: &mut Encoder, first: u32| {
                for i in first..first + 50 {
                    encode_span(encoder, i);
                }
                assert_eq!(encoder.line_count(), 50);
                encoder.clear();
            };
            // Warm-up: buffer, line ends and tag scratch grow to their working size.
            batch(&mut encoder, 0);
            let allocations = count_on_this_thread(|| {
                for round in 1..200 {
                    batch(&mut encoder, round * 50);
                }
            });
            assert_eq!(allocations, 0, "{dialect} {float_format:?}: 9950 lines");
            assert_eq!(encoder.stats().lines, 10_000);
        }
    }
}
