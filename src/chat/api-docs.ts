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

/** A required JSON object body with these properties. */
const jsonRequest = (required: string[], properties: Schema): DocumentDecoration['requestBody'] => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object' as const, required, properties: properties as never } } },
});

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
    score: {
      type: 'number',
      description:
        'Reciprocal-rank-fusion score of the searches that ran (keyword, and vector when a real embedding model is configured), scaled so that 1 is first in every list. It orders the passages of one answer; it does not say whether a passage answers the question, and it is not comparable between questions.',
    },
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
    feedback: {
      type: 'object',
      nullable: true,
      description: "The reader's thumbs up or down on an answer, with an optional comment.",
      properties: {
        rating: { type: 'string', enum: ['up', 'down'] },
        comment: { type: 'string', nullable: true },
        at: { type: 'string', format: 'date-time' },
      },
    },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

const conversation: Schema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    group: {
      type: 'string',
      enum: ['Today', 'Yesterday', 'Last 7 days', 'Older'],
      description: "Where the side list files it, by the calendar day of its last activity (the server's time zone).",
    },
  },
};

export const API_DOCS: Record<
  | 'chat'
  | 'followStream'
  | 'stop'
  | 'listConversations'
  | 'getConversation'
  | 'deleteConversation'
  | 'renameConversation'
  | 'exportConversation'
  | 'regenerate'
  | 'getMessage'
  | 'answerMarkdown'
  | 'editQuestion'
  | 'feedback',
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
    requestBody: jsonRequest(['message'], {
      message: { type: 'string', example: 'How do I add my own documents?' },
      conversationId: { type: 'string', description: 'Continue this conversation; omit to start one.' },
    }),
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
    summary: 'List conversations, newest activity first, or search them',
    parameters: [
      {
        name: 'q',
        in: 'query',
        required: false,
        schema: { type: 'string', maxLength: 200 },
        description: 'Only conversations whose title or any message contains this text (case-insensitive).',
      },
    ],
    responses: {
      200: {
        description: 'The conversations.',
        content: {
          'application/json': {
            schema: { type: 'object', properties: { conversations: { type: 'array', items: conversation } } },
          },
        },
      },
      400: errorResponse('The search text is too long.'),
    },
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
  renameConversation: {
    summary: 'Rename a conversation',
    requestBody: jsonRequest(['title'], { title: { type: 'string', maxLength: 120, example: 'Vacation policy' } }),
    responses: {
      200: { description: 'The conversation.', content: { 'application/json': { schema: conversation } } },
      400: errorResponse('The title is missing, empty, too long or not text.'),
      404: errorResponse('No such conversation.'),
    },
  },
  exportConversation: {
    summary: 'Export a conversation as Markdown or JSON',
    parameters: [
      {
        name: 'format',
        in: 'query',
        required: false,
        schema: { type: 'string', enum: ['markdown', 'json'], default: 'markdown' },
      },
    ],
    responses: {
      200: {
        description:
          'A download (`Content-Disposition: attachment`): the questions quoted and the answers with the sources they cite, or the conversation as `GET /api/conversations/{id}` returns it.',
        content: {
          'text/markdown': { schema: { type: 'string' } },
          'application/json': { schema: { type: 'object' } },
        },
      },
      400: errorResponse('An unknown format.'),
      404: errorResponse('No such conversation.'),
    },
  },
  regenerate: {
    summary: 'Answer the last question again',
    description:
      "Removes the conversation's last question and what followed it, then asks it again: the answer comes back as " +
      'from `POST /api/chat` (JSON, or server-sent events with `Accept: text/event-stream`), under new message ids.',
    responses: {
      200: { description: 'As for `POST /api/chat`.' },
      400: errorResponse('The conversation has no question yet.'),
      404: errorResponse('No such conversation.'),
      409: errorResponse('An answer is still being written in this conversation.'),
    },
  },
  getMessage: {
    summary: 'One message, with its sources and feedback',
    responses: {
      200: { description: 'The message.', content: { 'application/json': { schema: message } } },
      404: errorResponse('No such message.'),
    },
  },
  answerMarkdown: {
    summary: 'An answer as Markdown, with the sources it cites',
    description: "What the page's Copy button copies.",
    responses: {
      200: { description: 'The Markdown.', content: { 'text/markdown': { schema: { type: 'string' } } } },
      404: errorResponse('No such answer.'),
    },
  },
  editQuestion: {
    summary: 'Edit a question and ask it again',
    description:
      'Replaces the question with `message`, removes everything after it in the conversation, and answers it ' +
      'as `POST /api/chat` does.',
    requestBody: jsonRequest(['message'], { message: { type: 'string' } }),
    responses: {
      200: { description: 'As for `POST /api/chat`.' },
      400: errorResponse('The new question is empty, too long, or not text.'),
      404: errorResponse('No such question.'),
      409: errorResponse('An answer is still being written in this conversation.'),
    },
  },
  feedback: {
    summary: 'Thumbs up or down on an answer, with an optional comment',
    requestBody: jsonRequest(['rating'], {
      rating: { type: 'string', enum: ['up', 'down'], nullable: true, description: 'null takes it back.' },
      comment: { type: 'string', maxLength: 2000, nullable: true },
    }),
    responses: {
      200: {
        description:
          '`{messageId, conversationId, feedback}`; `GET /api/conversations/{id}` shows it with the message.',
      },
      400: errorResponse('An unknown rating, a comment that is too long, or an answer still being written.'),
      404: errorResponse('No such answer.'),
    },
  },
};
