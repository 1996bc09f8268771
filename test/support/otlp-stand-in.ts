import protobuf from 'protobufjs';

/**
 * An OTLP/HTTP receiver on loopback, as a collector is on :4318: `POST /v1/traces` with an
 * `application/x-protobuf` body holding an `ExportTraceServiceRequest`, decoded here with the
 * field numbers of opentelemetry-proto (opentelemetry/proto/collector/trace/v1/trace_service.proto
 * and opentelemetry/proto/trace/v1/trace.proto, v1.x). Only the fields the tests read are
 * declared; protobuf skips the others, as a real decoder of an older schema would. Anything that
 * is not a well-formed export (wrong path, method or content type, undecodable body) is a
 * violation and gets the status a collector would give.
 */
const root = protobuf.Root.fromJSON({
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } } },
        ResourceSpans: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
          },
        },
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        ScopeSpans: {
          fields: {
            scope: { type: 'InstrumentationScope', id: 1 },
            spans: { rule: 'repeated', type: 'Span', id: 2 },
          },
        },
        InstrumentationScope: { fields: { name: { type: 'string', id: 1 } } },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            parentSpanId: { type: 'bytes', id: 4 },
            name: { type: 'string', id: 5 },
            kind: { type: 'int32', id: 6 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
            events: { rule: 'repeated', type: 'Event', id: 11 },
            status: { type: 'Status', id: 15 },
          },
        },
        Event: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            name: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
          },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
      },
    },
  },
});
const ExportTraceServiceRequest = root.lookupType('otlp.ExportTraceServiceRequest');

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  events: string[];
  /** 0 unset, 1 ok, 2 error (opentelemetry-proto's Status.StatusCode). */
  statusCode: number;
  service: string;
}

type KeyValue = { key: string; value?: Record<string, unknown> };

function attributesOf(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    const v = value?.stringValue ?? value?.boolValue ?? value?.intValue ?? value?.doubleValue;
    if (v !== undefined) out[key] = typeof v === 'object' ? Number(v) : (v as string | number | boolean);
  }
  return out;
}

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');

export class OtlpStandIn {
  readonly spans: ReceivedSpan[] = [];
  readonly violations: string[] = [];
  /** Headers of the last export (an API key for a hosted collector goes here). */
  lastHeaders: Headers | null = null;
  exports = 0;
  private server: ReturnType<typeof Bun.serve> | null = null;

  /** The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it. */
  get url(): string {
    return `http://127.0.0.1:${this.server?.port}`;
  }

  start(): this {
    this.server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => this.handle(req) });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
  }

  /** Waits until spans matching `ready` arrived (the SDK exports in batches, in the background). */
  async waitFor(ready: (spans: ReceivedSpan[]) => boolean, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
    const deadline = performance.now() + timeoutMs;
    while (!ready(this.spans)) {
      if (performance.now() > deadline) throw new Error(`no such spans after ${timeoutMs} ms; got ${this.names()}`);
      await Bun.sleep(20);
    }
    return this.spans;
  }

  names(): string {
    return this.spans.map((s) => s.name).join(', ');
  }

  private async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (req.method !== 'POST' || path !== '/v1/traces') {
      this.violations.push(`${req.method} ${path}: not the OTLP/HTTP traces endpoint`);
      return new Response('not found', { status: 404 });
    }
    const type = req.headers.get('content-type') ?? '';
    if (!type.startsWith('application/x-protobuf')) {
      this.violations.push(`content-type ${type}: OTLP/HTTP protobuf requires application/x-protobuf`);
      return new Response('unsupported media type', { status: 415 });
    }
    this.lastHeaders = req.headers;
    try {
      const message = ExportTraceServiceRequest.decode(new Uint8Array(await req.arrayBuffer()));
      const request = ExportTraceServiceRequest.toObject(message, { longs: Number, defaults: false }) as {
        resourceSpans?: {
          resource?: { attributes?: KeyValue[] };
          scopeSpans?: {
            spans?: {
              traceId?: Uint8Array;
              spanId?: Uint8Array;
              parentSpanId?: Uint8Array;
              name: string;
              kind?: number;
              attributes?: KeyValue[];
              events?: { name: string }[];
              status?: { code?: number };
            }[];
          }[];
        }[];
      };
      this.exports++;
      for (const rs of request.resourceSpans ?? []) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
        for (const ss of rs.scopeSpans ?? []) {
          for (const span of ss.spans ?? []) {
            const traceId = hex(span.traceId);
            const spanId = hex(span.spanId);
            if (traceId.length !== 32 || spanId.length !== 16)
              this.violations.push(`span ${span.name}: trace id or span id of the wrong length`);
            this.spans.push({
              traceId,
              spanId,
              parentSpanId: hex(span.parentSpanId),
              name: span.name,
              kind: span.kind ?? 0,
              attributes: attributesOf(span.attributes),
              events: (span.events ?? []).map((e) => e.name),
              statusCode: span.status?.code ?? 0,
              service,
            });
          }
        }
      }
    } catch (error) {
      this.violations.push(`undecodable export: ${(error as Error).message}`);
      return new Response('bad request', { status: 400 });
    }
    // An empty ExportTraceServiceResponse: full success (no partial_success field).
    return new Response(new Uint8Array(0), { headers: { 'content-type': 'application/x-protobuf' } });
  }
}
