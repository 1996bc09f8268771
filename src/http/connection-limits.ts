import { Elysia } from 'elysia';
import { AppError } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import { whenBodyEnds } from './body-end.ts';
import { pathOf } from './request-path.ts';

/**
 * Connection hygiene: a deadline for every request and a cap on requests in flight per client
 * address. What Bun 1.4.4 does on its own (measured; see test/unit/http/connection-limits.test.ts):
 * - A keep-alive socket with no request is closed after `idleTimeout` (in 4 s steps).
 * - A socket that never finishes its header block (nothing sent, or headers trickled a byte at a
 *   time) is closed about 12 s after it opened, whatever `idleTimeout` is: the header block is
 *   bounded by Bun itself, and nothing here needs to do it.
 * - Once the headers are in, `idleTimeout` becomes a deadline for the whole request: neither body
 *   bytes arriving nor response bytes leaving (SSE heartbeats included) push it back. Only
 *   `server.timeout(request, seconds)` changes it (0 lifts it).
 * - What `server.timeout()` sets outlives the response: the socket then waits that long for its
 *   next request (0: forever, the leak `idleTimeout: 0` had), so it is set back to `idleTimeout`
 *   once an answer is ready, or once a stream ends.
 * So each request gets a deadline that bounds its body (a trickled upload is cut), and an answer
 * being streamed lifts it: the LLM's silence and total timeouts bound a stream instead. A request
 * that fails keeps its deadline as its idle time (the error handler is the app's).
 *
 * Bun tells the app nothing about a socket until a request has arrived on it, so connections as
 * such cannot be counted here; the cap is on requests (streams included, until they end) per
 * address. Idle and half-open sockets are bounded in time only; a front proxy bounds their number.
 */
export interface ConnectionLimitsOptions {
  /** Bun's `idleTimeout`: how long a socket waits for its next request once one is answered. */
  idleTimeoutS: number;
  /** Seconds a request (its body included) has until it is answered. */
  requestTimeoutS: number;
  /** The same for uploads, so that a large document on a slow link still arrives, and for large downloads. */
  uploadTimeoutS: number;
  /** Requests and streams in flight per client address; 0 for no cap. */
  maxRequestsPerAddress: number;
  /** An upload route's request (a large body on a slow link gets `uploadTimeoutS`). */
  isUpload: (request: Request) => boolean;
  /** The client's address (the socket's, or the balancer's X-Forwarded-For entry). */
  addressOf: (request: Request, socketAddress: string) => string;
}

/** Counts what is in flight per address; one server's view, like the rate limiter. */
export class AddressLimits {
  private readonly inFlight = new Map<string, number>();

  /** `maxPerAddress` 0 admits everything. */
  constructor(readonly maxPerAddress: number) {}

  /**
   * Counts one request from `address` until the returned function is called (once or more: only
   * the first counts). Null when the address already has `maxPerAddress` in flight.
   */
  acquire(address: string): (() => void) | null {
    if (this.maxPerAddress === 0) return () => {};
    const count = this.inFlight.get(address) ?? 0;
    if (count >= this.maxPerAddress) return null;
    this.inFlight.set(address, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(address) ?? 1) - 1;
      if (left > 0) this.inFlight.set(address, left);
      else this.inFlight.delete(address);
    };
  }

  count(address: string): number {
    return this.inFlight.get(address) ?? 0;
  }
}

/** A 429 for an address with too much in flight; the app's error handler words it. */
export const tooManyAtOnce = () => new AppError('too_many_requests', say('error.tooManyRequests'), 429);

/**
 * The plugin. Use it after the plugins that authenticate, so that a request refused there never
 * takes one of its address's slots.
 */
export function connectionLimits(
  options: ConnectionLimitsOptions,
  cap = new AddressLimits(options.maxRequestsPerAddress),
) {
  const releases = new WeakMap<Request, () => void>();
  const streams = new WeakSet<Request>();
  return new Elysia({ name: 'connection-limits' })
    .onRequest(({ request, server }) => {
      const path = pathOf(request);
      server?.timeout(request, options.isUpload(request) ? options.uploadTimeoutS : options.requestTimeoutS);
      // Probes stay answerable while a client is at its cap: they cost nothing.
      if (path === '/healthz') return;
      const address = options.addressOf(request, server?.requestIP(request)?.address ?? 'unknown');
      const release = cap.acquire(address);
      if (!release) throw tooManyAtOnce();
      releases.set(request, release);
      // A request cut by its deadline or by the client may reach no after-response hook.
      request.signal.addEventListener('abort', release, { once: true });
    })
    .onAfterHandle({ as: 'global' }, ({ request, server, responseValue }) => {
      if (!(responseValue instanceof Response) || !isEventStream(responseValue)) {
        // A large download (an original of up to 50 MB) gets the upload's bound to be sent, so a
        // slow link still gets it; the socket's idle timeout comes back once it has been sent.
        if (responseValue instanceof Response && Number(responseValue.headers.get('content-length')) > LARGE_BYTES) {
          server?.timeout(request, options.uploadTimeoutS);
          return whenBodyEnds(responseValue, () => server?.timeout(request, options.idleTimeoutS));
        }
        // Ready: what is left is sending it, within the idle timeout, as Bun does by default.
        server?.timeout(request, options.idleTimeoutS);
        return;
      }
      server?.timeout(request, 0);
      streams.add(request);
      return whenBodyEnds(responseValue, () => {
        releases.get(request)?.();
        server?.timeout(request, options.idleTimeoutS);
      });
    })
    .onAfterResponse({ as: 'global' }, ({ request }) => {
      // A stream's response "ends" when its head is sent; its count ends with its body.
      if (!streams.has(request)) releases.get(request)?.();
    });
}

/** Larger than this, a response is a download that may take longer than the idle timeout to send. */
const LARGE_BYTES = 1024 * 1024;

const isEventStream = (response: Response) =>
  (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
