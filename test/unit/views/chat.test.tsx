import { expect, test } from 'bun:test';
import { titleFrom } from '../../../src/chat/chat-service.ts';
import type { Source } from '../../../src/domain.ts';
import { headingAnchor } from '../../../src/strings.ts';
import { citationNumbers, renderAnswer, SourcesPanel } from '../../../views/chat.tsx';
import { renderOriginal } from '../../../views/markdown.ts';

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
  expect(html).toBe(
    '<p>See <a class="cite" href="#src-m1-1" aria-describedby="snip-m1-1">[1]</a> and [7] &lt;img src=x onerror=alert(1)&gt;</p>\n',
  );
});

test('cited sources are numbered 1..n in the order the answer first cites them, with no gap', async () => {
  const sources = [1, 2, 3, 4].map(source);
  const text = 'First [3], then [1], again [3], and a made-up [9].';
  const html = renderAnswer(text, 'm', sources);
  expect([...html.matchAll(/href="#src-m-(\d)"[^>]*>\[(\d)\]/g)].map((m) => `${m[1]}→${m[2]}`)).toEqual([
    '3→1',
    '1→2',
    '3→1',
  ]);
  expect(html).toContain('made-up [9].');
  expect([...citationNumbers(text, sources)]).toEqual([
    [3, 1],
    [1, 2],
  ]);
  // The panel lists them in that order, with those numbers; the others come folded, unnumbered.
  const panel = (await (<SourcesPanel messageId="m" sources={sources} text={text} />)) as string;
  const numbered = [...panel.matchAll(/<li id="src-m-(\d)" class="source cited">.*?<span class="num">\[(\d)\]/gs)];
  expect(numbered.map((m) => `${m[1]}→${m[2]}`)).toEqual(['3→1', '1→2']);
  expect(panel).toContain('2 more retrieved, not cited');
});

test('the whole passage is Markdown through the same sanitiser as answers', async () => {
  const passage = {
    ...source(1),
    snippet: 'Short',
    text: '## Steps\n\n1. **Stop** the server\n2. <script>x()</script>',
  };
  const panel = (await (<SourcesPanel messageId="m" sources={[passage]} text="[1]" />)) as string;
  expect(panel).toContain('<h2>Steps</h2>');
  expect(panel).toContain('<strong>Stop</strong>');
  expect(panel).toContain('&lt;script&gt;x()&lt;/script&gt;');
  expect(panel).not.toContain('<script>');
});

test('an original shown as a page has an anchor on every heading, repeated ones numbered', async () => {
  const html = await renderOriginal({
    markdown: '# Guide\n\n## Café *setup*\n\nText.\n\n## Café setup\n\n<b onclick=x>b</b>',
  });
  expect(html).toContain('<h1 id="guide">Guide</h1>');
  expect(html).toContain('<h2 id="cafe-setup">Café <em>setup</em></h2>');
  expect(html).toContain('<h2 id="cafe-setup-2">Café setup</h2>');
  expect(html).toContain('&lt;b onclick=x&gt;b&lt;/b&gt;');
  expect(headingAnchor('Café *setup*')).toBe('cafe-setup');
  const word = await renderOriginal({
    html: '<h1>Expense policy</h1><p>Submit <a href="javascript:x">receipts</a>.</p>',
  });
  expect(word).toContain('<h1 id="expense-policy">Expense policy</h1>');
  expect(word).not.toContain('javascript');
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
