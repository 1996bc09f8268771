import { formatBudget, untilAborted } from '../deadlines.ts';
import type { ChatTurn, Conversation, ConversationOrigin, Message, Principal, Source } from '../domain.ts';
import { AppError, badInput, notFound, notFoundSaying } from '../errors.ts';
import { type Coordinator, codePointLength } from '../fleet/coordinator.ts';
import { InProcessCoordinator } from '../fleet/in-process-coordinator.ts';
import { say } from '../i18n/translator.ts';
import type { Logger } from '../logger.ts';
import { AnswerTimings } from '../observability/answer-timings.ts';
import { failSpan, Telemetry } from '../observability/telemetry.ts';
import type { RagOrchestrator } from '../rag/rag-orchestrator.ts';
import { countTokens } from '../search/tokens.ts';
import type { ChatRepository } from '../stores/chat-repository.ts';
import { FinalWrites } from './final-writes.ts';
import { Generation, type GenerationEvent } from './generation.ts';

export interface ChatServiceOptions {
  maxMessageChars: number;
  /** Answers one user may have being written at once. @default 3 */
  maxStreamsPerUser?: number;
  /** Past turns (question + answer pairs) offered to the prompt builder. @default 6 */
  historyTurns: number;
  /**
   * The whole answer, from the stored question to its last word: rewriting, retrieval and the
   * model together. Past it the answer is cut off and stored `failed` with its text so far.
   * @default 180000
   */
  answerTimeoutMs?: number;
  /** How long a Stop sent to another instance waits for that instance to store the answer. @default 5000 */
  stopWaitMs?: number;
  /** A follower of an answer written elsewhere reads it at least this often (besides each flush). @default 1000 */
  followPollMs?: number;
}

/**
 * An answer to follow: `live` while it is being written (here or on another instance), its events
 * from the first; `stored` once it has ended.
 */
export type FollowedAnswer =
  | {
      kind: 'live';
      messageId: string;
      events: AsyncIterable<GenerationEvent>;
      finished(): Promise<void>;
      /** When this instance writes it. */
      generation?: Generation;
    }
  | { kind: 'stored'; message: Message };

export interface StartedAnswer {
  conversation: Conversation;
  userMessage: Message;
  generation: Generation;
  /** True when this message created the conversation. */
  isNewConversation: boolean;
}

export interface AskInput {
  message: unknown;
  /** An existing conversation of the asker's; absent, a new one is started. */
  conversationId?: unknown;
  /** For a new conversation: the turns a client kept itself before this question. */
  history?: ChatTurn[];
  /**
   * Narrows retrieval to these collections, within what the asker may read (never beyond it).
   * @default every collection the asker may read
   */
  collections?: readonly string[];
  /** Where a new conversation was asked. @default 'ragchat' */
  origin?: ConversationOrigin;
}

/**
 * What retrieval may search for the asker: their grants, narrowed to `only` when given. The
 * intersection is taken here, below every route, so no caller can widen a member's reach.
 * Undefined means every collection (an admin or the local user, not narrowed).
 */
export function readableCollections(asker: Principal, only?: readonly string[]): readonly string[] | undefined {
  if (only === undefined) return asker.collections === 'all' ? undefined : asker.collections;
  const granted = asker.collections;
  return granted === 'all' ? only : only.filter((c) => granted.includes(c));
}

const INTERRUPTED = 'The server stopped while this answer was being written.';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TITLE_CHARS = 60;

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && id.length === 36 && UUID.test(id);
}

/**
 * The chat's use cases. The user's message is stored before anything can fail; the answer is
 * written in the background and stored when it ends, whatever happens to the connection.
 */
export class ChatService {
  private readonly active = new Map<string, Generation>();
  private closing = false;
  /** Aborted at the end of shutdown: streams of answers written elsewhere end (their readers re-attach elsewhere). */
  private readonly followsElsewhere = new AbortController();
  private readonly finalWrites: FinalWrites;

  constructor(
    private readonly repo: ChatRepository,
    private readonly orchestrator: RagOrchestrator,
    private readonly logger: Logger,
    private readonly options: ChatServiceOptions,
    private readonly telemetry: Telemetry = new Telemetry(),
    /** What the instances share (Stop, followers, the stream cap); in process, nothing. */
    private readonly coordinator: Coordinator = new InProcessCoordinator(),
  ) {
    this.finalWrites = new FinalWrites(logger);
  }

  get offline(): boolean {
    return this.orchestrator.offline;
  }

  /** Checks a message and returns it trimmed, or throws a 400 that says what is wrong. */
  validateMessage(message: unknown): string {
    if (typeof message !== 'string') throw badInput(say('error.question.notText'));
    const trimmed = message.trim();
    if (trimmed.length === 0) throw badInput(say('error.question.empty'));
    if (trimmed.length > this.options.maxMessageChars) {
      throw badInput(say('error.question.tooLong', { length: trimmed.length, max: this.options.maxMessageChars }));
    }
    return trimmed;
  }

  /** The conversation if it exists and belongs to the user; a 404 otherwise (never a 403: ids are not confirmed). */
  async conversationFor(userId: string, conversationId: unknown): Promise<Conversation> {
    if (!isValidId(conversationId)) {
      throw notFoundSaying(say('error.conversation.badId'));
    }
    const conversation = await this.repo.getConversation(conversationId);
    if (!conversation || conversation.userId !== userId) throw notFoundSaying(say('error.conversation.notFound'));
    return conversation;
  }

  async listConversations(userId: string): Promise<Conversation[]> {
    return this.repo.listConversations(userId);
  }

  async messages(
    userId: string,
    conversationId: unknown,
  ): Promise<{ conversation: Conversation; messages: Message[] }> {
    const conversation = await this.conversationFor(userId, conversationId);
    return { conversation, messages: await this.repo.listMessages(conversation.id) };
  }

  async deleteConversation(userId: string, conversationId: unknown): Promise<void> {
    const conversation = await this.conversationFor(userId, conversationId);
    for (const g of this.active.values()) {
      if (g.conversationId === conversation.id) g.controller.abort('deleted');
    }
    if (this.coordinator.shared) {
      // Answers of it that other instances write stop there too, not at their own end.
      const writtenElsewhere = (await this.repo.listMessages(conversation.id)).filter(
        (m) => m.status === 'streaming' && !this.active.has(m.id),
      );
      await Promise.all(writtenElsewhere.map((m) => this.coordinator.requestStop(m.id)));
    }
    await this.repo.deleteConversation(conversation.id);
  }

  /**
   * Stores the question, starts the answer and returns at once. The answer runs to its end (or to
   * Stop) even if nobody follows it, and is stored with its status, text, sources and latency.
   * `timings` starts when the route got the request, so that its checks count as validation.
   * Long because its steps (caps, the conversation, both messages, the start) share one slot
   * that each failure must give back, in the one try that holds them.
   */
  async ask(asker: Principal, input: AskInput, timings = new AnswerTimings()): Promise<StartedAnswer> {
    const userId = asker.user.id;
    const question = this.validateMessage(input.message);
    if (this.closing) throw shuttingDown();
    const limit = this.options.maxStreamsPerUser ?? 3;
    // In process the slot is taken now, before the first await: questions of a burst all arrive
    // before any is stored, and each must see the ones ahead of it. In Postgres one statement
    // under a per-user lock does the same for the whole fleet.
    const claiming = this.coordinator.claimStream(userId, limit);
    const claim = claiming instanceof Promise ? await claiming : claiming;
    if (!claim.ok) throw this.tooManyStreams(claim.writing);
    timings.mark('validate');
    const hasConversation =
      input.conversationId !== undefined && input.conversationId !== null && input.conversationId !== '';
    const { conversation, earlier, userMessage, assistant } = await this.telemetry
      .span('chat.store_question', { 'ragchat.new_conversation': !hasConversation }, async () => {
        const conversation = hasConversation
          ? await this.conversationFor(userId, input.conversationId)
          : await this.repo.createConversation({
              id: Bun.randomUUIDv7(),
              userId,
              title: titleFrom(question),
              origin: input.origin,
            });
        const earlier = hasConversation ? await this.repo.listMessages(conversation.id) : [];
        const userMessage = await this.repo.addMessage({
          id: Bun.randomUUIDv7(),
          conversationId: conversation.id,
          role: 'user',
          content: question,
          status: 'complete',
        });
        const assistant = await this.repo.addMessage({
          id: Bun.randomUUIDv7(),
          conversationId: conversation.id,
          role: 'assistant',
          content: '',
          status: 'streaming',
          model: this.orchestratorModel(),
        });
        return { conversation, earlier, userMessage, assistant };
      })
      .catch((error) => {
        claim.release();
        throw error;
      });
    timings.mark('store');

    const generation = new Generation(assistant.id, conversation.id, userId, this.orchestratorModel(), timings);
    this.active.set(generation.messageId, generation);
    this.coordinator.publish(generation);
    const collections = readableCollections(asker, input.collections);
    const { metrics } = this.telemetry;
    metrics.answersStarted.inc();
    metrics.answersInProgress.inc();
    // The answer's spans join the request's trace: the async context flows into run().
    const attributes = {
      'ragchat.message_id': generation.messageId,
      ...(this.telemetry.recordContent ? { 'ragchat.question': question } : {}),
    };
    void this.telemetry
      .span('chat.answer', attributes, async (span) => {
        // A client that keeps its own history (an OpenAI-compatible one) sends the turns before
        // the question; they are rewritten into follow-ups the same way as the page's.
        const history = hasConversation ? this.historyFrom(earlier) : (input.history ?? []).slice(-this.historyLimit());
        const status = await this.run(generation, question, history, collections);
        span.setAttribute('ragchat.status', status);
        if (status === 'failed') failSpan(span, generation.failure?.code ?? 'answer_failed');
      })
      .catch((error) => this.logger.error('answer crashed', { messageId: generation.messageId, error }))
      .finally(() => {
        this.active.delete(generation.messageId);
        claim.release();
        metrics.answersInProgress.dec();
        generation.markFinished();
      });
    return { conversation, userMessage, generation, isNewConversation: !hasConversation };
  }

  /**
   * The refusals `ask` gives before it stores anything: the server is shutting down, or the user
   * already has as many answers being written as allowed (on any instance). Resolves to how many
   * they have. Callers that change a conversation before asking (regenerate, edit and resend)
   * check it first; `ask` itself takes the slot.
   */
  async refuseIfBusy(userId: string): Promise<number> {
    if (this.closing) throw shuttingDown();
    const counting = this.coordinator.writing(userId);
    const writing = counting instanceof Promise ? await counting : counting;
    if (writing >= (this.options.maxStreamsPerUser ?? 3)) throw this.tooManyStreams(writing);
    return writing;
  }

  private tooManyStreams(writing: number): AppError {
    this.telemetry.metrics.rateLimited.inc({ limit: 'streams' });
    return new AppError('too_many_streams', say('error.tooManyStreams', { count: writing }), 429);
  }

  private orchestratorModel(): string {
    return this.orchestrator.model;
  }

  private historyFrom(messages: Message[]): ChatTurn[] {
    const turns = messages
      .filter((m) => m.content.trim() !== '' && (m.role === 'user' || m.status !== 'failed'))
      .map((m, i, all) => {
        // A question's search query is stored with its answer (the next message).
        const answer = all[i + 1];
        const searchQuery = m.role === 'user' && answer?.role === 'assistant' ? answer.searchQuery : null;
        return { role: m.role, content: m.content, ...(searchQuery ? { searchQuery } : {}) };
      });
    return turns.slice(-this.historyLimit());
  }

  private historyLimit(): number {
    return this.options.historyTurns * 2;
  }

  /**
   * Writes one answer: the orchestrator's events relayed to the followers, the text flushed for
   * other instances, and one final write with the outcome. Long because every exit (done, Stop,
   * timeout, a provider's failure, a deleted conversation) must reach the same final write and
   * release the same slot, and one try/finally is where a reader can see that they all do.
   */
  private async run(
    g: Generation,
    question: string,
    history: ChatTurn[],
    collections: readonly string[] | undefined,
  ): Promise<'complete' | 'stopped' | 'failed'> {
    let sources: Source[] = [];
    let promptTokens: number | null = null;
    let searchQuery: string | null = null;
    let status: 'complete' | 'stopped' | 'failed' = 'complete';
    let failure: AppError | null = null;
    const answerMs = this.options.answerTimeoutMs ?? 180_000;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), answerMs);
    // Stop, a deleted conversation or shutdown (g.signal), or the whole answer's deadline.
    const signal = AbortSignal.any([g.signal, deadline.signal]);
    try {
      const answer = await untilAborted(
        this.orchestrator.answer(question, history, signal, collections, g.timings),
        signal,
      );
      promptTokens = answer.promptTokens;
      g.push({ type: 'passages', sources: answer.sourcesFor('') });
      if (answer.searchQuery !== question) searchQuery = answer.searchQuery;
      try {
        for await (const text of answer.tokens) {
          if (g.text === '') {
            g.timings.mark('provider');
            this.telemetry.metrics.timeToFirstToken.observe((performance.now() - g.startedAt) / 1000);
          }
          g.push({ type: 'token', text });
        }
      } finally {
        // Sources are worth showing even for a stopped or failed answer: they say where to look.
        sources = answer.sourcesFor(g.text);
      }
      signal.throwIfAborted();
    } catch (error) {
      if (g.signal.aborted) {
        // Stop, a deleted conversation or shutdown: whatever the provider threw on the way out.
        status = 'stopped';
      } else if (deadline.signal.aborted) {
        status = 'failed';
        failure = new AppError(
          'answer_timeout',
          `The answer was not finished within ${formatBudget(answerMs)}; it was cut off there.`,
          504,
          { cause: error, reason: 'timeout' },
        );
        this.logger.error('answer failed', { messageId: g.messageId, error: failure });
      } else {
        status = 'failed';
        failure =
          error instanceof AppError
            ? error
            : new AppError('answer_failed', 'Something went wrong while writing the answer.', 500, { cause: error });
        this.logger.error('answer failed', { messageId: g.messageId, error: error as Error });
      }
    } finally {
      clearTimeout(timer);
    }

    const latencyMs = performance.now() - g.startedAt;
    const completionTokens = countTokens(g.text);
    const { metrics } = this.telemetry;
    metrics.answersFinished.inc({ status });
    metrics.answerDuration.observe({ status }, latencyMs / 1000);
    metrics.tokensStreamed.inc(completionTokens);
    const outcome = {
      content: g.text,
      status,
      sources,
      latencyMs,
      promptTokens,
      completionTokens,
      searchQuery,
      error: failure?.message ?? null,
    };
    g.outcome = outcome;
    // Followers elsewhere read the end once it is stored; if the database is away, the write is
    // retried (FinalWrites) and they hear of it then (or when it is given up: they read the row
    // as it is). The stream here ends properly either way.
    const announce = () =>
      void this.coordinator
        .ended(g.messageId)
        .catch((error) => this.logger.warn('could not announce the end of an answer', { error: error as Error }));
    const stored = await this.finalWrites.store(
      g.messageId,
      () =>
        this.telemetry.span('chat.store_answer', { 'ragchat.status': status, 'ragchat.sources': sources.length }, () =>
          this.repo.finishMessage(g.messageId, outcome),
        ),
      announce,
    );
    if (stored) announce();
    if (sources.length > 0) g.push({ type: 'sources', sources });
    g.push(
      failure
        ? { type: 'error', code: failure.code, message: failure.message }
        : { type: 'done', status: status as 'complete' | 'stopped', searchQuery },
    );
    this.logger.info(stored ? 'answer stored' : 'answer ended; it is stored once the database is back', {
      messageId: g.messageId,
      status,
      latencyMs: Math.round(latencyMs),
      chars: g.text.length,
      sources: sources.length,
    });
    return status;
  }

  /**
   * Keeps this process's live answers marked alive and fails answers nobody is writing any more
   * (their server died), every `intervalMs`. Several instances can share one database: each only
   * touches its own answers, and an answer is an orphan after three missed touches. Also starts
   * this instance's part of the fleet: Stops sent to other instances reach the answers written here.
   */
  async startMaintenance(intervalMs = 10_000): Promise<() => void> {
    await this.coordinator.start((messageId) => this.active.get(messageId)?.controller.abort('stopped by user'));
    const tick = async () => {
      try {
        await this.repo.touchMessages([...this.active.keys()]);
        const failed = await this.repo.failStale(INTERRUPTED, 3 * intervalMs);
        if (failed > 0) this.logger.warn('marked interrupted answers as failed', { count: failed });
      } catch (error) {
        this.logger.error('answer maintenance failed', { error: error as Error });
      }
    };
    void tick();
    const timer = setInterval(tick, intervalMs);
    return () => clearInterval(timer);
  }

  /** A stored message if it belongs to one of the user's conversations; null otherwise. */
  async messageFor(userId: string, messageId: unknown): Promise<Message | null> {
    if (!isValidId(messageId)) return null;
    const message = await this.repo.getMessage(messageId);
    const conversation = message ? await this.repo.getConversation(message.conversationId) : null;
    return conversation?.userId === userId ? message : null;
  }

  /** Whether a stored answer can be followed live: written here, or elsewhere in a shared fleet. */
  isLive(userId: string, message: Message): boolean {
    if (message.status !== 'streaming') return false;
    const g = this.active.get(message.id);
    if (g) return g.userId === userId;
    return this.coordinator.shared;
  }

  /**
   * An assistant message of the user's, to follow: while it is written here, its Generation (in
   * memory, as before); while another instance writes it, what that instance flushed so far, then
   * the rest as it flushes; once it has ended, the stored message. Null when it is not the user's.
   */
  async follow(userId: string, messageId: unknown): Promise<FollowedAnswer | null> {
    if (!isValidId(messageId)) return null;
    const g = this.active.get(messageId);
    if (g) {
      return g.userId === userId
        ? { kind: 'live', messageId, events: g.follow(), finished: () => g.finished, generation: g }
        : null;
    }
    const message = await this.messageFor(userId, messageId);
    if (message?.role !== 'assistant') return null;
    if (message.status !== 'streaming' || !this.coordinator.shared) return { kind: 'stored', message };
    return { kind: 'live', messageId, events: this.followElsewhere(message), finished: async () => {} };
  }

  /**
   * Reads an answer another instance writes: the text flushed so far, then each delta when the
   * writer says it flushed (or at least every `followPollMs`, should a notification be missed or
   * the writer die: the sweep's `failed` is read then), then the stored end.
   */
  private async *followElsewhere(first: Message): AsyncGenerator<GenerationEvent> {
    const id = first.id;
    let offset = 0;
    let changed = true;
    let wake: (() => void) | null = null;
    const onChange = () => {
      changed = true;
      wake?.();
    };
    const unwatch = this.coordinator.watch(id, onChange);
    this.followsElsewhere.signal.addEventListener('abort', onChange, { once: true });
    const pollMs = this.options.followPollMs ?? 1000;
    try {
      if (first.content) {
        offset = codePointLength(first.content);
        yield { type: 'token', text: first.content };
      }
      while (true) {
        if (!changed) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, pollMs);
          });
          clearTimeout(timer);
          wake = null;
        }
        if (this.followsElsewhere.signal.aborted) return;
        changed = false;
        const read = await this.coordinator.readSince(id, offset);
        if (!read) {
          yield {
            type: 'error',
            code: 'not_found',
            message: 'The conversation was deleted while the answer was being written.',
          };
          return;
        }
        if (read.text) {
          offset += codePointLength(read.text);
          yield { type: 'token', text: read.text };
        }
        if (read.status !== 'streaming') {
          const stored = await this.repo.getMessage(id);
          if (stored?.sources.length) yield { type: 'sources', sources: stored.sources };
          if (read.status === 'failed')
            yield {
              type: 'error',
              code: 'answer_failed',
              message: stored?.error ?? 'The answer could not be completed.',
            };
          else yield { type: 'done', status: read.status, searchQuery: stored?.searchQuery ?? null };
          return;
        }
      }
    } finally {
      unwatch();
      this.followsElsewhere.signal.removeEventListener('abort', onChange);
    }
  }

  /** The live answer for a message, if it is being written here and belongs to the user. */
  activeGeneration(userId: string, messageId: string): Generation | null {
    const g = this.active.get(messageId);
    return g && g.userId === userId ? g : null;
  }

  /**
   * Stops an answer that is being written, on whichever instance writes it; the partial text is
   * stored as `stopped`. Stopping one that has already ended changes nothing. Returns the message
   * as stored.
   */
  async stop(userId: string, messageId: unknown): Promise<Message> {
    if (!isValidId(messageId)) throw notFoundSaying('That message id is not valid.');
    const g = this.active.get(messageId);
    if (g && g.userId === userId) {
      g.controller.abort('stopped by user');
      await g.finished;
    }
    const message = await this.messageFor(userId, messageId);
    if (message?.role !== 'assistant') throw notFound('That message');
    if (g || message.status !== 'streaming' || !this.coordinator.shared) return message;
    // Another instance writes it: ask it to stop, and answer with what it stores.
    return this.stopElsewhere(message);
  }

  private async stopElsewhere(message: Message): Promise<Message> {
    let wake: (() => void) | null = null;
    const unwatch = this.coordinator.watch(message.id, () => wake?.());
    try {
      await this.coordinator.requestStop(message.id);
      const started = performance.now();
      const deadline = started + (this.options.stopWaitMs ?? 5000);
      let sent = 1;
      let latest = message;
      while (latest.status === 'streaming' && performance.now() < deadline) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, 250);
        });
        clearTimeout(timer);
        latest = (await this.repo.getMessage(message.id)) ?? latest;
        // A notification is lost if the writer's listening connection was being re-established:
        // the Stop is sent again each second (stopping twice is stopping once).
        if (latest.status === 'streaming' && performance.now() - started > 1000 * sent) {
          sent++;
          await this.coordinator.requestStop(message.id);
        }
      }
      return latest;
    } finally {
      unwatch();
    }
  }

  /**
   * On shutdown: refuse new questions, let answers in flight finish for up to `graceMs`, then stop
   * the rest (stored as `stopped` with their partial text).
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const pending = [...this.active.values()];
    const timer = setTimeout(() => {
      for (const g of pending) g.controller.abort('server shutting down');
    }, graceMs);
    await Promise.all(pending.map((g) => g.finished));
    clearTimeout(timer);
    // Answers whose last write waits for the database get a little longer.
    await this.finalWrites.settled(Math.min(graceMs, 5000));
    this.followsElsewhere.abort();
  }

  /** True once shutdown began: /readyz answers 503 so the load balancer sends no more questions. */
  get draining(): boolean {
    return this.closing;
  }

  get activeCount(): number {
    return this.active.size;
  }
}

const shuttingDown = () => new AppError('shutting_down', 'The server is restarting; try again in a moment.', 503);

/** The first question, on one line and cut at a word near 60 characters. */
export function titleFrom(question: string): string {
  const flat = question.replace(/\s+/g, ' ').trim();
  if (flat.length <= TITLE_CHARS) return flat;
  const cut = flat.slice(0, TITLE_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
