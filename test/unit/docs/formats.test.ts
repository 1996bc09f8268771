import { afterAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeSuite } from '../../support/before-suite.ts';
import { HTML_PAGE, makeDocx, makePdf } from '../../support/documents.ts';
import { json, makeTestApp, type TestApp } from '../../support/test-deps.ts';

/** The four formats through the upload API and the ingest command; answers cite a PDF by page. */
let t: TestApp;
let files: Record<string, Uint8Array>;

beforeSuite(async () => {
  t = await makeTestApp({ seed: false });
  files = {
    'handbook.pdf': await makePdf(
      [
        'Welcome to the platform team handbook.',
        'Escalation policy: page the secondary on-call engineer\nafter fifteen minutes without an acknowledgement.',
      ],
      'Platform handbook',
    ),
    'expenses.docx': await makeDocx([
      '# Expense policy',
      '## Receipts',
      'Submit receipts within thirty days of the purchase.',
    ]),
    'runbook.html': new TextEncoder().encode(HTML_PAGE),
    'glossary.md': new TextEncoder().encode(
      '# Glossary\n\n## SLO\n\nA service level objective is the target reliability of a service.\n',
    ),
  };
});
afterAll(() => t?.cleanup());

test('a PDF, a DOCX, an HTML page and a Markdown file each upload and index', async () => {
  for (const [name, bytes] of Object.entries(files)) {
    const form = new FormData();
    form.append('file', new File([bytes as Uint8Array<ArrayBuffer>], name));
    const res = await t.request('/api/docs/upload', { method: 'POST', body: form });
    expect(res.status, name).toBe(201);
    expect((await res.json()).chunks, name).toBeGreaterThan(0);
  }
  const titles = (await (await t.request('/api/docs')).json()).documents.map((d: { title: string }) => d.title).sort();
  expect(titles).toEqual(['Expense policy', 'Glossary', 'Incident response runbook', 'Platform handbook']);
});

test('an answer cites the PDF by page, and the source opens the PDF at that page', async () => {
  const answer = await (
    await t.request('/api/chat', json({ message: 'When do I page the secondary on-call engineer?' }))
  ).json();
  const cited = answer.sources.find(
    (s: { cited: boolean; source: string }) => s.cited && s.source === 'uploads/handbook.pdf',
  );
  expect(cited).toMatchObject({ title: 'Platform handbook', location: 'Page 2' });
  expect(cited.url).toMatch(/\/original#page=2$/);
  expect(answer.response).toContain(`[${cited.id}]`);
  const original = await t.request(cited.url.split('#')[0]);
  expect(original.headers.get('content-type')).toBe('application/pdf');
  expect(Buffer.from(await original.arrayBuffer()).equals(Buffer.from(files['handbook.pdf'] as Uint8Array))).toBe(true);
});

test('a Word answer links to its heading, and the original opens as a page at that heading', async () => {
  const answer = await (await t.request('/api/chat', json({ message: 'When are receipts due for expenses?' }))).json();
  const cited = answer.sources.find((s: { source: string }) => s.source === 'uploads/expenses.docx');
  expect(cited.location).toBe('Receipts');
  expect(cited.url).toMatch(/\/original#receipts$/);
  const page = await t.request(cited.url.split('#')[0]);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  const html = await page.text();
  expect(html).toContain('<h1 id="expense-policy">Expense policy</h1>');
  expect(html).toContain('<h2 id="receipts">Receipts</h2>');
  expect(html).toContain('Submit receipts within thirty days');
  // The .docx itself is still there, for whoever wants the file.
  const raw = await t.request(`${cited.url.split('#')[0]}?raw`);
  expect(raw.headers.get('content-type')).toBe(
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  );
});

test('the ingest command reads the same four formats from a folder', async () => {
  const folder = join(mkdtempSync(join(tmpdir(), 'ragchat-formats-')), 'mixed');
  mkdirSync(folder);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
  writeFileSync(join(folder, 'scan.pdf'), await makePdf([null]));
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-formats-data-'));
  try {
    const proc = Bun.spawn([process.execPath, 'run', 'src/main.ts', 'ingest', folder], {
      cwd: join(import.meta.dir, '..', '..', '..'),
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', QDRANT_URL: '' },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const code = await proc.exited;
    const out = await new Response(proc.stdout).text();
    const err = await new Response(proc.stderr).text();
    // The scan is reported as such, and the others go in.
    expect(code).toBe(1);
    expect(out).toMatch(/5 documents: 4 added, .* 1 failed/);
    expect(err).toContain('failed: mixed/scan.pdf: scan.pdf has no extractable text (a scanned PDF?)');
  } finally {
    rmSync(join(folder, '..'), { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
});
