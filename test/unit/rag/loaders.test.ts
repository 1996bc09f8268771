import { expect, test } from 'bun:test';
import type { Section } from '../../../src/rag/chunker.ts';
import { formatOf, loadDocument } from '../../../src/rag/loaders/document-loader.ts';
import { normalizeText } from '../../../src/rag/loaders/normalize.ts';
import { HTML_PAGE, makeDocx, makePdf } from '../../support/documents.ts';

const LIMITS = { maxBytes: 1024 * 1024, maxPages: 10 };
const collect = async (sections: AsyncIterable<Section>) => {
  const out: Section[] = [];
  for await (const s of sections) out.push(s);
  return out;
};
const utf8 = (s: string) => new TextEncoder().encode(s);

test('PDF: one section per page, located "Page N", with the title from the metadata', async () => {
  const pdf = await makePdf(
    ['Onboarding checklist for new engineers.', 'Escalation: page the secondary\nafter fifteen minutes.'],
    'Team handbook',
  );
  const doc = await loadDocument('handbook.pdf', pdf, LIMITS);
  expect(doc).toMatchObject({ title: 'Team handbook', format: 'pdf' });
  const sections = await collect(doc.sections);
  expect(sections.map((s) => s.headings)).toEqual([['Page 1'], ['Page 2']]);
  expect(sections[1]?.text).toBe('Escalation: page the secondary\nafter fifteen minutes.');
});

test('PDF: a scan with no text is refused as such; too many pages is refused by the limit', async () => {
  const scan = await makePdf([null, null]);
  await expect(loadDocument('scan.pdf', scan, LIMITS)).rejects.toThrow(
    'scan.pdf has no extractable text (a scanned PDF?)',
  );
  const long = await makePdf(Array.from({ length: 12 }, (_, i) => `page ${i}`));
  await expect(loadDocument('long.pdf', long, LIMITS)).rejects.toThrow('long.pdf has 12 pages; the limit is 10');
});

test('HTML: the main content by headings, without navigation, footer or scripts', async () => {
  const doc = await loadDocument('runbook.html', utf8(HTML_PAGE), LIMITS);
  expect(doc.title).toBe('Incident response runbook');
  const sections = await collect(doc.sections);
  const all = sections.map((s) => s.text).join('\n');
  expect(sections.map((s) => s.headings.join(' › '))).toEqual(['', 'Declaring an incident', 'Closing an incident']);
  expect(all).toContain('assigns a scribe');
  expect(all).not.toContain('Pricing banner');
  expect(all).not.toContain('Copyright footer');
  expect(all).not.toContain('tracking');
});

test('DOCX: Word headings become sections', async () => {
  const docx = await makeDocx([
    '# Expense policy',
    'Submit receipts within thirty days.',
    '## Travel',
    'Book trains for trips under four hours.',
  ]);
  const doc = await loadDocument('expenses.docx', docx, LIMITS);
  expect(doc).toMatchObject({ title: 'Expense policy', format: 'docx' });
  const sections = await collect(doc.sections);
  expect(sections).toEqual([
    { headings: [], text: 'Submit receipts within thirty days.' },
    { headings: ['Travel'], text: 'Book trains for trips under four hours.' },
  ]);
});

test('the format comes from the content first, then the name, then the content type', async () => {
  const pdf = await makePdf(['x']);
  expect(formatOf('report.bin', pdf)).toBe('pdf');
  expect(formatOf('notes', utf8('# hi'), 'text/markdown')).toBe('markdown');
  expect(formatOf('fake.pdf', utf8('not a pdf'))).toBeNull();
  expect(formatOf('page.htm', utf8('<p>x</p>'))).toBe('html');
  await expect(loadDocument('big.md', new Uint8Array(LIMITS.maxBytes + 1), LIMITS)).rejects.toThrow(
    'the limit is 1.0 MB',
  );
});

test('text is normalised: encodings, hyphenation at line ends, whitespace', async () => {
  expect(normalizeText('infor-\nmation  and\u00a0more\r\n\n\n\nend\u00ad')).toBe('information and more\n\nend');
  const latin1 = new Uint8Array([0x43, 0x61, 0x66, 0xe9]); // "Café" in Windows-1252
  const doc = await loadDocument('menu.txt', latin1, LIMITS);
  expect((await collect(doc.sections))[0]?.text).toBe('Café');
});

test('hostile files are refused or read safely: a decompression bomb, absurdly deep HTML', async () => {
  const JSZip = (await import('jszip')).default;
  const zip = new JSZip();
  zip.file('word/document.xml', 'a'.repeat(30 * 1024 * 1024));
  const bomb = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
  expect(bomb.byteLength).toBeLessThan(1024 * 1024);
  await expect(loadDocument('bomb.docx', bomb, LIMITS)).rejects.toThrow(
    'bomb.docx expands to 30 MB when unpacked; it was refused.',
  );

  const deep = `<html><body>${'<div>'.repeat(5000)}<p>Deep text that still gets indexed.</p>${'</div>'.repeat(5000)}</body></html>`;
  const doc = await loadDocument('deep.html', utf8(deep), LIMITS);
  expect((await collect(doc.sections)).map((s) => s.text).join(' ')).toContain('Deep text that still gets indexed.');
});
