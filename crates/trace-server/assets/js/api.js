// The viewer reads only the server's JSON API: Jaeger's v1 for services, operations and whole
// traces; v3's trace summaries for the search list (one line per trace, no whole traces).

/** An API call that failed: the HTTP status and the server's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function getJSON(url) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server: ${e.message}`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy's error page, for instance.
  }
  if (!response.ok) {
    const message = body?.errors?.[0]?.msg || body?.error?.message || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return body;
}

/** Every service name. */
export async function services() {
  return (await getJSON('/api/services')).data || [];
}

/** The span names of a service, sorted, each once. */
export async function operations(service) {
  const data = (await getJSON(`/api/operations?service=${encodeURIComponent(service)}`)).data || [];
  return [...new Set(data.map((o) => o.name))].sort();
}

/**
 * Trace summaries for a search: {service, operation, tags (object), minDuration, maxDuration,
 * startUs, endUs, limit}.
 */
export async function traceSummaries(search) {
  const q = new URLSearchParams();
  if (search.service) q.set('query.serviceName', search.service);
  if (search.operation) q.set('query.operationName', search.operation);
  if (search.tags && Object.keys(search.tags).length) q.set('query.attributes', JSON.stringify(search.tags));
  q.set('query.startTimeMin', new Date(search.startUs / 1000).toISOString());
  q.set('query.startTimeMax', new Date(search.endUs / 1000).toISOString());
  if (search.minDuration) q.set('query.durationMin', search.minDuration);
  if (search.maxDuration) q.set('query.durationMax', search.maxDuration);
  if (search.limit) q.set('query.searchDepth', String(search.limit));
  const body = await getJSON(`/api/v3/trace-summaries?${q}`);
  return (body.summaries || []).map((s) => {
    const start = BigInt(s.minStartTimeUnixNano || '0');
    const end = BigInt(s.maxEndTimeUnixNano || s.minStartTimeUnixNano || '0');
    return {
      traceId: s.traceId,
      rootService: s.rootServiceName || '',
      rootOperation: s.rootOperationName || '',
      startUs: Number(start / 1000n),
      durationUs: Number(end - start) / 1000,
      spanCount: s.spanCount || 0,
      errorCount: s.errorSpanCount || 0,
      services: (s.services || []).map((x) => ({ name: x.name, spanCount: x.spanCount || 0, errorCount: x.errorSpanCount || 0 })),
    };
  });
}

/** URL of a trace as Jaeger JSON (`{"data":[trace]}`), what the download button saves. */
export function traceUrl(id) {
  return `/api/traces/${encodeURIComponent(id)}`;
}

/** One trace in Jaeger's JSON. */
export async function trace(id) {
  const body = await getJSON(traceUrl(id));
  const found = body.data?.[0];
  if (!found) throw new ApiError(404, 'trace not found');
  return found;
}
