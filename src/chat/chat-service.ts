import { formatBudget, untilAborted } from '../deadlines.ts';
import type { ChatTurn, Conversation, Message, Principal, Source } from '../domain.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { AnswerTimings } from '../observability/answer-timings.ts';
import { failSpan, Telemetry } from '../observability/telemetry.ts';
import type { RagOrchestrator } from '../rag/rag-orchestrator.ts';
import { countTokens } from '../search/tokens.ts';
import type { ChatRepository } from '../stores/chat-repository.ts';
import { Generation } from './generation.ts';

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
}

export interface StartedAnswer {
  conversation: Conversation;
  userMessage: Message;
  generation: Generation;
  /** True when this message created the conversation. */
  isNewConversation: boolean;
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
  /** Answers being written, per user: counting `active` on every question is quadratic in a burst. */
  private readonly writingBy = new Map<string, number>();
  private closing = false;

  constructor(
    private readonly repo: ChatRepository,
    private readonly orchestrator: RagOrchestrator,
    private readonly logger: Logger,
    private readonly options: ChatServiceOptions,
    private readonly telemetry: Telemetry = new Telemetry(),
  ) {}

  get offline(): boolean {
    return this.orchestrator.offline;
  }

  /** Checks a message and returns it trimmed, or throws a 400 that says what is wrong. */
  validateMessage(message: unknown): string {
    if (typeof message !== 'string') throw badInput('The message must be text.');
    const trimmed = message.trim();
    if (trimmed.length === 0) throw badInput('Write a question before sending.');
    if (trimmed.length > this.options.maxMessageChars) {
      throw badInput(
        `The message is ${trimmed.length.toLocaleString('en')} characters long; the limit is ${this.options.maxMessageChars.toLocaleString('en')}.`,
      );
    }
    return trimmed;
  }

  /** The conversation if it exists and belongs to the user; a 404 otherwise (never a 403: ids are not confirmed). */
  async conversationFor(userId: string, conversationId: unknown): Promise<Conversation> {
    if (!isValidId(conversationId)) {
      throw new AppError('not_found', 'That conversation id is not valid.', 404);
    }
    const conversation = await this.repo.getConversation(conversationId);
    if (!conversation || conversation.userId !== userId) throw notFound('That conversation');
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
    await this.repo.deleteConversation(conversation.id);
  }

  /**
   * Stores the question, starts the answer and returns at once. The answer runs to its end (or to
   * Stop) even if nobody follows it, and is stored with its status, text, sources and latency.
   * `timings` starts when the route got the request, so that its checks count as validation.
   */
  async ask(
    asker: Principal,
    input: { message: unknown; conversationId?: unknown },
    timings = new AnswerTimings(),
  ): Promise<StartedAnswer> {
    const userId = asker.user.id;
    const question = this.validateMessage(input.message);
    const writing = this.refuseIfBusy(userId);
    // The slot is taken now, before the first await: questions of a burst all arrive before any is
    // stored, and each must see the ones ahead of it.
    this.writingBy.set(userId, writing + 1);
    timings.mark('validate');
    const hasConversation =
      input.conversationId !== undefined && input.conversationId !== null && input.conversationId !== '';
    const { conversation, earlier, userMessage, assistant } = await this.telemetry
      .span('chat.store_question', { 'ragchat.new_conversation': !hasConversation }, async () => {
        const conversation = hasConversation
          ? await this.conversationFor(userId, input.conversationId)
          : await this.repo.createConversation({ id: Bun.randomUUIDv7(), userId, title: titleFrom(question) });
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
        this.release(userId);
        throw error;
      });
    timings.mark('store');

    const generation = new Generation(assistant.id, conversation.id, userId, this.orchestratorModel(), timings);
    this.active.set(generation.messageId, generation);
    const collections = asker.collections === 'all' ? undefined : asker.collections;
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
        const status = await this.run(generation, question, this.historyFrom(earlier), collections);
        span.setAttribute('ragchat.status', status);
        if (status === 'failed') failSpan(span, generation.failure?.code ?? 'answer_failed');
      })
      .catch((error) => this.logger.error('answer crashed', { messageId: generation.messageId, error }))
      .finally(() => {
        this.active.delete(generation.messageId);
        this.release(userId);
        metrics.answersInProgress.dec();
        generation.markFinished();
      });
    return { conversation, userMessage, generation, isNewConversation: !hasConversation };
  }

  /**
   * The refusals `ask` gives before it stores anything: the server is shutting down, or the user
   * already has as many answers being written as allowed. Returns how many they have. Callers that
   * change a conversation before asking (regenerate, edit and resend) check it first.
   */
  refuseIfBusy(userId: string): number {
    if (this.closing) throw new AppError('shutting_down', 'The server is restarting; try again in a moment.', 503);
    const limit = this.options.maxStreamsPerUser ?? 3;
    const writing = this.writingBy.get(userId) ?? 0;
    if (writing >= limit) {
      this.telemetry.metrics.rateLimited.inc({ limit: 'streams' });
      throw new AppError(
        'too_many_streams',
        `${writing === 1 ? 'An answer is' : `${writing} answers are`} still being written; wait for ${writing === 1 ? 'it' : 'one'} to finish or stop it.`,
        429,
      );
    }
    return writing;
  }

  /** Gives back a user's slot, taken in `ask`. */
  private release(userId: string): void {
    const left = (this.writingBy.get(userId) ?? 1) - 1;
    if (left > 0) this.writingBy.set(userId, left);
    else this.writingBy.delete(userId);
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
    return turns.slice(-this.options.historyTurns * 2);
  }

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
    try {
      await this.telemetry.span(
        'chat.store_answer',
        { 'ragchat.status': status, 'ragchat.sources': sources.length },
        () =>
          this.repo.finishMessage(g.messageId, {
            content: g.text,
            status,
            sources,
            latencyMs,
            promptTokens,
            completionTokens,
            searchQuery,
            error: failure?.message ?? null,
          }),
      );
    } catch (error) {
      // The stream still ends properly; the start-up sweep marks the row failed later.
      this.logger.error('could not store the answer', { messageId: g.messageId, error: error as Error });
    }
    if (sources.length > 0) g.push({ type: 'sources', sources });
    g.push(
      failure
        ? { type: 'error', code: failure.code, message: failure.message }
        : { type: 'done', status: status as 'complete' | 'stopped', searchQuery },
    );
    this.logger.info('answer stored', {
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
   * touches its own answers, and an answer is an orphan after three missed touches.
   */
  startMaintenance(intervalMs = 30_000): () => void {
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

  /** The live answer for a message, if it is still being written and belongs to the user. */
  activeGeneration(userId: string, messageId: string): Generation | null {
    const g = this.active.get(messageId);
    return g && g.userId === userId ? g : null;
  }

  /**
   * Stops an answer that is being written; the partial text is stored as `stopped`. Stopping one
   * that has already ended changes nothing. Returns the message as stored.
   */
  async stop(userId: string, messageId: unknown): Promise<Message> {
    if (!isValidId(messageId)) throw new AppError('not_found', 'That message id is not valid.', 404);
    const g = this.active.get(messageId);
    if (g && g.userId === userId) {
      g.controller.abort('stopped by user');
      await g.finished;
    }
    const message = await this.messageFor(userId, messageId);
    if (message?.role !== 'assistant') throw notFound('That message');
    return message;
  }

  /**
   * On shutdown: refuse new questions, let answers in flight finish for up to `graceMs`, then stop
   * the rest (stored as `stopped` with their partial text).
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const pending = [...this.active.values()];
    if (pending.length === 0) return;
    const timer = setTimeout(() => {
      for (const g of pending) g.controller.abort('server shutting down');
    }, graceMs);
    await Promise.all(pending.map((g) => g.finished));
    clearTimeout(timer);
  }

  get activeCount(): number {
    return this.active.size;
  }
}

/** The first question, on one line and cut at a word near 60 characters. */
export function titleFrom(question: string): string {
  const flat = question.replace(/\s+/g, ' ').trim();
  if (flat.length <= TITLE_CHARS) return flat;
  const cut = flat.slice(0, TITLE_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > 30 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
