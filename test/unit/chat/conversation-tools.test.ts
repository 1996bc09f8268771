import { afterAll, describe, expect, test } from 'bun:test';
import { dateGroup, groupByDate } from '../../../src/chat/conversation-groups.ts';
import type { Conversation } from '../../../src/domain.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, makeTestApp, readEvents, type TestApp } from '../../support/test-deps.ts';

/** The conversation tools through the JSON API, on the real app (SQLite, offline answerer). */
let t: TestApp;
beforeSuite(async () => {
  t = await makeTestApp();
});
afterAll(() => t?.cleanup());

const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
const ask = async (message: string, conversationId?: string) =>
  (await t.request('/api/chat', json({ message, conversationId }))).json() as Promise<{
    conversationId: string;
    messageId: string;
    response: string;
  }>;
const conversation = async (id: string) =>
  (await t.request(`/api/conversations/${id}`)).json() as Promise<{
    title: string;
    messages: { id: string; role: string; content: string; feedback: unknown }[];
  }>;
const send = (method: string, body: unknown) => ({ ...json(body), method });
const MISSING = '01a20b4e-0000-7000-8000-000000000000';

describe('rename', () => {
  test('PATCH /api/conversations/:id sets the title, trimmed to one line, and keeps its place', async () => {
    const older = await ask('How do I stop an answer early?');
    const newer = await ask('How are answers streamed to the browser?');
    const res = await t.request(
      `/api/conversations/${older.conversationId}`,
      send('PATCH', { title: '  Stopping\n answers ' }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: older.conversationId, title: 'Stopping answers', group: 'Today' });
    expect((await conversation(older.conversationId)).title).toBe('Stopping answers');
    const list = (await (await t.request('/api/conversations')).json()).conversations as { id: string }[];
    expect(list.findIndex((c) => c.id === newer.conversationId)).toBeLessThan(
      list.findIndex((c) => c.id === older.conversationId),
    );
  });

  test.each([
    [{ title: '' }, 400, 'A conversation needs a title; write a few words.'],
    [{ title: 42 }, 400, 'Send the new title as text, like {"title": "Vacation policy"}.'],
    [{ title: 'x'.repeat(121) }, 400, 'The title is 121 characters long; the limit is 120.'],
    [[1], 400, 'Send a JSON object like {"title": "Vacation policy"} with Content-Type: application/json.'],
  ])('a bad title is refused with a sentence: %j', async (body, status, message) => {
    const { conversationId } = await ask('How do I add my own documents?');
    const res = await t.request(`/api/conversations/${conversationId}`, send('PATCH', body));
    expect(res.status).toBe(status);
    expect((await errorOf(res)).message).toBe(message);
  });

  test('an unknown conversation is a 404', async () => {
    expect((await t.request(`/api/conversations/${MISSING}`, send('PATCH', { title: 'x' }))).status).toBe(404);
  });
});

describe('search', () => {
  test('GET /api/conversations?q= finds conversations by title and by the text of their messages', async () => {
    const byTitle = await ask('Which log levels can I set?');
    const byAnswer = await ask('What does the --prune option do?');
    const titles = async (q: string) =>
      (
        (await (await t.request(`/api/conversations?q=${encodeURIComponent(q)}`)).json()).conversations as {
          id: string;
        }[]
      ).map((c) => c.id);
    expect(await titles('LOG LEVELS')).toContain(byTitle.conversationId);
    expect(await titles('LOG LEVELS')).not.toContain(byAnswer.conversationId);
    // "no longer on disk" is in the quoted answer only, not in the question.
    expect(await titles('no longer on disk')).toEqual([byAnswer.conversationId]);
    expect(await titles('nothing at all like this')).toEqual([]);
    expect((await titles('')).length).toBeGreaterThan(2);
  });

  test('a search over 200 characters is refused', async () => {
    const res = await t.request(`/api/conversations?q=${'a'.repeat(201)}`);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toBe('The search is 201 characters long; the limit is 200.');
  });
});

describe('feedback', () => {
  test('PUT /api/messages/:id/feedback stores a thumbs up or down and a comment with the answer', async () => {
    const { conversationId, messageId } = await ask('What port does ragchat listen on by default?');
    const up = await t.request(`/api/messages/${messageId}/feedback`, send('PUT', { rating: 'up' }));
    expect(up.status).toBe(200);
    expect((await up.json()).feedback).toMatchObject({ rating: 'up', comment: null });
    const down = await t.request(
      `/api/messages/${messageId}/feedback`,
      send('PUT', { rating: 'down', comment: '  It should lead with the port.  ' }),
    );
    expect((await down.json()).feedback).toMatchObject({ rating: 'down', comment: 'It should lead with the port.' });
    const answer = (await conversation(conversationId)).messages[1];
    expect(answer?.feedback).toMatchObject({ rating: 'down', comment: 'It should lead with the port.' });
    expect((await (await t.request(`/api/messages/${messageId}`)).json()).feedback.rating).toBe('down');
    const cleared = await t.request(`/api/messages/${messageId}/feedback`, send('PUT', { rating: null }));
    expect((await cleared.json()).feedback).toBeNull();
  });

  test.each([
    [{ rating: 'meh' }, 'The rating must be "up", "down", or null to take it back.'],
    [{}, 'Say "rating": "up", "down", or null to take it back.'],
    [{ rating: null, comment: 'hm' }, 'A comment goes with a thumbs up or down; choose one.'],
    [{ rating: 'up', comment: 'x'.repeat(2001) }, 'The comment is 2001 characters long; the limit is 2000.'],
    [{ rating: 'up', comment: 5 }, 'The comment must be text.'],
  ])('bad feedback is refused with a sentence: %j', async (body, message) => {
    const { messageId } = await ask('How do I stop ragchat?');
    const res = await t.request(`/api/messages/${messageId}/feedback`, send('PUT', body));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toBe(message);
  });

  test('only answers take feedback: a question or an unknown id is a 404', async () => {
    const { conversationId } = await ask('How do I stop ragchat?');
    const question = (await conversation(conversationId)).messages[0]?.id;
    expect((await t.request(`/api/messages/${question}/feedback`, send('PUT', { rating: 'up' }))).status).toBe(404);
    expect((await t.request(`/api/messages/${MISSING}/feedback`, send('PUT', { rating: 'up' }))).status).toBe(404);
  });
});

describe('regenerate, edit and resend', () => {
  test('POST /api/conversations/:id/regenerate answers the last question again, in place of its answer', async () => {
    const first = await ask('How do I stop an answer early?');
    const second = await ask('Where is my data stored?', first.conversationId);
    const res = await t.request(`/api/conversations/${first.conversationId}/regenerate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const again = await res.json();
    expect(again.response).toBe(second.response);
    expect(again.messageId).not.toBe(second.messageId);
    const messages = (await conversation(first.conversationId)).messages;
    expect(messages.map((m) => [m.role, m.content.slice(0, 24)])).toEqual([
      ['user', 'How do I stop an answer '],
      ['assistant', first.response.slice(0, 24)],
      ['user', 'Where is my data stored?'],
      ['assistant', second.response.slice(0, 24)],
    ]);
    expect(messages[3]?.id).toBe(again.messageId);
  });

  test('regenerate streams like POST /api/chat when asked for events', async () => {
    const { conversationId } = await ask('How do I run the test suite?');
    const res = await t.request(`/api/conversations/${conversationId}/regenerate`, {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
    });
    const events = [];
    for await (const e of readEvents(res)) events.push(e.event);
    expect(events[0]).toBe('start');
    expect(events.at(-1)).toBe('done');
  });

  test('POST /api/messages/:id/edit replaces a question, drops what followed it, and answers the new one', async () => {
    const first = await ask('How do I strat ragchat?');
    await ask('Where is my data stored?', first.conversationId);
    const question = (await conversation(first.conversationId)).messages[0]?.id;
    const res = await t.request(`/api/messages/${question}/edit`, json({ message: 'How do I stop ragchat?' }));
    expect(res.status).toBe(200);
    expect((await res.json()).response).toContain('Ctrl+C');
    const after = await conversation(first.conversationId);
    expect(after.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(after.messages[0]?.content).toBe('How do I stop ragchat?');
    // The title was the first question's: it follows the edit.
    expect(after.title).toBe('How do I stop ragchat?');
  });

  test('a refused edit or regenerate removes nothing', async () => {
    const { conversationId } = await ask('How do I stop ragchat?');
    const before = await conversation(conversationId);
    const question = before.messages[0]?.id;
    const empty = await t.request(`/api/messages/${question}/edit`, json({ message: '  ' }));
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).message).toBe('Write a question before sending.');
    const answer = before.messages[1]?.id;
    expect((await t.request(`/api/messages/${answer}/edit`, json({ message: 'x' }))).status).toBe(404);
    expect((await t.request(`/api/conversations/${MISSING}/regenerate`, { method: 'POST' })).status).toBe(404);
    // While an answer is being written, neither may remove it.
    const live = await t.deps.chat.ask(
      {
        user: { id: 'local', name: 'Local', email: null, role: 'admin', createdAt: '' },
        collections: 'all',
        via: 'local',
      },
      { message: 'How are answers streamed to the browser?', conversationId },
    );
    const busy = await t.request(`/api/conversations/${conversationId}/regenerate`, { method: 'POST' });
    expect(busy.status).toBe(409);
    expect((await errorOf(busy)).message).toBe(
      'An answer is still being written in this conversation; stop it or wait for it to finish.',
    );
    await live.generation.finished;
    expect((await conversation(conversationId)).messages).toHaveLength(4);
  });
});

describe('copy and export', () => {
  test('GET /api/messages/:id/markdown is the answer as written, with the sources it cites', async () => {
    const { messageId, response } = await ask('How do I add my own documents?');
    const res = await t.request(`/api/messages/${messageId}/markdown`);
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    const markdown = await res.text();
    expect(markdown.startsWith(response.trim())).toBe(true);
    expect(markdown).toMatch(
      /\nSources:\n\n- \[1\] Adding your own documents › .+ \(sample-docs\/adding-documents\.md\)/,
    );
  });

  test('GET /api/conversations/:id/export downloads Markdown or JSON', async () => {
    const first = await ask('How do I add my own documents?');
    await ask('Does ragchat support SAML single sign-on?', first.conversationId);
    const md = await t.request(`/api/conversations/${first.conversationId}/export`);
    expect(md.headers.get('content-disposition')).toBe('attachment; filename="how-do-i-add-my-own-documents.md"');
    const text = await md.text();
    expect(text).toStartWith('# How do I add my own documents?\n');
    expect(text).toContain('## Question\n\n> Does ragchat support SAML single sign-on?');
    expect(text).toContain('## Answer\n\nThe documents do not say.');
    const js = await t.request(`/api/conversations/${first.conversationId}/export?format=json`);
    expect(js.headers.get('content-disposition')).toBe('attachment; filename="how-do-i-add-my-own-documents.json"');
    const body = await js.json();
    expect(body).toMatchObject({ id: first.conversationId, title: 'How do I add my own documents?' });
    expect(body.messages).toHaveLength(4);
    expect(body.userId).toBeUndefined();
    const bad = await t.request(`/api/conversations/${first.conversationId}/export?format=pdf`);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toBe('The export format is "markdown" or "json", like ?format=json.');
  });
});

describe('date groups', () => {
  const now = new Date(2026, 11, 10, 9, 30);
  const at = (days: number, hour = 12) => new Date(2026, 11, 10 - days, hour).toISOString();
  test('by calendar day: today, yesterday, the five days before, older', () => {
    expect(dateGroup(new Date(2026, 11, 10, 0, 0).toISOString(), now)).toBe('Today');
    expect(dateGroup(at(1, 23), now)).toBe('Yesterday');
    expect(dateGroup(at(1, 0), now)).toBe('Yesterday');
    expect(dateGroup(at(2), now)).toBe('Last 7 days');
    expect(dateGroup(at(6, 0), now)).toBe('Last 7 days');
    expect(dateGroup(at(7, 23), now)).toBe('Older');
  });

  test('groups keep the newest-first order and leave empty ones out', () => {
    const c = (id: string, days: number): Conversation => ({
      id,
      userId: 'u',
      title: id,
      origin: 'ragchat',
      createdAt: at(days),
      updatedAt: at(days),
    });
    const groups = groupByDate([c('a', 0), c('b', 0), c('c', 3), c('d', 40)], now);
    expect(groups.map((g) => [g.label, g.conversations.map((x) => x.id)])).toEqual([
      ['Today', ['a', 'b']],
      ['Last 7 days', ['c']],
      ['Older', ['d']],
    ]);
  });
});

test('the page fragments read the on-screen conversation from any HX-Current-URL, however malformed', async () => {
  const { conversationId } = await ask('How do I stop ragchat?');
  for (const current of ['http://[', 'not a url', `http://localhost/c/${conversationId}`]) {
    const res = await t.request('/chat/conversations?q=stop', {
      headers: { 'hx-request': 'true', 'hx-current-url': current },
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`id="conv-${conversationId}"`);
    expect(html.includes(`class="active" id="conv-${conversationId}"`)).toBe(current.includes(conversationId));
  }
});
