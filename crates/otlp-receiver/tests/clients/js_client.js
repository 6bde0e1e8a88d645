// One OpenTelemetry JS SDK client for tests/clients.rs (run with NODE_PATH at the test peers'
// node_modules).
//
// Reads a plan (JSON) on stdin: the receiver's address, the exporter (`grpc`, `http/json` or
// `http/protobuf`), gzip on or off, and the telemetry to send (names, attributes, times).
// Records the spans and log records with the SDK into memory, then hands each batch to the real
// OTLP exporter once and checks its result: a failed export exits non-zero with the reason.
// Prints what it sent as JSON on stdout: the ids the SDK made up, the resource the SDK built,
// and the exception event's attributes. (The JS metrics exporters have no release that matches
// these exporters' 0.223.1, so this client sends no metrics.)
//
// Times in the plan are decimal strings of Unix nanoseconds.
'use strict';

const api = require('@opentelemetry/api');
const { defaultResource, resourceFromAttributes } = require('@opentelemetry/resources');
const {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} = require('@opentelemetry/sdk-trace-base');
const {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} = require('@opentelemetry/sdk-logs');

const TIMEOUT_MILLIS = 10000;

/** The span and log exporters of the plan's protocol, gzip on or off. */
function exporters(plan) {
  const compression = plan.gzip ? 'gzip' : 'none';
  const packages = {
    grpc: ['grpc', ''],
    'http/json': ['http', '/v1/'],
    'http/protobuf': ['proto', '/v1/'],
  }[plan.protocol];
  if (!packages) throw new Error(`unknown protocol ${plan.protocol}`);
  const [flavour, path] = packages;
  // gRPC takes the server's address; OTLP/HTTP takes each signal's full URL.
  const url = (signal) => (path ? `${plan.endpoint}${path}${signal}` : plan.endpoint);
  const { OTLPTraceExporter } = require(`@opentelemetry/exporter-trace-otlp-${flavour}`);
  const { OTLPLogExporter } = require(`@opentelemetry/exporter-logs-otlp-${flavour}`);
  return {
    spans: new OTLPTraceExporter({ url: url('traces'), compression, timeoutMillis: TIMEOUT_MILLIS }),
    logs: new OTLPLogExporter({ url: url('logs'), compression, timeoutMillis: TIMEOUT_MILLIS }),
  };
}

/** Hands `batch` to `exporter` once; rejects with the reason unless it succeeded. */
function exportOnce(what, exporter, batch) {
  return new Promise((resolve, reject) => {
    exporter.export(batch, (result) => {
      if (result.code === 0) resolve();
      else reject(new Error(`${what} export failed: ${result.error && result.error.stack}`));
    });
  });
}

/** A decimal string of Unix nanoseconds as an HrTime, without losing nanoseconds. */
function hrTime(nanos) {
  const n = BigInt(nanos);
  return [Number(n / 1000000000n), Number(n % 1000000000n)];
}

/** The parent (event, exception, error status) and its child (link), ended, in memory. */
function recordSpans(plan, resource) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer(plan.scope.name, plan.scope.version);

  const parent = tracer.startSpan(plan.parent.name, {
    kind: api.SpanKind.SERVER,
    attributes: plan.parent.attributes,
    startTime: hrTime(plan.parent.start),
  });
  parent.addEvent(plan.event.name, plan.event.attributes, hrTime(plan.event.time));
  try {
    throw new RangeError(plan.exception.message);
  } catch (error) {
    parent.recordException(error, hrTime(plan.exception.time));
  }
  parent.setStatus({ code: api.SpanStatusCode.ERROR, message: plan.parent.status_message });
  const inParent = api.trace.setSpan(api.ROOT_CONTEXT, parent);

  const linked = {
    traceId: plan.link.trace_id,
    spanId: plan.link.span_id,
    traceFlags: api.TraceFlags.SAMPLED,
    isRemote: true,
  };
  const child = tracer.startSpan(
    plan.child.name,
    {
      kind: api.SpanKind.CLIENT,
      attributes: plan.child.attributes,
      links: [{ context: linked, attributes: plan.link.attributes }],
      startTime: hrTime(plan.child.start),
    },
    inParent,
  );
  child.setStatus({ code: api.SpanStatusCode.OK });
  child.end(hrTime(plan.child.end));
  parent.end(hrTime(plan.parent.end));
  return { spans: memory.getFinishedSpans(), inParent };
}

/** Each planned log record; `in_span` ones carry the parent span's context. */
function recordLogs(plan, resource, inParent) {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource,
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const logger = provider.getLogger(plan.scope.name, plan.scope.version);
  for (const log of plan.logs) {
    logger.emit({
      timestamp: hrTime(log.time),
      observedTimestamp: hrTime(log.observed),
      context: log.in_span ? inParent : api.ROOT_CONTEXT,
      severityNumber: log.severity_number,
      severityText: log.severity_text,
      body: log.body,
      attributes: log.attributes,
    });
  }
  return memory.getFinishedLogRecords();
}

async function main() {
  let input = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) input += chunk;
  const plan = JSON.parse(input);
  const resource = defaultResource().merge(resourceFromAttributes(plan.resource));
  const exporter = exporters(plan);

  const { spans, inParent } = recordSpans(plan, resource);
  const logs = recordLogs(plan, resource, inParent);
  await exportOnce('span', exporter.spans, spans);
  await exportOnce('log', exporter.logs, logs);
  await Promise.all([exporter.spans.shutdown(), exporter.logs.shutdown()]);

  const parent = spans.find((span) => !span.parentSpanContext);
  const child = spans.find((span) => span.parentSpanContext);
  const exception = parent.events.find((event) => event.name === 'exception');
  process.stdout.write(
    JSON.stringify({
      trace_id: parent.spanContext().traceId,
      parent_span_id: parent.spanContext().spanId,
      child_span_id: child.spanContext().spanId,
      resource: resource.attributes,
      exception: exception.attributes,
    }),
  );
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
