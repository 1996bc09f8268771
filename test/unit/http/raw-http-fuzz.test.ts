import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeSuite } from '../../support/before-suite.ts';
import { fuzzSeed, prng } from '../../support/prng.ts';
import { type RawOutcome, type RawResponse, sendRaw } from '../../support/raw-http.ts';
import { appRoutes } from '../../support/routes.ts';
import { createUser, ROOT, type ServerProcess, startServer } from '../../support/server-process.ts';

/**
 * The real server process over real sockets: thousands of seeded, malformed HTTP/1.1 requests
 * written as raw bytes (bad request lines, Hosts, headers, framing and bodies, on every route),
 * in both auth modes. No answer may be a 5xx or show a stack trace or a path; every answer the
 * app wrote carries its security headers; afterwards the server is alive and answers a question.
 * `FUZZ_SEED=n` replays a run; `FUZZ_REQUESTS=n` changes its length (per mode).
 *
 * Two kinds of answer do not come from the app. Bun's HTTP parser refuses what it cannot parse
 * before any JavaScript runs, with a bare status line, `Connection: close`, no Date and no body
 * (400, 413, 431, and 505 for a request line whose version it cannot read); those cannot carry
 * the app's headers. Bun also closes some connections without a word (an unknown method, for
 * one), which is fair for bytes that are not HTTP: such connections are counted and reported,
 * not failed. Everything else went through the app's fetch handler and is held to its rules.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 8000);
const CONCURRENCY = 24;
const DEADLINE_MS = 2500;
const SEED = fuzzSeed(20261201);
const ADMIN = { email: 'fuzz-admin@example.com', password: 'fuzz-admin-password-123' };
const METRICS_TOKEN = 'fuzz-metrics-token-0123456789';

/**
 * Questions and uploads unlimited, so that bodies reach their handlers rather than a 429; logins
 * keep their limit (each attempt hashes a password, which would make the run slow).
 */
const NO_LIMITS = {
  RATE_LIMIT_CHAT_PER_MINUTE: '100000',
  RATE_LIMIT_UPLOADS_PER_MINUTE: '100000',
  MAX_STREAMS_PER_USER: '1000',
};
const dataDirs: string[] = [];
const servers: ServerProcess[] = [];
let open: Mode;
let accounts: Mode;

interface Mode {
  name: string;
  server: ServerProcess;
  /** Header sets a request may carry to (claim to) authenticate. */
  credentials: Record<string, string>[];
  /** Headers that authenticate the closing question. */
  asker: Record<string, string>;
}

beforeSuite(async () => {
  const dir = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `ragchat-raw-fuzz-${name}-`));
    dataDirs.push(d);
    return d;
  };
  const passwordEnv = {
    ...NO_LIMITS,
    DATA_DIR: dir('password'),
    AUTH_MODE: 'password',
    ALLOW_SIGNUP: 'true',
    METRICS_TOKEN,
  };
  const [none] = await Promise.all([
    startServer({ ...NO_LIMITS, DATA_DIR: dir('none') }),
    createUser(passwordEnv, { ...ADMIN, admin: true }),
  ]);
  servers.push(none);
  open = { name: 'AUTH_MODE=none', server: none, credentials: [{}], asker: {} };
  const withAccounts = await startServer(passwordEnv);
  servers.push(withAccounts);
  const { cookie, token } = await sessionAndToken(withAccounts.url);
  accounts = {
    name: 'AUTH_MODE=password',
    server: withAccounts,
    credentials: [
      {},
      { cookie },
      { authorization: `Bearer ${token}` },
      { authorization: `Bearer ${token}`, cookie },
      { cookie: 'ragchat_session=made-up-made-up-made-up-made-up' },
      { authorization: 'Bearer rc_nonsense' },
      { authorization: `Bearer ${METRICS_TOKEN}` },
    ],
    asker: { authorization: `Bearer ${token}` },
  };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

/** Logs the admin in through the form and makes a personal API token on the account page. */
async function sessionAndToken(url: string): Promise<{ cookie: string; token: string }> {
  const loggedIn = await fetch(`${url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: new URLSearchParams(ADMIN),
  });
  const cookie = (loggedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const page = await fetch(`${url}/account/tokens`, {
    method: 'POST',
    headers: { cookie, origin: url, 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'fuzz' }),
  });
  const token = /rc_[A-Za-z0-9_-]+/.exec(await page.text())?.[0];
  if (loggedIn.status !== 303 || !cookie || !token) throw new Error(`no session or token (${loggedIn.status})`);
  return { cookie, token };
}

test('raw malformed HTTP to the real server never gets a 5xx nor a leak (AUTH_MODE=none)', async () => {
  await fuzzAndCheck(open);
}, 60_000);

test('raw malformed HTTP to the real server never gets a 5xx nor a leak (AUTH_MODE=password)', async () => {
  await fuzzAndCheck(accounts);
}, 60_000);

async function fuzzAndCheck(mode: Mode): Promise<void> {
  const { server } = mode;
  const report = await fuzz(mode);
  console.log(
    `raw HTTP fuzz, ${mode.name}, seed ${SEED}: ${REQUESTS} requests in ${report.seconds.toFixed(1)} s; ` +
      `by status ${JSON.stringify(sorted(report.histogram))}; ` +
      `no answer: ${
        Object.entries(report.unanswered)
          .map(([how, { count, kinds }]) => `${count} ${how} (${byKind(kinds, report.kinds)})`)
          .join('; ') || 'none'
      }`,
  );
  if (report.failures.size > 0) console.log(describeFailures(mode, report));
  expect([...report.failures.keys()]).toEqual([]);

  expect(server.alive()).toBe(true);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  const answer = await ask(server.url, mode.asker);
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { response: string }).response.length).toBeGreaterThan(0);
  expect(server.alive()).toBe(true);
}

async function ask(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/api/chat`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'What port?' }),
  });
}

/** The requests that showed one set of problems. */
interface Failure {
  count: number;
  /** How often each of the requests' oddities occurs among them: the cause is among the most common. */
  kinds: Record<string, number>;
  /** The shortest few, by index in the run. */
  examples: { index: number; request: Buffer; answer: string }[];
}

interface Report {
  seconds: number;
  /** Answers by status; `bun:` marks answers Bun's parser wrote itself. */
  histogram: Record<string, number>;
  /** Connections closed, reset or silent until the deadline: how many, and by oddity. */
  unanswered: Record<string, { count: number; kinds: Record<string, number> }>;
  /** How many requests had each oddity. */
  kinds: Record<string, number>;
  /** By problem and the kind of request that showed it. */
  failures: Map<string, Failure>;
}

async function fuzz(mode: Mode): Promise<Report> {
  const rand = prng(SEED);
  const requests = Array.from({ length: REQUESTS }, () => buildRequest(rand, mode));
  const report: Report = { seconds: 0, histogram: {}, unanswered: {}, kinds: {}, failures: new Map() };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index] as FuzzRequest;
      const outcome = await sendRaw(mode.server.port, request.bytes, {
        deadlineMs: DEADLINE_MS,
        head: request.head,
      });
      record(report, index, request, outcome);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/**
 * Stack frames, this machine's paths and Bun's version banner. Not the literal `at .*\(`: that
 * matches prose ("What port? (…"); a frame is `at name (file:line:col)` or `at file:line:col`.
 */
const LEAKS: [string, RegExp][] = [
  ['stack frame', /\bat [^\n()]*\(?[^\s()]+:\d+:\d+\)?/],
  ['source path', /\bsrc\/[\w./-]*|\.tsx?:\d+|node_modules/],
  ['machine path', new RegExp(`/work/|${literally(ROOT)}|${literally(realpathSync(tmpdir()))}/ragchat`)],
  ['Bun version', /Bun v\d/],
];

function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Bun's own refusal: a bare status line with `Connection: close`, written before the app ran. */
function fromBun(response: RawResponse): boolean {
  return response.headers.every(([name, value]) => name === 'connection' && value === 'close');
}

function record(report: Report, index: number, request: FuzzRequest, outcome: RawOutcome): void {
  const kinds = request.kind.split(' + ');
  tally(report.kinds, kinds);
  if (outcome.kind !== 'answered') {
    report.unanswered[outcome.kind] ??= { count: 0, kinds: {} };
    const silent = report.unanswered[outcome.kind] as { count: number; kinds: Record<string, number> };
    silent.count++;
    tally(silent.kinds, kinds);
    return;
  }
  const { response } = outcome;
  const bun = fromBun(response);
  const label = `${bun ? 'bun:' : ''}${response.status}`;
  report.histogram[label] = (report.histogram[label] ?? 0) + 1;
  const problems = problemsOf(response, bun, outcome.raw.toString('utf8'));
  if (problems.length === 0) return;
  const key = problems.join(', ');
  const failure = report.failures.get(key) ?? { count: 0, kinds: {}, examples: [] };
  report.failures.set(key, failure);
  failure.count++;
  tally(failure.kinds, kinds);
  const text = outcome.raw.toString('utf8');
  const answer = `${response.statusLine} … ${text.slice(text.indexOf('\r\n\r\n') + 4).slice(0, 200)}`;
  failure.examples.push({ index, request: Buffer.from(request.bytes), answer });
  failure.examples.sort((a, b) => a.request.length - b.request.length).splice(3);
}

function tally(counts: Record<string, number>, kinds: string[]): void {
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
}

/** "Host [::1 47/47": of the requests with that oddity, how many are among these. */
function byKind(among: Record<string, number>, all: Record<string, number>, most = 10): string {
  return Object.entries(among)
    .sort(([ka, a], [kb, b]) => b / (all[kb] ?? 1) - a / (all[ka] ?? 1) || b - a)
    .slice(0, most)
    .map(([kind, n]) => `${kind} ${n}/${all[kind]}`)
    .join(', ');
}

function problemsOf(response: RawResponse, bun: boolean, text: string): string[] {
  const problems: string[] = [];
  // RFC 9110 §15.6.6: 505 is the answer to a version the server does not speak; Bun's parser
  // gives it (a missing version, HTTP/0.9, a NUL in the target) and the app never sees those.
  if (response.status >= 500 && !(bun && response.status === 505)) problems.push(`status ${response.status}`);
  for (const [what, pattern] of LEAKS) {
    const match = pattern.exec(text);
    if (match) problems.push(`${what} ("${match[0].slice(0, 40)}")`);
  }
  if (!bun) {
    const header = (name: string) => response.headers.find(([n]) => n === name)?.[1];
    if (header('x-content-type-options') !== 'nosniff') problems.push('no nosniff');
    if (header('x-frame-options') !== 'DENY') problems.push('no X-Frame-Options');
    if (!header('content-security-policy')) problems.push('no CSP');
  }
  return problems;
}

function describeFailures(mode: Mode, report: Report): string {
  const lines = [`${mode.name}, seed ${SEED} (FUZZ_SEED=${SEED} replays it):`];
  for (const [problems, f] of report.failures) {
    lines.push(`- ${problems}: ${f.count} requests; by oddity: ${byKind(f.kinds, report.kinds, 20)}`);
    for (const e of f.examples) {
      lines.push(`    #${e.index} sent ${JSON.stringify(e.request.toString('latin1').slice(0, 300))}`);
      lines.push(`      answered ${JSON.stringify(e.answer.slice(0, 160))}`);
    }
  }
  return lines.join('\n');
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

// ---------------------------------------------------------------------------------------------
// The requests

interface FuzzRequest {
  bytes: Uint8Array;
  /** What is wrong with it, in a few words: failures and silent connections are grouped by it. */
  kind: string;
  head: boolean;
}

type Pick = <T>(xs: readonly T[]) => T;

const IDS = [
  'x',
  '01a20b4e-0000-7000-8000-000000000000',
  '..%2F..%2Fetc',
  '%00',
  '%zz',
  '%',
  'null',
  'a'.repeat(300),
  '%F0%9F%98%80',
  '1;DROP%20TABLE',
];

const ASSETS = ['app.css', 'favicon.svg', 'vendor/htmx.min.js', 'nope.js', '%2e%2e/package.json'];

/** A route of the app; questions (the most involved handler) twice as often as the others. */
function route(pick: Pick): [string, string] {
  const routes = appRoutes(pick(IDS), pick(ASSETS));
  return pick([...routes, ['POST', '/api/chat'], ['POST', '/chat/messages'], ['POST', '/']]);
}

/** [kind, request line target] from a route's path. */
const TARGETS: [string, (path: string, pick: Pick) => string][] = [
  ['absolute-form', (p) => `http://localhost${p}`],
  ['absolute-form other host', (p) => `http://evil.example${p}`],
  ['absolute-form https', (p) => `https://localhost:1${p}`],
  ['asterisk target', () => '*'],
  ['long target', (p) => `${p}?q=${'a'.repeat(9000)}`],
  ['very long target', (p) => `${p}/${'b'.repeat(70_000)}`],
  ['bad % escape', (p, pick) => `${p}${pick(['%', '%z', '%zz', '/%C0%AF', '?next=%E0%A4%A'])}`],
  ['NUL in target', (p) => `${p}\u0000x`],
  ['traversal', (_, pick) => pick(['/../../etc/passwd', '/assets/../package.json', '/assets/%2e%2e/%2e%2e/x'])],
  ['double slash', (p) => `/${p.replace(/\//g, '//')}`],
  ['no leading slash', (p) => p.slice(1)],
  ['space in target', (p) => `${p} x`],
  ['raw unicode target', (p) => `${p}/😀é`],
  ['query oddities', (p) => `${p}?next=//evil.example&next=/x&&=&%=1`],
];

const BAD_METHODS = ['FOO', 'get', 'G ET', 'PRI', 'CONNECT', 'TRACE', 'OPTIONS', 'HEAD', 'PUT', 'M'.repeat(300), ''];

const VERSIONS: [string, string][] = [
  ['HTTP/1.0', 'HTTP/1.0'],
  ['no version', ''],
  ['HTTP/2.0 version', 'HTTP/2.0'],
  ['HTTP/1.2 version', 'HTTP/1.2'],
  ['lower-case version', 'http/1.1'],
  ['version junk', 'HTTP/1.1 extra'],
  ['HTTP/9 version', 'HTTP/9.9'],
];

/** [kind, Host header lines] */
const BAD_HOSTS: [string, string[]][] = [
  ['no Host', []],
  ['Host with a space', ['Host: a b']],
  ['Host [::1', ['Host: [::1']],
  ['Host port 99999', ['Host: localhost:99999']],
  ['Host port not a number', ['Host: localhost:abc']],
  ['two Hosts', ['Host: localhost', 'Host: evil.example']],
  ['unicode Host', ['Host: évil.example']],
  ['very long Host', [`Host: ${'h'.repeat(5000)}.example`]],
  ['Host evil.example', ['Host: evil.example']],
  ['empty Host', ['Host: ']],
  ['Host with userinfo', ['Host: user@localhost']],
  ['Host with a path', ['Host: localhost/x']],
];

/** [kind, header lines] added to a request that is otherwise fine. */
const BAD_HEADERS: [string, string[]][] = [
  ['obsolete line folding', ['X-Folded: a', ' b']],
  ['header without colon', ['no-colon-here']],
  ['huge header', [`X-Huge: ${'z'.repeat(40_000)}`]],
  ['many headers', Array.from({ length: 150 }, (_, i) => `X-Many-${i}: ${i}`)],
  ['space before colon', ['Content-Type : application/json']],
  ['NUL in header', ['X-Nul: a\u0000b']],
  ['bad Cookie', ['Cookie: ragchat_session=; =; ;;; ragchat_session']],
  ['undecodable Cookie', ['Cookie: ragchat_session=%ff%fe; a="unterminated']],
  ['huge Cookie', [`Cookie: ragchat_session=${'c'.repeat(7000)}`]],
  ['empty Bearer', ['Authorization: Bearer']],
  ['Bearer with spaces', ['Authorization: Bearer  a b c']],
  ['bad Basic', ['Authorization: Basic !!!not-base64']],
  ['unknown auth scheme', ['Authorization: Negotiate xyz']],
  ['Origin null', ['Origin: null']],
  ['Origin evil.example', ['Origin: https://evil.example']],
  ['unparsable Origin', ['Origin: http://[']],
  ['Origin port 99999', ['Origin: http://localhost:99999']],
  ['Sec-Fetch-Site cross-site', ['Sec-Fetch-Site: cross-site']],
  ['bad X-Request-Id', ['X-Request-Id: <script>']],
  [
    'X-Forwarded headers',
    ['X-Forwarded-For: 1.2.3.4, ::1, junk', 'X-Forwarded-Host: evil.example', 'X-Forwarded-Proto: gopher'],
  ],
  ['Expect 100-continue', ['Expect: 100-continue']],
  ['Range', ['Range: bytes=9999999-1']],
  ['If-None-Match', ['If-None-Match: *, "x"', 'If-Modified-Since: yesterday']],
  ['Accept garbage', ['Accept: */*;q=zz, text/event-stream;;', 'Accept-Encoding: br;q=2, gzip;q=-1']],
  ['HX headers', ['HX-Request: true', 'HX-Current-URL: http://[', 'HX-Target: <x>']],
];

const MESSAGES: unknown[] = [
  'What port?',
  '',
  ' ',
  'x'.repeat(5000),
  '\u0000\u0001',
  '<script>alert(1)</script>',
  '🙂'.repeat(50),
  42,
  null,
  true,
  ['What port?'],
  { message: 'nested' },
  1e308,
];

/** [kind, content type, body bytes] */
function body(pick: Pick, rand: () => number): [string, string | null, Buffer] {
  const enc = (s: string) => Buffer.from(s, 'utf8');
  const choice = Math.floor(rand() * 16);
  switch (choice) {
    case 0:
    case 1:
    case 2: {
      const payload = { message: pick(MESSAGES), conversationId: pick([undefined, ...IDS, 42, null, {}]) };
      return ['JSON', 'application/json', enc(JSON.stringify(payload))];
    }
    case 3: {
      const full = JSON.stringify({ message: 'What port?', conversationId: 'x' });
      return ['truncated JSON', 'application/json', enc(full.slice(0, Math.floor(rand() * full.length)))];
    }
    case 4:
      return [
        'JSON of wrong types',
        'application/json',
        enc(pick(['[]', 'null', '"text"', '12', '{"message":{}}', '{"email":[],"password":1,"role":"root"}'])),
      ];
    case 5:
      return [
        'huge numbers',
        'application/json',
        enc(pick(['{"message":1e400}', `{"message":${'9'.repeat(5000)}}`, '{"conversationId":-0,"message":NaN}'])),
      ];
    case 6: {
      const depth = pick([100, 5000, 50_000]);
      return ['deep nesting', 'application/json', enc(`{"message":${'['.repeat(depth)}${']'.repeat(depth)}}`)];
    }
    case 7:
      return [
        'bad UTF-8',
        pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain']),
        Buffer.concat([enc('{"message":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]), enc('"}')]),
      ];
    case 8:
      return multipart(pick);
    case 9:
      return [
        'form',
        'application/x-www-form-urlencoded',
        enc(
          pick([
            'message=What%20port%3F&conversationId=',
            `email=${encodeURIComponent(ADMIN.email)}&password=wrong-password-1234&next=//evil.example`,
            'email=new%40example.com&password=a-long-enough-password&name=N',
            'role=admin&collections=general&collections=%zz&password=%',
            'name=%E0%A4%A&current=x&next=y',
            'a=1&a=2&a[b]=3&=&&',
          ]),
        ),
      ];
    case 10:
      return ['gzip garbage', 'application/json', Buffer.from('\x1f\x8b\x08\x00garbage-not-deflate', 'latin1')];
    case 11:
      return ['real gzip', 'application/json', gzipSync(enc('{"message":"What port?"}'))];
    case 12:
      return [
        'odd Content-Type',
        pick([
          'application/json; charset=utf-7',
          'application/json; charset=nonsense',
          'text/plain',
          'application/xml',
          ';;;',
          'application/json, text/html',
          'multipart/form-data',
          'multipart/form-data; boundary=',
          'application/x-www-form-urlencoded; charset=latin1',
        ]),
        enc('{"message":"What port?"}'),
      ];
    case 13:
      return ['binary', null, Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256)))];
    default:
      return ['no body', null, Buffer.alloc(0)];
  }
}

function multipart(pick: Pick): [string, string, Buffer] {
  const name = pick(['a.md', 'b.pdf', 'c.docx', '../../x.txt', 'd.exe', '', 'é😀.txt']);
  const part = (b: string) =>
    `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
    `Content-Type: text/markdown\r\n\r\n# Title\n\nSome text.\r\n`;
  const [kind, type, text] = pick<[string, string, string]>([
    ['multipart', 'multipart/form-data; boundary=xyz', `${part('xyz')}--xyz--\r\n`],
    ['multipart without closing boundary', 'multipart/form-data; boundary=xyz', part('xyz')],
    ['multipart with another boundary', 'multipart/form-data; boundary=abc', `${part('xyz')}--xyz--\r\n`],
    ['multipart with no boundary', 'multipart/form-data', `${part('xyz')}--xyz--\r\n`],
    ['multipart with a long boundary', `multipart/form-data; boundary=${'q'.repeat(500)}`, `--q\r\n\r\n`],
    ['multipart without headers', 'multipart/form-data; boundary=xyz', '--xyz\r\n\r\nbody\r\n--xyz--\r\n'],
    ['multipart garbage', 'multipart/form-data; boundary="', '--\r\n--\r\n\u0000'],
  ]);
  return [kind, type, Buffer.from(text, 'utf8')];
}

/** [kind, framing header lines, body as sent] for a body. */
function framing(pick: Pick, rand: () => number, data: Buffer): [string, string[], Buffer] {
  const chunked = (b: Buffer) =>
    Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n0\r\n\r\n')]);
  const r = rand();
  if (r < 0.8) return ['', [`Content-Length: ${data.length}`], data];
  if (r < 0.88)
    return ['chunked', ['Transfer-Encoding: chunked'], data.length ? chunked(data) : Buffer.from('0\r\n\r\n')];
  return pick<[string, string[], Buffer]>([
    [
      'bad chunk size',
      ['Transfer-Encoding: chunked'],
      Buffer.concat([Buffer.from('zz\r\n'), data, Buffer.from('\r\n0\r\n\r\n')]),
    ],
    [
      'chunk longer than said',
      ['Transfer-Encoding: chunked'],
      Buffer.concat([Buffer.from('1\r\n'), data, Buffer.from('\r\n0\r\n\r\n')]),
    ],
    ['chunked twice', ['Transfer-Encoding: chunked, chunked'], chunked(data)],
    ['unknown Transfer-Encoding', ['Transfer-Encoding: gzip, identity'], data],
    [
      'Content-Length and Transfer-Encoding',
      [`Content-Length: ${data.length}`, 'Transfer-Encoding: chunked'],
      chunked(data),
    ],
    ['two Content-Lengths', [`Content-Length: ${data.length}`, `Content-Length: ${data.length + 1}`], data],
    ['Content-Length list', [`Content-Length: ${data.length}, ${data.length}`], data],
    ['negative Content-Length', ['Content-Length: -1'], data],
    ['Content-Length not a number', ['Content-Length: abc'], data],
    ['Content-Length too large', [`Content-Length: ${'9'.repeat(30)}`], data],
    ['Content-Length shorter than the body', [`Content-Length: ${Math.floor(data.length / 2)}`], data],
    ['Content-Encoding gzip', [`Content-Length: ${data.length}`, 'Content-Encoding: gzip'], data],
    ['Content-Encoding unknown', [`Content-Length: ${data.length}`, 'Content-Encoding: zstd, br, x'], data],
    // The only framing that leaves the server waiting: rare, since each costs a deadline.
    ...(rand() < 0.1
      ? [
          ['Content-Length longer than the body', [`Content-Length: ${data.length + 10}`], data] as [
            string,
            string[],
            Buffer,
          ],
        ]
      : []),
  ]);
}

/** Whole requests: not HTTP/1.1 at all, or one that is fine without a Host. */
const WHOLE_REQUESTS: [string, Buffer][] = [
  ['HTTP/2 preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')],
  ['HTTP/0.9', Buffer.from('GET /\r\n', 'latin1')],
  ['HTTP/0.9 with blank line', Buffer.from('GET /healthz\r\n\r\n', 'latin1')],
  ['HTTP/1.0 without Host', Buffer.from('GET /healthz HTTP/1.0\r\n\r\n', 'latin1')],
  [
    'HTTP/1.0 without Host, POST',
    Buffer.from('POST /api/chat HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}', 'latin1'),
  ],
  [
    'TLS hello',
    Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]),
  ],
  ['blank lines', Buffer.from('\r\n\r\n\r\n', 'latin1')],
  ['LF only', Buffer.from('GET / HTTP/1.1\nHost: localhost\n\n', 'latin1')],
  ['bare CR', Buffer.from('GET / HTTP/1.1\rHost: localhost\r\r', 'latin1')],
];

function buildRequest(rand: () => number, mode: Mode): FuzzRequest {
  const pick: Pick = (xs) => xs[Math.floor(rand() * xs.length)] as (typeof xs)[number];
  const kinds: string[] = [];
  if (rand() < 0.04) {
    const [kind, bytes] = rand() < 0.3 ? ['random bytes', randomBytes(rand)] : pick(WHOLE_REQUESTS);
    return { bytes, kind, head: false };
  }
  const [routeMethod, path] = route(pick);
  let method = routeMethod;
  if (rand() < 0.1) {
    method = pick(BAD_METHODS);
    kinds.push(method.length > 20 ? 'long method' : `method ${JSON.stringify(method)}`);
  }
  let target = path;
  if (rand() < 0.2) {
    const [kind, make] = pick(TARGETS);
    target = make(path, pick);
    kinds.push(kind);
  }
  let version = 'HTTP/1.1';
  if (rand() < 0.07) {
    const [kind, v] = pick(VERSIONS);
    version = v;
    kinds.push(kind);
  }
  const port = mode.server.port;
  let hostLines = [pick([`Host: localhost:${port}`, `Host: 127.0.0.1:${port}`, 'Host: localhost'])];
  if (rand() < 0.15) {
    const [kind, lines] = pick(BAD_HOSTS);
    hostLines = lines;
    kinds.push(kind);
  }
  const origin = `http://localhost:${port}`;
  const headers = [
    ...hostLines,
    ...Object.entries(pick(mode.credentials)).map(([k, v]) => `${k}: ${v}`),
    ...(rand() < 0.5 ? [`Origin: ${origin}`] : []),
    ...(rand() < 0.3 ? ['HX-Request: true'] : []),
    ...(rand() < 0.15 ? ['Accept: text/event-stream'] : []),
  ];
  if (rand() < 0.25) {
    const [kind, lines] = pick(BAD_HEADERS);
    headers.push(...lines);
    kinds.push(kind);
  }
  let payload: Buffer = Buffer.alloc(0);
  const sendsBody = !['GET', 'HEAD'].includes(method) || rand() < 0.05;
  if (sendsBody) {
    const [kind, type, data] = body(pick, rand);
    const [frameKind, frameLines, sent] = framing(pick, rand, data);
    if (type) headers.push(`Content-Type: ${type}`);
    headers.push(...frameLines);
    payload = sent;
    if (kind !== 'JSON' && kind !== 'no body' && kind !== 'form') kinds.push(kind);
    if (frameKind) kinds.push(frameKind);
  }
  const line = version ? `${method} ${target} ${version}` : `${method} ${target}`;
  const head = Buffer.from(`${line}\r\n${headers.join('\r\n')}\r\n\r\n`, 'utf8');
  return {
    bytes: Buffer.concat([head, payload]),
    kind: kinds.length ? kinds.join(' + ') : `well-formed ${routeMethod} ${path.split('/').slice(0, 3).join('/')}`,
    head: method === 'HEAD',
  };
}

function randomBytes(rand: () => number): Buffer {
  return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
}
