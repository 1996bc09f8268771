import type { AuthService } from '../auth/auth-service.ts';
import { type ChatService, readableCollections, type StartedAnswer } from '../chat/chat-service.ts';
import type { ChatTurn, Collection, ConversationOrigin, DocumentRecord, Principal, Source } from '../domain.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import type { Coordinator } from '../fleet/coordinator.ts';
import { type LoaderLimits, loadDocument } from '../rag/loaders/document-loader.ts';
import { originalUrl } from '../rag/rag-orchestrator.ts';
import type { Retriever } from '../rag/retriever.ts';
import type { DocumentCatalog } from '../stores/document-catalog.ts';
import type { DocumentStore } from '../stores/document-store.ts';

/** The model id of every collection the caller may read; `ragchat/<collection>` narrows it to one. */
export const ALL_SCOPE = 'ragchat';
const SCOPE_PREFIX = `${ALL_SCOPE}/`;
/** How many of a caller's latest conversations a follow-up is matched against. */
const THREAD_CANDIDATES = 10;

/** One passage found by a search, as an outside client gets it (a link it can open). */
export interface Passage {
  title: string;
  location: string;
  url: string;
  score: number;
  collection: string;
  documentId: string;
  text: string;
}

/** An answer written to its end, with the passages it was written from (cited first). */
export interface FinishedAnswer {
  conversationId: string;
  messageId: string;
  status: 'complete' | 'stopped' | 'failed';
  text: string;
  sources: Source[];
  error: string | null;
}

export interface IntegrationServiceOptions {
  /** Passages a search returns when the client does not say. */
  topK: number;
  /** Questions per minute per user, for callers that the HTTP rate limit does not see (MCP tools). */
  chatPerMinute: number;
  documentLimits: LoaderLimits;
}

/**
 * ragchat's use cases for the tools people already use (an OpenAI-compatible client, an MCP
 * client): the same chat, retrieval and documents as the page, always within the caller's
 * collections, which go into the retrieval query itself (ChatService, Retriever).
 */
export class IntegrationService {
  constructor(
    private readonly chat: ChatService,
    private readonly retriever: Retriever,
    private readonly auth: AuthService,
    private readonly catalog: DocumentCatalog,
    private readonly documents: DocumentStore,
    private readonly coordinator: Coordinator,
    private readonly options: IntegrationServiceOptions,
  ) {}

  /** The collections the caller may read, by id. */
  async collectionsOf(principal: Principal): Promise<Collection[]> {
    return (await this.auth.listCollections()).filter((c) => this.auth.canRead(principal, c.id));
  }

  /**
   * The collections a model id searches: none given for `ragchat` (all the caller's), one for
   * `ragchat/<collection>`. An unknown collection and one the caller may not read get the same
   * 404, so the answer does not tell whether it exists.
   */
  async scopeOf(principal: Principal, model: string): Promise<readonly string[] | undefined> {
    if (model === ALL_SCOPE) return undefined;
    const id = model.startsWith(SCOPE_PREFIX) ? model.slice(SCOPE_PREFIX.length) : null;
    if (id && (await this.collectionsOf(principal)).some((c) => c.id === id)) return [id];
    throw new AppError(
      'model_not_found',
      `There is no model ${JSON.stringify(model.slice(0, 80))} you can use. Use "ragchat" (all your collections) or "ragchat/<collection>"; GET /v1/models lists them.`,
      404,
    );
  }

  /** The collection a tool names, checked like a model id (same 404 for unknown and forbidden). */
  private async collectionScope(principal: Principal, collection: string | undefined) {
    if (collection === undefined) return undefined;
    const found = (await this.collectionsOf(principal)).some((c) => c.id === collection);
    if (!found) throw notFound(`The collection ${JSON.stringify(collection.slice(0, 80))}`);
    return [collection];
  }

  /**
   * Starts an answer in a new conversation marked with its origin. `history` is the client's own
   * record of the turns before the question.
   */
  async ask(
    principal: Principal,
    input: { question: string; history: ChatTurn[]; collections?: readonly string[]; origin: ConversationOrigin },
  ): Promise<StartedAnswer> {
    const thread = input.history.length > 0 ? await this.conversationWith(principal, input) : null;
    return this.chat.ask(principal, {
      message: input.question,
      // A follow-up goes on in the conversation it continues (its history is then the stored one).
      ...(thread ? { conversationId: thread } : { history: input.history, origin: input.origin }),
      collections: input.collections,
    });
  }

  /**
   * The caller's recent conversation, asked from the same origin, whose messages are exactly the
   * history a client sent (OpenAI clients send the whole conversation each time, with no id).
   * Null when none is: the question then starts a new one.
   */
  private async conversationWith(
    principal: Principal,
    input: { history: ChatTurn[]; origin: ConversationOrigin },
  ): Promise<string | null> {
    const recent = (await this.chat.listConversations(principal.user.id))
      .filter((c) => c.origin === input.origin)
      .slice(0, THREAD_CANDIDATES);
    const wanted = input.history.map((turn) => `${turn.role}:${turn.content.trim()}`).join('\n');
    for (const conversation of recent) {
      const { messages } = await this.chat.messages(principal.user.id, conversation.id);
      const stored = messages.map((m) => `${m.role}:${m.content.trim()}`).join('\n');
      if (stored === wanted) return conversation.id;
    }
    return null;
  }

  /**
   * Asks and waits for the whole answer (an MCP tool call has one result). Questions count against
   * the user's chat rate, as the page's do; `signal` (the client went away) stops the answer.
   */
  async answer(
    principal: Principal,
    input: { question: string; collection?: string; origin: ConversationOrigin },
    signal?: AbortSignal,
  ): Promise<FinishedAnswer> {
    const collections = await this.collectionScope(principal, input.collection);
    const taking = this.coordinator.takeRate('chat', [`user:${principal.user.id}`], this.options.chatPerMinute);
    const taken = taking instanceof Promise ? await taking : taking;
    if (!taken.ok) {
      throw new AppError(
        'rate_limited',
        `Too many questions in a short time; try again in ${taken.retryAfterSeconds} s.`,
        429,
      );
    }
    const started = await this.ask(principal, {
      question: input.question,
      history: [],
      collections,
      origin: input.origin,
    });
    const { generation } = started;
    const stop = () => void this.chat.stop(principal.user.id, generation.messageId).catch(() => {});
    signal?.addEventListener('abort', stop, { once: true });
    try {
      await generation.finished;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
    const outcome = generation.outcome;
    return {
      conversationId: started.conversation.id,
      messageId: generation.messageId,
      status: outcome?.status ?? 'failed',
      text: outcome?.content ?? generation.text,
      sources: outcome?.sources ?? [],
      error: outcome?.error ?? null,
    };
  }

  /** Passages for a query, best first, from the caller's collections (or the one named, if theirs). */
  async search(
    principal: Principal,
    input: { query: string; collection?: string; topK?: number },
    signal?: AbortSignal,
  ): Promise<Passage[]> {
    const query = input.query.trim();
    if (query === '') throw badInput('Say what to search for.');
    const only = await this.collectionScope(principal, input.collection);
    const chunks = await this.retriever.retrieve(
      query,
      input.topK ?? this.options.topK,
      signal,
      readableCollections(principal, only),
    );
    return chunks.map((c) => ({
      title: c.title,
      location: c.location,
      url: originalUrl(c.documentId, c.location, c.source),
      score: Math.round(c.score * 1000) / 1000,
      collection: c.collection,
      documentId: c.documentId,
      text: c.text,
    }));
  }

  /** The documents the caller may read. */
  async listDocuments(principal: Principal): Promise<DocumentRecord[]> {
    return (await this.catalog.list()).filter((d) => this.auth.canRead(principal, d.collection));
  }

  /**
   * A document's metadata and its text, as ingestion read it (headings as Markdown). A document of
   * a collection the caller may not read does not exist, as far as they can tell.
   */
  async getDocument(principal: Principal, id: string): Promise<{ document: DocumentRecord; text: string }> {
    const found = await this.catalog.get(id);
    const document = found && this.auth.canRead(principal, found.collection) ? found : null;
    const bytes = document ? await this.documents.get(document.source) : null;
    if (!document || !bytes) throw notFound('That document');
    const name = document.source.split('/').at(-1) ?? 'document';
    const loaded = await loadDocument(name, bytes, this.options.documentLimits);
    const parts: string[] = [];
    let last: string[] = [];
    for await (const section of loaded.sections) {
      // A heading is written once, where its section starts.
      section.headings.forEach((heading, depth) => {
        if (last[depth] !== heading) parts.push(`${'#'.repeat(depth + 2)} ${heading}`);
      });
      last = section.headings;
      parts.push(section.text);
    }
    return { document, text: `# ${loaded.title}\n\n${parts.join('\n\n')}` };
  }
}

/** Where our own "Sources" list starts in an answer a client sends back as history. */
export const SOURCES_HEADING = '**Sources**';

/**
 * The trailing Markdown list of an answer's sources: the cited ones, numbered as the answer cites
 * them (all of them when the answer cites none), each a link to the original at its passage.
 * `origin` makes the links absolute, for a client that is not ragchat's page.
 */
export function sourcesMarkdown(sources: Source[], origin: string): string {
  const cited = sources.filter((s) => s.cited);
  const listed = (cited.length > 0 ? cited : sources).toSorted((a, b) => a.id - b.id);
  if (listed.length === 0) return '';
  const lines = listed.map((s) => {
    const label = s.location ? `${s.title} — ${s.location}` : s.title;
    return `${s.id}. [${label.replace(/[[\]]/g, '')}](${origin}${s.url})`;
  });
  return `\n\n${SOURCES_HEADING}\n\n${lines.join('\n')}`;
}

/** An answer as a client sent it back, without the Sources list we appended to it. */
export function withoutSourcesList(text: string): string {
  const at = text.lastIndexOf(`\n\n${SOURCES_HEADING}\n`);
  return at === -1 ? text : text.slice(0, at);
}
