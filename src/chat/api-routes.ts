import { Elysia } from 'elysia';
import { principalOf } from '../auth/request-auth.ts';
import type { AppDeps } from '../deps.ts';
import type { Message } from '../domain.ts';
import { AppError, badInput } from '../errors.ts';
import { AnswerTimings, serverTimingHeader } from '../observability/answer-timings.ts';
import { API_DOCS } from './api-docs.ts';
import type { GenerationEvent } from './generation.ts';
import { sseEvent, sseResponse } from './sse.ts';

/** The JSON API, documented in the README. Errors answer `{ error: { code, message } }`. */
export function apiRoutes(deps: AppDeps) {
  const { chat, config } = deps;

  const wantsStream = (request: Request) => (request.headers.get('accept') ?? '').includes('text/event-stream');

  return new Elysia({ prefix: '/api' })
    .post(
      '/chat',
      async ({ body, request, set, server }) => {
        const timings = new AnswerTimings();
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw badInput('Send a JSON object like {"message": "your question"}.');
        }
        const input = body as Record<string, unknown>;
        if (!('message' in input)) {
          // Often JSON sent without `Content-Type: application/json`, which arrives as a form.
          throw badInput(
            'The request has no "message". Send JSON like {"message": "your question"} with Content-Type: application/json.',
          );
        }
        if (input.conversationId !== undefined && typeof input.conversationId !== 'string') {
          throw badInput('conversationId must be a string (the id of an existing conversation).');
        }
        const { conversation, generation } = await chat.ask(
          principalOf(request),
          { message: input.message, conversationId: input.conversationId },
          timings,
        );
        const ids = { conversationId: conversation.id, messageId: generation.messageId };
        // Streamed or awaited, the answer takes as long as the model does: the LLM's timeouts bound
        // it, not the request deadline (src/http/connection-limits.ts).
        server?.timeout(request, 0);

        if (wantsStream(request)) {
          return sseResponse(namedEvents(ids, generation.follow(), timings), {
            heartbeatMs: config.heartbeatMs,
            headers: { 'x-conversation-id': ids.conversationId, 'x-message-id': ids.messageId },
          });
        }

        await generation.finished;
        const stored = await deps.repo.getMessage(generation.messageId);
        if (!stored) {
          throw new AppError('not_found', 'The conversation was deleted while the answer was being written.', 404);
        }
        const answerTimings = timings.toJSON();
        set.headers['server-timing'] = serverTimingHeader(answerTimings);
        if (stored.status === 'failed') {
          // The question is stored; say so, so the client can show the conversation and retry.
          // A backend that is down (unavailable:*) is a 503, an answer past its deadline a 504;
          // anything else a 502.
          const failure = generation.failure;
          set.status = failure?.code.startsWith('unavailable:') ? 503 : failure?.code === 'answer_timeout' ? 504 : 502;
          return {
            error: {
              code: failure?.code ?? 'answer_failed',
              message: stored.error ?? 'The answer could not be completed.',
            },
            ...ids,
            timings: answerTimings,
          };
        }
        return {
          ...ids,
          status: stored.status,
          response: stored.content,
          sources: stored.sources,
          searchQuery: stored.searchQuery,
          model: stored.model,
          timings: answerTimings,
        };
      },
      { detail: API_DOCS.chat },
    )
    .get(
      '/chat/:messageId/stream',
      async ({ params, request, server }) => {
        const followed = await chat.follow(principalOf(request).user.id, params.messageId);
        if (!followed) throw new AppError('not_found', 'That answer was not found.', 404);
        server?.timeout(request, 0);
        const message = followed.kind === 'stored' ? followed.message : await deps.repo.getMessage(followed.messageId);
        if (!message) throw new AppError('not_found', 'That answer was not found.', 404);
        const ids = { conversationId: message.conversationId, messageId: message.id };
        return sseResponse(namedEvents(ids, followed.kind === 'live' ? followed.events : replay(message)), {
          heartbeatMs: config.heartbeatMs,
          headers: { 'x-conversation-id': ids.conversationId, 'x-message-id': ids.messageId },
        });
      },
      { detail: API_DOCS.followStream },
    )
    .post(
      '/chat/:messageId/stop',
      async ({ params, request }) => {
        const message = await chat.stop(principalOf(request).user.id, params.messageId);
        return { messageId: message.id, conversationId: message.conversationId, status: message.status };
      },
      { detail: API_DOCS.stop },
    )
    .get(
      '/conversations',
      async ({ request }) => ({
        conversations: (await chat.listConversations(principalOf(request).user.id)).map(({ userId: _, ...c }) => c),
      }),
      { detail: API_DOCS.listConversations },
    )
    .get(
      '/conversations/:id',
      async ({ params, request }) => {
        const { conversation, messages } = await chat.messages(principalOf(request).user.id, params.id);
        const { userId: _, ...rest } = conversation;
        return {
          ...rest,
          messages: messages.map(({ conversationId: __, ...m }) => m),
        };
      },
      { detail: API_DOCS.getConversation },
    )
    .delete(
      '/conversations/:id',
      async ({ params, request, set }) => {
        await chat.deleteConversation(principalOf(request).user.id, params.id);
        set.status = 204;
        return '';
      },
      { detail: API_DOCS.deleteConversation },
    )
    .all('/*', () => {
      throw new AppError('not_found', 'There is no such API endpoint. See the README for the API.', 404);
    });
}

/**
 * An answer as named SSE events: `start` with its ids (so a client can stop it), a `token` per
 * fragment, then `sources`, then `done` or `error`. `timings` when this request asked the question.
 */
async function* namedEvents(
  ids: { conversationId: string; messageId: string },
  events: AsyncIterable<GenerationEvent>,
  timings?: AnswerTimings,
): AsyncGenerator<string> {
  yield sseEvent(JSON.stringify(ids), 'start');
  let written = false;
  for await (const event of events) {
    if (event.type === 'token') {
      yield sseEvent(JSON.stringify({ text: event.text }), 'token');
      // The stream asks for the next event once it has written this one.
      if (!written) timings?.mark('firstEvent');
      written = true;
    } else if (event.type === 'sources') yield sseEvent(JSON.stringify(event.sources), 'sources');
    else if (event.type === 'done')
      yield sseEvent(
        JSON.stringify({
          ...ids,
          status: event.status,
          searchQuery: event.searchQuery,
          ...(timings ? { timings: timings.toJSON() } : {}),
        }),
        'done',
      );
    else yield sseEvent(JSON.stringify({ code: event.code, message: event.message, ...ids }), 'error');
  }
}

/** A stored answer as the events it was written with: its text at once, then its end. */
async function* replay(message: Message): AsyncGenerator<GenerationEvent> {
  if (message.content) yield { type: 'token', text: message.content };
  if (message.sources.length > 0) yield { type: 'sources', sources: message.sources };
  if (message.status === 'failed' || message.status === 'streaming')
    yield {
      type: 'error',
      code: message.status === 'failed' ? 'answer_failed' : 'not_live',
      message: message.error ?? 'This answer is being written by a server this one cannot follow; try again shortly.',
    };
  else yield { type: 'done', status: message.status, searchQuery: message.searchQuery };
}
