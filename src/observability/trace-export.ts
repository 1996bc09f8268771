import { context, propagation, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from './telemetry.ts';

/** What Telemetry needs of the OpenTelemetry SDK when traces are exported. */
export interface TraceExport {
  tracer: Tracer;
  propagator: TextMapPropagator;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

let contextManagerInstalled = false;

/**
 * The SDK side of tracing: a tracer provider of its own exporting OTLP/HTTP (protobuf), and the
 * process-wide context manager and propagator. A module apart, imported only when an OTLP endpoint
 * is configured (Telemetry.create): the SDK and its exporter are not loaded otherwise.
 */
export function startTraceExport(tracing: TracingConfig): TraceExport {
  const propagator = new W3CTraceContextPropagator();
  if (!contextManagerInstalled) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(propagator);
    contextManagerInstalled = true;
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: tracing.serviceName, [ATTR_SERVICE_VERSION]: '0.1.0' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracing.url, headers: tracing.headers }))],
  });
  return {
    tracer: provider.getTracer('ragchat'),
    propagator,
    shutdown: () => provider.shutdown(),
    forceFlush: () => provider.forceFlush(),
  };
}
