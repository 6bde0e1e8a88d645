//! Encoding speed, side by side with what a user would otherwise pick, on the three lines of
//! issue 16: a span line (425 B, 22 escapes), a metric line (96 B, one `f64` field) and a span
//! line carrying a 1 KiB JSON string field (33 escapes). Each line is written by
//!
//! - `naive`: the ~100-line encoder below (byte lookup tables for escaping with bulk copies of
//!   plain runs, `itoa`, `ryu`, tags written in the order given, no validation): the bar a user
//!   who writes their own encoder sets;
//! - `lineproto`: [`Encoder`]'s plain calls (tags given in the same order, sorted on the way);
//! - `lineproto_template`: the same line through a [`LineTemplate`];
//! - `influxdb_line_protocol_builder`: `influxdb-line-protocol`'s `LineProtocolBuilder`;
//! - `plain_copy`: a copy of the very same output bytes into a reused `Vec` (the floor).
//!
//! Every variant is checked to write the same bytes before anything is timed. Compare ratios
//! within one run (the machine is shared); on a loaded machine, instruction counts under
//! `valgrind --tool=callgrind` (per call of a variant, over a fixed number of calls) are the
//! steadier measure.
//!
//! Run: `cargo bench -p lineproto --bench encode`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use influxdb_line_protocol::LineProtocolBuilder;
use lineproto::{Dialect, Encoder, EncoderOptions, LineTemplate};

/// A naive line-protocol encoder: what a competent user writes in an afternoon. Escaping goes
/// through byte lookup tables and copies runs of plain bytes in bulk; numbers go through `itoa`
/// and `ryu`; tags are written in the order given; nothing is validated. It writes the InfluxDB
/// 3 dialect (backslashes in names escaped), as the other variants do here.
mod naive {
    /// A table flagging the bytes to escape.
    const fn table(escaped: &[u8]) -> [bool; 256] {
        let mut table = [false; 256];
        let mut i = 0;
        while i < escaped.len() {
            table[escaped[i] as usize] = true;
            i += 1;
        }
        table
    }

    static MEASUREMENT: [bool; 256] = table(b", \\");
    static KEY_OR_TAG_VALUE: [bool; 256] = table(b",= \\");
    static STRING: [bool; 256] = table(b"\"\\");

    /// Appends `text` with a backslash before each byte flagged in `table`.
    fn escape(out: &mut Vec<u8>, text: &str, table: &[bool; 256]) {
        let bytes = text.as_bytes();
        let mut run_start = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            if table[usize::from(byte)] {
                out.extend_from_slice(&bytes[run_start..i]);
                out.push(b'\\');
                // The escaped byte starts the next run.
                run_start = i;
            }
        }
        out.extend_from_slice(&bytes[run_start..]);
    }

    /// Lines appended to a reused buffer.
    #[derive(Debug, Default)]
    pub(crate) struct NaiveEncoder {
        pub(crate) buf: Vec<u8>,
        fields: usize,
    }

    impl NaiveEncoder {
        pub(crate) fn measurement(&mut self, name: &str) -> &mut Self {
            self.fields = 0;
            escape(&mut self.buf, name, &MEASUREMENT);
            self
        }

        pub(crate) fn tag(&mut self, key: &str, value: &str) -> &mut Self {
            self.buf.push(b',');
            escape(&mut self.buf, key, &KEY_OR_TAG_VALUE);
            self.buf.push(b'=');
            escape(&mut self.buf, value, &KEY_OR_TAG_VALUE);
            self
        }

        fn field_key(&mut self, key: &str) {
            self.buf.push(if self.fields == 0 { b' ' } else { b',' });
            self.fields += 1;
            escape(&mut self.buf, key, &KEY_OR_TAG_VALUE);
            self.buf.push(b'=');
        }

        pub(crate) fn field_str(&mut self, key: &str, value: &str) -> &mut Self {
            self.field_key(key);
            self.buf.push(b'"');
            escape(&mut self.buf, value, &STRING);
            self.buf.push(b'"');
            self
        }

        pub(crate) fn field_i64(&mut self, key: &str, value: i64) -> &mut Self {
            self.field_key(key);
            self.buf
                .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
            self.buf.push(b'i');
            self
        }

        pub(crate) fn field_f64(&mut self, key: &str, value: f64) -> &mut Self {
            self.field_key(key);
            let mut ryu = ryu::Buffer::new();
            let text = ryu.format_finite(value).as_bytes();
            // Line protocol reads `5` as a float: ryu's `5.0` is one byte more than needed.
            self.buf
                .extend_from_slice(text.strip_suffix(b".0").unwrap_or(text));
            self
        }

        pub(crate) fn end(&mut self, timestamp: i64) {
            self.buf.push(b' ');
            self.buf
                .extend_from_slice(itoa::Buffer::new().format(timestamp).as_bytes());
            self.buf.push(b'\n');
        }
    }
}

use naive::NaiveEncoder;

const TIMESTAMP: i64 = 1_700_000_000_123_456_789;
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACE_ID_BYTES: [u8; 16] = [
    0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36,
];
const SPAN_ID: &str = "00f067aa0ba902b7";
const SPAN_ID_BYTES: [u8; 8] = [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7];
const PARENT_SPAN_ID: &str = "53995c3f42cd8ad8";

/// Span attributes as JSON, the otel2influx `attributes` field (20 quotes to escape).
const SPAN_ATTRIBUTES: &str = r#"{"http.method":"GET","http.route":"/cart/{id}","http.status_code":200,"net.peer.name":"cart","user_agent":"curl/8.5","retry":1}"#;

/// 1 KiB of span attributes as JSON (31 bytes to escape): a few keys, two long values.
fn kib_json() -> String {
    let frames = [
        "at io.example.orders.OrderClient.call(OrderClient.java:212)",
        "at io.example.orders.CartService.checkout(CartService.java:88)",
        "at io.example.http.Router.dispatch(Router.java:431)",
        "at io.example.http.Server$Worker.run(Server.java:97)",
    ];
    let mut trace = String::new();
    let mut i = 0;
    while trace.len() < 660 {
        trace.push_str(frames[i % frames.len()]);
        trace.push_str("; ");
        i += 1;
    }
    let json = format!(
        r#"{{"exception.type":"io.example.orders.UpstreamTimeout","exception.message":"upstream said \"timeout after 30s\"\n(C:\\svc\\orders)","http.status_code":503,"exception.stacktrace":"{trace}","db.statement":"SELECT id, name, price FROM order_items WHERE order_id = $1 AND tenant = $2 LIMIT 50 OFFSET 100 FOR UPDATE SKIP LOCKED","retry":3,"thread.id":17}}"#
    );
    assert!(json.len() >= 1024, "{}", json.len());
    json
}

/// The tags and fields of the span lines, in the order every variant writes them.
struct Span<'a> {
    attributes: &'a str,
}

impl Span<'_> {
    fn naive(&self, encoder: &mut NaiveEncoder) {
        encoder
            .measurement("spans")
            .tag("host.name", "edge-7 eu")
            .tag("service.name", "checkout api")
            .tag("span_id", SPAN_ID)
            .tag("trace_id", TRACE_ID)
            .field_str("name", "GET /cart/{id}")
            .field_str("kind", "SPAN_KIND_SERVER")
            .field_str("parent_span_id", PARENT_SPAN_ID)
            .field_i64("duration_nano", 15_320)
            .field_str("otel.status_code", "OK")
            .field_str("attributes", self.attributes)
            .end(TIMESTAMP);
    }

    fn lineproto(&self, encoder: &mut Encoder) {
        encoder
            .start_line("spans")
            .tag("host.name", "edge-7 eu")
            .tag("service.name", "checkout api")
            .tag("span_id", SPAN_ID)
            .tag("trace_id", TRACE_ID)
            .field_str("name", "GET /cart/{id}")
            .field_str("kind", "SPAN_KIND_SERVER")
            .field_str("parent_span_id", PARENT_SPAN_ID)
            .field_i64("duration_nano", 15_320)
            .field_str("otel.status_code", "OK")
            .field_str("attributes", self.attributes);
        encoder.end_line(Some(TIMESTAMP)).unwrap();
    }

    fn template() -> LineTemplate {
        LineTemplate::new(
            "spans",
            &["host.name", "service.name", "span_id", "trace_id"],
            &[
                "name",
                "kind",
                "parent_span_id",
                "duration_nano",
                "otel.status_code",
                "attributes",
            ],
        )
        .unwrap()
    }

    /// As the span mapper writes it: ids as bytes.
    fn templated(&self, template: &LineTemplate, encoder: &mut Encoder) {
        let mut line = encoder.start_templated(template);
        line.tag(0, "edge-7 eu")
            .tag(1, "checkout api")
            .tag_hex(2, &SPAN_ID_BYTES)
            .tag_hex(3, &TRACE_ID_BYTES)
            .field_str(0, "GET /cart/{id}")
            .field_str(1, "SPAN_KIND_SERVER")
            .field_hex(2, &[0x53, 0x99, 0x5c, 0x3f, 0x42, 0xcd, 0x8a, 0xd8])
            .field_i64(3, 15_320)
            .field_str(4, "OK")
            .field_str(5, self.attributes);
        line.end(Some(TIMESTAMP)).unwrap();
    }

    fn builder(&self, buf: Vec<u8>) -> Vec<u8> {
        LineProtocolBuilder::new_with(buf)
            .measurement("spans")
            .tag("host.name", "edge-7 eu")
            .tag("service.name", "checkout api")
            .tag("span_id", SPAN_ID)
            .tag("trace_id", TRACE_ID)
            .field("name", "GET /cart/{id}")
            .field("kind", "SPAN_KIND_SERVER")
            .field("parent_span_id", PARENT_SPAN_ID)
            .field("duration_nano", 15_320i64)
            .field("otel.status_code", "OK")
            .field("attributes", self.attributes)
            .timestamp(TIMESTAMP)
            .close_line()
            .build()
    }
}

const METRIC_TAGS: [(&str, &str); 2] = [("host.name", "node-7"), ("service.name", "checkout")];

fn metric_naive(encoder: &mut NaiveEncoder) {
    encoder
        .measurement("http.server.duration")
        .tag(METRIC_TAGS[0].0, METRIC_TAGS[0].1)
        .tag(METRIC_TAGS[1].0, METRIC_TAGS[1].1)
        .field_f64("sum", 1_234.567_891)
        .end(TIMESTAMP);
}

fn metric_lineproto(encoder: &mut Encoder) {
    encoder
        .start_line("http.server.duration")
        .tag(METRIC_TAGS[0].0, METRIC_TAGS[0].1)
        .tag(METRIC_TAGS[1].0, METRIC_TAGS[1].1)
        .field_f64("sum", 1_234.567_891);
    encoder.end_line(Some(TIMESTAMP)).unwrap();
}

fn metric_template() -> LineTemplate {
    LineTemplate::new(
        "http.server.duration",
        &[METRIC_TAGS[0].0, METRIC_TAGS[1].0],
        &["sum"],
    )
    .unwrap()
}

fn metric_templated(template: &LineTemplate, encoder: &mut Encoder) {
    let mut line = encoder.start_templated(template);
    line.tag(0, METRIC_TAGS[0].1)
        .tag(1, METRIC_TAGS[1].1)
        .field_f64(0, 1_234.567_891);
    line.end(Some(TIMESTAMP)).unwrap();
}

fn metric_builder(buf: Vec<u8>) -> Vec<u8> {
    LineProtocolBuilder::new_with(buf)
        .measurement("http.server.duration")
        .tag(METRIC_TAGS[0].0, METRIC_TAGS[0].1)
        .tag(METRIC_TAGS[1].0, METRIC_TAGS[1].1)
        .field("sum", 1_234.567_891)
        .timestamp(TIMESTAMP)
        .close_line()
        .build()
}

/// One line's ways of being written.
struct Variants<'a> {
    naive: &'a dyn Fn(&mut NaiveEncoder),
    lineproto: &'a dyn Fn(&mut Encoder),
    templated: &'a dyn Fn(&mut Encoder),
    builder: &'a dyn Fn(Vec<u8>) -> Vec<u8>,
}

/// How many escape sequences (a backslash and the byte it escapes) `line` holds.
fn count_escapes(line: &[u8]) -> usize {
    let mut count = 0;
    let mut bytes = line.iter();
    while let Some(&byte) = bytes.next() {
        if byte == b'\\' {
            count += 1;
            bytes.next();
        }
    }
    count
}

/// Checks that every variant writes the same bytes (of the expected size and number of escapes),
/// then times them in one group.
fn compare(c: &mut Criterion, name: &str, size: usize, escapes: usize, variants: &Variants<'_>) {
    let options = EncoderOptions::new(Dialect::InfluxDbV3);
    let mut encoder = Encoder::new(options);
    (variants.lineproto)(&mut encoder);
    let expected = encoder.as_bytes().to_vec();
    let shown = String::from_utf8_lossy(&expected).into_owned();
    assert_eq!(expected.len(), size, "{name}: {shown}");
    assert_eq!(count_escapes(&expected), escapes, "{name}: {shown}");
    let mut naive = NaiveEncoder::default();
    (variants.naive)(&mut naive);
    assert_eq!(String::from_utf8_lossy(&naive.buf), shown, "{name}: naive");
    let mut templated = Encoder::new(options);
    (variants.templated)(&mut templated);
    assert_eq!(
        String::from_utf8_lossy(templated.as_bytes()),
        shown,
        "{name}: template"
    );
    let built = (variants.builder)(Vec::new());
    assert_eq!(String::from_utf8_lossy(&built), shown, "{name}: builder");

    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(expected.len() as u64));
    group.bench_function("naive", |b| {
        b.iter(|| {
            naive.buf.clear();
            (variants.naive)(black_box(&mut naive));
            black_box(naive.buf.len())
        });
    });
    group.bench_function("lineproto", |b| {
        b.iter(|| {
            encoder.clear();
            (variants.lineproto)(black_box(&mut encoder));
            black_box(encoder.as_bytes().len())
        });
    });
    group.bench_function("lineproto_template", |b| {
        b.iter(|| {
            templated.clear();
            (variants.templated)(black_box(&mut templated));
            black_box(templated.as_bytes().len())
        });
    });
    let mut buf = Vec::with_capacity(expected.len() * 2);
    group.bench_function("influxdb_line_protocol_builder", |b| {
        b.iter(|| {
            buf.clear();
            buf = (variants.builder)(std::mem::take(&mut buf));
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
    let span_template = Span::template();
    let span = Span {
        attributes: SPAN_ATTRIBUTES,
    };
    compare(
        c,
        "span_line",
        425,
        22,
        &Variants {
            naive: &|e| span.naive(e),
            lineproto: &|e| span.lineproto(e),
            templated: &|e| span.templated(&span_template, e),
            builder: &|buf| span.builder(buf),
        },
    );
    let template = metric_template();
    compare(
        c,
        "metric_line",
        96,
        0,
        &Variants {
            naive: &metric_naive,
            lineproto: &metric_lineproto,
            templated: &|e| metric_templated(&template, e),
            builder: &metric_builder,
        },
    );
    let json = kib_json();
    let span = Span { attributes: &json };
    compare(
        c,
        "span_line_1kib_json",
        1346,
        33,
        &Variants {
            naive: &|e| span.naive(e),
            lineproto: &|e| span.lineproto(e),
            templated: &|e| span.templated(&span_template, e),
            builder: &|buf| span.builder(buf),
        },
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
