import { expect, test } from 'bun:test';
import type { ChatTurn } from '../../../src/domain.ts';
import { OfflineLlmClient } from '../../../src/providers/offline-llm-client.ts';
import { heuristicRewrite, LlmQueryRewriter } from '../../../src/rag/query-rewriter.ts';

const history: ChatTurn[] = [
  { role: 'user', content: 'What is the offline mode?' },
  { role: 'assistant', content: 'It answers from your documents without a model.' },
];

test('a follow-up carries the previous question’s topic; a standalone question is left alone', () => {
  expect(heuristicRewrite('How do I configure it?', history)).toBe('How do I configure it? offline mode');
  expect(heuristicRewrite('And what about the embedder?', history)).toBe('And what about the embedder? offline mode');
  expect(heuristicRewrite('Which environment variables configure the Postgres connection pool size?', history)).toBe(
    'Which environment variables configure the Postgres connection pool size?',
  );
  expect(heuristicRewrite('How do I configure it?', [])).toBe('How do I configure it?');
  // Short or with "there"/"that" in the middle is not enough to be a follow-up.
  expect(heuristicRewrite('Which file formats are supported?', history)).toBe('Which file formats are supported?');
  expect(heuristicRewrite('Is there a limit on uploads?', history)).toBe('Is there a limit on uploads?');
  expect(heuristicRewrite('How do I make sure that answers cite sources?', history)).toBe(
    'How do I make sure that answers cite sources?',
  );
  expect(heuristicRewrite('Why is that?', history)).toBe('Why is that? offline mode');
});

test('a thread of follow-ups keeps its subject through the stored search queries', () => {
  const thread: ChatTurn[] = [
    ...history,
    { role: 'user', content: 'How do I configure it?', searchQuery: 'How do I configure it? offline mode' },
    { role: 'assistant', content: 'Set LLM_BASE_URL.' },
  ];
  expect(heuristicRewrite('And what are the defaults?', thread)).toBe(
    'And what are the defaults? configure offline mode',
  );
});

test('the model rewrite is used when it answers, the heuristic when it fails', async () => {
  // Clients scripted to fail, or to answer a rewrite; a failing model falls back to the heuristic.
  const failing = new OfflineLlmClient();
  failing.stream = () => ({
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('down')) }),
  });
  expect(await new LlmQueryRewriter(failing).rewrite('How do I configure it?', history)).toBe(
    'How do I configure it? offline mode',
  );
  const echo = new OfflineLlmClient();
  echo.stream = async function* () {
    yield 'How do I configure the offline mode?';
  };
  expect(await new LlmQueryRewriter(echo).rewrite('How do I configure it?', history)).toBe(
    'How do I configure the offline mode?',
  );
  // No earlier question: no call at all.
  expect(await new LlmQueryRewriter(failing).rewrite('What is ragchat?', [])).toBe('What is ragchat?');
});
