import { expect, test } from 'bun:test';
import type { Source } from '../../src/domain.ts';
import type { ChatRepository } from '../../src/stores/chat-repository.ts';

const SOURCE: Source = {
  id: 1,
  chunkId: 'c1',
  documentId: 'd1',
  title: 'Guide <b>',
  source: 'guide.md',
  location: 'Intro',
  snippet: 'text',
  text: 'text',
  url: '/docs/d1/original',
  score: 0.9,
  cited: true,
};

/** What every ChatRepository must do; `make` returns an empty repository. */
export function runChatRepositoryContract(name: string, make: () => Promise<ChatRepository>) {
  const id = () => Bun.randomUUIDv7();

  test(`${name}: stores a conversation with its messages in order`, async () => {
    const repo = await make();
    await repo.ensureUser({ id: 'u1', name: 'One' });
    await repo.ensureUser({ id: 'u1', name: 'One' });
    const c = await repo.createConversation({ id: id(), userId: 'u1', title: 'First question' });
    expect(c.title).toBe('First question');
    const q = await repo.addMessage({
      id: id(),
      conversationId: c.id,
      role: 'user',
      content: 'Q?',
      status: 'complete',
    });
    const a = await repo.addMessage({
      id: id(),
      conversationId: c.id,
      role: 'assistant',
      content: '',
      status: 'streaming',
      model: 'm',
    });
    expect(a.status).toBe('streaming');
    await repo.finishMessage(a.id, { content: 'A [1]', status: 'complete', sources: [SOURCE], latencyMs: 1234.6 });
    const messages = await repo.listMessages(c.id);
    expect(messages.map((m) => m.id)).toEqual([q.id, a.id]);
    expect(messages[1]).toMatchObject({
      content: 'A [1]',
      status: 'complete',
      model: 'm',
      latencyMs: 1235,
      sources: [SOURCE],
    });
    expect(await repo.getMessage(a.id)).toMatchObject({ role: 'assistant', conversationId: c.id });
  });

  test(`${name}: lists a user's conversations, most recently active first`, async () => {
    const repo = await make();
    await repo.ensureUser({ id: 'u1', name: 'One' });
    await repo.ensureUser({ id: 'u2', name: 'Two' });
    const older = await repo.createConversation({ id: id(), userId: 'u1', title: 'older' });
    await Bun.sleep(5);
    await repo.createConversation({ id: id(), userId: 'u1', title: 'newer' });
    await repo.createConversation({ id: id(), userId: 'u2', title: 'not mine' });
    expect((await repo.listConversations('u1')).map((c) => c.title)).toEqual(['newer', 'older']);
    await Bun.sleep(5);
    await repo.addMessage({ id: id(), conversationId: older.id, role: 'user', content: 'again', status: 'complete' });
    expect((await repo.listConversations('u1')).map((c) => c.title)).toEqual(['older', 'newer']);
  });

  test(`${name}: deleting a conversation deletes its messages`, async () => {
    const repo = await make();
    await repo.ensureUser({ id: 'u1', name: 'One' });
    const c = await repo.createConversation({ id: id(), userId: 'u1', title: 't' });
    const m = await repo.addMessage({ id: id(), conversationId: c.id, role: 'user', content: 'x', status: 'complete' });
    expect(await repo.deleteConversation(c.id)).toBe(true);
    expect(await repo.deleteConversation(c.id)).toBe(false);
    expect(await repo.getConversation(c.id)).toBeNull();
    expect(await repo.getMessage(m.id)).toBeNull();
  });

  test(`${name}: answers whose writer stopped touching them are marked failed, live ones are not`, async () => {
    const repo = await make();
    await repo.ensureUser({ id: 'u1', name: 'One' });
    const c = await repo.createConversation({ id: id(), userId: 'u1', title: 't' });
    const orphan = await repo.addMessage({
      id: id(),
      conversationId: c.id,
      role: 'assistant',
      content: 'partial',
      status: 'streaming',
    });
    const live = await repo.addMessage({
      id: id(),
      conversationId: c.id,
      role: 'assistant',
      content: '',
      status: 'streaming',
    });
    await Bun.sleep(150);
    await repo.touchMessages([live.id]);
    // Stale after 100 ms: the orphan was last touched 150 ms ago, the live one just now.
    expect(await repo.failStale('server stopped', 100)).toBe(1);
    expect(await repo.getMessage(orphan.id)).toMatchObject({
      status: 'failed',
      content: 'partial',
      error: 'server stopped',
    });
    expect((await repo.getMessage(live.id))?.status).toBe('streaming');
    expect(await repo.failStale('server stopped', 100)).toBe(0);
    await repo.touchMessages([]);
  });

  test(`${name}: keeps token usage with the answer`, async () => {
    const repo = await make();
    await repo.ensureUser({ id: 'u1', name: 'One' });
    const c = await repo.createConversation({ id: id(), userId: 'u1', title: 't' });
    const a = await repo.addMessage({
      id: id(),
      conversationId: c.id,
      role: 'assistant',
      content: '',
      status: 'streaming',
    });
    await repo.finishMessage(a.id, {
      content: 'x',
      status: 'stopped',
      sources: [],
      latencyMs: 5,
      promptTokens: 812,
      completionTokens: 3,
    });
    expect(await repo.getMessage(a.id)).toMatchObject({
      status: 'stopped',
      promptTokens: 812,
      completionTokens: 3,
      error: null,
    });
  });

  test(`${name}: unknown ids are null, not errors`, async () => {
    const repo = await make();
    expect(await repo.getConversation(id())).toBeNull();
    expect(await repo.getMessage(id())).toBeNull();
    expect(await repo.listMessages(id())).toEqual([]);
    await repo.ping();
  });
}
