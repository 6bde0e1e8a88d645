//! One request's body to one [`LineBatch`]: decode, map, count.
//!
//! Mapping needs a mutable [`OtlpMapper`] (it keeps scratch buffers and caches between calls),
//! so the receiver keeps a small pool of them: a request takes one, maps, and puts it back.

use std::sync::Mutex;

use bytes::Bytes;
use otlp_influx::decode::{DecodeError, Encoding, Signal};
use otlp_influx::{ConfigError, DropReason, MappingConfig, MappingReport, OtlpMapper};

use crate::store::LineBatch;

/// Mappers kept for reuse beyond this many are dropped (one per concurrent request is enough).
const POOL_MAX: usize = 16;

/// The mapping stage shared by every listener.
#[derive(Debug)]
pub(crate) struct Ingestor {
    config: MappingConfig,
    pool: Mutex<Vec<OtlpMapper>>,
}

/// The result of mapping one request.
#[derive(Debug)]
pub(crate) struct Mapped {
    pub(crate) batch: LineBatch,
    /// Items (spans, log records, data points) in the request.
    pub(crate) received: u64,
    /// Items that wrote no line at all.
    pub(crate) rejected: u64,
    /// Everything the mapping dropped, by reason (whole items and parts of items).
    pub(crate) drops: Vec<(DropReason, u64)>,
    /// The first few drop messages, for the client's `error_message` and the logs.
    pub(crate) messages: Vec<String>,
}

impl Ingestor {
    /// Checks `config` once (by building the first mapper).
    pub(crate) fn new(config: MappingConfig) -> Result<Self, ConfigError> {
        let first = OtlpMapper::new(config.clone())?;
        Ok(Self {
            config,
            pool: Mutex::new(vec![first]),
        })
    }

    /// The mapping configuration.
    pub(crate) fn config(&self) -> &MappingConfig {
        &self.config
    }

    /// Decodes and maps one request body.
    pub(crate) fn map(
        &self,
        signal: Signal,
        encoding: Encoding,
        body: &[u8],
    ) -> Result<Mapped, DecodeError> {
        let mut mapper = self.take();
        // Line protocol is about twice the size of the protobuf it comes from.
        let mut out = lineproto::Encoder::with_buffer(
            Vec::with_capacity(body.len().saturating_mul(2).min(64 << 20)),
            self.config.encoder,
        );
        let mut report = MappingReport::new();
        let mapped = mapper.map_request(signal, encoding, body, &mut out, &mut report);
        self.put_back(mapper);
        mapped?;
        let counts = report.items(signal);
        let line_ends = out.line_ends().to_vec();
        let lines = Bytes::from(out.take_buffer());
        Ok(Mapped {
            batch: LineBatch {
                signal,
                lines,
                line_ends,
                items: counts.received - counts.rejected,
            },
            received: counts.received,
            rejected: counts.rejected,
            drops: report.drops().collect(),
            messages: report.messages().to_vec(),
        })
    }

    fn take(&self) -> OtlpMapper {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        pooled.unwrap_or_else(|| {
            OtlpMapper::new(self.config.clone()).expect("the configuration was checked in new")
        })
    }

    fn put_back(&self, mapper: OtlpMapper) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < POOL_MAX {
            pool.push(mapper);
        }
    }
}
