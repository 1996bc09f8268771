import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { AppError } from '../errors.ts';
import { Metrics } from './metrics.ts';

export interface TracingConfig {
  /** Where spans go: the OTLP/HTTP traces URL (…/v1/traces), protobuf-encoded. */
  url: string;
  /** Sent with every export (an API key for a hosted collector); never logged. */
  headers: Record<string, string>;
  serviceName: string;
  /** Put questions and passages into spans. @default false: they are the users' data. */
  recordContent: boolean;
}

export interface TelemetryOptions {
  /** Absent: no tracer provider, no exporter, nothing leaves the process. */
  tracing?: TracingConfig;
  /** Export the process's CPU, memory and event-loop series too (servers; not tests). */
  processMetrics?: boolean;
}

let contextManagerInstalled = false;

/**
 * Metrics and traces, built once per app. Metrics always count (they cost a few additions, and
 * `/metrics` is only served when allowed); traces exist only when an OTLP endpoint is configured.
 * The tracer provider is this object's own, not the global one, so several apps in one process
 * (the tests) keep their spans apart; only the context manager is process-wide, as it must be for
 * the active span to follow `await`s.
 */
export class Telemetry {
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  readonly tracing: boolean;
  readonly recordContent: boolean;
  private readonly provider: BasicTracerProvider | null;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(options: TelemetryOptions = {}) {
    this.metrics = new Metrics({ processMetrics: options.processMetrics });
    const tracing = options.tracing;
    this.tracing = tracing !== undefined;
    this.recordContent = tracing?.recordContent ?? false;
    if (!tracing) {
      this.provider = null;
      // The API's no-op tracer: spans cost nothing and go nowhere.
      this.tracer = trace.getTracerProvider().getTracer('ragchat');
      return;
    }
    if (!contextManagerInstalled) {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(this.propagator);
      contextManagerInstalled = true;
    }
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: tracing.serviceName, [ATTR_SERVICE_VERSION]: '0.1.0' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.url, headers: tracing.headers }))],
    });
    this.tracer = this.provider.getTracer('ragchat');
  }

  /**
   * Runs `fn` in a child span of the active one, ending it when `fn` settles; an error marks the
   * span failed (with the error's code, never a user's text) and is rethrown unchanged.
   */
  async span<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
    if (!this.tracing) return fn(NOT_RECORDING);
    return this.tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        failSpan(span, error);
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /**
   * The server span of one HTTP request, continuing the caller's trace when it sent a W3C
   * `traceparent`. Returns the context to run the request in and the span to end.
   */
  startRequest(request: Request, path: string): { ctx: Context; span: Span } | null {
    if (!this.tracing) return null;
    const carrier = {
      traceparent: request.headers.get('traceparent') ?? '',
      tracestate: request.headers.get('tracestate') ?? '',
    };
    const parent = this.propagator.extract(ROOT_CONTEXT, carrier, {
      get: (c, key) => (c as Record<string, string>)[key] || undefined,
      keys: (c) => Object.keys(c as object),
    });
    const span = this.tracer.startSpan(
      `${request.method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': path } },
      parent,
    );
    return { ctx: trace.setSpan(parent, span), span };
  }

  /** Trace and span ids of the active span, for log lines; empty when not tracing. */
  logFields(): { traceId?: string; spanId?: string } {
    if (!this.tracing) return {};
    const active = trace.getActiveSpan()?.spanContext();
    return active && trace.isSpanContextValid(active) ? { traceId: active.traceId, spanId: active.spanId } : {};
  }

  /** Sends what is buffered; call before exit. */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown().catch(() => {});
  }

  /** Sends what is buffered now (tests). */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }
}

/** Handed to `span()` callbacks when not tracing: one shared span that records nothing. */
const NOT_RECORDING = trace.wrapSpanContext({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
});

/** Marks a span failed with an error's code (or the code given), never its message: it may quote a user. */
export function failSpan(span: Span, error: unknown): void {
  const code =
    typeof error === 'string'
      ? error
      : error instanceof AppError
        ? error.code
        : error instanceof Error
          ? error.name
          : 'error';
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.setAttribute('error.type', code);
}
