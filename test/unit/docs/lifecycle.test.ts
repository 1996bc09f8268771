import { afterAll, describe, expect, test } from 'bun:test';
import { silentLogger } from '../../../src/logger.ts';
import { openDeps } from '../../../src/startup.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { freshSchema } from '../../support/postgres.ts';
import { remoteStandIns } from '../../support/remote-stand-ins.ts';
import { json, makeTestApp, type TestApp } from '../../support/test-deps.ts';

/**
 * The document lifecycle through the HTTP API, the same in every mode: embedded (SQLite + disk)
 * and production (Postgres + Qdrant + S3, here the real local Postgres, the Qdrant stand-in held to
 * Qdrant's contract, and s3rver through the AWS SDK).
 */
const { qdrant, s3 } = remoteStandIns();

const LIMITS = { UPLOAD_MAX_BYTES: '4096' };

const modes: [string, () => Promise<Record<string, string>>][] = [
  ['embedded (SQLite, disk)', async () => LIMITS],
  [
    'production (Postgres, Qdrant, S3)',
    async () => {
      const { schema, url } = await freshSchema();
      return {
        ...LIMITS,
        DATABASE_URL: `${url}?search_path=${schema}`,
        QDRANT_URL: qdrant.url,
        QDRANT_COLLECTION: `docs_${crypto.randomUUID().slice(0, 8)}`,
        DOCS_BUCKET: await s3.createBucket(),
        DOCS_PREFIX: 'originals/',
        S3_ENDPOINT: s3.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
      };
    },
  ],
];

const upload = (t: TestApp, name: string, content: string | Uint8Array<ArrayBuffer>, type = 'text/markdown') => {
  const form = new FormData();
  form.append('file', new File([content], name, { type }));
  return t.request('/api/docs/upload', { method: 'POST', body: form });
};

const search = async (t: TestApp, text: string) => {
  const [vector] = await t.deps.embedder.embed([text]);
  return t.deps.vectors.search({ vector: vector as Float32Array, text, topK: 10 });
};

describe.each(modes)('document lifecycle, %s', (_mode, envFor) => {
  let t: TestApp;
  beforeSuite(async () => {
    t = await makeTestApp({ env: await envFor(), seed: false });
  });
  afterAll(() => t?.cleanup());

  const V1 = '# Travel policy\n\n## Booking\n\nBook flights through the Zephyrine portal at least 14 days ahead.\n';
  const V2 = '# Travel policy\n\n## Booking\n\nBook trains through the Quillbright desk; flights need approval.\n';

  test('upload adds a document; the same bytes again are a no-op that says so', async () => {
    const first = await upload(t, 'travel.md', V1);
    expect(first.status).toBe(201);
    const added = await first.json();
    expect(added).toMatchObject({ status: 'added', source: 'uploads/travel.md', title: 'Travel policy', chunks: 1 });

    const again = await upload(t, 'travel (copy).md', V1);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      status: 'unchanged',
      id: added.id,
      message: 'Nothing to do: these exact bytes are already indexed as uploads/travel.md.',
    });
    const list = (await (await t.request('/api/docs')).json()).documents;
    expect(list.map((d: { source: string; chunks: number }) => [d.source, d.chunks])).toEqual([
      ['uploads/travel.md', 1],
    ]);
    expect(new TextDecoder().decode((await t.deps.documents.get('uploads/travel.md')) as Uint8Array)).toBe(V1);

    // The chat answers from it, citing it.
    const answer = await (await t.request('/api/chat', json({ message: 'Where do I book flights?' }))).json();
    expect(
      answer.sources.some((s: { source: string; cited: boolean }) => s.source === 'uploads/travel.md' && s.cited),
    ).toBe(true);
  });

  test('a new version of the same name replaces the old chunks', async () => {
    const res = await upload(t, 'travel.md', V2);
    expect(res.status).toBe(200);
    expect((await res.json()).status).toBe('updated');
    expect((await search(t, 'Zephyrine portal')).some((r) => r.text.includes('Zephyrine'))).toBe(false);
    expect((await search(t, 'Quillbright desk'))[0]?.text).toContain('Quillbright');
    expect(await t.deps.vectors.count()).toBe(1);
  });

  test('delete removes the original, the chunks, the keyword entries and the vectors', async () => {
    const [doc] = (await (await t.request('/api/docs')).json()).documents;
    expect((await t.request(`/api/docs/${doc.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await (await t.request('/api/docs')).json()).documents).toEqual([]);
    expect(await t.deps.vectors.count()).toBe(0);
    expect((await t.deps.vectors.documentIds()).size).toBe(0);
    expect(await search(t, 'Quillbright desk')).toEqual([]);
    expect(await t.deps.documents.get('uploads/travel.md')).toBeNull();
    expect(await t.deps.ingestion.audit()).toMatchObject({
      orphanDocuments: [],
      danglingKeywordEntries: 0,
      orphanOriginals: [],
      missingChunks: [],
    });
    expect((await t.request(`/api/docs/${doc.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  test('two uploads of one name at once leave one consistent document', async () => {
    const a = `# Shifts\n\n${Array.from({ length: 12 }, (_, i) => `Rule ${i}: the alpha rota applies on day ${i}.`).join('\n\n')}\n`;
    const b = '# Shifts\n\nThe beta rota applies every day.\n';
    const [ra, rb] = await Promise.all([upload(t, 'shifts.md', a), upload(t, 'shifts.md', b)]);
    expect([ra.status, rb.status].sort()).toEqual([200, 201]);
    const [doc] = (await (await t.request('/api/docs')).json()).documents;
    const original = new TextDecoder().decode((await t.deps.documents.get('uploads/shifts.md')) as Uint8Array);
    expect(doc.contentHash).toBe(new Bun.CryptoHasher('sha256').update(original).digest('hex'));
    expect((await t.deps.vectors.documentIds()).get(doc.id)).toBe(doc.chunks);
    expect((await t.deps.ingestion.audit()).missingChunks).toEqual([]);
    expect((await t.request(`/api/docs/${doc.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  test('a re-index keeps uploaded documents, rebuilt from their originals', async () => {
    expect((await upload(t, 'keep.md', '# Keep me\n\nThe Vorpal checklist lives here.\n')).status).toBe(201);
    const other = await openDeps(t.config, { logger: silentLogger }, { resetIndex: true });
    try {
      expect(await other.vectors.count()).toBe(0);
      const rebuilt = await other.ingestion.reingestPending();
      expect(rebuilt).toMatchObject({ documents: 1, updated: 1, failed: [] });
    } finally {
      await other.close();
    }
    const [doc] = (await (await t.request('/api/docs')).json()).documents;
    expect(doc).toMatchObject({ source: 'uploads/keep.md', chunks: 1 });
    expect((await search(t, 'Vorpal checklist'))[0]?.source).toBe('uploads/keep.md');
    expect((await t.request(`/api/docs/${doc.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  test('refused uploads get a clear 4xx and change nothing', async () => {
    const cases: [Response, number, string][] = [
      [
        await upload(t, 'photo.jpg', 'JFIF', 'image/jpeg'),
        415,
        '"photo.jpg" cannot be uploaded: only .md, .markdown, .txt, .html, .htm, .pdf, .docx files are accepted.',
      ],
      [
        await upload(t, 'broken.pdf', '%PDF-1.7 not really', 'application/pdf'),
        422,
        'broken.pdf could not be read as a PDF.',
      ],
      [
        await upload(t, 'fake.docx', 'plain text, no zip'),
        415,
        '"fake.docx" is not a Word document (it is not a zip file).',
      ],
      // Types are checked by content: a name is only a claim.
      [
        await upload(t, 'report.pdf', '<html>not a pdf</html>', 'application/pdf'),
        415,
        '"report.pdf" is not a PDF (its content does not start like one).',
      ],
      [
        await upload(t, 'notes.md', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
        415,
        '"notes.md" looks like a PNG image, not text.',
      ],
      [await upload(t, 'notes.txt', 'abc\u0000def'), 415, '"notes.txt" looks like a binary file, not text.'],
      [await upload(t, 'big.md', 'x'.repeat(5000)), 413, '"big.md" is 0.00 MB; the limit is 0.00 MB.'],
      [await upload(t, 'empty.md', ''), 400, '"empty.md" is empty.'],
      [
        await upload(t, 'binary.md', new Uint8Array([0x41, 0x00, 0xff])),
        415,
        '"binary.md" looks like a binary file, not text.',
      ],
      [await upload(t, 'blank.md', '\n\n   \n'), 422, '"Blank" has no text to index.'],
      [
        await t.request('/api/docs/upload', { method: 'POST', body: new FormData() }),
        400,
        'Send exactly one file, as the multipart form field "file".',
      ],
    ];
    for (const [res, status, message] of cases) {
      expect(res.status).toBe(status);
      expect((await res.json()).error.message).toBe(message);
    }
    expect((await (await t.request('/api/docs')).json()).documents).toEqual([]);
  });
});

test('file names are made safe: no path, no escaping the uploads folder', async () => {
  const t = await makeTestApp({ seed: false });
  try {
    const res = await upload(t, '..\\..\\etc/pass wd<script>.md', '# Safe\n\nText.\n');
    expect(res.status).toBe(201);
    expect((await res.json()).source).toMatch(/^uploads\/pass wd-script-[0-9a-f]{6}\.md$/);
  } finally {
    await t.cleanup();
  }
});

test('repair in a shared bucket touches only the documents prefix and document files', async () => {
  const bucket = await s3.createBucket();
  const env = { S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', DOCS_BUCKET: bucket };
  const t = await makeTestApp({ seed: false, env });
  try {
    const { S3DocumentStore } = await import('../../../src/stores/s3-document-store.ts');
    const raw = new S3DocumentStore({
      bucket,
      prefix: '',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      timeoutMs: 5000,
    });
    await raw.put('handbook/diagram.png', new Uint8Array([1]));
    await raw.put('handbook/policy.md', new TextEncoder().encode('# Not ours'));
    await raw.put('documents/uploads/picture.png', new Uint8Array([1]));
    await raw.put('documents/uploads/stray.md', new TextEncoder().encode('# Stray'));
    const audit = await t.deps.ingestion.audit({ repair: true });
    expect(audit.orphanOriginals).toEqual(['uploads/stray.md']);
    expect(await raw.list()).toEqual(['documents/uploads/picture.png', 'handbook/diagram.png', 'handbook/policy.md']);
  } finally {
    await t.cleanup();
  }
});

test('ingest s3://bucket/prefix reads a bucket like a folder, with prune', async () => {
  const bucket = await s3.createBucket();
  const { S3DocumentStore } = await import('../../../src/stores/s3-document-store.ts');
  const source = new S3DocumentStore({
    bucket,
    prefix: 'handbook/',
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    timeoutMs: 5000,
  });
  await source.put('leave.md', new TextEncoder().encode('# Leave\n\nAsk your manager for leave in writing.\n'));
  await source.put('ops/pager.txt', new TextEncoder().encode('Pager\n\nThe pager rotates weekly.\n'));
  await source.put('logo.png', new Uint8Array([1, 2, 3]));
  const t = await makeTestApp({ seed: false, env: { S3_ENDPOINT: s3.endpoint, S3_FORCE_PATH_STYLE: 'true' } });
  try {
    const first = await t.deps.ingestion.ingestPaths([`s3://${bucket}/handbook`]);
    expect(first).toMatchObject({ documents: 2, added: 2, failed: [] });
    expect((await t.deps.catalog.list()).map((d) => d.source)).toEqual(['handbook/leave.md', 'handbook/ops/pager.txt']);
    await source.delete('ops/pager.txt');
    const second = await t.deps.ingestion.ingestPaths([`s3://${bucket}/handbook/`], { prune: true });
    expect(second).toMatchObject({ documents: 1, unchanged: 1, removed: 1 });
    expect((await t.deps.catalog.list()).map((d) => d.source)).toEqual(['handbook/leave.md']);
  } finally {
    await t.cleanup();
  }
});

test('a source opens its original at the passage, served safely', async () => {
  const t = await makeTestApp();
  try {
    const answer = await (
      await t.request('/api/chat', json({ message: 'How are answers streamed to the browser?' }))
    ).json();
    const source = answer.sources[0];
    // A Markdown original is shown as a page with an anchor per heading; the link names the
    // passage's heading.
    expect(source.url).toBe(`/docs/${source.documentId}/original#how-answers-are-streamed-to-the-browser`);
    expect(source.text.length).toBeGreaterThan(source.snippet.length - 5);
    const shown = await t.request(source.url.split('#')[0]);
    expect(shown.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(shown.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await shown.text()).toContain('<h2 id="how-answers-are-streamed-to-the-browser">');
    // The file itself, as it was uploaded, is one link away.
    const res = await t.request(`${source.url.split('#')[0]}?raw`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe('sandbox');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain(source.text.slice(0, 40));
    expect((await t.request('/docs/nope/original')).status).toBe(404);
    // The page links each source to it.
    const page = await (await t.request(`/c/${answer.conversationId}`)).text();
    expect(page).toContain(`href="${source.url.replaceAll('&', '&amp;')}"`);
  } finally {
    await t.cleanup();
  }
});

test('uploads up to the upload limit are accepted, beyond the 1 MB limit of other requests', async () => {
  const t = await makeTestApp({ seed: false });
  try {
    const body = `# Big handbook\n\n${'Words of a long handbook. '.repeat(100_000)}`;
    const form = new FormData();
    form.append('file', new File([body], 'big.md'));
    const res = await t.request('/api/docs/upload', {
      method: 'POST',
      body: form,
      headers: { 'content-length': String(body.length + 300) },
    });
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(res.status).toBe(201);
    const chat = await t.request('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) },
      body: JSON.stringify({ message: 'x'.repeat(2 * 1024 * 1024 - 20) }),
    });
    expect(chat.status).toBe(413);
  } finally {
    await t.cleanup();
  }
});
