//! Log records to `logs`, by stage like `traces/`: the view trait (`view.rs`), its
//! implementations for each input (`sdk.rs`, `proto.rs`, `wire.rs`, `json.rs`), the schema
//! (`schema.rs`).

#[cfg(feature = "json")]
mod json;
mod proto;
mod schema;
mod sdk;
pub(crate) mod view;
mod wire;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_sdk::logs::LogBatch;

use crate::{
    MappingReport, OtlpMapper, PreparedResource,
    layout::AttrList,
    view::{proto_resource_attrs, proto_scope_attrs},
};

impl OtlpMapper {
    /// Maps an SDK log batch to `logs` lines.
    pub fn map_sdk_logs(
        &mut self,
        resource: &PreparedResource,
        batch: &LogBatch<'_>,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut attrs = AttrList::new(self.take_attrs());
        for (record, scope) in batch.iter() {
            self.map_log_record(resource, scope, record, &mut attrs, out, report);
        }
        self.return_attrs(attrs.list);
    }

    /// Maps an OTLP logs export request, resource by resource, scope by scope, in input order.
    pub fn map_proto_logs(
        &mut self,
        request: &ExportLogsServiceRequest,
        out: &mut lineproto::Encoder,
        report: &mut MappingReport,
    ) {
        let mut attrs = AttrList::new(self.take_attrs());
        for resource_logs in &request.resource_logs {
            let resource = proto_resource_attrs(resource_logs.resource.as_ref());
            for scope_logs in &resource_logs.scope_logs {
                let scope = proto_scope_attrs(scope_logs.scope.as_ref());
                for record in &scope_logs.log_records {
                    self.map_log_record(resource, scope, record, &mut attrs, out, report);
                }
            }
        }
        self.return_attrs(attrs.list);
    }
}
