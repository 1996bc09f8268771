import { type Context, Elysia } from 'elysia';
import type { AppDeps } from '../deps.ts';
import type { Conversation, Message } from '../domain.ts';
import { badInput, notFoundSaying } from '../errors.ts';
import { routeRules } from '../http/route-rules.ts';
import { say } from '../i18n/translator.ts';
import { AnswerTimings, serverTimingHeader } from '../observability/answer-timings.ts';
import { API_DOCS } from './api-docs.ts';
import type { StartedAnswer } from './chat-service.ts';
import { answerMarkdown, conversationJson, conversationMarkdown, exportFileName } from './conversation-export.ts';
import { dateGroup } from './conversation-groups.ts';
import type { GenerationEvent } from './generation.ts';
import { sseEvent, sseResponse } from './sse.ts';

/** The JSON API, documented in the README. Errors answer `{ error: { code, message } }`. */
export function apiRoutes(deps: AppDeps) {
  const { chat, config, conversations: tools } = deps;

  /** A JSON object body, or a 400 that shows what to send. */
  const objectBody = (body: unknown, example: string): Record<string, unknown> => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badInput(`Send a JSON object like ${example} with Content-Type: application/json.`);
    }
    return body as Record<string, unknown>;
  };
  const withoutOwner = ({ userId: _, ...c }: Conversation) => ({ ...c, group: dateGroup(c.updatedAt) });

  const wantsStream = (request: Request) => (request.headers.get('accept') ?? '').includes('text/event-stream');

  /**
   * An answer that was started, as the API returns it: streamed as SSE with `Accept:
   * text/event-stream`, else awaited and returned as JSON. Asking, regenerating and editing share it.
   */
  const answerResponse = async (
    started: StartedAnswer,
    { request, set, server }: Pick<Context, 'request' | 'set' | 'server'>,
    timings: AnswerTimings,
  ) => {
    const { conversation, generation } = started;
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
      throw notFoundSaying('The conversation was deleted while the answer was being written.');
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
  };

  return new Elysia({ name: 'chat-api-routes', prefix: '/api' })
    .use(routeRules(deps))
    .post(
      '/chat',
      async ({ principal, body, request, set, server }) => {
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
        const started = await chat.ask(
          principal,
          { message: input.message, conversationId: input.conversationId },
          timings,
        );
        return answerResponse(started, { request, set, server }, timings);
      },
      { rateLimit: 'chat', detail: API_DOCS.chat },
    )
    .get(
      '/chat/:messageId/stream',
      async ({ principal, params, request, server }) => {
        const followed = await chat.follow(principal.user.id, params.messageId);
        if (!followed) throw notFoundSaying(say('error.answer.notFound'));
        server?.timeout(request, 0);
        const message = followed.kind === 'stored' ? followed.message : await deps.repo.getMessage(followed.messageId);
        if (!message) throw notFoundSaying(say('error.answer.notFound'));
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
      async ({ principal, params }) => {
        const message = await chat.stop(principal.user.id, params.messageId);
        return { messageId: message.id, conversationId: message.conversationId, status: message.status };
      },
      { detail: API_DOCS.stop },
    )
    .get(
      '/conversations',
      async ({ principal, query }) => ({
        conversations: (await tools.search(principal.user.id, query.q)).map(withoutOwner),
      }),
      { detail: API_DOCS.listConversations },
    )
    .get(
      '/conversations/:id',
      async ({ principal, params }) => {
        const { conversation, messages } = await chat.messages(principal.user.id, params.id);
        return conversationJson(conversation, messages);
      },
      { detail: API_DOCS.getConversation },
    )
    .patch(
      '/conversations/:id',
      async ({ principal, body, params }) => {
        const input = objectBody(body, '{"title": "Vacation policy"}');
        return withoutOwner(await tools.rename(principal.user.id, params.id, input.title));
      },
      { detail: API_DOCS.renameConversation },
    )
    .get(
      '/conversations/:id/export',
      async ({ principal, params, query, set }) => {
        const format = query.format ?? 'markdown';
        if (format !== 'markdown' && format !== 'json') {
          throw badInput('The export format is "markdown" or "json", like ?format=json.');
        }
        const { conversation, messages } = await chat.messages(principal.user.id, params.id);
        const name = exportFileName(conversation, format === 'json' ? 'json' : 'md');
        set.headers['content-disposition'] = `attachment; filename="${name}"`;
        if (format === 'json') {
          set.headers['content-type'] = 'application/json; charset=utf-8';
          return `${JSON.stringify(conversationJson(conversation, messages), null, 2)}\n`;
        }
        set.headers['content-type'] = 'text/markdown; charset=utf-8';
        return conversationMarkdown(conversation, messages);
      },
      { detail: API_DOCS.exportConversation },
    )
    .post(
      '/conversations/:id/regenerate',
      async ({ principal, params, request, set, server }) => {
        const timings = new AnswerTimings();
        const started = await tools.regenerate(principal, params.id, timings);
        return answerResponse(started, { request, set, server }, timings);
      },
      { detail: API_DOCS.regenerate },
    )
    .get(
      '/messages/:id',
      async ({ principal, params }) => {
        const message = await chat.messageFor(principal.user.id, params.id);
        if (!message) throw notFoundSaying('That message was not found.');
        return message;
      },
      { detail: API_DOCS.getMessage },
    )
    .get(
      '/messages/:id/markdown',
      async ({ principal, params, set }) => {
        const answer = await tools.answerFor(principal.user.id, params.id);
        set.headers['content-type'] = 'text/markdown; charset=utf-8';
        return answerMarkdown(answer);
      },
      { detail: API_DOCS.answerMarkdown },
    )
    .post(
      '/messages/:id/edit',
      async ({ principal, body, params, request, set, server }) => {
        const timings = new AnswerTimings();
        const input = objectBody(body, '{"message": "the question, reworded"}');
        const started = await tools.editAndResend(principal, params.id, input.message, timings);
        return answerResponse(started, { request, set, server }, timings);
      },
      { detail: API_DOCS.editQuestion },
    )
    .put(
      '/messages/:id/feedback',
      async ({ principal, body, params }) => {
        const input = objectBody(body, '{"rating": "up", "comment": "optional"}');
        if (!('rating' in input)) throw badInput('Say "rating": "up", "down", or null to take it back.');
        const message = await tools.rate(principal.user.id, params.id, {
          rating: input.rating,
          comment: input.comment,
        });
        return { messageId: message.id, conversationId: message.conversationId, feedback: message.feedback };
      },
      { detail: API_DOCS.feedback },
    )
    .delete(
      '/conversations/:id',
      async ({ principal, params, set }) => {
        await chat.deleteConversation(principal.user.id, params.id);
        set.status = 204;
        return '';
      },
      { detail: API_DOCS.deleteConversation },
    )
    .all('/*', () => {
      throw notFoundSaying('There is no such API endpoint. See the README for the API.');
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
    else if (event.type === 'error')
      yield sseEvent(JSON.stringify({ code: event.code, message: event.message, ...ids }), 'error');
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
