//! An OTLP request to lines, benchmarked the same way for every signal: the decoded request
//! mapped (the mapping's share), then the receiver's two ways from the request's protobuf body:
//! read in place (`map_request`, what `otel-lp serve` does), and what it replaces, prost's
//! decoding followed by the mapping of the decoded request.

use std::hint::black_box;

use criterion::{BenchmarkGroup, measurement::WallTime};
use otlp_influx::{Encoding, MappingReport, OtlpMapper, Signal};

/// Maps a request prost decoded (`OtlpMapper::map_proto_traces`, `_logs` or `_metrics`).
pub(crate) type MapDecoded<M> =
    fn(&mut OtlpMapper, &M, &mut lineproto::Encoder, &mut MappingReport);

/// Benchmarks `request` (of `signal`) mapped as decoded, then its protobuf body read in place
/// and decoded by prost then mapped.
pub(crate) fn bench_request_paths<M: prost::Message + Default>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    mapper: &mut OtlpMapper,
    signal: Signal,
    request: &M,
    map_decoded: MapDecoded<M>,
) {
    let mut out = mapper.new_encoder();
    let mut report = MappingReport::new();
    group.bench_function("otlp-influx: OTLP request -> line protocol", |b| {
        b.iter(|| {
            out.clear();
            map_decoded(mapper, black_box(request), &mut out, &mut report);
            black_box(out.len())
        })
    });

    let body = &request.encode_to_vec()[..];
    out.clear();
    report = MappingReport::new();
    // Both paths write the same lines and report the same counts (checked once, untimed).
    mapper
        .map_request(signal, Encoding::Protobuf, body, &mut out, &mut report)
        .unwrap();
    let in_place = (out.as_bytes().to_vec(), report.clone());
    out.clear();
    report = MappingReport::new();
    map_decoded(mapper, &M::decode(body).unwrap(), &mut out, &mut report);
    assert_eq!((out.as_bytes(), &report), (&in_place.0[..], &in_place.1));
    group.bench_function(
        "otlp-influx: OTLP protobuf bytes -> line protocol (in place)",
        |b| {
            b.iter(|| {
                out.clear();
                mapper
                    .map_request(
                        signal,
                        Encoding::Protobuf,
                        black_box(body),
                        &mut out,
                        &mut report,
                    )
                    .unwrap();
                black_box(out.len())
            })
        },
    );
    group.bench_function(
        "prost decode + otlp-influx: OTLP protobuf bytes -> line protocol",
        |b| {
            b.iter(|| {
                out.clear();
                let decoded = M::decode(black_box(body)).unwrap();
                map_decoded(mapper, &decoded, &mut out, &mut report);
                black_box(out.len())
            })
        },
    );
}
