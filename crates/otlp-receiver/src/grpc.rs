//! OTLP/gRPC: the `Export` methods of `TraceService`, `LogsService` and `MetricsService`.
//!
//! tonic does the gRPC work (HTTP/2 framing, `grpc-encoding` gzip/zstd/deflate, the message size
//! limit, which it applies after decompression, so a bomb is cut there too). The services are
//! the ones `opentelemetry-proto` generates, with the same names and method paths, but the
//! message reaches the receiver as the request's bytes (a pass-through codec) instead of a
//! decoded prost tree: the receiver decodes it straight into lines, as it does for OTLP/HTTP,
//! through the same export path.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf as _, BufMut as _, Bytes};
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::service::Routes;
use tonic::{Request, Response, Status};

/// The `Export` method path of each OTLP service; `None` for a signal this receiver does not
/// serve (`Signal` may grow: OTLP has profiles).
pub const fn export_path(signal: Signal) -> Option<&'static str> {
    match signal {
        Signal::Traces => Some("/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
        Signal::Logs => Some("/opentelemetry.proto.collector.logs.v1.LogsService/Export"),
        Signal::Metrics => Some("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"),
        _ => None,
    }
}

use crate::receiver::Receiver;
use crate::reply::{self, Refusal};
use crate::telemetry::Transport;
use crate::{Encoding, Signal};

/// `opentelemetry.proto.collector.trace.v1.TraceService`, as in `opentelemetry-proto`.
pub const TRACE_SERVICE: &str = "opentelemetry.proto.collector.trace.v1.TraceService";
/// `opentelemetry.proto.collector.logs.v1.LogsService`.
pub const LOGS_SERVICE: &str = "opentelemetry.proto.collector.logs.v1.LogsService";
/// `opentelemetry.proto.collector.metrics.v1.MetricsService`.
pub const METRICS_SERVICE: &str = "opentelemetry.proto.collector.metrics.v1.MetricsService";

impl Receiver {
    /// The three OTLP/gRPC services, to serve (see [`bind`](crate::bind)) or to add to an
    /// application's own tonic server.
    pub fn grpc_routes(&self) -> Routes {
        Routes::new(TraceService(ExportService::new(self, Signal::Traces)))
            .add_service(LogsService(ExportService::new(self, Signal::Logs)))
            .add_service(MetricsService(ExportService::new(self, Signal::Metrics)))
    }
}

/// One OTLP `Export` service, for one signal.
#[derive(Debug, Clone)]
struct ExportService {
    receiver: Receiver,
    signal: Signal,
    path: &'static str,
}

impl ExportService {
    fn new(receiver: &Receiver, signal: Signal) -> Self {
        let path = export_path(signal).expect("grpc_routes serves traces, logs and metrics only");
        Self {
            receiver: receiver.clone(),
            signal,
            path,
        }
    }

    async fn call(
        self,
        request: http::Request<tonic::body::Body>,
    ) -> http::Response<tonic::body::Body> {
        if request.uri().path() != self.path {
            return Status::unimplemented(format!("unknown method {}", request.uri().path()))
                .into_http();
        }
        let receiver = &self.receiver;
        if let Some(auth) = &receiver.config().auth
            && !auth.accepts(
                request
                    .headers()
                    .get(http::header::AUTHORIZATION)
                    .map(http::HeaderValue::as_bytes),
            )
        {
            let refusal = Refusal::unauthenticated("missing or wrong credentials");
            return self.refuse(refusal).into_http();
        }
        // Before tonic reads the message: a request that cannot fit is refused unread. Its
        // size is not known yet; it is charged once the message is in.
        let share = match receiver.admit(0) {
            Ok(share) => share,
            Err(refusal) => return self.refuse(refusal).into_http(),
        };
        let limit = receiver.config().max_request_bytes;
        let mut grpc = Grpc::new(PassThrough)
            .max_decoding_message_size(limit)
            .max_encoding_message_size(usize::MAX);
        for encoding in [
            CompressionEncoding::Gzip,
            CompressionEncoding::Zstd,
            CompressionEncoding::Deflate,
        ] {
            grpc = grpc.accept_compressed(encoding);
        }
        let method = ExportMethod {
            service: self.clone(),
            share: Some(share),
        };
        let response = grpc.unary(method, request).await;
        self.spec_status(response)
    }

    /// Refusals tonic makes before the method runs (the message could not be read) are
    /// trailers-only responses; two of its codes are corrected to what the OTLP specification
    /// asks, because clients retry by code: an oversize message is `OUT_OF_RANGE` in tonic
    /// (retryable in OTLP, so a client would resend it forever) and becomes
    /// `RESOURCE_EXHAUSTED` without `RetryInfo` (not retryable); a body that does not
    /// decompress is `INTERNAL` and becomes `INVALID_ARGUMENT`. They are counted too.
    fn spec_status(
        &self,
        mut response: http::Response<tonic::body::Body>,
    ) -> http::Response<tonic::body::Body> {
        let code = response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i32>().ok())
            .map(tonic::Code::from_i32);
        let message = || {
            response
                .headers()
                .get("grpc-message")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let refusal = match code {
            Some(tonic::Code::OutOfRange | tonic::Code::ResourceExhausted) => {
                Refusal::too_large(message())
            }
            Some(tonic::Code::Internal) => Refusal::invalid(message()),
            Some(tonic::Code::Unimplemented) => Refusal::unsupported_media(message()),
            _ => return response,
        };
        let status = self.refuse(refusal);
        let headers = response.headers_mut();
        headers.insert("grpc-status", http::HeaderValue::from(status.code() as i32));
        response
    }

    fn refuse(&self, refusal: Refusal) -> Status {
        self.receiver
            .refuse(Transport::Grpc, self.signal, refusal)
            .to_grpc()
    }
}

/// The unary method: the message bytes in, the encoded `Export*ServiceResponse` out.
struct ExportMethod {
    service: ExportService,
    share: Option<crate::admission::Share>,
}

impl UnaryService<Bytes> for ExportMethod {
    type Response = Bytes;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Bytes>, Status>> + Send>>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let service = self.service.clone();
        let share = self.share.take();
        Box::pin(async move {
            let receiver = &service.receiver;
            let signal = service.signal;
            let body = request.into_inner();
            let Some(mut share) = share else {
                return Err(Status::internal("the method was called twice"));
            };
            if !share.try_grow(body.len()) {
                return Err(service.refuse(receiver.over_budget()));
            }
            let wire_len = body.len();
            match receiver
                .export(
                    Transport::Grpc,
                    signal,
                    Encoding::Protobuf,
                    body,
                    wire_len,
                    share,
                )
                .await
            {
                Ok(accepted) => Ok(Response::new(reply::export_response(
                    signal,
                    Encoding::Protobuf,
                    accepted.rejected,
                    accepted.message.as_deref(),
                ))),
                Err(refusal) => Err(refusal.to_grpc()),
            }
        })
    }
}

/// A tonic codec that hands over message bytes as they are, in both directions: the receiver
/// decodes OTLP straight from the request's bytes with it, and a client can send requests it
/// encoded once (`otel-lp generate` does) without prost encoding them per call.
#[derive(Debug, Clone, Copy, Default)]
pub struct PassThrough;

impl Codec for PassThrough {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Self;
    type Decoder = Self;

    fn encoder(&mut self) -> Self::Encoder {
        Self
    }

    fn decoder(&mut self) -> Self::Decoder {
        Self
    }
}

impl Encoder for PassThrough {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for PassThrough {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

macro_rules! named_service {
    ($name:ident, $const:ident) => {
        /// A tonic service named as the OTLP service it serves.
        #[derive(Debug, Clone)]
        struct $name(ExportService);

        impl NamedService for $name {
            const NAME: &'static str = $const;
        }

        impl tower::Service<http::Request<tonic::body::Body>> for $name {
            type Response = http::Response<tonic::body::Body>;
            type Error = Infallible;
            type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
                Poll::Ready(Ok(()))
            }

            fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
                let service = self.0.clone();
                Box::pin(async move { Ok(service.call(request).await) })
            }
        }
    };
}

named_service!(TraceService, TRACE_SERVICE);
named_service!(LogsService, LOGS_SERVICE);
named_service!(MetricsService, METRICS_SERVICE);
