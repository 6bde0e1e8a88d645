//! Encoding speed, side by side with what a user would otherwise pick: `influxdb-line-protocol`'s
//! `LineProtocolBuilder`, and a plain copy of the very same output bytes into a reused `Vec`
//! (the floor: no encoder can beat memcpy).
//!
//! Run: `cargo bench -p lineproto --bench encode`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use influxdb_line_protocol::LineProtocolBuilder;
use lineproto::{Dialect, Encoder, EncoderOptions, LineTemplate, TagOrder};

/// 150 bytes of span attributes as JSON, the otel2influx `attributes` field.
const SPAN_ATTRIBUTES: &str = r#"{"http.method":"GET","http.route":"/api/v1/cart/{id}","http.status_code":200,"net.peer.name":"cart.internal","user_agent":"curl/8.5.0","retry":1}"#;

const TIMESTAMP: i64 = 1_700_000_000_123_456_789;

/// A JSON document of at least 1 KiB of log/span attributes: quotes around every key and value,
/// a few escaped quotes and backslashes inside values (every one of those is escaped again).
fn kib_json() -> String {
    let entries = [
        r#""http.request.method":"POST""#,
        r#""url.full":"https://shop.example.com/api/v2/orders/8812/items?expand=product&page=2""#,
        r#""user_agent.original":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0""#,
        r#""db.statement":"SELECT id, name FROM "order items" WHERE order_id = $1 LIMIT 50""#,
        r#""server.address":"orders.internal","server.port":8443"#,
        r#""exception.message":"upstream said: "timeout after 30s" (C:\svc\orders)""#,
    ];
    let mut json = String::from("{");
    let mut i = 0;
    while json.len() < 1024 {
        json.push_str(entries[i % entries.len()]);
        json.push(',');
        i += 1;
    }
    json.push_str(r#""end":true}"#);
    json
}

fn span_line(encoder: &mut Encoder) {
    encoder
        .start_line("spans")
        .tag("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
        .tag("span_id", "00f067aa0ba902b7")
        .tag("service.name", "checkout")
        .field_str("name", "GET /api/v1/cart")
        .field_str("kind", "SPAN_KIND_SERVER")
        .field_i64("duration_nano", 1_532_000)
        .field_i64("end_time_unix_nano", TIMESTAMP + 1_532_000)
        .field_str("otel.status_code", "OK")
        .field_str("attributes", SPAN_ATTRIBUTES);
    encoder.end_line(Some(TIMESTAMP)).unwrap();
}

/// The span line again, from a template (keys checked and escaped once) and with the ids as
/// bytes, as the span mapper writes it.
fn span_line_templated(template: &LineTemplate, encoder: &mut Encoder) {
    let mut line = encoder.start_templated(template);
    line.tag(0, "checkout")
        .tag_hex(1, &[0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7])
        .tag_hex(
            2,
            &[
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
                0x47, 0x36,
            ],
        )
        .field_str(0, "GET /api/v1/cart")
        .field_str(1, "SPAN_KIND_SERVER")
        .field_i64(2, 1_532_000)
        .field_i64(3, TIMESTAMP + 1_532_000)
        .field_str(4, "OK")
        .field_str(5, SPAN_ATTRIBUTES);
    line.end(Some(TIMESTAMP)).unwrap();
}

fn span_line_template() -> LineTemplate {
    LineTemplate::new(
        "spans",
        &["service.name", "span_id", "trace_id"],
        &[
            "name",
            "kind",
            "duration_nano",
            "end_time_unix_nano",
            "otel.status_code",
            "attributes",
        ],
    )
    .unwrap()
}

fn span_line_builder(buf: Vec<u8>) -> Vec<u8> {
    LineProtocolBuilder::new_with(buf)
        .measurement("spans")
        .tag("service.name", "checkout")
        .tag("span_id", "00f067aa0ba902b7")
        .tag("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
        .field("name", "GET /api/v1/cart")
        .field("kind", "SPAN_KIND_SERVER")
        .field("duration_nano", 1_532_000i64)
        .field("end_time_unix_nano", TIMESTAMP + 1_532_000)
        .field("otel.status_code", "OK")
        .field("attributes", SPAN_ATTRIBUTES)
        .timestamp(TIMESTAMP)
        .close_line()
        .build()
}

fn metric_line(encoder: &mut Encoder) {
    encoder
        .start_line("http.server.duration")
        .tag("service.name", "checkout")
        .tag("host.name", "node-7")
        .tag("http.method", "GET")
        .field_f64("count", 2_693_000.0)
        .field_f64("sum", 1_234.567_891)
        .field_f64("0.005", 120.0)
        .field_f64("0.01", 4_512.0)
        .field_f64("+Inf", 2_693_000.0);
    encoder.end_line(Some(TIMESTAMP)).unwrap();
}

fn metric_line_builder(buf: Vec<u8>) -> Vec<u8> {
    LineProtocolBuilder::new_with(buf)
        .measurement("http.server.duration")
        .tag("host.name", "node-7")
        .tag("http.method", "GET")
        .tag("service.name", "checkout")
        .field("count", 2_693_000.0)
        .field("sum", 1_234.567_891)
        .field("0.005", 120.0)
        .field("0.01", 4_512.0)
        .field("+Inf", 2_693_000.0)
        .timestamp(TIMESTAMP)
        .close_line()
        .build()
}

fn string_heavy_line(encoder: &mut Encoder, body: &str) {
    encoder
        .start_line("logs")
        .tag("service.name", "checkout")
        .field_str("body", body);
    encoder.end_line(Some(TIMESTAMP)).unwrap();
}

fn string_heavy_line_builder(buf: Vec<u8>, body: &str) -> Vec<u8> {
    LineProtocolBuilder::new_with(buf)
        .measurement("logs")
        .tag("service.name", "checkout")
        .field("body", body)
        .timestamp(TIMESTAMP)
        .close_line()
        .build()
}

/// Benchmarks one line three ways: this encoder, the builder, and copying its bytes; and
/// `templated`, the same line through a [`LineTemplate`], when given.
fn compare(
    c: &mut Criterion,
    name: &str,
    mut encode: impl FnMut(&mut Encoder),
    mut build: impl FnMut(Vec<u8>) -> Vec<u8>,
    mut templated: Option<&mut dyn FnMut(&mut Encoder)>,
) {
    let options = EncoderOptions::new(Dialect::InfluxDbV3);
    let mut encoder = Encoder::new(options);
    encode(&mut encoder);
    let expected = encoder.as_bytes().to_vec();
    // The comparison is only fair if the builder writes the same line.
    let built = build(Vec::new());
    assert_eq!(
        String::from_utf8_lossy(&built),
        String::from_utf8_lossy(&expected),
        "{name}"
    );

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(expected.len() as u64));
    group.bench_function("lineproto", |b| {
        b.iter(|| {
            encoder.clear();
            encode(black_box(&mut encoder));
            black_box(encoder.as_bytes().len())
        });
    });
    let mut as_given = Encoder::new(options.with_tag_order(TagOrder::AsGiven));
    group.bench_function("lineproto_as_given_tags", |b| {
        b.iter(|| {
            as_given.clear();
            encode(black_box(&mut as_given));
            black_box(as_given.as_bytes().len())
        });
    });
    if let Some(templated) = templated.as_mut() {
        let mut encoder = Encoder::new(options);
        templated(&mut encoder);
        assert_eq!(encoder.as_bytes(), &expected[..], "{name}: templated");
        group.bench_function("lineproto_template", |b| {
            b.iter(|| {
                encoder.clear();
                templated(black_box(&mut encoder));
                black_box(encoder.as_bytes().len())
            });
        });
    }
    let mut buf = Vec::with_capacity(expected.len() * 2);
    group.bench_function("influxdb_line_protocol_builder", |b| {
        b.iter(|| {
            buf.clear();
            buf = build(std::mem::take(&mut buf));
            black_box(buf.len())
        });
    });
    let mut copy = Vec::with_capacity(expected.len());
    group.bench_function("plain_copy", |b| {
        b.iter(|| {
            copy.clear();
            copy.extend_from_slice(black_box(&expected));
            black_box(copy.len())
        });
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    // The builder does not sort tags: give it the order our encoder writes.
    let template = span_line_template();
    compare(
        c,
        "span_line",
        span_line,
        span_line_builder,
        Some(&mut |e: &mut Encoder| span_line_templated(&template, e)),
    );
    compare(c, "metric_line", metric_line, metric_line_builder, None);
    let body = kib_json();
    compare(
        c,
        "string_heavy_line_1kib_json",
        |e| string_heavy_line(e, &body),
        |buf| string_heavy_line_builder(buf, &body),
        None,
    );
}

criterion_group! {
    name = encode;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40);
    targets = benches
}
criterion_main!(encode);
