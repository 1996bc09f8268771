import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AppError } from '../errors.ts';
import { Metrics } from './metrics.ts';
import type { TraceExport } from './trace-export.ts';

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

/**
 * Metrics and traces, built once per app. Metrics always count (they cost a few additions, and
 * `/metrics` is only served when allowed); traces exist only when an OTLP endpoint is configured.
 * The tracer provider is this object's own, not the global one, so several apps in one process
 * (the tests) keep their spans apart; only the context manager is process-wide, as it must be for
 * the active span to follow `await`s. Build it with `Telemetry.create`, which imports the
 * OpenTelemetry SDK only when tracing is configured (`new Telemetry()` is the no-tracing kind).
 */
export class Telemetry {
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  readonly tracing: boolean;
  readonly recordContent: boolean;
  private readonly traces: TraceExport | null;

  /** Telemetry for these options, with the SDK loaded (and exporting) when `tracing` is set. */
  static async create(options: TelemetryOptions = {}): Promise<Telemetry> {
    if (!options.tracing) return new Telemetry(options);
    const { startTraceExport } = await import('./trace-export.ts');
    return new Telemetry(options, startTraceExport(options.tracing));
  }

  constructor(options: TelemetryOptions = {}, traces: TraceExport | null = null) {
    if (options.tracing && !traces) throw new Error('Telemetry with tracing is built by Telemetry.create().');
    this.metrics = new Metrics({ processMetrics: options.processMetrics });
    this.traces = traces;
    this.tracing = traces !== null;
    this.recordContent = options.tracing?.recordContent ?? false;
    // Without tracing, the API's no-op tracer: spans cost nothing and go nowhere.
    this.tracer = traces?.tracer ?? trace.getTracerProvider().getTracer('ragchat');
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
    if (!this.traces) return null;
    const carrier = {
      traceparent: request.headers.get('traceparent') ?? '',
      tracestate: request.headers.get('tracestate') ?? '',
    };
    const parent = this.traces.propagator.extract(ROOT_CONTEXT, carrier, {
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
    await this.traces?.shutdown().catch(() => {});
  }

  /** Sends what is buffered now (tests). */
  async flush(): Promise<void> {
    await this.traces?.forceFlush();
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
