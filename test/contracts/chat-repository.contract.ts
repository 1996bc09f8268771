import { expect, test } from 'bun:test';
import type { Conversation, Source } from '../../src/domain.ts';
import type { ChatRepository } from '../../src/stores/chat-repository.ts';
import { type ContractBackend, eachTest } from './contract-backend.ts';

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
export function runChatRepositoryContract(name: string, backend: ContractBackend<ChatRepository>) {
  const make = eachTest(backend);
  const id = () => Bun.randomUUIDv7();

  test(`${name}: the reads a stream makes reject once their signal is aborted, with its reason`, async () => {
    const repo = await make();
    await repo.ensureUser({ id: 'u1', name: 'One' });
    const c = await repo.createConversation({ id: id(), userId: 'u1', title: 'Aborted' });
    const m = await repo.addMessage({
      id: id(),
      conversationId: c.id,
      role: 'user',
      content: 'Q?',
      status: 'complete',
    });
    const controller = new AbortController();
    controller.abort();
    await expect(repo.getMessage(m.id, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(repo.listMessages(c.id, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    // A signal not aborted changes nothing.
    expect((await repo.getMessage(m.id, new AbortController().signal))?.content).toBe('Q?');
    expect(await repo.listMessages(c.id, new AbortController().signal)).toHaveLength(1);
  });

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

  test(`${name}: a conversation keeps where it was asked; the page's by default`, async () => {
    const repo = await make();
    await repo.ensureUser({ id: 'u1', name: 'One' });
    const page = await repo.createConversation({ id: id(), userId: 'u1', title: 'from the page' });
    const openai = await repo.createConversation({ id: id(), userId: 'u1', title: 'from a client', origin: 'openai' });
    const mcp = await repo.createConversation({ id: id(), userId: 'u1', title: 'from an agent', origin: 'mcp' });
    expect([page.origin, openai.origin, mcp.origin]).toEqual(['ragchat', 'openai', 'mcp']);
    expect((await repo.getConversation(openai.id))?.origin).toBe('openai');
    const listed = await repo.listConversations('u1');
    expect(Object.fromEntries(listed.map((c) => [c.title, c.origin]))).toEqual({
      'from the page': 'ragchat',
      'from a client': 'openai',
      'from an agent': 'mcp',
    });
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
    expect(await repo.renameConversation(id(), 'x')).toBeNull();
    expect(await repo.deleteMessagesFrom(id())).toEqual([]);
    expect(await repo.setFeedback(id(), { rating: 'up', comment: null })).toBeNull();
    await repo.ping();
  });

  /** A user with one conversation of `n` messages, alternating question and answer. */
  const conversationWith = async (repo: ChatRepository, contents: string[], title = 't') => {
    await repo.ensureUser({ id: 'u1', name: 'One' });
    const c = await repo.createConversation({ id: id(), userId: 'u1', title });
    const messages = [];
    for (const [i, content] of contents.entries()) {
      messages.push(
        await repo.addMessage({
          id: id(),
          conversationId: c.id,
          role: i % 2 === 0 ? 'user' : 'assistant',
          content,
          status: 'complete',
        }),
      );
    }
    return { c, messages };
  };

  test(`${name}: renaming keeps the conversation's place in the list`, async () => {
    const repo = await make();
    const { c: created } = await conversationWith(repo, ['q']);
    const c = (await repo.getConversation(created.id)) as Conversation;
    await Bun.sleep(5);
    const newer = await repo.createConversation({ id: id(), userId: 'u1', title: 'newer' });
    const renamed = await repo.renameConversation(c.id, 'Vacation <policy>');
    expect(renamed).toMatchObject({ id: c.id, title: 'Vacation <policy>', updatedAt: c.updatedAt });
    expect((await repo.getConversation(c.id))?.title).toBe('Vacation <policy>');
    expect((await repo.listConversations('u1')).map((x) => x.id)).toEqual([newer.id, c.id]);
  });

  test(`${name}: search finds a user's conversations by title or by any message, wildcards literal`, async () => {
    const repo = await make();
    const { c: byTitle } = await conversationWith(repo, ['first'], 'Deploying to AWS');
    const { c: byText } = await conversationWith(repo, ['How big is a chunk?', 'At most 512 tokens [1]'], 'Chunks');
    const { c: percent } = await conversationWith(repo, ['Is 100% of it indexed?'], 'Coverage');
    await repo.ensureUser({ id: 'u2', name: 'Two' });
    await repo.createConversation({ id: id(), userId: 'u2', title: 'deploying elsewhere' });
    expect((await repo.searchConversations('u1', 'DEPLOY')).map((c) => c.id)).toEqual([byTitle.id]);
    expect((await repo.searchConversations('u1', '512 tokens')).map((c) => c.id)).toEqual([byText.id]);
    expect((await repo.searchConversations('u1', '100%')).map((c) => c.id)).toEqual([percent.id]);
    expect(await repo.searchConversations('u1', '%')).toHaveLength(1);
    expect(await repo.searchConversations('u1', '_')).toEqual([]);
    expect(await repo.searchConversations('u1', 'nothing like it')).toEqual([]);
    // Newest activity first, like the list; and bounded.
    expect((await repo.searchConversations('u1', 'o')).map((c) => c.id)).toEqual([percent.id, byText.id, byTitle.id]);
    expect(await repo.searchConversations('u1', 'o', 2)).toHaveLength(2);
  });

  test(`${name}: removing from a message removes it and everything after it, nothing before`, async () => {
    const repo = await make();
    const { c, messages } = await conversationWith(repo, ['q1', 'a1', 'q2', 'a2']);
    const [q1, a1, q2, a2] = messages.map((m) => m.id) as [string, string, string, string];
    const other = await conversationWith(repo, ['other q', 'other a']);
    expect(await repo.deleteMessagesFrom(q2)).toEqual([q2, a2]);
    expect((await repo.listMessages(c.id)).map((m) => m.id)).toEqual([q1, a1]);
    expect(await repo.deleteMessagesFrom(a1)).toEqual([a1]);
    expect(await repo.listMessages(other.c.id)).toHaveLength(2);
  });

  test(`${name}: feedback is stored with the message, changed, and cleared`, async () => {
    const repo = await make();
    const { c, messages } = await conversationWith(repo, ['q', 'a']);
    const answer = messages[1]?.id as string;
    expect((await repo.getMessage(answer))?.feedback).toBeNull();
    const up = await repo.setFeedback(answer, { rating: 'up', comment: null });
    expect(up?.feedback).toMatchObject({ rating: 'up', comment: null });
    expect(Date.parse(up?.feedback?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
    await repo.setFeedback(answer, { rating: 'down', comment: 'Cites the <wrong> page' });
    expect((await repo.listMessages(c.id))[1]?.feedback).toMatchObject({
      rating: 'down',
      comment: 'Cites the <wrong> page',
    });
    expect((await repo.setFeedback(answer, null))?.feedback).toBeNull();
    expect((await repo.getMessage(answer))?.feedback).toBeNull();
  });
}
