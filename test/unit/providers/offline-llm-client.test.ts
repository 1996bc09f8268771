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

test("abstains when the passages share only the question's common words, not its topic", () => {
  const guide = [
    { n: 1, title: 'Getting started', location: '', text: 'ragchat is a chat web app. ragchat runs on Bun.' },
    { n: 2, title: 'Stop', location: '', text: 'Press Stop to end an answer early in ragchat.' },
  ];
  expect(composeAnswer('Does ragchat support SAML single sign-on?', guide, 4)).toBe(NO_ANSWER_OFFLINE);
  expect(NO_ANSWER_OFFLINE).toStartWith('The documents do not say.');
});

test('the sentence that answers comes first, before others that only share a word', () => {
  const config = {
    n: 1,
    title: 'Configuration',
    location: 'Server settings',
    text: '- `DATA_DIR` is the data folder. The default is `./data`.\n- `PORT` is the port the server listens on. The default is 3000.',
  };
  const answer = composeAnswer('What port does the server listen on by default?', [config], 4);
  const lines = answer.split('\n').filter((l) => l.startsWith('- '));
  // A list item is quoted whole: its second sentence holds the number.
  expect(lines[0]).toBe('- PORT is the port the server listens on. The default is 3000. [1]');
  expect(lines.join('\n')).not.toContain('DATA_DIR');
});

test('a bracketed number inside a quoted sentence is escaped, not read as a citation', () => {
  const text = 'The answerer quotes sentences, each followed by the number of its source, like [2].';
  const answer = composeAnswer('What does the answerer quote?', [{ n: 1, title: 'Offline', location: '', text }], 4);
  expect(answer).toContain('like \\[2\\]. [1]');
  expect([...answer.matchAll(/(?<!\\)\[(\d)\]/g)].map((m) => m[1])).toEqual(['1']);
});
