#![doc = include_str!("../README.md")]

mod admission;
mod body;
mod commit;
pub mod config;
mod grpc;
mod http;
mod ingest;
mod queued;
mod receiver;
mod reply;
mod serve;
mod store;
mod telemetry;

pub use admission::{RETRY_AFTER_MAX, RETRY_AFTER_MIN};
pub use body::{BodyError, ContentCoding, decompress, encoding_from_content_type};
pub use commit::{DatabaseStore, WRITE_CONCURRENCY_DEFAULT};
pub use config::{IncomingAuth, ReceiverConfig};
pub use grpc::{LOGS_SERVICE, METRICS_SERVICE, PassThrough, TRACE_SERVICE, export_path};
pub use otlp_influx::decode::{DecodeError, Encoding, Signal};
pub use queued::{QueueOpenError, QueuedStore};
pub use receiver::Receiver;
pub use serve::{SHUTDOWN_TIMEOUT_DEFAULT, ServeConfig, ServeError, Server, TlsFiles, bind};
pub use store::{FileStore, LineBatch, LineStore, StoreFuture, StoreOutcome};
