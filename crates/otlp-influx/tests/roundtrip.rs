//! Round trips through independent parsers: whole mapped spans through `influxdb-line-protocol`
//! then `serde_json` (the JSON writer's and the ES6 float text's own round trips are unit tests
//! of `value::json` and `value::es6`, which are private).

mod common;

use std::collections::BTreeMap;

use common::*;
use lineproto::Dialect;
use opentelemetry_proto::tonic::common::v1::any_value::Value as PValue;
use otlp_influx::{MappingConfig, MappingReport, OtlpMapper, value::ValueView};
use proptest::prelude::*;
use serde_json::Value as Json;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random span attributes: the line parses, and its `attributes` field is the JSON object
    /// of the attributes (last duplicate winning), the dimension aside.
    #[test]
    fn span_attributes_round_trip(
        attrs in prop::collection::vec(
            (
                "[a-z.<&\"\\\\ ]{0,8}",
                prop_oneof![
                    any::<String>().prop_map(PValue::StringValue),
                    any::<i64>().prop_map(PValue::IntValue),
                    any::<bool>().prop_map(PValue::BoolValue),
                    any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(PValue::DoubleValue),
                ],
            ),
            0..12,
        )
    ) {
        let mut span = proto_span(trace_id(1, 2), span_id(3), [0; 8], "op", 1, 5, 9);
        span.attributes = attrs.iter().map(|(k, v)| pkv(k, v.clone())).collect();
        let mut mapper =
            OtlpMapper::new(MappingConfig::new(Dialect::InfluxDbV2).with_span_dimensions(["a"]))
        .unwrap();
        let mut out = mapper.new_encoder();
        let mut report = MappingReport::new();
        mapper.map_proto_traces(&proto_request(vec![span]), &mut out, &mut report);
        let text = std::str::from_utf8(out.as_bytes()).unwrap();
        let lines = parse(text);
        prop_assert_eq!(lines.len(), 1);

        let mut expected = BTreeMap::new();
        // The dimension goes to its tag; repeated, its later value also goes into the JSON.
        let repeated_dimension = attrs.iter().filter(|(k, _)| k == "a").count() > 1;
        // A dimension value that cannot be a tag value (a control byte, a trailing backslash)
        // stays in the JSON instead (departure 6).
        let untaggable = attrs.iter().rev().find(|(k, _)| k == "a").is_some_and(|(_, v)| {
            matches!(v, PValue::StringValue(s)
                if s.ends_with('\\') || s.bytes().any(|b| b < 0x20 || b == 0x7f))
        });
        for (k, v) in &attrs {
            if k == "a" && !repeated_dimension && !untaggable {
                continue;
            }
            let json = match v {
                PValue::StringValue(s) => Json::from(s.as_str()),
                PValue::IntValue(i) => Json::from(*i),
                PValue::BoolValue(b) => Json::from(*b),
                PValue::DoubleValue(f) => Json::from(*f),
                _ => unreachable!(),
            };
            expected.insert(k.clone(), json);
        }
        match lines[0].2.get("attributes") {
            None => prop_assert!(expected.is_empty()),
            Some(Field::S(json)) => {
                let mut parsed: BTreeMap<String, Json> = serde_json::from_str(json).unwrap();
                // Go writes integral doubles without a point (`0`, `1e+21`), and serde_json's
                // default float parser is not always correctly rounded (bit-exact text is checked by
                // `es6_floats_round_trip`): compare doubles as doubles, with a relative tolerance.
                for (k, v) in &expected {
                    if let (Some(want), Some(got)) = (v.as_f64().filter(|_| v.is_f64()), parsed.get(k).and_then(Json::as_f64)) {
                        prop_assert!(want == got || ((want - got) / want).abs() < 1e-14, "{} vs {}", want, got);
                        parsed.insert(k.clone(), v.clone());
                    }
                }
                prop_assert_eq!(parsed, expected);
            }
            Some(other) => prop_assert!(false, "attributes is {:?}", other),
        }
        if let Some((_, v)) = attrs.iter().rev().find(|(k, _)| k == "a") {
            let mut tag = String::new();
            let view = match v {
                PValue::StringValue(s) => ValueView::Str(s),
                PValue::IntValue(i) => ValueView::Int(*i),
                PValue::BoolValue(b) => ValueView::Bool(*b),
                PValue::DoubleValue(f) => ValueView::Double(*f),
                _ => unreachable!(),
            };
            view.append_as_string(&mut tag).unwrap();
            let written = lines[0].1.get("a");
            // Written when it can be a tag value; otherwise counted (and kept in the JSON).
            prop_assert!(
                written == Some(&tag) || (written.is_none() && (tag.is_empty() || report.count(otlp_influx::DropReason::InvalidTagValue) == 1)),
                "tag {:?} written as {:?}", tag, written
            );
        }
    }
}
