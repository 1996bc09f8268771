import { Elysia } from 'elysia';
import { principalOf } from '../auth/request-auth.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, badInput } from '../errors.ts';
import { AnswerTimings, serverTimingHeader } from '../observability/answer-timings.ts';
import { API_DOCS } from './api-docs.ts';
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
          return sseResponse(
            (async function* () {
              // `start` names the message first, so a client can stop it (POST /api/chat/:id/stop).
              yield sseEvent(JSON.stringify(ids), 'start');
              let written = false;
              for await (const event of generation.follow()) {
                if (event.type === 'token') {
                  yield sseEvent(JSON.stringify({ text: event.text }), 'token');
                  // The stream asks for the next event once it has written this one.
                  if (!written) timings.mark('firstEvent');
                  written = true;
                } else if (event.type === 'sources') yield sseEvent(JSON.stringify(event.sources), 'sources');
                else if (event.type === 'done')
                  yield sseEvent(
                    JSON.stringify({
                      ...ids,
                      status: event.status,
                      searchQuery: event.searchQuery,
                      timings: timings.toJSON(),
                    }),
                    'done',
                  );
                else if (event.type === 'error')
                  yield sseEvent(JSON.stringify({ code: event.code, message: event.message, ...ids }), 'error');
              }
            })(),
            {
              heartbeatMs: config.heartbeatMs,
              headers: { 'x-conversation-id': ids.conversationId, 'x-message-id': ids.messageId },
            },
          );
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
