import { expect, test } from 'bun:test';
import { composeAnswer, NO_ANSWER_OFFLINE } from '../../../src/providers/offline-llm-client.ts';

const passages = [
  { n: 1, title: 'Deploy', location: '', text: 'Run pulumi up to deploy. It builds the image and pushes it to ECR.' },
  {
    n: 2,
    title: 'Stop',
    location: '',
    text: 'Press Stop to end an answer early. The partial answer is kept with the status stopped.',
  },
];

test('quotes the sentences that answer, each with the number of its passage', () => {
  const answer = composeAnswer('How do I stop an answer early?', passages, 4);
  expect(answer).toContain('Press Stop to end an answer early. [2]');
  expect(answer).not.toContain('pulumi');
});

test('says plainly when nothing matches', () => {
  expect(composeAnswer('What is the capital of France?', passages, 4)).toBe(NO_ANSWER_OFFLINE);
  expect(composeAnswer('the and of', passages, 4)).toBe(NO_ANSWER_OFFLINE);
  expect(composeAnswer('stop', [], 4)).toBe(NO_ANSWER_OFFLINE);
});

test('a short code block is quoted inline with the sentence that introduces it', () => {
  const text = 'You need Node.js. From a clone run:\n\n```\nnpm install && npm start\n```\n\nThen open the page.';
  const answer = composeAnswer('How do I start it from a clone?', [{ n: 1, title: 'Start', location: '', text }], 4);
  expect(answer).toContain('From a clone run: npm install && npm start. [1]');
  expect(answer).not.toContain('```');
});
