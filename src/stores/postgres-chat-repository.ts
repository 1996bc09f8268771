import type { Conversation, FeedbackRating, Message, Source } from '../domain.ts';
import {
  type ChatRepository,
  containsPattern,
  type MessageOutcome,
  type NewConversation,
  type NewMessage,
} from './chat-repository.ts';
import { type ConversationRow as ConversationRowOf, chatRows, type MessageRow as MessageRowOf } from './chat-rows.ts';
import { cancellable, runQuery, type Sql } from './postgres-database.ts';
import { POSTGRES_COLUMNS } from './row-columns.ts';

type MessageRow = MessageRowOf<Date, Source[]>;
type ConversationRow = ConversationRowOf<Date>;
const { toConversation, toMessage } = chatRows(POSTGRES_COLUMNS);

const MESSAGE_COLUMNS =
  'id, conversation_id, role, content, status, sources, model, latency_ms, prompt_tokens, completion_tokens, search_query, error, feedback_rating, feedback_comment, feedback_at, created_at';

/** History in Postgres through postgres.js; every query is a tagged template (parameters bound). */
export class PostgresChatRepository implements ChatRepository {
  constructor(private readonly sql: Sql) {}

  private run<T>(what: string, query: () => Promise<T>): Promise<T> {
    return runQuery(what, query);
  }

  async ensureUser(user: { id: string; name: string }): Promise<void> {
    await this.run(
      'could not save the user',
      () => this.sql`
      INSERT INTO users (id, name) VALUES (${user.id}, ${user.name}) ON CONFLICT (id) DO NOTHING`,
    );
  }

  async createConversation(input: NewConversation): Promise<Conversation> {
    const [row] = await this.run(
      'could not create the conversation',
      () => this.sql<ConversationRow[]>`
      INSERT INTO conversations (id, user_id, title, origin)
      VALUES (${input.id}, ${input.userId}, ${input.title}, ${input.origin ?? 'ragchat'})
      RETURNING *`,
    );
    return toConversation(row as ConversationRow);
  }

  async listConversations(userId: string, limit = 100): Promise<Conversation[]> {
    const rows = await this.run(
      'could not list conversations',
      () => this.sql<ConversationRow[]>`
      SELECT * FROM conversations WHERE user_id = ${userId} ORDER BY updated_at DESC, created_at DESC LIMIT ${limit}`,
    );
    return rows.map(toConversation);
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const [row] = await this.run(
      'could not read the conversation',
      () => this.sql<ConversationRow[]>`
      SELECT * FROM conversations WHERE id = ${id}`,
    );
    return row ? toConversation(row) : null;
  }

  async renameConversation(id: string, title: string): Promise<Conversation | null> {
    const [row] = await this.run(
      'could not rename the conversation',
      () => this.sql<ConversationRow[]>`
      UPDATE conversations SET title = ${title} WHERE id = ${id} RETURNING *`,
    );
    return row ? toConversation(row) : null;
  }

  async searchConversations(userId: string, text: string, limit = 100): Promise<Conversation[]> {
    // Backslash is LIKE's escape character in Postgres by default; ILIKE folds case beyond ASCII.
    const pattern = containsPattern(text);
    const rows = await this.run(
      'could not search conversations',
      () => this.sql<ConversationRow[]>`
      SELECT * FROM conversations c WHERE c.user_id = ${userId}
        AND (c.title ILIKE ${pattern}
          OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.content ILIKE ${pattern}))
      ORDER BY c.updated_at DESC, c.created_at DESC LIMIT ${limit}`,
    );
    return rows.map(toConversation);
  }

  async deleteConversation(id: string): Promise<boolean> {
    const result = await this.run(
      'could not delete the conversation',
      () => this.sql`
      DELETE FROM conversations WHERE id = ${id}`,
    );
    return result.count > 0;
  }

  async addMessage(m: NewMessage): Promise<Message> {
    return this.run('could not store the message', () =>
      this.sql.begin(async (tx) => {
        const [row] = await tx<MessageRow[]>`
          INSERT INTO messages (id, conversation_id, role, content, status, model)
          VALUES (${m.id}, ${m.conversationId}, ${m.role}, ${m.content}, ${m.status}, ${m.model ?? null})
          RETURNING ${tx.unsafe(MESSAGE_COLUMNS)}`;
        await tx`UPDATE conversations SET updated_at = now() WHERE id = ${m.conversationId}`;
        return toMessage(row as MessageRow);
      }),
    );
  }

  async finishMessage(id: string, o: MessageOutcome): Promise<void> {
    await this.run(
      'could not store the answer',
      () => this.sql`
      UPDATE messages SET content = ${o.content}, status = ${o.status}, sources = ${this.sql.json(o.sources as never)},
        latency_ms = ${Math.round(o.latencyMs)}, prompt_tokens = ${o.promptTokens ?? null},
        completion_tokens = ${o.completionTokens ?? null}, search_query = ${o.searchQuery ?? null},
        error = ${o.error ?? null}, updated_at = now()
      WHERE id = ${id}`,
    );
  }

  async getMessage(id: string, signal?: AbortSignal): Promise<Message | null> {
    const [row] = await this.run('could not read the message', () =>
      cancellable(
        this.sql<MessageRow[]>`
      SELECT ${this.sql.unsafe(MESSAGE_COLUMNS)} FROM messages WHERE id = ${id}`,
        signal,
      ),
    );
    return row ? toMessage(row) : null;
  }

  async listMessages(conversationId: string, signal?: AbortSignal): Promise<Message[]> {
    const rows = await this.run('could not read the messages', () =>
      cancellable(
        this.sql<MessageRow[]>`
      SELECT ${this.sql.unsafe(MESSAGE_COLUMNS)} FROM messages WHERE conversation_id = ${conversationId} ORDER BY seq`,
        signal,
      ),
    );
    return rows.map(toMessage);
  }

  async deleteMessagesFrom(messageId: string): Promise<string[]> {
    const rows = await this.run(
      'could not remove the messages',
      () => this.sql<{ id: string; seq: string }[]>`
      DELETE FROM messages d USING messages f
      WHERE f.id = ${messageId} AND d.conversation_id = f.conversation_id AND d.seq >= f.seq
      RETURNING d.id, d.seq`,
    );
    // seq is a bigserial, which postgres.js returns as a string.
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((r) => r.id);
  }

  async setFeedback(
    messageId: string,
    feedback: { rating: FeedbackRating; comment: string | null } | null,
  ): Promise<Message | null> {
    const [row] = await this.run(
      'could not store the feedback',
      () => this.sql<MessageRow[]>`
      UPDATE messages SET feedback_rating = ${feedback?.rating ?? null}, feedback_comment = ${feedback?.comment ?? null},
        feedback_at = ${feedback ? this.sql`now()` : null}
      WHERE id = ${messageId} RETURNING ${this.sql.unsafe(MESSAGE_COLUMNS)}`,
    );
    return row ? toMessage(row) : null;
  }

  async touchMessages(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.run(
      'could not touch live answers',
      () => this.sql`
      UPDATE messages SET updated_at = now() WHERE id IN ${this.sql(ids)}`,
    );
  }

  async failStale(reason: string, staleAfterMs: number): Promise<number> {
    const result = await this.run(
      'could not sweep interrupted answers',
      () => this.sql`
      UPDATE messages SET status = 'failed', error = ${reason}
      WHERE status = 'streaming' AND updated_at < now() - make_interval(secs => ${staleAfterMs / 1000})`,
    );
    return result.count;
  }

  async ping(): Promise<void> {
    await this.run('is not answering', () => this.sql`SELECT 1`);
  }
}
