import { describe, expect, test } from 'bun:test';
import { ANSWER_PHRASES, answerPhrases } from '../../../src/providers/answer-phrases.ts';
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

describe('answers in the question’s language', () => {
  const zh = [
    {
      n: 1,
      title: '差旅制度',
      location: '',
      text: '出差住宿标准为每晚不超过500元。报销须在出差结束后30天内完成。如有疑问，请联系财务部！',
    },
  ];
  const es = [
    {
      n: 1,
      title: 'Política de viajes',
      location: '',
      text: 'El alojamiento durante los viajes de trabajo no puede superar los 120 euros por noche. Los gastos se reembolsan en un plazo de 30 días.',
    },
  ];

  test('Chinese sentences are quoted whole, under the Chinese frame, with no Western period after 。', () => {
    const answer = composeAnswer('报销要在多少天内完成？', zh, 4);
    expect(answer).toBe('根据文档：\n\n- 报销须在出差结束后30天内完成。 [1]');
    expect(answer).not.toContain('。.');
    expect(composeAnswer('出差住宿标准是多少？', zh, 4)).toContain('- 出差住宿标准为每晚不超过500元。 [1]');
  });

  test('a Spanish question gets the Spanish frame, and the Spanish "the documents do not say"', () => {
    expect(composeAnswer('¿Cuánto puede costar el alojamiento por noche?', es, 4)).toBe(
      `${ANSWER_PHRASES.es?.frame}\n\n- El alojamiento durante los viajes de trabajo no puede superar los 120 euros por noche. [1]`,
    );
    const none = composeAnswer('¿Cuál es la política de vacaciones de verano para los becarios?', es, 4);
    expect(none).toBe(ANSWER_PHRASES.es?.noAnswer as string);
    expect(none).toStartWith('Los documentos no lo dicen.');
  });

  test('every XQuAD language has its own frame and abstention; others fall back to English', () => {
    for (const language of ['ar', 'de', 'el', 'en', 'es', 'hi', 'ro', 'ru', 'th', 'tr', 'vi', 'zh']) {
      const phrases = ANSWER_PHRASES[language];
      expect(phrases?.frame.length).toBeGreaterThan(3);
      expect(phrases?.noAnswer.length).toBeGreaterThan(10);
      if (language !== 'en') expect(phrases?.noAnswer).not.toBe(NO_ANSWER_OFFLINE);
    }
    expect(answerPhrases('sw')).toEqual(answerPhrases('en'));
  });
});
