import { type IncomingMessage, type ServerResponse } from 'node:http';
import { context, trace } from '@opentelemetry/api';
import { httpDuration, httpRequests, secondsSince } from '../metrics/service-metrics';
import { contextFromHeaders, failSpan, SpanKind, tracer } from '../tracing/tracing';

type ExpressRequest = IncomingMessage & { baseUrl?: string; route?: { path?: unknown } };

/** The route as declared (`/v1/sessions`, `/api/events/:id`), never the raw URL, so labels stay bounded. */
function routeOf(request: ExpressRequest): string {
  const path = request.route?.path;
  return typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` || '/' : 'unmatched';
}

/**
 * Express middleware (app.use) for every HTTP listener: a server span continuing the caller's W3C trace context,
 * active while the request is handled (so the RPCs it makes join the trace), and the RED metrics by route. The
 * route is known only once the router matched, so both are labelled when the response finishes.
 */
export function httpObservability() {
  return (request: ExpressRequest, response: ServerResponse, next: () => void): void => {
    const started = performance.now();
    const parent = contextFromHeaders(request.headers);
    const method = request.method ?? 'GET';
    const span = tracer().startSpan(`HTTP ${method}`, { kind: SpanKind.SERVER }, parent);
    response.once('finish', () => {
      const route = routeOf(request);
      const status = response.statusCode;
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, secondsSince(started));
      span.updateName(`HTTP ${method} ${route}`);
      span.setAttributes({
        'http.request.method': method,
        'http.route': route,
        'http.response.status_code': status,
      });
      if (status >= 500) failSpan(span, String(status));
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
