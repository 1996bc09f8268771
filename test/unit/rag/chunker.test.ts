import { expect, test } from 'bun:test';
import { chunkDocument, parseMarkdown, parsePlainText } from '../../../src/rag/chunker.ts';
import { countTokens } from '../../../src/search/tokens.ts';

const GUIDE = `# User guide

Intro paragraph.

## Install

Run the installer.

### Docker

\`\`\`
# this is a comment in code, not a heading
docker run ragchat
\`\`\`

## Use

Ask questions.
`;

test('markdown is split by headings, keeping the heading path and the title', () => {
  const doc = parseMarkdown(GUIDE, 'fallback');
  expect(doc.title).toBe('User guide');
  expect(doc.sections.map((s) => s.headings.join(' › '))).toEqual(['', 'Install', 'Install › Docker', 'Use']);
  expect(doc.sections[2]?.text).toContain('# this is a comment in code, not a heading');
});

test('a document without a level-1 heading takes its title from the file name', () => {
  expect(parseMarkdown('## Only a section\n\ntext', 'My notes').title).toBe('My notes');
  expect(parsePlainText('Release notes\n\nLine two', 'x').title).toBe('Release notes');
});

test('long sections are cut within the size at sentence boundaries, with overlap', () => {
  const sentence = (i: number) => `Sentence number ${i} says something about topic ${i}.`;
  const body = Array.from({ length: 60 }, (_, i) => sentence(i)).join(' ');
  const chunks = chunkDocument(parseMarkdown(`# T\n\n## Long\n\n${body}`, 'T'), {
    chunkSizeTokens: 80,
    overlapTokens: 20,
  });
  expect(chunks.length).toBeGreaterThan(5);
  for (const c of chunks) {
    expect(countTokens(c.text)).toBeLessThanOrEqual(80);
    expect(c.location).toBe('Long');
    expect(c.text).toMatch(/^Sentence number \d+/);
    expect(c.text).toMatch(/\.$/);
  }
  // Overlap: each chunk starts with a sentence the previous one ended with.
  for (let i = 1; i < chunks.length; i++) {
    const firstSentence = (chunks[i] as { text: string }).text.split('. ')[0] as string;
    expect(chunks[i - 1]?.text).toContain(firstSentence);
  }
  // Nothing lost.
  for (let i = 0; i < 60; i++) expect(chunks.some((c) => c.text.includes(sentence(i)))).toBe(true);
});

test('a sentence longer than a chunk is cut inside, never dropped', () => {
  const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
  const chunks = chunkDocument(parsePlainText(words, 't'), { chunkSizeTokens: 50, overlapTokens: 0 });
  expect(chunks.length).toBeGreaterThan(5);
  expect(chunks.every((c) => countTokens(c.text) <= 50)).toBe(true);
  expect(
    chunks
      .map((c) => c.text)
      .join(' ')
      .split(/\s+/).length,
  ).toBe(400);
});

test('empty documents give no chunks', () => {
  expect(chunkDocument(parseMarkdown('   \n\n', 't'), { chunkSizeTokens: 100, overlapTokens: 10 })).toEqual([]);
});
