import { expect, test } from 'bun:test';
import type { ScoredChunk } from '../../../src/domain.ts';
import { buildPrompt, SYSTEM_INSTRUCTIONS } from '../../../src/rag/prompt.ts';
import { countTokens } from '../../../src/search/tokens.ts';

const chunk = (i: number, text: string): ScoredChunk => ({
  collection: 'general',
  id: `c${i}`,
  documentId: `d${i}`,
  source: `doc${i}.md`,
  title: `Doc ${i}`,
  location: 'Part',
  index: 0,
  text,
  contentHash: 'h',
  score: 1 - i / 10,
});

const long = (n: number) => Array.from({ length: n }, (_, i) => `Fact ${i} is written here in full.`).join(' ');

test('the prompt numbers the passages, keeps instructions, and ends with the question', () => {
  const p = buildPrompt('What is fact 1?', [chunk(1, 'Fact 1 is blue.'), chunk(2, 'Fact 2 is red.')], [], {
    contextWindowTokens: 4000,
    maxAnswerTokens: 500,
  });
  expect(p.messages[0]?.role).toBe('system');
  expect(p.messages[0]?.content.startsWith(SYSTEM_INSTRUCTIONS)).toBe(true);
  expect(p.messages[0]?.content).toContain('[1] Doc 1 › Part\nFact 1 is blue.');
  expect(p.messages[0]?.content).toContain('[2] Doc 2 › Part\nFact 2 is red.');
  expect(p.messages.at(-1)).toEqual({ role: 'user', content: 'What is fact 1?' });
  expect(p.passages.map((x) => x.n)).toEqual([1, 2]);
});

test('the prompt never overflows the window: passages are cut at sentences, then history is trimmed oldest first', () => {
  const history = Array.from({ length: 20 }, (_, i) => ({
    role: (i % 2 === 0 ? 'user' : 'assistant') as 'user' | 'assistant',
    content: `turn ${i} ${long(20)}`,
  }));
  const budget = { contextWindowTokens: 3000, maxAnswerTokens: 400 };
  const p = buildPrompt('And then?', [chunk(1, long(80)), chunk(2, long(80)), chunk(3, long(80))], history, budget);
  const total = p.messages.reduce((s, m) => s + countTokens(m.content) + 8, 0);
  expect(total).toBeLessThanOrEqual(budget.contextWindowTokens - budget.maxAnswerTokens);
  for (const passage of p.passages) expect(passage.text).toMatch(/full\.$/);
  const turns = p.messages.slice(1, -1);
  expect(turns.length).toBeGreaterThan(0);
  expect(turns.length).toBeLessThan(20);
  expect(turns.at(-1)?.content).toContain('turn 19');
  expect(turns[0]?.role).toBe('user');
});

test('with nothing retrieved the prompt says so instead of inventing context', () => {
  const p = buildPrompt('Anything?', [], [], { contextWindowTokens: 4000, maxAnswerTokens: 500 });
  expect(p.messages[0]?.content).toContain('(no passages were found for this question)');
  expect(p.passages).toEqual([]);
});
