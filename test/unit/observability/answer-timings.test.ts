import { expect, test } from 'bun:test';
import { ANSWER_PHASES, AnswerTimings, serverTimingHeader } from '../../../src/observability/answer-timings.ts';

test('each phase lasts from the previous mark; phases never marked are 0 and add their time to the next', async () => {
  const timings = new AnswerTimings();
  timings.mark('validate');
  await Bun.sleep(5);
  timings.mark('store');
  await Bun.sleep(5);
  timings.mark('embed');
  const json = timings.toJSON();
  expect(json.store).toBeGreaterThanOrEqual(4);
  expect(json.rewrite).toBe(0);
  expect(json.embed).toBeGreaterThanOrEqual(4);
  expect(json.provider).toBe(0);
  const sum = ANSWER_PHASES.reduce((n, p) => n + json[p], 0);
  // Rounded to tenths on the clock's offsets, so the sum stays within the total (float sums aside).
  expect(sum).toBeLessThanOrEqual(json.total + 1e-9);
  for (const value of Object.values(json)) expect(Math.round(value * 10) / 10).toBe(value);
});

test('the first mark of a phase stands', async () => {
  const timings = new AnswerTimings();
  timings.mark('firstEvent');
  const first = timings.toJSON().firstEvent;
  await Bun.sleep(3);
  timings.mark('firstEvent');
  expect(timings.toJSON().firstEvent).toBe(first);
  expect(timings.has('firstEvent')).toBe(true);
  expect(timings.has('provider')).toBe(false);
});

test('Server-Timing lists every phase and the total as name;dur=ms', () => {
  const header = serverTimingHeader(new AnswerTimings().toJSON());
  expect(header.split(', ').map((m) => m.split(';')[0])).toEqual([...ANSWER_PHASES, 'total']);
  expect(header).toMatch(/^(\w+;dur=\d+(\.\d)?)(, \w+;dur=\d+(\.\d)?)*$/);
});
