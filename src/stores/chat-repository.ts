import type {
  Conversation,
  ConversationOrigin,
  FeedbackRating,
  Message,
  MessageRole,
  MessageStatus,
  Source,
} from '../domain.ts';

export interface NewMessage {
  id: string;
  conversationId: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  model?: string | null;
}

export interface NewConversation {
  id: string;
  userId: string;
  title: string;
  origin?: ConversationOrigin;
}

export interface MessageOutcome {
  content: string;
  status: Exclude<MessageStatus, 'streaming'>;
  sources: Source[];
  latencyMs: number;
  promptTokens?: number | null;
  completionTokens?: number | null;
  searchQuery?: string | null;
  error?: string | null;
}

/**
 * A LIKE pattern that finds `text` anywhere, its wildcards (`%`, `_`) and backslashes escaped with
 * a backslash: Postgres's default escape character, declared with `ESCAPE` in SQLite.
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * Users, conversations and messages. Every backend (SQLite on a laptop, Postgres in production)
 * runs the same contract suite in `test/contracts/chat-repository.contract.ts`.
 */
export interface ChatRepository {
  ensureUser(user: { id: string; name: string }): Promise<void>;
  /** `origin` defaults to `ragchat` (the page and /api). */
  createConversation(input: NewConversation): Promise<Conversation>;
  /** Newest activity first. */
  listConversations(userId: string, limit?: number): Promise<Conversation[]>;
  getConversation(id: string): Promise<Conversation | null>;
  /** Sets the title, leaving `updatedAt` (and so the list's order) alone; null when there is none. */
  renameConversation(id: string, title: string): Promise<Conversation | null>;
  /**
   * A user's conversations whose title or any message contains `text` (case-insensitive at least
   * for ASCII letters; `%` and `_` are literal), newest activity first.
   */
  searchConversations(userId: string, text: string, limit?: number): Promise<Conversation[]>;
  /** Removes the conversation and its messages; false when there was none. */
  deleteConversation(id: string): Promise<boolean>;
  /** Also bumps the conversation's `updatedAt`, which orders the side list. */
  addMessage(message: NewMessage): Promise<Message>;
  /** Stores the final text and outcome of a message that was `streaming`. */
  finishMessage(id: string, outcome: MessageOutcome): Promise<void>;
  /** An aborted `signal` rejects with its reason (Postgres cancels the query on the server). */
  getMessage(id: string, signal?: AbortSignal): Promise<Message | null>;
  /** Oldest first. An aborted `signal` rejects with its reason. */
  listMessages(conversationId: string, signal?: AbortSignal): Promise<Message[]>;
  /**
   * Removes a message and every later one of its conversation (to ask again from there); returns
   * the ids removed, oldest first, or none when there is no such message.
   */
  deleteMessagesFrom(messageId: string): Promise<string[]>;
  /** Stores (or, with null, clears) the reader's feedback on a message; null when there is none. */
  setFeedback(
    messageId: string,
    feedback: { rating: FeedbackRating; comment: string | null } | null,
  ): Promise<Message | null>;
  /**
   * Answers being written are touched regularly by the process writing them, so that several
   * server instances can share one database and still tell a live answer from an orphan.
   */
  touchMessages(ids: string[]): Promise<void>;
  /**
   * Marks answers still `streaming` but untouched for `staleAfterMs` (their writer died) as
   * `failed`, keeping their text. Time is the database's own clock, the one that stamped the
   * touches, so servers whose clocks drift cannot fail each other's live answers. Returns how many
   * it changed.
   */
  failStale(reason: string, staleAfterMs: number): Promise<number>;
  ping(): Promise<void>;
}
