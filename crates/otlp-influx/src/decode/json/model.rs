//! The OTLP/JSON request, decoded into borrowed structs: strings point into the body (unless
//! they hold escapes), only the fields the schema uses are kept, and each unit that can be left
//! out alone (attribute, event, link, exemplar, span, log record, data point) is decoded so that
//! a bad value costs only that unit (see [`super::de`]).

use std::borrow::Cow;

use serde::de::MapAccess;

use super::de::{
    Bad, Bool, Bytes, Ctx, Decode, Decoded, Enum, EnumNames, F64, Found, HexId, I32, I64, Isolated,
    ItemReason, Items, List, Str, U32, U64, ValueReason, for_each_field,
};
use crate::DropReason;

/// Declares how an object decodes: its fields (lowerCamelCase and snake_case names, the type
/// each value decodes as, and where it goes), and what a bad field costs:
/// - `strict`: the whole object is bad (an item, a value);
/// - `soft`: the field's problem is counted, and the object is marked `bad` (a resource, scope
///   or metric whose items are then rejected), or, for a request, only counted.
///
/// `check` validates the object once read (e.g. one of a oneof).
macro_rules! decode_object {
    (
        $ty:ty, $expected:literal, $mode:ident, |$var:ident| {
            $( $field:ident ($camel:literal, $snake:literal): $fty:ty => $assign:expr, )*
        }
        $( check |$cvar:ident, $cctx:ident| $check:expr )?
    ) => {
        impl<'de> Decode<'de> for $ty {
            const EXPECTED: &'static str = $expected;

            fn from_map<A: MapAccess<'de>>(map: A, ctx: &mut Ctx) -> Result<Decoded<Self>, A::Error> {
                #[derive(Clone, Copy)]
                enum Field { $($field),* }
                const FIELDS: &[(&str, &str, Field)] = &[ $( ($camel, $snake, Field::$field) ),* ];
                let mut $var = Self::default();
                #[allow(unused_mut)] // soft objects never fail
                let mut ok = true;
                for_each_field(map, FIELDS, ctx, |field, map, ctx| {
                    match field {
                        $( Field::$field => {
                            match decode_object!(@read $mode, ctx, map, $fty, $camel) {
                                Ok(value) => {
                                    let value: $fty = value;
                                    #[allow(clippy::redundant_closure_call)]
                                    ($assign)(&mut $var, value);
                                }
                                Err(Bad) => decode_object!(@bad $mode, ok, $var),
                            }
                        } )*
                    }
                    Ok(())
                })?;
                $(
                    if ok {
                        let $cvar = &mut $var;
                        let $cctx = &mut *ctx;
                        ok = ($check).is_ok();
                    }
                )?
                Ok(if ok { Ok($var) } else { Err(Bad) })
            }
        }
    };
    (@read strict, $ctx:ident, $map:ident, $fty:ty, $camel:literal) => {
        $ctx.field::<A, $fty>($map, $camel)?
    };
    (@read soft, $ctx:ident, $map:ident, $fty:ty, $camel:literal) => {
        $ctx.absorbing(DropReason::UndecodableItem, |ctx| ctx.field::<A, $fty>($map, $camel))?
    };
    (@bad strict, $ok:ident, $var:ident) => {
        $ok = false
    };
    (@bad soft, $ok:ident, $var:ident) => {
        $var.bad = true
    };
}

// ---- Values ----

/// An attribute value (`AnyValue`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum AnyValue<'de> {
    #[default]
    Empty,
    Str(Cow<'de, str>),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<Self>),
    Map(Vec<KeyValue<'de>>),
}

/// A key and its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KeyValue<'de> {
    pub(crate) key: Cow<'de, str>,
    pub(crate) value: AnyValue<'de>,
}

/// An attribute list: an attribute that cannot be decoded is left out and counted.
pub(crate) type Attributes<'de> = Isolated<KeyValue<'de>, ValueReason>;

/// `{"values": [...]}` of `arrayValue` and `kvlistValue`.
#[derive(Debug, Default)]
struct Values<T>(Vec<T>);

decode_object!(Values<AnyValue<'de>>, "an object", strict, |values| {
    Values("values", "values"): List<AnyValue<'de>> => |v: &mut Values<_>, list: List<_>| v.0 = list.0,
});
decode_object!(Values<KeyValue<'de>>, "an object", strict, |values| {
    Values("values", "values"): List<KeyValue<'de>> => |v: &mut Values<_>, list: List<_>| v.0 = list.0,
});

decode_object!(KeyValue<'de>, "an attribute object", strict, |kv| {
    Key("key", "key"): Str<'de> => |kv: &mut KeyValue<'de>, v: Str<'de>| kv.key = v.0,
    Value("value", "value"): AnyValue<'de> => |kv: &mut KeyValue<'de>, v| kv.value = v,
});

/// `AnyValue`'s oneof, with the number of members set.
#[derive(Debug, Default)]
struct OneValue<'de> {
    value: AnyValue<'de>,
    set: u8,
}

impl<'de> OneValue<'de> {
    fn set(&mut self, value: AnyValue<'de>) {
        self.value = value;
        self.set += 1;
    }
}

decode_object!(OneValue<'de>, "a value object", strict, |one| {
    String("stringValue", "string_value"): Opt<Str<'de>> =>
        |o: &mut OneValue<'de>, v: Opt<Str<'de>>| if let Some(v) = v.0 { o.set(AnyValue::Str(v.0)) },
    Bool("boolValue", "bool_value"): Opt<Bool> =>
        |o: &mut OneValue<'de>, v: Opt<Bool>| if let Some(v) = v.0 { o.set(AnyValue::Bool(v.0)) },
    Int("intValue", "int_value"): Opt<I64> =>
        |o: &mut OneValue<'de>, v: Opt<I64>| if let Some(v) = v.0 { o.set(AnyValue::Int(v.0)) },
    Double("doubleValue", "double_value"): Opt<F64> =>
        |o: &mut OneValue<'de>, v: Opt<F64>| if let Some(v) = v.0 { o.set(AnyValue::Double(v.0)) },
    Array("arrayValue", "array_value"): Opt<Values<AnyValue<'de>>> =>
        |o: &mut OneValue<'de>, v: Opt<Values<AnyValue<'de>>>| if let Some(v) = v.0 { o.set(AnyValue::Array(v.0)) },
    Map("kvlistValue", "kvlist_value"): Opt<Values<KeyValue<'de>>> =>
        |o: &mut OneValue<'de>, v: Opt<Values<KeyValue<'de>>>| if let Some(v) = v.0 { o.set(AnyValue::Map(v.0)) },
    Bytes("bytesValue", "bytes_value"): Opt<Bytes> =>
        |o: &mut OneValue<'de>, v: Opt<Bytes>| if let Some(v) = v.0 { o.set(AnyValue::Bytes(v.0)) },
}
check |one, ctx| if one.set > 1 {
    Err(ctx.bad(|| "more than one of stringValue, boolValue, intValue, doubleValue, arrayValue, kvlistValue, bytesValue".into()))
} else {
    Ok(())
});

impl<'de> Decode<'de> for AnyValue<'de> {
    const EXPECTED: &'static str = "a value object";

    fn from_map<A: MapAccess<'de>>(map: A, ctx: &mut Ctx) -> Result<Decoded<Self>, A::Error> {
        Ok(OneValue::from_map(map, ctx)?.map(|one| one.value))
    }
}

/// A field that may be absent (`null` or missing) as opposed to set to its default.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Opt<T>(pub(crate) Option<T>);

impl<T> Default for Opt<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Decode<'de>> Decode<'de> for Opt<T> {
    const EXPECTED: &'static str = T::EXPECTED;

    fn from_str(v: Cow<'de, str>, found: Found<'_>, ctx: &mut Ctx) -> Decoded<Self> {
        T::from_str(v, found, ctx).map(|v| Self(Some(v)))
    }
    fn from_u64(v: u64, ctx: &mut Ctx) -> Decoded<Self> {
        T::from_u64(v, ctx).map(|v| Self(Some(v)))
    }
    fn from_i64(v: i64, ctx: &mut Ctx) -> Decoded<Self> {
        T::from_i64(v, ctx).map(|v| Self(Some(v)))
    }
    fn from_f64(v: f64, ctx: &mut Ctx) -> Decoded<Self> {
        T::from_f64(v, ctx).map(|v| Self(Some(v)))
    }
    fn from_bool(v: bool, ctx: &mut Ctx) -> Decoded<Self> {
        T::from_bool(v, ctx).map(|v| Self(Some(v)))
    }
    fn from_seq<A: serde::de::SeqAccess<'de>>(
        seq: A,
        ctx: &mut Ctx,
    ) -> Result<Decoded<Self>, A::Error> {
        Ok(T::from_seq(seq, ctx)?.map(|v| Self(Some(v))))
    }
    fn from_map<A: MapAccess<'de>>(map: A, ctx: &mut Ctx) -> Result<Decoded<Self>, A::Error> {
        Ok(T::from_map(map, ctx)?.map(|v| Self(Some(v))))
    }
}

// ---- Resource and scope ----

/// A resource: its attributes.
#[derive(Debug, Default)]
pub(crate) struct Resource<'de> {
    pub(crate) attributes: Attributes<'de>,
}

decode_object!(Resource<'de>, "a resource object", strict, |resource| {
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |r: &mut Resource<'de>, v| r.attributes = v,
});

/// An instrumentation scope.
#[derive(Debug, Default)]
pub(crate) struct Scope<'de> {
    pub(crate) name: Cow<'de, str>,
    pub(crate) version: Cow<'de, str>,
    pub(crate) attributes: Attributes<'de>,
}

decode_object!(Scope<'de>, "a scope object", strict, |scope| {
    Name("name", "name"): Str<'de> => |s: &mut Scope<'de>, v: Str<'de>| s.name = v.0,
    Version("version", "version"): Str<'de> => |s: &mut Scope<'de>, v: Str<'de>| s.version = v.0,
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |s: &mut Scope<'de>, v| s.attributes = v,
});

pub(crate) use super::de::Item;

/// `resourceSpans` / `resourceLogs` / `resourceMetrics` of a request: each resource's scopes.
#[derive(Debug, Default)]
pub(crate) struct ResourceLevel<'de, S> {
    pub(crate) resource: Resource<'de>,
    pub(crate) scopes: Vec<S>,
    pub(crate) bad: bool,
}

/// `scopeSpans` / `scopeLogs` / `scopeMetrics`: a scope and its items.
#[derive(Debug, Default)]
pub(crate) struct ScopeLevel<'de, T> {
    pub(crate) scope: Scope<'de>,
    pub(crate) items: Items<T>,
    pub(crate) bad: bool,
}

/// A request: its resources (one that is not an object is counted and left out).
#[derive(Debug, Default)]
pub(crate) struct Request<'de, S> {
    pub(crate) resources: Vec<ResourceLevel<'de, S>>,
    pub(crate) bad: bool,
}

/// Declares the three levels of one signal's request.
macro_rules! signal_levels {
    ($item:ty, $request_key:literal, $request_snake:literal, $scope_key:literal, $scope_snake:literal, $items_key:literal, $items_snake:literal) => {
        decode_object!(Request<'de, ScopeLevel<'de, $item>>, "an object", soft, |request| {
            Resources($request_key, $request_snake): Isolated<ResourceLevel<'de, ScopeLevel<'de, $item>>, ItemReason> =>
                |r: &mut Request<'de, _>, v: Isolated<_, ItemReason>| r.resources = v.items,
        });
        decode_object!(ResourceLevel<'de, ScopeLevel<'de, $item>>, "a resource object", soft, |level| {
            Resource("resource", "resource"): Resource<'de> =>
                |l: &mut ResourceLevel<'de, _>, v| l.resource = v,
            Scopes($scope_key, $scope_snake): Isolated<ScopeLevel<'de, $item>, ItemReason> =>
                |l: &mut ResourceLevel<'de, _>, v: Isolated<_, ItemReason>| l.scopes = v.items,
        });
        decode_object!(ScopeLevel<'de, $item>, "a scope object", soft, |level| {
            Scope("scope", "scope"): Scope<'de> => |l: &mut ScopeLevel<'de, _>, v| l.scope = v,
            Items($items_key, $items_snake): Items<$item> => |l: &mut ScopeLevel<'de, _>, v| l.items = v,
        });
    };
}

// ---- Traces ----

/// `SpanKind` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpanKindNames;
impl EnumNames for SpanKindNames {
    const EXPECTED: &'static str = "a span kind (a number or a name such as SPAN_KIND_SERVER)";
    fn from_name(name: &str) -> Option<i32> {
        use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
        SpanKind::from_str_name(name).map(|k| k as i32)
    }
}

/// `Status.StatusCode` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusCodeNames;
impl EnumNames for StatusCodeNames {
    const EXPECTED: &'static str = "a status code (a number or a name such as STATUS_CODE_ERROR)";
    fn from_name(name: &str) -> Option<i32> {
        use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
        StatusCode::from_str_name(name).map(|k| k as i32)
    }
}

/// A span.
#[derive(Debug, Default)]
pub(crate) struct Span<'de> {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) parent_span_id: [u8; 8],
    pub(crate) trace_state: Cow<'de, str>,
    pub(crate) name: Cow<'de, str>,
    pub(crate) kind: i32,
    pub(crate) start_time_unix_nano: u64,
    pub(crate) end_time_unix_nano: u64,
    pub(crate) attributes: Attributes<'de>,
    pub(crate) dropped_attributes_count: u32,
    pub(crate) events: Isolated<Event<'de>, ItemReason>,
    pub(crate) dropped_events_count: u32,
    pub(crate) links: Isolated<Link<'de>, ItemReason>,
    pub(crate) dropped_links_count: u32,
    pub(crate) status: Status<'de>,
}

decode_object!(Span<'de>, "a span object", strict, |span| {
    TraceId("traceId", "trace_id"): HexId<16> => |s: &mut Span<'de>, v: HexId<16>| s.trace_id = v.0,
    SpanId("spanId", "span_id"): HexId<8> => |s: &mut Span<'de>, v: HexId<8>| s.span_id = v.0,
    ParentSpanId("parentSpanId", "parent_span_id"): HexId<8> =>
        |s: &mut Span<'de>, v: HexId<8>| s.parent_span_id = v.0,
    TraceState("traceState", "trace_state"): Str<'de> =>
        |s: &mut Span<'de>, v: Str<'de>| s.trace_state = v.0,
    Name("name", "name"): Str<'de> => |s: &mut Span<'de>, v: Str<'de>| s.name = v.0,
    Kind("kind", "kind"): Enum<SpanKindNames> => |s: &mut Span<'de>, v: Enum<_>| s.kind = v.0,
    Start("startTimeUnixNano", "start_time_unix_nano"): U64 =>
        |s: &mut Span<'de>, v: U64| s.start_time_unix_nano = v.0,
    End("endTimeUnixNano", "end_time_unix_nano"): U64 =>
        |s: &mut Span<'de>, v: U64| s.end_time_unix_nano = v.0,
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |s: &mut Span<'de>, v| s.attributes = v,
    DroppedAttributes("droppedAttributesCount", "dropped_attributes_count"): U32 =>
        |s: &mut Span<'de>, v: U32| s.dropped_attributes_count = v.0,
    Events("events", "events"): Isolated<Event<'de>, ItemReason> => |s: &mut Span<'de>, v| s.events = v,
    DroppedEvents("droppedEventsCount", "dropped_events_count"): U32 =>
        |s: &mut Span<'de>, v: U32| s.dropped_events_count = v.0,
    Links("links", "links"): Isolated<Link<'de>, ItemReason> => |s: &mut Span<'de>, v| s.links = v,
    DroppedLinks("droppedLinksCount", "dropped_links_count"): U32 =>
        |s: &mut Span<'de>, v: U32| s.dropped_links_count = v.0,
    Status("status", "status"): Status<'de> => |s: &mut Span<'de>, v| s.status = v,
});

/// A span's status.
#[derive(Debug, Default)]
pub(crate) struct Status<'de> {
    pub(crate) code: i32,
    pub(crate) message: Cow<'de, str>,
}

decode_object!(Status<'de>, "a status object", strict, |status| {
    Code("code", "code"): Enum<StatusCodeNames> => |s: &mut Status<'de>, v: Enum<_>| s.code = v.0,
    Message("message", "message"): Str<'de> => |s: &mut Status<'de>, v: Str<'de>| s.message = v.0,
});

/// A span event.
#[derive(Debug, Default)]
pub(crate) struct Event<'de> {
    pub(crate) time_unix_nano: u64,
    pub(crate) name: Cow<'de, str>,
    pub(crate) attributes: Attributes<'de>,
    pub(crate) dropped_attributes_count: u32,
}

decode_object!(Event<'de>, "an event object", strict, |event| {
    Time("timeUnixNano", "time_unix_nano"): U64 => |e: &mut Event<'de>, v: U64| e.time_unix_nano = v.0,
    Name("name", "name"): Str<'de> => |e: &mut Event<'de>, v: Str<'de>| e.name = v.0,
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |e: &mut Event<'de>, v| e.attributes = v,
    DroppedAttributes("droppedAttributesCount", "dropped_attributes_count"): U32 =>
        |e: &mut Event<'de>, v: U32| e.dropped_attributes_count = v.0,
});

/// A span link.
#[derive(Debug, Default)]
pub(crate) struct Link<'de> {
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
    pub(crate) trace_state: Cow<'de, str>,
    pub(crate) attributes: Attributes<'de>,
    pub(crate) dropped_attributes_count: u32,
}

decode_object!(Link<'de>, "a link object", strict, |link| {
    TraceId("traceId", "trace_id"): HexId<16> => |l: &mut Link<'de>, v: HexId<16>| l.trace_id = v.0,
    SpanId("spanId", "span_id"): HexId<8> => |l: &mut Link<'de>, v: HexId<8>| l.span_id = v.0,
    TraceState("traceState", "trace_state"): Str<'de> =>
        |l: &mut Link<'de>, v: Str<'de>| l.trace_state = v.0,
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |l: &mut Link<'de>, v| l.attributes = v,
    DroppedAttributes("droppedAttributesCount", "dropped_attributes_count"): U32 =>
        |l: &mut Link<'de>, v: U32| l.dropped_attributes_count = v.0,
});

signal_levels!(
    Span<'de>,
    "resourceSpans",
    "resource_spans",
    "scopeSpans",
    "scope_spans",
    "spans",
    "spans"
);

// ---- Logs ----

/// `SeverityNumber` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SeverityNames;
impl EnumNames for SeverityNames {
    const EXPECTED: &'static str =
        "a severity number (a number or a name such as SEVERITY_NUMBER_INFO)";
    fn from_name(name: &str) -> Option<i32> {
        use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
        SeverityNumber::from_str_name(name).map(|k| k as i32)
    }
}

/// A log record.
#[derive(Debug, Default)]
pub(crate) struct LogRecord<'de> {
    pub(crate) time_unix_nano: u64,
    pub(crate) observed_time_unix_nano: u64,
    pub(crate) severity_number: i32,
    pub(crate) severity_text: Cow<'de, str>,
    pub(crate) body: AnyValue<'de>,
    pub(crate) attributes: Attributes<'de>,
    pub(crate) dropped_attributes_count: u32,
    pub(crate) trace_id: [u8; 16],
    pub(crate) span_id: [u8; 8],
}

decode_object!(LogRecord<'de>, "a log record object", strict, |record| {
    Time("timeUnixNano", "time_unix_nano"): U64 =>
        |r: &mut LogRecord<'de>, v: U64| r.time_unix_nano = v.0,
    Observed("observedTimeUnixNano", "observed_time_unix_nano"): U64 =>
        |r: &mut LogRecord<'de>, v: U64| r.observed_time_unix_nano = v.0,
    SeverityNumber("severityNumber", "severity_number"): Enum<SeverityNames> =>
        |r: &mut LogRecord<'de>, v: Enum<_>| r.severity_number = v.0,
    SeverityText("severityText", "severity_text"): Str<'de> =>
        |r: &mut LogRecord<'de>, v: Str<'de>| r.severity_text = v.0,
    Body("body", "body"): AnyValue<'de> => |r: &mut LogRecord<'de>, v| r.body = v,
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |r: &mut LogRecord<'de>, v| r.attributes = v,
    DroppedAttributes("droppedAttributesCount", "dropped_attributes_count"): U32 =>
        |r: &mut LogRecord<'de>, v: U32| r.dropped_attributes_count = v.0,
    TraceId("traceId", "trace_id"): HexId<16> =>
        |r: &mut LogRecord<'de>, v: HexId<16>| r.trace_id = v.0,
    SpanId("spanId", "span_id"): HexId<8> => |r: &mut LogRecord<'de>, v: HexId<8>| r.span_id = v.0,
});

signal_levels!(
    LogRecord<'de>,
    "resourceLogs",
    "resource_logs",
    "scopeLogs",
    "scope_logs",
    "logRecords",
    "log_records"
);

// ---- Metrics ----

/// `AggregationTemporality` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TemporalityNames;
impl EnumNames for TemporalityNames {
    const EXPECTED: &'static str =
        "an aggregation temporality (a number or a name such as AGGREGATION_TEMPORALITY_DELTA)";
    fn from_name(name: &str) -> Option<i32> {
        use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
        AggregationTemporality::from_str_name(name).map(|k| k as i32)
    }
}

/// A metric and its points. `bad`: the metric itself could not be read (its points are
/// rejected).
#[derive(Debug, Default)]
pub(crate) struct Metric<'de> {
    pub(crate) name: Cow<'de, str>,
    pub(crate) unit: Cow<'de, str>,
    pub(crate) data: MetricData<'de>,
    data_kinds: u8,
    pub(crate) bad: bool,
}

/// The points of a metric, by kind.
#[derive(Debug, Default)]
pub(crate) enum MetricData<'de> {
    #[default]
    None,
    Gauge(Items<NumberPoint<'de>>),
    Sum {
        points: Items<NumberPoint<'de>>,
        temporality: i32,
        monotonic: bool,
    },
    Histogram {
        points: Items<HistogramPoint<'de>>,
        temporality: i32,
    },
    ExponentialHistogram {
        points: Items<ExponentialHistogramPoint<'de>>,
        temporality: i32,
    },
    Summary(Items<SummaryPoint<'de>>),
}

impl<'de> Metric<'de> {
    fn set(&mut self, data: MetricData<'de>) {
        self.data = data;
        self.data_kinds += 1;
    }

    /// How many points the metric holds (decoded or not).
    pub(crate) fn point_count(&self) -> usize {
        match &self.data {
            MetricData::None => 0,
            MetricData::Gauge(points) | MetricData::Sum { points, .. } => points.0.len(),
            MetricData::Histogram { points, .. } => points.0.len(),
            MetricData::ExponentialHistogram { points, .. } => points.0.len(),
            MetricData::Summary(points) => points.0.len(),
        }
    }
}

decode_object!(Metric<'de>, "a metric object", soft, |metric| {
    Name("name", "name"): Str<'de> => |m: &mut Metric<'de>, v: Str<'de>| m.name = v.0,
    Unit("unit", "unit"): Str<'de> => |m: &mut Metric<'de>, v: Str<'de>| m.unit = v.0,
    Gauge("gauge", "gauge"): Opt<Gauge<'de>> =>
        |m: &mut Metric<'de>, v: Opt<Gauge<'de>>| if let Some(g) = v.0 { m.set(MetricData::Gauge(g.points)) },
    Sum("sum", "sum"): Opt<Sum<'de>> => |m: &mut Metric<'de>, v: Opt<Sum<'de>>| if let Some(s) = v.0 {
        m.set(MetricData::Sum { points: s.points, temporality: s.temporality, monotonic: s.monotonic })
    },
    Histogram("histogram", "histogram"): Opt<Histogram<'de>> =>
        |m: &mut Metric<'de>, v: Opt<Histogram<'de>>| if let Some(h) = v.0 {
            m.set(MetricData::Histogram { points: h.points, temporality: h.temporality })
        },
    ExponentialHistogram("exponentialHistogram", "exponential_histogram"): Opt<ExponentialHistogram<'de>> =>
        |m: &mut Metric<'de>, v: Opt<ExponentialHistogram<'de>>| if let Some(h) = v.0 {
            m.set(MetricData::ExponentialHistogram { points: h.points, temporality: h.temporality })
        },
    Summary("summary", "summary"): Opt<Summary<'de>> =>
        |m: &mut Metric<'de>, v: Opt<Summary<'de>>| if let Some(s) = v.0 { m.set(MetricData::Summary(s.points)) },
}
check |metric, ctx| {
    if metric.data_kinds > 1 {
        // The metric is kept, marked bad, so that its points are counted as rejected.
        ctx.problem(DropReason::UndecodableItem, || {
            "more than one of gauge, sum, histogram, exponentialHistogram, summary".into()
        });
        metric.bad = true;
    }
    Ok::<(), Bad>(())
});

/// `gauge`.
#[derive(Debug, Default)]
struct Gauge<'de> {
    points: Items<NumberPoint<'de>>,
}

decode_object!(Gauge<'de>, "a gauge object", strict, |gauge| {
    Points("dataPoints", "data_points"): Items<NumberPoint<'de>> => |g: &mut Gauge<'de>, v| g.points = v,
});

/// `sum`.
#[derive(Debug, Default)]
struct Sum<'de> {
    points: Items<NumberPoint<'de>>,
    temporality: i32,
    monotonic: bool,
}

decode_object!(Sum<'de>, "a sum object", strict, |sum| {
    Points("dataPoints", "data_points"): Items<NumberPoint<'de>> => |s: &mut Sum<'de>, v| s.points = v,
    Temporality("aggregationTemporality", "aggregation_temporality"): Enum<TemporalityNames> =>
        |s: &mut Sum<'de>, v: Enum<_>| s.temporality = v.0,
    Monotonic("isMonotonic", "is_monotonic"): Bool => |s: &mut Sum<'de>, v: Bool| s.monotonic = v.0,
});

/// `histogram`.
#[derive(Debug, Default)]
struct Histogram<'de> {
    points: Items<HistogramPoint<'de>>,
    temporality: i32,
}

decode_object!(Histogram<'de>, "a histogram object", strict, |histogram| {
    Points("dataPoints", "data_points"): Items<HistogramPoint<'de>> =>
        |h: &mut Histogram<'de>, v| h.points = v,
    Temporality("aggregationTemporality", "aggregation_temporality"): Enum<TemporalityNames> =>
        |h: &mut Histogram<'de>, v: Enum<_>| h.temporality = v.0,
});

/// `exponentialHistogram`.
#[derive(Debug, Default)]
struct ExponentialHistogram<'de> {
    points: Items<ExponentialHistogramPoint<'de>>,
    temporality: i32,
}

decode_object!(ExponentialHistogram<'de>, "an exponential histogram object", strict, |histogram| {
    Points("dataPoints", "data_points"): Items<ExponentialHistogramPoint<'de>> =>
        |h: &mut ExponentialHistogram<'de>, v| h.points = v,
    Temporality("aggregationTemporality", "aggregation_temporality"): Enum<TemporalityNames> =>
        |h: &mut ExponentialHistogram<'de>, v: Enum<_>| h.temporality = v.0,
});

/// `summary`.
#[derive(Debug, Default)]
struct Summary<'de> {
    points: Items<SummaryPoint<'de>>,
}

decode_object!(Summary<'de>, "a summary object", strict, |summary| {
    Points("dataPoints", "data_points"): Items<SummaryPoint<'de>> =>
        |s: &mut Summary<'de>, v| s.points = v,
});

/// A number value: `asDouble` or `asInt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Double(f64),
    Int(i64),
}

/// A gauge or sum point.
#[derive(Debug, Default)]
pub(crate) struct NumberPoint<'de> {
    pub(crate) attributes: Attributes<'de>,
    pub(crate) start_time_unix_nano: u64,
    pub(crate) time_unix_nano: u64,
    pub(crate) value: Option<Number>,
    pub(crate) exemplars: Isolated<Exemplar<'de>, ItemReason>,
    values_set: u8,
}

decode_object!(NumberPoint<'de>, "a data point object", strict, |point| {
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |p: &mut NumberPoint<'de>, v| p.attributes = v,
    Start("startTimeUnixNano", "start_time_unix_nano"): U64 =>
        |p: &mut NumberPoint<'de>, v: U64| p.start_time_unix_nano = v.0,
    Time("timeUnixNano", "time_unix_nano"): U64 =>
        |p: &mut NumberPoint<'de>, v: U64| p.time_unix_nano = v.0,
    AsDouble("asDouble", "as_double"): Opt<F64> => |p: &mut NumberPoint<'de>, v: Opt<F64>| if let Some(v) = v.0 {
        p.value = Some(Number::Double(v.0));
        p.values_set += 1;
    },
    AsInt("asInt", "as_int"): Opt<I64> => |p: &mut NumberPoint<'de>, v: Opt<I64>| if let Some(v) = v.0 {
        p.value = Some(Number::Int(v.0));
        p.values_set += 1;
    },
    Exemplars("exemplars", "exemplars"): Isolated<Exemplar<'de>, ItemReason> =>
        |p: &mut NumberPoint<'de>, v| p.exemplars = v,
}
check |point, ctx| if point.values_set > 1 {
    Err(ctx.bad(|| "both asDouble and asInt".into()))
} else {
    Ok(())
});

/// An exemplar.
#[derive(Debug, Default)]
pub(crate) struct Exemplar<'de> {
    pub(crate) filtered_attributes: Attributes<'de>,
    pub(crate) time_unix_nano: u64,
    pub(crate) value: Option<Number>,
    pub(crate) span_id: [u8; 8],
    pub(crate) trace_id: [u8; 16],
    values_set: u8,
}

decode_object!(Exemplar<'de>, "an exemplar object", strict, |exemplar| {
    Attributes("filteredAttributes", "filtered_attributes"): Attributes<'de> =>
        |e: &mut Exemplar<'de>, v| e.filtered_attributes = v,
    Time("timeUnixNano", "time_unix_nano"): U64 =>
        |e: &mut Exemplar<'de>, v: U64| e.time_unix_nano = v.0,
    AsDouble("asDouble", "as_double"): Opt<F64> => |e: &mut Exemplar<'de>, v: Opt<F64>| if let Some(v) = v.0 {
        e.value = Some(Number::Double(v.0));
        e.values_set += 1;
    },
    AsInt("asInt", "as_int"): Opt<I64> => |e: &mut Exemplar<'de>, v: Opt<I64>| if let Some(v) = v.0 {
        e.value = Some(Number::Int(v.0));
        e.values_set += 1;
    },
    SpanId("spanId", "span_id"): HexId<8> => |e: &mut Exemplar<'de>, v: HexId<8>| e.span_id = v.0,
    TraceId("traceId", "trace_id"): HexId<16> => |e: &mut Exemplar<'de>, v: HexId<16>| e.trace_id = v.0,
}
check |exemplar, ctx| if exemplar.values_set > 1 {
    Err(ctx.bad(|| "both asDouble and asInt".into()))
} else {
    Ok(())
});

/// A histogram point.
#[derive(Debug, Default)]
pub(crate) struct HistogramPoint<'de> {
    pub(crate) attributes: Attributes<'de>,
    pub(crate) start_time_unix_nano: u64,
    pub(crate) time_unix_nano: u64,
    pub(crate) count: u64,
    pub(crate) sum: Option<f64>,
    pub(crate) bucket_counts: Vec<u64>,
    pub(crate) explicit_bounds: Vec<f64>,
    pub(crate) exemplars: Isolated<Exemplar<'de>, ItemReason>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
}

decode_object!(HistogramPoint<'de>, "a data point object", strict, |point| {
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |p: &mut HistogramPoint<'de>, v| p.attributes = v,
    Start("startTimeUnixNano", "start_time_unix_nano"): U64 =>
        |p: &mut HistogramPoint<'de>, v: U64| p.start_time_unix_nano = v.0,
    Time("timeUnixNano", "time_unix_nano"): U64 =>
        |p: &mut HistogramPoint<'de>, v: U64| p.time_unix_nano = v.0,
    Count("count", "count"): U64 => |p: &mut HistogramPoint<'de>, v: U64| p.count = v.0,
    Sum("sum", "sum"): Opt<F64> => |p: &mut HistogramPoint<'de>, v: Opt<F64>| p.sum = v.0.map(|f| f.0),
    BucketCounts("bucketCounts", "bucket_counts"): List<U64> =>
        |p: &mut HistogramPoint<'de>, v: List<U64>| p.bucket_counts = v.0.into_iter().map(|c| c.0).collect(),
    ExplicitBounds("explicitBounds", "explicit_bounds"): List<F64> =>
        |p: &mut HistogramPoint<'de>, v: List<F64>| p.explicit_bounds = v.0.into_iter().map(|b| b.0).collect(),
    Exemplars("exemplars", "exemplars"): Isolated<Exemplar<'de>, ItemReason> =>
        |p: &mut HistogramPoint<'de>, v| p.exemplars = v,
    Min("min", "min"): Opt<F64> => |p: &mut HistogramPoint<'de>, v: Opt<F64>| p.min = v.0.map(|f| f.0),
    Max("max", "max"): Opt<F64> => |p: &mut HistogramPoint<'de>, v: Opt<F64>| p.max = v.0.map(|f| f.0),
});

/// The positive or negative buckets of an exponential histogram point.
#[derive(Debug, Default)]
pub(crate) struct ExponentialBuckets {
    pub(crate) offset: i32,
    pub(crate) bucket_counts: Vec<u64>,
}

decode_object!(ExponentialBuckets, "a buckets object", strict, |buckets| {
    Offset("offset", "offset"): I32 => |b: &mut ExponentialBuckets, v: I32| b.offset = v.0,
    BucketCounts("bucketCounts", "bucket_counts"): List<U64> =>
        |b: &mut ExponentialBuckets, v: List<U64>| b.bucket_counts = v.0.into_iter().map(|c| c.0).collect(),
});

/// An exponential histogram point.
#[derive(Debug, Default)]
pub(crate) struct ExponentialHistogramPoint<'de> {
    pub(crate) attributes: Attributes<'de>,
    pub(crate) start_time_unix_nano: u64,
    pub(crate) time_unix_nano: u64,
    pub(crate) count: u64,
    pub(crate) sum: Option<f64>,
    pub(crate) scale: i32,
    pub(crate) zero_count: u64,
    pub(crate) positive: ExponentialBuckets,
    pub(crate) negative: ExponentialBuckets,
    pub(crate) exemplars: Isolated<Exemplar<'de>, ItemReason>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) zero_threshold: f64,
}

decode_object!(ExponentialHistogramPoint<'de>, "a data point object", strict, |point| {
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |p: &mut ExponentialHistogramPoint<'de>, v| p.attributes = v,
    Start("startTimeUnixNano", "start_time_unix_nano"): U64 =>
        |p: &mut ExponentialHistogramPoint<'de>, v: U64| p.start_time_unix_nano = v.0,
    Time("timeUnixNano", "time_unix_nano"): U64 =>
        |p: &mut ExponentialHistogramPoint<'de>, v: U64| p.time_unix_nano = v.0,
    Count("count", "count"): U64 => |p: &mut ExponentialHistogramPoint<'de>, v: U64| p.count = v.0,
    Sum("sum", "sum"): Opt<F64> =>
        |p: &mut ExponentialHistogramPoint<'de>, v: Opt<F64>| p.sum = v.0.map(|f| f.0),
    Scale("scale", "scale"): I32 => |p: &mut ExponentialHistogramPoint<'de>, v: I32| p.scale = v.0,
    ZeroCount("zeroCount", "zero_count"): U64 =>
        |p: &mut ExponentialHistogramPoint<'de>, v: U64| p.zero_count = v.0,
    Positive("positive", "positive"): ExponentialBuckets =>
        |p: &mut ExponentialHistogramPoint<'de>, v| p.positive = v,
    Negative("negative", "negative"): ExponentialBuckets =>
        |p: &mut ExponentialHistogramPoint<'de>, v| p.negative = v,
    Exemplars("exemplars", "exemplars"): Isolated<Exemplar<'de>, ItemReason> =>
        |p: &mut ExponentialHistogramPoint<'de>, v| p.exemplars = v,
    Min("min", "min"): Opt<F64> =>
        |p: &mut ExponentialHistogramPoint<'de>, v: Opt<F64>| p.min = v.0.map(|f| f.0),
    Max("max", "max"): Opt<F64> =>
        |p: &mut ExponentialHistogramPoint<'de>, v: Opt<F64>| p.max = v.0.map(|f| f.0),
    ZeroThreshold("zeroThreshold", "zero_threshold"): F64 =>
        |p: &mut ExponentialHistogramPoint<'de>, v: F64| p.zero_threshold = v.0,
});

/// One quantile of a summary point.
#[derive(Debug, Default)]
pub(crate) struct Quantile {
    pub(crate) quantile: f64,
    pub(crate) value: f64,
}

decode_object!(Quantile, "a quantile object", strict, |quantile| {
    Quantile("quantile", "quantile"): F64 => |q: &mut Quantile, v: F64| q.quantile = v.0,
    Value("value", "value"): F64 => |q: &mut Quantile, v: F64| q.value = v.0,
});

/// A summary point.
#[derive(Debug, Default)]
pub(crate) struct SummaryPoint<'de> {
    pub(crate) attributes: Attributes<'de>,
    pub(crate) start_time_unix_nano: u64,
    pub(crate) time_unix_nano: u64,
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) quantile_values: Vec<Quantile>,
}

decode_object!(SummaryPoint<'de>, "a data point object", strict, |point| {
    Attributes("attributes", "attributes"): Attributes<'de> =>
        |p: &mut SummaryPoint<'de>, v| p.attributes = v,
    Start("startTimeUnixNano", "start_time_unix_nano"): U64 =>
        |p: &mut SummaryPoint<'de>, v: U64| p.start_time_unix_nano = v.0,
    Time("timeUnixNano", "time_unix_nano"): U64 =>
        |p: &mut SummaryPoint<'de>, v: U64| p.time_unix_nano = v.0,
    Count("count", "count"): U64 => |p: &mut SummaryPoint<'de>, v: U64| p.count = v.0,
    Sum("sum", "sum"): F64 => |p: &mut SummaryPoint<'de>, v: F64| p.sum = v.0,
    QuantileValues("quantileValues", "quantile_values"): List<Quantile> =>
        |p: &mut SummaryPoint<'de>, v: List<Quantile>| p.quantile_values = v.0,
});

/// `scopeMetrics`: a scope and its metrics.
#[derive(Debug, Default)]
pub(crate) struct ScopeMetrics<'de> {
    pub(crate) scope: Scope<'de>,
    pub(crate) metrics: Vec<Metric<'de>>,
    pub(crate) bad: bool,
}

decode_object!(ScopeMetrics<'de>, "a scope object", soft, |level| {
    Scope("scope", "scope"): Scope<'de> => |l: &mut ScopeMetrics<'de>, v| l.scope = v,
    Metrics("metrics", "metrics"): Isolated<Metric<'de>, ItemReason> =>
        |l: &mut ScopeMetrics<'de>, v: Isolated<_, ItemReason>| l.metrics = v.items,
});

decode_object!(Request<'de, ScopeMetrics<'de>>, "an object", soft, |request| {
    Resources("resourceMetrics", "resource_metrics"): Isolated<ResourceLevel<'de, ScopeMetrics<'de>>, ItemReason> =>
        |r: &mut Request<'de, _>, v: Isolated<_, ItemReason>| r.resources = v.items,
});

decode_object!(ResourceLevel<'de, ScopeMetrics<'de>>, "a resource object", soft, |level| {
    Resource("resource", "resource"): Resource<'de> =>
        |l: &mut ResourceLevel<'de, _>, v| l.resource = v,
    Scopes("scopeMetrics", "scope_metrics"): Isolated<ScopeMetrics<'de>, ItemReason> =>
        |l: &mut ResourceLevel<'de, _>, v: Isolated<_, ItemReason>| l.scopes = v.items,
});
