import { expect, test } from 'bun:test';
import { sseComment, sseEvent, sseResponse } from '../../../src/chat/sse.ts';
import { readEvents } from '../../support/test-deps.ts';

test('a payload with line breaks becomes several data lines that a reader joins back', async () => {
  const framed = sseEvent('one\ntwo\r\nthree\rfour\n', 'token');
  expect(framed).toBe('event: token\ndata: one\ndata: two\ndata: three\ndata: four\ndata: \n\n');
  const events = [];
  for await (const e of readEvents(new Response(framed))) events.push(e);
  expect(events.map((e) => [e.event, e.data])).toEqual([['token', 'one\ntwo\nthree\nfour\n']]);
});

test('an event name cannot inject lines; comments are single lines', () => {
  expect(sseEvent('x', 'a\nevent: evil')).toBe('event: aevent: evil\ndata: x\n\n');
  expect(sseComment('a\nb')).toBe(': a b\n\n');
});

test('sseResponse stops reading its source when the client cancels', async () => {
  let produced = 0;
  let finalised = false;
  async function* source() {
    try {
      while (true) {
        produced++;
        yield sseEvent(String(produced));
        await Bun.sleep(5);
      }
    } finally {
      finalised = true;
    }
  }
  const response = sseResponse(source(), { heartbeatMs: 1000 });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  await reader.read();
  await reader.cancel();
  await Bun.sleep(30);
  const after = produced;
  await Bun.sleep(30);
  expect(produced).toBe(after);
  expect(finalised).toBe(true);
});
