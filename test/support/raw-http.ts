import { connect } from 'node:net';

/** One HTTP response as it came off the wire. */
export interface RawResponse {
  status: number;
  statusLine: string;
  /** Header names lower-cased, in the order sent (a name may repeat). */
  headers: [string, string][];
  body: Buffer;
  /** False when the deadline came before the body's end (a stream still going, say). */
  complete: boolean;
}

/**
 * What came back for bytes written to a fresh connection: a response, or none; `closed` (the
 * server hung up), `reset` (it aborted the connection) or `timeout` (nothing by the deadline).
 */
export type RawOutcome =
  | { kind: 'answered'; response: RawResponse; raw: Buffer }
  | { kind: 'closed' | 'reset' | 'timeout'; raw: Buffer };

/**
 * Writes `bytes` as they are to a new TCP connection and reads the first response (a 1xx
 * interim answer is skipped). The connection is never half-closed: Bun drops a response, a
 * static file's at least, to a client that has shut down its sending side.
 */
export function sendRaw(port: number, bytes: Uint8Array, options: { deadlineMs: number; head?: boolean }) {
  return new Promise<RawOutcome>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let raw = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const settle = (ended: 'closed' | 'reset' | 'timeout' | null) => {
      const parsed = parseResponse(raw, options.head ?? false, ended !== null);
      if (parsed) finish({ kind: 'answered', response: parsed, raw });
      else if (ended) finish({ kind: ended, raw });
    };
    const timer = setTimeout(() => settle('timeout'), options.deadlineMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      settle(null);
    });
    socket.on('error', () => settle('reset'));
    socket.on('close', () => settle('closed'));
  });
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * The first final response in `raw`, once it is all there (or `ended`, and then as much as came);
 * null while more is needed, or when what came is no response at all.
 */
export function parseResponse(raw: Buffer, head: boolean, ended: boolean): RawResponse | null {
  let start = 0;
  while (true) {
    const end = raw.indexOf(HEAD_END, start);
    if (end < 0) return null;
    const lines = raw.subarray(start, end).toString('latin1').split('\r\n');
    const statusLine = lines[0] ?? '';
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
    if (Number.isNaN(status)) return null;
    const headers = lines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    });
    const bodyStart = end + HEAD_END.length;
    if (status >= 100 && status < 200) {
      start = bodyStart;
      continue;
    }
    const rest = raw.subarray(bodyStart);
    const header = (name: string) => headers.find(([n]) => n === name)?.[1];
    const framed = (body: Buffer, complete: boolean): RawResponse | null =>
      complete || ended ? { status, statusLine, headers, body, complete } : null;
    if (head || status === 204 || status === 304) return framed(Buffer.alloc(0), true);
    if (/chunked/i.test(header('transfer-encoding') ?? '')) {
      const { body, complete } = dechunk(rest);
      return framed(body, complete);
    }
    const length = header('content-length');
    if (length !== undefined) {
      const n = Number(length);
      return framed(rest.subarray(0, n), rest.length >= n);
    }
    // Neither framing: the body runs to the end of the connection.
    return framed(rest, false);
  }
}

/** The body of a chunked message, as far as it is there; complete once the last chunk came. */
function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  while (true) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const chunkStart = lineEnd + 2;
    parts.push(data.subarray(chunkStart, Math.min(chunkStart + size, data.length)));
    if (chunkStart + size + 2 > data.length) return { body: Buffer.concat(parts), complete: false };
    at = chunkStart + size + 2;
  }
}

/** When a streamed answer's response head, first fragment and end arrived (`performance.now()`). */
export interface StreamedAnswer {
  status: number;
  headAt?: number;
  firstFragmentAt?: number;
  endAt?: number;
}

/**
 * `POST /api/chat` as a stream, over a connection of its own: no `fetch`, so a caller asking
 * hundreds at once is not held to Bun's cap on its own outgoing requests. Resolves at the
 * stream's `done` or `error` event, or when the connection ends.
 */
export function askStreamingRaw(port: number, message: string, onFirstFragment = () => {}): Promise<StreamedAnswer> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ message });
    const socket = connect({ port, host: '127.0.0.1' });
    const outcome: StreamedAnswer = { status: 0 };
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () =>
      socket.write(
        `POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
    socket.on('data', (chunk: string) => {
      const now = performance.now();
      text += chunk;
      if (!outcome.status) {
        outcome.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
        if (outcome.status) outcome.headAt = now;
      }
      if (outcome.firstFragmentAt === undefined && text.includes('event: token')) {
        outcome.firstFragmentAt = now;
        onFirstFragment();
      }
      if (/event: (done|error)/.test(text)) {
        outcome.endAt = now;
        socket.destroy();
      }
    });
    socket.on('close', () => resolve(outcome));
    socket.on('error', () => resolve(outcome));
  });
}
