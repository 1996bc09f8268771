import { reportsItsEnd } from '../http/body-end.ts';

/**
 * Server-sent events framing (WHATWG HTML §9.2). A `data:` line ends at the first line break, so a
 * payload with newlines is sent as several `data:` lines, which the reader joins back with '\n'.
 * Lines starting with ':' are comments: readers ignore them, and they keep idle proxies (an ALB
 * closes a connection after 60 s of silence by default) from cutting a slow answer.
 */
export function sseEvent(data: string, event?: string): string {
  const head = event ? `event: ${hasLineBreak(event) ? event.replace(/[\r\n]/g, '') : event}\n` : '';
  // The usual payload is one line of JSON (a fragment's newlines are escaped in it): framed as is,
  // without a split, a map and a join per fragment.
  if (!hasLineBreak(data)) return `${head}data: ${data}\n\n`;
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`);
  return `${head}${lines.join('')}\n`;
}

const hasLineBreak = (text: string) => text.includes('\n') || text.includes('\r');

export const sseComment = (text: string) => `: ${text.replace(/[\r\n]/g, ' ')}\n\n`;

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  // nginx and some proxies buffer responses unless told not to.
  'x-accel-buffering': 'no',
} as const;

/**
 * Streams already-framed events, with a heartbeat comment whenever `heartbeatMs` passes. When the
 * client goes away, the stream stops reading `events` (calling its `return()`); whatever produces
 * them decides for itself whether to go on.
 */
export function sseResponse(
  events: AsyncIterable<string>,
  options: { heartbeatMs: number; headers?: Record<string, string>; onError?: (error: unknown) => void },
): Response {
  const encoder = new TextEncoder();
  const iterator = events[Symbol.asyncIterator]();
  let closed = false;
  let ended = () => {};
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (chunk: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(chunk));
        } catch {
          closed = true;
        }
      };
      // A comment first makes proxies and browsers commit to the stream at once.
      send(sseComment('stream open'));
      heartbeat = setInterval(() => send(sseComment('keep-alive')), options.heartbeatMs);
      void (async () => {
        try {
          while (!closed) {
            const next = await iterator.next();
            if (next.done) break;
            send(next.value);
          }
        } catch (error) {
          options.onError?.(error);
        } finally {
          clearInterval(heartbeat);
          if (!closed) {
            closed = true;
            try {
              controller.close();
            } catch {}
          }
          ended();
        }
      })();
    },
    cancel() {
      closed = true;
      clearInterval(heartbeat);
      ended();
      void iterator.return?.(undefined);
    },
  });
  const response = new Response(stream, { headers: { ...SSE_HEADERS, ...options.headers } });
  // Whoever counts the stream until it ends (src/http/connection-limits.ts) is told so directly.
  ended = reportsItsEnd(response);
  return response;
}
