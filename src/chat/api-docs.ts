import type { DocumentDecoration } from 'elysia';
import { ANSWER_PHASES, type AnswerPhase } from '../observability/answer-timings.ts';

/** A JSON Schema fragment; checked where it is placed into an operation. */
type Schema = Record<string, unknown>;

/**
 * OpenAPI descriptions of the JSON API, attached to the routes as `detail` (documentation only:
 * the handlers validate input themselves so that every refusal reads as a sentence).
 */
const error: Schema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string', example: 'invalid_input' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
};
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });

const source: Schema = {
  type: 'object',
  properties: {
    id: { type: 'integer', description: 'The citation number: `[id]` in the answer cites this source.' },
    chunkId: { type: 'string' },
    documentId: { type: 'string' },
    title: { type: 'string' },
    source: { type: 'string', description: 'Where the original lives, e.g. `sample-docs/getting-started.md`.' },
    location: { type: 'string', description: 'Heading path inside the document.' },
    snippet: { type: 'string' },
    score: { type: 'number', description: 'Relevance, 0 to 1.' },
    cited: { type: 'boolean' },
  },
};

const PHASE_DESCRIPTIONS: Record<AnswerPhase | 'total', string> = {
  validate: 'Checking the request and the question (its text, the per-user cap on answers being written).',
  store: 'Storing the conversation, the question and the empty answer.',
  rewrite: 'Rewriting a follow-up into a standalone question (0 for a first question).',
  embed: 'Embedding the question.',
  search: "The store's search and the reranker.",
  prompt: 'Building the prompt from the passages.',
  provider: "From the call to the model to its first answer fragment (the provider's time to first token).",
  firstEvent: 'From that fragment to the first `token` event written to the stream (0 in the JSON answer).',
  total: 'From the request reaching the handler to these timings being sent; the phases add up to at most this.',
};

/** Where an answer's time went (src/observability/answer-timings.ts); also sent as `Server-Timing` with JSON. */
const timings: Schema = {
  type: 'object',
  description:
    'Milliseconds per phase of the answer, to 0.1 ms, in the order they happen. A phase that did not happen is 0. ' +
    'The JSON answer sends the same figures in a `Server-Timing` header (`validate;dur=0.4, store;dur=1.2, …`).',
  properties: Object.fromEntries(
    [...ANSWER_PHASES, 'total' as const].map((phase) => [
      phase,
      { type: 'number', minimum: 0, description: PHASE_DESCRIPTIONS[phase] },
    ]),
  ),
  required: [...ANSWER_PHASES, 'total'],
};

const message: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    role: { type: 'string', enum: ['user', 'assistant'] },
    content: { type: 'string' },
    status: { type: 'string', enum: ['streaming', 'complete', 'stopped', 'failed'] },
    sources: { type: 'array', items: source },
    model: { type: 'string', nullable: true },
    latencyMs: { type: 'integer', nullable: true },
    error: { type: 'string', nullable: true },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

export const API_DOCS: Record<
  'chat' | 'followStream' | 'stop' | 'listConversations' | 'getConversation' | 'deleteConversation',
  DocumentDecoration
> = {
  chat: {
    summary: 'Ask a question',
    description:
      'Stores the question, retrieves passages, and answers. With `Accept: text/event-stream` the answer streams as ' +
      'server-sent events: `start` {conversationId, messageId}, `token` {text}…, `sources` [...], then `done` ' +
      '{conversationId, messageId, status, searchQuery, timings} or `error` {code, message, conversationId, messageId}. ' +
      '`timings` says where the time went, phase by phase (the JSON answer carries it too, and a `Server-Timing` ' +
      'header). Closing the ' +
      'connection does not stop the answer; `POST /api/chat/{messageId}/stop` does.',
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['message'],
            properties: {
              message: { type: 'string', example: 'How do I add my own documents?' },
              conversationId: { type: 'string', description: 'Continue this conversation; omit to start one.' },
            },
          },
        },
      },
    },
    responses: {
      200: {
        description: 'The answer (JSON) or its stream (text/event-stream).',
        headers: {
          'Server-Timing': {
            description: 'With the JSON answer: its `timings` in the W3C Server Timing format (`name;dur=ms, …`).',
            schema: { type: 'string', example: 'validate;dur=0.2, store;dur=1.1, embed;dur=21.4, total;dur=1402.3' },
          },
        },
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                conversationId: { type: 'string' },
                messageId: { type: 'string' },
                status: { type: 'string', enum: ['complete', 'stopped'] },
                response: { type: 'string' },
                sources: { type: 'array', items: source },
                model: { type: 'string' },
                searchQuery: { type: 'string', nullable: true },
                timings,
              },
            },
          },
          'text/event-stream': { schema: { type: 'string' } },
        },
      },
      400: errorResponse('The message is empty, too long, or not text; or the body is not a JSON object.'),
      404: errorResponse('The conversation does not exist.'),
      502: errorResponse('The answer failed upstream; the question is stored (conversationId and messageId included).'),
    },
  },
  followStream: {
    summary: 'Follow an answer, from its first word (re-attach)',
    description:
      'Server-sent events, the same named events as `POST /api/chat` with `Accept: text/event-stream`: `start` ' +
      '(`{conversationId, messageId}`), a `token` per fragment (`{text}`; the first holds everything written ' +
      'so far), `sources`, then `done` (`{status, searchQuery}`) or `error` (`{code, message}`). Any instance ' +
      'of a deployment answers it, whichever writes the answer; an answer already ended is replayed at once.',
    responses: {
      200: { description: 'The stream (`text/event-stream`).' },
      404: errorResponse('No such answer, or not yours.'),
    },
  },
  stop: {
    summary: 'Stop an answer being written',
    description:
      'Aborts the call to the model on whichever instance writes the answer; the partial answer is stored with ' +
      'status `stopped`. Idempotent.',
    responses: {
      200: {
        description: 'The message as stored.',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                messageId: { type: 'string' },
                conversationId: { type: 'string' },
                status: { type: 'string' },
              },
            },
          },
        },
      },
      404: errorResponse('No such answer.'),
    },
  },
  listConversations: {
    summary: 'List conversations, newest activity first',
    responses: { 200: { description: '`{conversations: [{id, title, createdAt, updatedAt}]}`' } },
  },
  getConversation: {
    summary: 'A conversation with its messages and their sources',
    responses: {
      200: {
        description: 'The conversation.',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                title: { type: 'string' },
                createdAt: { type: 'string' },
                updatedAt: { type: 'string' },
                messages: { type: 'array', items: message },
              },
            },
          },
        },
      },
      404: errorResponse('No such conversation.'),
    },
  },
  deleteConversation: {
    summary: 'Delete a conversation and its messages',
    responses: { 204: { description: 'Deleted.' }, 404: errorResponse('No such conversation.') },
  },
};
