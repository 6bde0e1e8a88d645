//! Spans to `spans`, their events to `logs`, their links to `span-links` (written in that
//! order per span: events, links, span), by stage: the view traits the schema reads spans
//! through (`view.rs`), their implementations for each input (`sdk.rs`, `proto.rs` for prost's
//! types, `wire.rs` for protobuf read in place, and with the `json` feature `json.rs`), and the
//! schema itself, written once (`schema.rs`).

#[cfg(feature = "json")]
mod json;
mod proto;
mod schema;
mod sdk;
pub(crate) mod view;
pub(crate) mod wire;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_sdk::trace::SpanData;

use crate::{
    MappingReport, OtlpMapper, PreparedResource,
    layout::AttrList,
    view::{proto_resource_attrs, proto_scope_attrs},
};

impl OtlpMapper {
    /// Maps SDK spans: for each span its events (`logs`), links (`span-links`), then the span
    /// (`spans`). Allocation-free per span once the scratch has grown (see the crate docs).
    pub fn map_sdk_spans(
        &mut self,
        resource: &PreparedResource,
        spans: &[SpanData],
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut attrs = AttrList::new(self.take_attrs());
        for span in spans {
            self.map_span(
                resource,
                &span.instrumentation_scope,
                span,
                &mut attrs,
                out,
                report,
            );
        }
        self.return_attrs(attrs.list);
    }

    /// Maps an OTLP trace export request, resource by resource, scope by scope, in input order.
    pub fn map_proto_traces(
        &mut self,
        request: &ExportTraceServiceRequest,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut attrs = AttrList::new(self.take_attrs());
        for resource_spans in &request.resource_spans {
            let resource = proto_resource_attrs(resource_spans.resource.as_ref());
            for scope_spans in &resource_spans.scope_spans {
                let scope = proto_scope_attrs(scope_spans.scope.as_ref());
                for span in &scope_spans.spans {
                    self.map_span(resource, scope, span, &mut attrs, out, report);
                }
            }
        }
        self.return_attrs(attrs.list);
    }
}
