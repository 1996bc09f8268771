/** Domain types that cross the seams. No SDK type appears here. */

/** One piece of a document, as stored and retrieved. */
export interface Chunk {
  /** Deterministic: derived from the document id and the chunk index, so a re-ingest overwrites. */
  id: string;
  documentId: string;
  /** Where the original lives in the document store (a relative path or an object key). */
  source: string;
  title: string;
  /** Heading path inside the document ("Install › Docker"), or '' at top level. */
  location: string;
  index: number;
  text: string;
  contentHash: string;
  /** The collection the document belongs to; who may read it is decided per collection. */
  collection: string;
  /**
   * ISO 639-1 code of the chunk's language, detected at ingestion ('' when it has no letters);
   * its terms are analysed in it. Absent on chunks built before languages were detected.
   */
  language?: string;
}

export interface EmbeddedChunk extends Chunk {
  vector: Float32Array;
}

export interface ScoredChunk extends Chunk {
  /** Higher is more relevant; comparable only within one result list. */
  score: number;
}

/** What the user sees in the sources panel and the API returns. */
export interface Source {
  /** The citation number used in the answer: `[1]` cites the source with id 1. */
  id: number;
  chunkId: string;
  documentId: string;
  title: string;
  source: string;
  location: string;
  snippet: string;
  /** The whole passage the model was given. */
  text: string;
  /** Opens the original at this passage: its page (PDF) or heading, where the format allows. */
  url: string;
  /**
   * The fused retrieval score (reciprocal rank fusion, 1 = first in every list searched): it orders
   * one answer's passages and is a function of their ranks alone, so the page shows no number for it.
   */
  score: number;
  /** Whether the answer cites it with its `[id]`. */
  cited: boolean;
}

export type MessageRole = 'user' | 'assistant';

/** `streaming` is the state while an answer is being written; the rest are final. */
export type MessageStatus = 'streaming' | 'complete' | 'stopped' | 'failed';

export interface ChatTurn {
  role: MessageRole;
  content: string;
  /** For a user turn: what it was searched as, when a follow-up was rewritten. */
  searchQuery?: string;
}

/** A reader's verdict on an answer: thumbs up or down, with an optional comment. */
export type FeedbackRating = 'up' | 'down';

export interface Feedback {
  rating: FeedbackRating;
  comment: string | null;
  /** When it was last given. */
  at: string;
}

export interface Message {
  id: string;
  conversationId: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  sources: Source[];
  model: string | null;
  latencyMs: number | null;
  /** Tokens of the prompt and of the answer, as counted by ragchat's tokenizer. */
  promptTokens: number | null;
  completionTokens: number | null;
  /** For an answer: the standalone question retrieval used, when a follow-up was rewritten. */
  searchQuery: string | null;
  error: string | null;
  /** For an answer: the reader's thumbs up or down and comment, if given. */
  feedback: Feedback | null;
  createdAt: string;
}

/**
 * Where a conversation was asked: ragchat's own page or API, an OpenAI-compatible client
 * (`/v1/chat/completions`), or an MCP client (`/mcp`'s `ask` tool).
 */
export type ConversationOrigin = 'ragchat' | 'openai' | 'mcp';

export interface Conversation {
  id: string;
  userId: string;
  title: string;
  origin: ConversationOrigin;
  createdAt: string;
  updatedAt: string;
}

export interface DocumentRecord {
  id: string;
  source: string;
  title: string;
  contentHash: string;
  chunkCount: number;
  updatedAt: string;
  collection: string;
  /** ISO 639-1 code of the language most of its text is in ('' when unknown); shown on the Documents page. */
  language?: string;
}

/** Where documents go when nobody says otherwise; everyone is granted it at sign-up. */
export const DEFAULT_COLLECTION = 'general';

/** A collection id: lower-case letters, digits and dashes (it is also a payload value and a key part). */
export const COLLECTION_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

export type Role = 'admin' | 'member';

export interface User {
  id: string;
  /** Null for the built-in local user of AUTH_MODE=none. */
  email: string | null;
  name: string;
  role: Role;
  createdAt: string;
}

export interface Collection {
  id: string;
  name: string;
  createdAt: string;
}

/**
 * Who is asking, as every route sees it. `collections` is what retrieval may search: `'all'` for
 * admins and the local user, otherwise the ids the user was granted.
 */
export interface Principal {
  user: User;
  collections: readonly string[] | 'all';
  /** How the request was authenticated; cookie sessions need the cross-site checks. */
  via: 'local' | 'session' | 'token';
  sessionId?: string;
  csrfToken?: string;
}

/** The shortest password an account may have (NIST SP 800-63B asks for at least 8; we ask 12). */
export const MIN_PASSWORD_CHARS = 12;
