import { expect, test } from 'bun:test';
import { titleFrom } from '../../../src/chat/chat-service.ts';
import type { Source } from '../../../src/domain.ts';
import { renderAnswer } from '../../../views/chat.tsx';

const source = (id: number): Source => ({
  id,
  chunkId: 'c',
  documentId: 'd',
  title: 't',
  source: 's',
  location: '',
  snippet: '',
  text: '',
  url: '/docs/d/original',
  score: 1,
  cited: true,
});

test('answers are escaped, and only citations of given passages become links', () => {
  const html = renderAnswer('See [1] and [7] <img src=x onerror=alert(1)>', 'm1', [source(1), source(2)]);
  expect(html).toBe('<p>See <a class="cite" href="#src-m1-1">[1]</a> and [7] &lt;img src=x onerror=alert(1)&gt;</p>\n');
});

test('conversation titles come from the first question, on one line, cut at a word', () => {
  expect(titleFrom('  How do I\nstart?  ')).toBe('How do I start?');
  const t = titleFrom('How do I configure the embedding model for a self-hosted Ollama server on another machine?');
  expect(t.length).toBeLessThanOrEqual(61);
  expect(t.endsWith('…')).toBe(true);
  expect(t).toBe('How do I configure the embedding model for a self-hosted…');
});

test('answers render as Markdown through a sanitiser: structure kept, scripts and unsafe links gone', () => {
  const html = renderAnswer(
    '## Steps\n\n1. **Install** `npm i`\n2. See [docs](https://example.com) or [this](javascript:alert(1))\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |',
    'm1',
    [],
  );
  expect(html).toContain('<h2>Steps</h2>');
  expect(html).toContain('<ol>');
  expect(html).toContain('<strong>Install</strong> <code>npm i</code>');
  expect(html).toContain('<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">docs</a>');
  expect(html).not.toContain('javascript:');
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  expect(html).not.toContain('<script>');
  expect(html).toContain('<td>1</td>');
});
