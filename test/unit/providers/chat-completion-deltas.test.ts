import { describe, expect, test } from 'bun:test';
import OpenAI from 'openai';
import { Stream } from 'openai/streaming';
import { chatCompletionDeltas } from '../../../src/providers/chat-completion-deltas.ts';
import { prng } from '../../support/prng.ts';

/**
 * The fragment reader is held to the `openai` package's own: for the same bytes, cut anywhere
 * (inside a CRLF, inside a multi-byte character), both yield the same texts and fail alike.
 */

const chunk = (content: string | null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: null }],
    ...extra,
  });

function responseOf(text: string, random: () => number): Response {
  const bytes = new TextEncoder().encode(text);
  return new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        let at = 0;
        while (at < bytes.length) {
          const size = 1 + Math.floor(random() * 40);
          controller.enqueue(bytes.slice(at, at + size));
          at += size;
        }
        controller.close();
      },
    }),
    { headers: { 'content-type': 'text/event-stream' } },
  );
}

async function ours(text: string, seed: number): Promise<string[]> {
  const out: string[] = [];
  for await (const t of chatCompletionDeltas(responseOf(text, prng(seed)))) out.push(t);
  return out;
}

async function theirs(text: string, seed: number): Promise<string[]> {
  const out: string[] = [];
  const stream = Stream.fromSSEResponse<{ choices: { delta?: { content?: string | null } }[] }>(
    responseOf(text, prng(seed)),
    new AbortController(),
  );
  for await (const c of stream) {
    const t = c.choices[0]?.delta?.content;
    if (t) out.push(t);
  }
  return out;
}

const WORDS = ['Hello', ' wörld', ' 日本語', ' 😀 emoji', ' "quoted"', ' back\\slash', ' line\nbreak', ' [1]', ''];

describe('chatCompletionDeltas', () => {
  test('yields what the openai package yields, whatever the line endings and however the bytes are cut', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const random = prng(seed * 7);
      const eol = ['\n', '\r\n', '\r'][seed % 3] as string;
      const events: string[] = [];
      for (let i = 0; i < 25; i++) {
        const word = WORDS[Math.floor(random() * WORDS.length)] as string;
        if (random() < 0.1) events.push(`: keep-alive${eol}`);
        events.push(`data: ${chunk(word === '' ? null : word)}${eol}${eol}`);
      }
      // A role-only first chunk, a usage-only last chunk, then the end marker.
      events.unshift(`data: ${chunk(null, { choices: [{ index: 0, delta: { role: 'assistant' } }] })}${eol}${eol}`);
      events.push(`data: ${chunk(null, { choices: [], usage: { prompt_tokens: 3 } })}${eol}${eol}`);
      events.push(`data: [DONE]${eol}${eol}`);
      const body = events.join('');
      const expected = await theirs(body, seed);
      expect(expected.length).toBeGreaterThan(5);
      expect(await ours(body, seed)).toEqual(expected);
    }
  });

  test('a data field split over several lines is joined with line feeds, as the spec says', async () => {
    const body = `data: {"choices": [{"delta":\ndata: {"content": "split"}}]}\n\ndata: [DONE]\n\n`;
    expect(await ours(body, 1)).toEqual(await theirs(body, 1));
    expect(await ours(body, 1)).toEqual(['split']);
  });

  test('an error in the stream throws the package’s APIError, after the text before it', async () => {
    const body = `data: ${chunk('Partial')}\n\ndata: {"error": {"message": "overloaded", "type": "server_error"}}\n\n`;
    const seen: string[] = [];
    let error: unknown;
    try {
      for await (const t of chatCompletionDeltas(responseOf(body, prng(3)))) seen.push(t);
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual(['Partial']);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('overloaded');
    await expect(theirs(body, 3)).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  test('text after [DONE] is ignored, and leaving early cancels the body', async () => {
    const after = `data: ${chunk('one')}\n\ndata: [DONE]\n\ndata: ${chunk('late')}\n\n`;
    expect(await ours(after, 2)).toEqual(['one']);
    let cancelled = false;
    const endless = new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(new TextEncoder().encode(`data: ${chunk('more')}\n\n`));
        },
        cancel() {
          cancelled = true;
        },
      }),
    );
    let n = 0;
    for await (const _ of chatCompletionDeltas(endless)) if (++n === 3) break;
    expect(cancelled).toBe(true);
  });

  test('a malformed chunk is an error, not a silent end', async () => {
    await expect(ours('data: {not json\n\n', 1)).rejects.toThrow();
  });
});
