import type {
  Conversation,
  ConversationOrigin,
  FeedbackRating,
  Message,
  MessageRole,
  MessageStatus,
  Source,
} from '../domain.ts';
import type { ColumnReader } from './row-columns.ts';

/** A row of `messages`, in either backend; `Time` and `Json` are its driver's (row-columns.ts). */
export interface MessageRow<Time, Json> {
  id: string;
  conversation_id: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  sources: Json;
  model: string | null;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  search_query: string | null;
  error: string | null;
  feedback_rating: FeedbackRating | null;
  feedback_comment: string | null;
  feedback_at: Time | null;
  created_at: Time;
}

export interface ConversationRow<Time> {
  id: string;
  user_id: string;
  title: string;
  origin: ConversationOrigin;
  created_at: Time;
  updated_at: Time;
}

/** The chat repository's mappers from rows to domain values, for one driver's column types. */
export function chatRows<Time, Json>(columns: ColumnReader<Time, Json>) {
  return {
    toConversation: (r: ConversationRow<Time>): Conversation => ({
      id: r.id,
      userId: r.user_id,
      title: r.title,
      origin: r.origin,
      createdAt: columns.time(r.created_at),
      updatedAt: columns.time(r.updated_at),
    }),
    toMessage: (r: MessageRow<Time, Json>): Message => ({
      id: r.id,
      conversationId: r.conversation_id,
      role: r.role,
      content: r.content,
      status: r.status,
      sources: columns.json<Source[]>(r.sources),
      model: r.model,
      latencyMs: r.latency_ms,
      promptTokens: r.prompt_tokens,
      completionTokens: r.completion_tokens,
      searchQuery: r.search_query,
      error: r.error,
      feedback: r.feedback_rating
        ? {
            rating: r.feedback_rating,
            comment: r.feedback_comment,
            at: columns.time(r.feedback_at ?? r.created_at),
          }
        : null,
      createdAt: columns.time(r.created_at),
    }),
  };
}
