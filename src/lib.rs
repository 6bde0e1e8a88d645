//! One dependency for the whole pipeline: OpenTelemetry data as line protocol into Datalayers and
//! InfluxDB, and traces back out.
//!
//! | crate | job |
//! |---|---|
//! | [`lineproto`] | zero-allocation line-protocol encoder with escaping and validation |
//! | [`otel_schema`] | the otel2influx schema's names, shared by writers and readers |
//! | [`otlp_influx`] | spans, logs and metrics mapped to lines (the otel2influx schema) |
//! | [`datalayers_client`] | HTTP writes, SQL over REST, InfluxQL, typed rows, the query transport traits |
//! | [`trace_query`] | trace list, trace tree, services and operations over SQL or InfluxQL |
//! | [`sdk_exporter`] | `SpanExporter`, `LogExporter` and `PushMetricExporter` for the OpenTelemetry SDK |

pub use datalayers_client;
pub use lineproto;
pub use otel_schema;
pub use otlp_influx;
pub use sdk_exporter;
pub use trace_query;
