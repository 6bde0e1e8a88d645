//! What every signal's views share: an item's attributes as `(key, value view)` pairs, the
//! attribute lists of resources and scopes ([`AttrSource`]), and how each input kind's times,
//! ids, span kinds and status codes read. The views of each signal are in `traces/view.rs`,
//! `logs/view.rs` and `metrics/view.rs`.

use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::{
    common::v1::{InstrumentationScope as ProtoScope, KeyValue as ProtoKeyValue},
    resource::v1::Resource as ProtoResource,
    trace::v1::status::StatusCode as ProtoStatusCode,
};

use crate::traces::view::StatusCode;
use crate::value::{AttributeValue, ValueView};

/// One attribute: key and value view.
pub(crate) type Attr<'a> = (&'a str, ValueView<'a>);

/// Attributes of the SDK `KeyValue` list type.
pub(crate) fn sdk_attrs(kvs: &[KeyValue]) -> impl Iterator<Item = Attr<'_>> + Clone {
    kvs.iter().map(|kv| (kv.key.as_str(), kv.value.view()))
}

/// Attributes of the OTLP `KeyValue` list type.
pub(crate) fn proto_attrs(kvs: &[ProtoKeyValue]) -> impl Iterator<Item = Attr<'_>> + Clone {
    kvs.iter().map(|kv| (kv.key.as_str(), kv.value.view()))
}

/// Attributes of an OTLP request's resource: none when the resource is absent.
pub(crate) fn proto_resource_attrs(resource: Option<&ProtoResource>) -> &[ProtoKeyValue] {
    resource.map_or(&[], |r| &r.attributes)
}

/// Attributes of an OTLP request's instrumentation scope: none when the scope is absent.
pub(crate) fn proto_scope_attrs(scope: Option<&ProtoScope>) -> &[ProtoKeyValue] {
    scope.map_or(&[], |s| &s.attributes)
}

/// A list of attributes at one level (resource, scope), iterable as often as needed.
pub(crate) trait AttrSource {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>>;
}

impl AttrSource for crate::PreparedResource {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        self.attributes()
            .iter()
            .map(|(k, v)| (k.as_str(), v.view()))
    }
}

impl AttrSource for opentelemetry::InstrumentationScope {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        self.attributes()
            .map(|kv| (kv.key.as_str(), kv.value.view()))
    }
}

/// Attributes collected already (from in-place protobuf).
impl AttrSource for [Attr<'_>] {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        self.iter().copied()
    }
}

impl AttrSource for [ProtoKeyValue] {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        proto_attrs(self)
    }
}

/// Attributes of a decoded OTLP/JSON list.
#[cfg(feature = "json")]
pub(crate) fn json_attrs<'a>(
    kvs: &'a [crate::decode::json::KeyValue<'_>],
) -> impl Iterator<Item = Attr<'a>> + Clone {
    kvs.iter().map(|kv| (&*kv.key, kv.value.view()))
}

#[cfg(feature = "json")]
impl AttrSource for [crate::decode::json::KeyValue<'_>] {
    fn attrs(&self) -> impl Iterator<Item = Attr<'_>> {
        json_attrs(self)
    }
}

/// Unix nanoseconds of a `SystemTime` (negative before 1970, saturating beyond ±292 years).
pub(crate) fn system_time_ns(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_nanos()).map_or(i64::MIN, |n| -n),
    }
}

/// pdata timestamps are `uint64` cast to `int64` by the reference (so values above 2^63-1 wrap).
pub(crate) fn proto_ns(t: u64) -> i64 {
    t as i64
}

/// pdata `SpanKind.String()` of an OTLP span kind, `""` for unspecified or unknown.
pub(crate) fn span_kind_name(kind: i32) -> &'static str {
    match kind {
        1 => "Internal",
        2 => "Server",
        3 => "Client",
        4 => "Producer",
        5 => "Consumer",
        _ => "",
    }
}

/// The status code of an OTLP status (unknown codes read as unset).
pub(crate) fn status_code(code: i32) -> StatusCode {
    match ProtoStatusCode::try_from(code) {
        Ok(ProtoStatusCode::Ok) => StatusCode::Ok,
        Ok(ProtoStatusCode::Error) => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

pub(crate) fn id<const N: usize>(bytes: &[u8]) -> [u8; N] {
    // A malformed OTLP id (wrong length) reads as all zero, i.e. "no id".
    bytes.try_into().unwrap_or([0; N])
}

pub(crate) fn nonzero_id<const N: usize>(id: [u8; N]) -> Option<[u8; N]> {
    (id != [0; N]).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn system_times_convert_to_signed_nanoseconds() {
        assert_eq!(system_time_ns(UNIX_EPOCH), 0);
        assert_eq!(system_time_ns(UNIX_EPOCH + Duration::from_nanos(5)), 5);
        assert_eq!(system_time_ns(UNIX_EPOCH - Duration::from_nanos(5)), -5);
    }

    #[test]
    fn malformed_proto_ids_read_as_missing() {
        assert_eq!(id::<8>(&[1, 2, 3]), [0; 8]);
        assert_eq!(id::<8>(&[0, 0, 0, 0, 0, 0, 0, 9]), [0, 0, 0, 0, 0, 0, 0, 9]);
        assert_eq!(nonzero_id([0u8; 8]), None);
    }
}
