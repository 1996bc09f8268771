import { afterAll, expect, spyOn, test } from 'bun:test';
import { join } from 'node:path';
import { ANSWER_TARGETS, formatAnswerEval, runEvalAnswersCommand } from '../../../src/cli/eval-answers-command.ts';
import type { Source } from '../../../src/domain.ts';
import { NO_ANSWER_OFFLINE } from '../../../src/providers/offline-llm-client.ts';
import {
  type AnswerEvalResult,
  evaluateAnswers,
  firstCitedSource,
  isAbstention,
  parseLabelledQuestions,
} from '../../../src/rag/answer-evaluation.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';
import { makeTestApp, type TestApp } from '../../support/test-deps.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const SET = join(ROOT, 'ingest', 'sample-questions.jsonl');
const HELD_OUT = join(ROOT, 'ingest', 'sample-questions-held-out.jsonl');

let t: TestApp;
let tuned: AnswerEvalResult;
let heldOut: AnswerEvalResult;
beforeSuite(async () => {
  // The chat's own path: the sample corpus ingested, the real retriever, prompt and offline answerer.
  t = await makeTestApp();
  tuned = await evaluateAnswers(parseLabelledQuestions(await Bun.file(SET).text()), t.deps.orchestrator);
  heldOut = await evaluateAnswers(parseLabelledQuestions(await Bun.file(HELD_OUT).text()), t.deps.orchestrator);
});
afterAll(() => t?.cleanup());

const missed = (r: AnswerEvalResult) => formatAnswerEval(r, 'offline');

test('the labelled set has at least 25 answerable and 25 unanswerable questions', () => {
  expect(tuned.answerable).toBeGreaterThanOrEqual(25);
  expect(tuned.unanswerable).toBeGreaterThanOrEqual(25);
});

test('unanswerable questions get the plain "the documents do not say", at least 90 % of them', () => {
  // On failure, the message lists each question that missed with the answer it got.
  if (tuned.abstentionRate < ANSWER_TARGETS.abstentionRate) throw new Error(missed(tuned));
  expect(tuned.abstentionRate).toBeGreaterThanOrEqual(ANSWER_TARGETS.abstentionRate);
  const saml = tuned.outcomes.find((o) => o.question === 'Does ragchat support SAML single sign-on?');
  expect(saml?.answer).toBe(NO_ANSWER_OFFLINE);
  const license = tuned.outcomes.find((o) => o.question === 'Enterprise license cost per month?');
  expect(license?.answer).toBe(NO_ANSWER_OFFLINE);
});

test('answerable questions cite the passage that answers them first, at least 90 % of them', () => {
  if (tuned.rightFirstRate < ANSWER_TARGETS.rightFirstRate) throw new Error(missed(tuned));
  expect(tuned.rightFirstRate).toBeGreaterThanOrEqual(ANSWER_TARGETS.rightFirstRate);
  // The default port question leads with the port, not with DATA_DIR.
  const port = tuned.outcomes.find((o) => o.question === 'What port does ragchat listen on by default?');
  expect(port?.answer.split('\n').find((l) => l.startsWith('- '))).toContain('PORT is the port the server listens on');
  // Abstaining is not free: it must not swallow the answerable questions.
  expect(tuned.falseAbstentions).toBeLessThanOrEqual(2);
});

test('the held-out set, written after the answerer was tuned, meets the same targets', () => {
  if (heldOut.abstentionRate < ANSWER_TARGETS.abstentionRate || heldOut.rightFirstRate < ANSWER_TARGETS.rightFirstRate)
    throw new Error(missed(heldOut));
  expect(heldOut.answerable + heldOut.unanswerable).toBeGreaterThanOrEqual(30);
});

const source = (id: number, cited: boolean): Source => ({
  id,
  chunkId: `c${id}`,
  documentId: `d${id}`,
  title: 'T',
  source: 'sample-docs/configuration.md',
  location: '',
  snippet: '',
  text: '',
  url: '',
  score: 1,
  cited,
});

test('an abstention says the documents do not say and cites nothing; a model may word it its own way', () => {
  expect(isAbstention(NO_ANSWER_OFFLINE, [source(1, false)])).toBe(true);
  expect(isAbstention('The documents do not cover SAML.', [])).toBe(true);
  expect(isAbstention("The provided passages don't mention a licence price.", [])).toBe(true);
  expect(isAbstention('There is no information about pricing in the documents.', [])).toBe(true);
  // Citing a passage is answering, whatever else the answer says.
  expect(isAbstention('The documents do not say more than this: port 3000 [1].', [source(1, true)])).toBe(false);
  expect(isAbstention('The default port is 3000.', [])).toBe(false);
});

test('the first citation is read in order, skipping numbers that name no passage', () => {
  const sources = [source(1, true), source(2, true)];
  expect(firstCitedSource('See [7], then [2] and [1].', sources)?.id).toBe(2);
  expect(firstCitedSource('No citation.', sources)).toBeNull();
});

test('a malformed labelled set is refused with the line that is wrong', () => {
  expect(() => parseLabelledQuestions('{"question":"q","answers":[]}\nnot json')).toThrow('Line 2 is not JSON.');
  expect(() => parseLabelledQuestions('{"question":"q","answers":[{"document":"a.md"}]}')).toThrow('Line 1');
  expect(parseLabelledQuestions('\n{"question":"q","answers":[]}\n\n')).toEqual([{ question: 'q', answers: [] }]);
});

test('bun run eval:answers prints both figures against their targets', async () => {
  const printed: string[] = [];
  const log = spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  const err = spyOn(console, 'error').mockImplementation(() => {});
  try {
    // In-process, as `src/main.ts eval-answers` runs it: a scratch store, never the user's data.
    expect(await runEvalAnswersCommand([], { DATA_DIR: '/nonexistent/never-used' })).toBe(0);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  const out = printed.join('\n');
  expect(out).toMatch(/unanswerable answered "do not say"\s+\d+\.\d %/);
  expect(out).toMatch(/answerable, right passage first\s+\d+\.\d %/);
  expect(out).not.toContain('below');
});

test('eval:answers refuses a missing set with its usage', async () => {
  const err = spyOn(console, 'error').mockImplementation(() => {});
  try {
    expect(await runEvalAnswersCommand(['/nonexistent/questions.jsonl'], {})).toBe(2);
    expect(String(err.mock.calls[0]?.[0])).toContain('/nonexistent/questions.jsonl does not exist');
  } finally {
    err.mockRestore();
  }
});

test('with a model configured, the same set measures the model', async () => {
  const model = new OpenAiStandIn().start();
  // A model that declines everything: every unanswerable question is right, no answerable one is.
  model.script = { tokens: ['The documents', ' do not cover', ' that.'] };
  const printed: string[] = [];
  const log = spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  const err = spyOn(console, 'error').mockImplementation(() => {});
  try {
    const env = { LLM_BASE_URL: model.url, OPENAI_API_KEY: 'sk-test', LLM_MODEL: 'stand-in-model' };
    expect(await runEvalAnswersCommand([], env)).toBe(0);
  } finally {
    log.mockRestore();
    err.mockRestore();
    await model.stop();
  }
  const out = printed.join('\n');
  expect(out).toContain('stand-in-model');
  expect(out).toMatch(/unanswerable answered "do not say"\s+100\.0 %/);
  expect(out).toMatch(/answerable, right passage first\s+0\.0 %/);
  expect(model.requests.filter((r) => r.path.endsWith('/chat/completions')).length).toBe(tuned.outcomes.length);
});
