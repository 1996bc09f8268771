import { afterAll, expect, test } from 'bun:test';
import { beforeSuite } from '../../support/before-suite.ts';
import { json, makeTestApp, type TestApp } from '../../support/test-deps.ts';

let t: TestApp;
beforeSuite(async () => {
  t = await makeTestApp();
});
afterAll(() => t?.cleanup());

test('a follow-up is searched as a standalone question and retrieves passages about the earlier topic', async () => {
  const first = await (await t.request('/api/chat', json({ message: 'What is the offline mode?' }))).json();
  expect(first.searchQuery).toBeNull();

  const followUp = await (
    await t.request('/api/chat', json({ message: 'How do I configure it?', conversationId: first.conversationId }))
  ).json();
  expect(followUp.searchQuery).toBe('How do I configure it? offline mode');
  const titles = (r: { sources: { title: string }[] }) => r.sources.slice(0, 3).map((s) => s.title);
  expect(titles(followUp)[0]).toBe('Offline mode');

  // The same question without the conversation is about configuration in general.
  const alone = await (await t.request('/api/chat', json({ message: 'How do I configure it?' }))).json();
  expect(alone.searchQuery).toBeNull();
  expect(titles(alone)).not.toContain('Offline mode');

  // It is stored with the answer and shown with the sources.
  const page = await (await t.request(`/c/${first.conversationId}`)).text();
  expect(page).toContain('Searched for: <q>How do I configure it? offline mode</q>');
});
