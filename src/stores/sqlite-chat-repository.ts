import type { Database } from 'bun:sqlite';
import type { Conversation, FeedbackRating, Message } from '../domain.ts';
import {
  type ChatRepository,
  containsPattern,
  type MessageOutcome,
  type NewConversation,
  type NewMessage,
} from './chat-repository.ts';
import { type ConversationRow as ConversationRowOf, chatRows, type MessageRow as MessageRowOf } from './chat-rows.ts';
import { SQLITE_COLUMNS } from './row-columns.ts';
import { nowIso, translateSqliteErrors } from './sqlite-database.ts';

type MessageRow = MessageRowOf<string, string>;
type ConversationRow = ConversationRowOf<string>;
const { toConversation, toMessage } = chatRows(SQLITE_COLUMNS);

export class SqliteChatRepository implements ChatRepository {
  constructor(private readonly db: Database) {
    translateSqliteErrors(this, 'could not read or write the chat history');
  }

  async ensureUser(user: { id: string; name: string }): Promise<void> {
    this.db.query('INSERT INTO users (id, name) VALUES ($id, $name) ON CONFLICT(id) DO NOTHING').run(user);
  }

  async createConversation(input: NewConversation): Promise<Conversation> {
    const now = nowIso();
    const row = this.db
      .query<ConversationRow, Record<string, string>>(
        `INSERT INTO conversations (id, user_id, title, origin, created_at, updated_at)
         VALUES ($id, $userId, $title, $origin, $now, $now) RETURNING *`,
      )
      .get({ id: input.id, userId: input.userId, title: input.title, origin: input.origin ?? 'ragchat', now });
    return toConversation(row as ConversationRow);
  }

  async listConversations(userId: string, limit = 100): Promise<Conversation[]> {
    return this.db
      .query<ConversationRow, [string, number]>(
        'SELECT * FROM conversations WHERE user_id = ? ORDER BY updated_at DESC, rowid DESC LIMIT ?',
      )
      .all(userId, limit)
      .map(toConversation);
  }

  async getConversation(id: string): Promise<Conversation | null> {
    const row = this.db.query<ConversationRow, [string]>('SELECT * FROM conversations WHERE id = ?').get(id);
    return row ? toConversation(row) : null;
  }

  async renameConversation(id: string, title: string): Promise<Conversation | null> {
    const row = this.db
      .query<ConversationRow, [string, string]>('UPDATE conversations SET title = ? WHERE id = ? RETURNING *')
      .get(title, id);
    return row ? toConversation(row) : null;
  }

  async searchConversations(userId: string, text: string, limit = 100): Promise<Conversation[]> {
    const pattern = containsPattern(text);
    // LIKE is case-insensitive for ASCII letters in SQLite (its own lower() knows no more).
    return this.db
      .query<ConversationRow, [string, string, string, number]>(
        `SELECT * FROM conversations c WHERE c.user_id = ?
           AND (c.title LIKE ? ESCAPE '\\'
             OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.content LIKE ? ESCAPE '\\'))
         ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`,
      )
      .all(userId, pattern, pattern, limit)
      .map(toConversation);
  }

  async deleteConversation(id: string): Promise<boolean> {
    return this.db.query('DELETE FROM conversations WHERE id = ?').run(id).changes > 0;
  }

  async addMessage(m: NewMessage): Promise<Message> {
    const now = nowIso();
    const insert = this.db.transaction(() => {
      const row = this.db
        .query<MessageRow, Record<string, string | null>>(
          `INSERT INTO messages (id, conversation_id, role, content, status, model, created_at, updated_at)
           VALUES ($id, $conversationId, $role, $content, $status, $model, $now, $now) RETURNING *`,
        )
        .get({
          id: m.id,
          conversationId: m.conversationId,
          role: m.role,
          content: m.content,
          status: m.status,
          model: m.model ?? null,
          now,
        });
      this.db.query('UPDATE conversations SET updated_at = ? WHERE id = ?').run(now, m.conversationId);
      return row as MessageRow;
    });
    return toMessage(insert());
  }

  async finishMessage(id: string, o: MessageOutcome): Promise<void> {
    this.db
      .query(
        `UPDATE messages SET content = $content, status = $status, sources = $sources, latency_ms = $latencyMs,
           prompt_tokens = $promptTokens, completion_tokens = $completionTokens, search_query = $searchQuery, error = $error, updated_at = $now
         WHERE id = $id`,
      )
      .run({
        id,
        content: o.content,
        status: o.status,
        sources: JSON.stringify(o.sources),
        latencyMs: Math.round(o.latencyMs),
        promptTokens: o.promptTokens ?? null,
        completionTokens: o.completionTokens ?? null,
        searchQuery: o.searchQuery ?? null,
        error: o.error ?? null,
        now: nowIso(),
      });
  }

  // One statement, run to its end on this thread: an abort is honoured before it starts.
  async getMessage(id: string, signal?: AbortSignal): Promise<Message | null> {
    signal?.throwIfAborted();
    const row = this.db.query<MessageRow, [string]>('SELECT * FROM messages WHERE id = ?').get(id);
    return row ? toMessage(row) : null;
  }

  async listMessages(conversationId: string, signal?: AbortSignal): Promise<Message[]> {
    signal?.throwIfAborted();
    return this.db
      .query<MessageRow, [string]>('SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq')
      .all(conversationId)
      .map(toMessage);
  }

  async deleteMessagesFrom(messageId: string): Promise<string[]> {
    return this.db.transaction(() => {
      const from = this.db
        .query<{ conversation_id: string; seq: number }, [string]>(
          'SELECT conversation_id, seq FROM messages WHERE id = ?',
        )
        .get(messageId);
      if (!from) return [];
      return this.db
        .query<{ id: string; seq: number }, [string, number]>(
          'DELETE FROM messages WHERE conversation_id = ? AND seq >= ? RETURNING id, seq',
        )
        .all(from.conversation_id, from.seq)
        .sort((a, b) => a.seq - b.seq)
        .map((r) => r.id);
    })();
  }

  async setFeedback(
    messageId: string,
    feedback: { rating: FeedbackRating; comment: string | null } | null,
  ): Promise<Message | null> {
    const row = this.db
      .query<MessageRow, [FeedbackRating | null, string | null, string | null, string]>(
        'UPDATE messages SET feedback_rating = ?, feedback_comment = ?, feedback_at = ? WHERE id = ? RETURNING *',
      )
      .get(feedback?.rating ?? null, feedback?.comment ?? null, feedback ? nowIso() : null, messageId);
    return row ? toMessage(row) : null;
  }

  async touchMessages(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    this.db
      .query(`UPDATE messages SET updated_at = ? WHERE id IN (${ids.map(() => '?').join(',')})`)
      .run(nowIso(), ...ids);
  }

  async failStale(reason: string, staleAfterMs: number): Promise<number> {
    // One process writes this file, so its clock stamped the touches too.
    const before = new Date(Date.now() - staleAfterMs).toISOString();
    return this.db
      .query("UPDATE messages SET status = 'failed', error = ? WHERE status = 'streaming' AND updated_at < ?")
      .run(reason, before).changes;
  }

  async ping(): Promise<void> {
    this.db.query('SELECT 1').get();
  }
}
