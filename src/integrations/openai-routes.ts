import { Elysia, t } from 'elysia';
import type { StartedAnswer } from '../chat/chat-service.ts';
import { sseEvent, sseResponse } from '../chat/sse.ts';
import type { AppDeps } from '../deps.ts';
import type { ChatTurn, Principal, Source } from '../domain.ts';
import { AppError, badInput } from '../errors.ts';
import { routeRules } from '../http/route-rules.ts';
import { ALL_SCOPE, sourcesMarkdown, withoutSourcesList } from './integration-service.ts';

const ROLES = ['system', 'developer', 'user', 'assistant'] as const;

const TextPart = t.Object({ type: t.String(), text: t.Optional(t.String()) });

const ChatCompletionRequest = t.Object(
  {
    model: t.String({ maxLength: 200, error: 'Say which model to use: "ragchat", or "ragchat/<collection>".' }),
    messages: t.Array(
      t.Object({
        role: t.Union(
          ROLES.map((r) => t.Literal(r)),
          {
            error:
              'Each message has the role "system", "user" or "assistant" (ragchat calls no tools), and its content as text.',
          },
        ),
        content: t.Union([t.String(), t.Array(TextPart), t.Null()], {
          error: 'A message\'s "content" is text (or a list of {"type": "text", "text": "…"} parts).',
        }),
      }),
      {
        minItems: 1,
        maxItems: 1000,
        error: 'Send "messages": a list that ends with the user\'s question, like [{"role": "user", "content": "…"}].',
      },
    ),
    stream: t.Optional(t.Boolean({ error: '"stream" is true or false.' })),
    stream_options: t.Optional(t.Object({ include_usage: t.Optional(t.Boolean()) })),
  },
  { error: 'Send a JSON object like {"model": "ragchat", "messages": [{"role": "user", "content": "…"}]}.' },
);

type Body = (typeof ChatCompletionRequest)['static'];

/** A message's text: a string, or the text parts of a list (images and other parts are left out). */
function textOf(content: Body['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  if (content === null) return '';
  return content
    .filter((p) => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

/**
 * The question (the last message, the user's) and the turns before it, as ragchat's history.
 * System messages are left out: ragchat's own instructions (answer from the passages, cite them)
 * are what make the answer trustworthy, and a client's persona must not replace them.
 */
export function questionAndHistory(messages: Body['messages']): { question: string; history: ChatTurn[] } {
  const last = messages.at(-1);
  if (last?.role !== 'user') throw badInput('The last message must be the user\'s question (role "user").');
  const question = textOf(last.content).trim();
  if (question === '') throw badInput('The last message has no text: write a question.');
  const history = messages
    .slice(0, -1)
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({
      role: m.role as 'user' | 'assistant',
      content: m.role === 'assistant' ? withoutSourcesList(textOf(m.content)) : textOf(m.content),
    }))
    .filter((m) => m.content.trim() !== '');
  return { question, history };
}

const seconds = () => Math.floor(Date.now() / 1000);

/** The base a client can open the sources' links from: PUBLIC_URL, else the address it called. */
const originOf = (deps: AppDeps, request: Request) => deps.config.publicOrigin ?? new URL(request.url).origin;

/** The extra field of the last chunk (and of the message): the answer's sources, as ragchat's API gives them. */
const sourcesField = (sources: Source[], origin: string) => sources.map((s) => ({ ...s, url: `${origin}${s.url}` }));

/**
 * OpenAI's Chat Completions API (`POST /v1/chat/completions`, `GET /v1/models`), for the tools
 * people already chat in. The model id chooses the scope; see README, "Use ragchat from other tools".
 */
export function openAiRoutes(deps: AppDeps) {
  const { integrations, config } = deps;

  const usageOf = (started: StartedAnswer) => {
    const outcome = started.generation.outcome;
    const prompt = outcome?.promptTokens ?? 0;
    const completion = outcome?.completionTokens ?? 0;
    return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  };

  return new Elysia({ name: 'openai-compatible', prefix: '/v1' })
    .use(routeRules(deps))
    .get(
      '/models',
      async ({ principal }) => {
        const collections = await integrations.collectionsOf(principal);
        const model = (id: string, created: number) => ({ id, object: 'model', created, owned_by: 'ragchat' });
        return {
          object: 'list',
          data: [
            model(ALL_SCOPE, 0),
            ...collections.map((c) => model(`${ALL_SCOPE}/${c.id}`, Math.floor(Date.parse(c.createdAt) / 1000))),
          ],
        };
      },
      {
        detail: {
          summary: 'The models (scopes) the caller may use',
          description:
            '`ragchat` answers from all the collections the caller may read; `ragchat/<collection>` from that one. OpenAI list format.',
          tags: ['OpenAI-compatible'],
        },
      },
    )
    .post(
      '/chat/completions',
      async ({ principal, body, request, server }) => {
        const collections = await integrations.scopeOf(principal, body.model);
        const { question, history } = questionAndHistory(body.messages);
        const started = await integrations.ask(principal, { question, history, collections, origin: 'openai' });
        // Streamed or not, the answer takes as long as the model does (see src/chat/api-routes.ts).
        server?.timeout(request, 0);
        const origin = originOf(deps, request);
        const head = { id: `chatcmpl-${started.generation.messageId}`, created: seconds(), model: body.model };
        if (body.stream) {
          return sseResponse(chunks(principal, started, head, origin, body.stream_options?.include_usage === true), {
            heartbeatMs: config.heartbeatMs,
            headers: { 'x-conversation-id': started.conversation.id },
          });
        }
        await started.generation.finished;
        const outcome = started.generation.outcome;
        if (!outcome || outcome.status === 'failed') {
          const failure = started.generation.failure;
          throw new AppError(
            'answer_failed',
            outcome?.error ?? failure?.message ?? 'The answer could not be completed.',
            failure?.code === 'answer_timeout' ? 504 : failure?.code.startsWith('unavailable:') ? 503 : 502,
          );
        }
        return {
          ...head,
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: outcome.content + sourcesMarkdown(outcome.sources, origin),
                refusal: null,
              },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: usageOf(started),
          sources: sourcesField(outcome.sources, origin),
          conversation_id: started.conversation.id,
        };
      },
      {
        rateLimit: 'chat',
        body: ChatCompletionRequest,
        detail: {
          summary: 'Answer a question (OpenAI Chat Completions format)',
          description:
            'The last user message is the question, earlier messages the history. The answer cites `[n]` and ends with a Markdown "Sources" list; the sources are also in `sources` (on the message object, and on the last chunk of a stream). With `stream: true`, `chat.completion.chunk` events end with `data: [DONE]`; `stream_options.include_usage` adds the usage chunk. Closing the stream stops the answer.',
          tags: ['OpenAI-compatible'],
        },
      },
    );

  /**
   * The answer as OpenAI's stream: a first chunk with the role, one per fragment, the Sources list,
   * the last chunk with `finish_reason` and `sources`, the usage chunk if asked, then `[DONE]`.
   * A client that leaves stops the answer, as Stop on the page does.
   */
  async function* chunks(
    principal: Principal,
    started: StartedAnswer,
    head: { id: string; created: number; model: string },
    origin: string,
    includeUsage: boolean,
  ): AsyncGenerator<string> {
    const { generation } = started;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      sseEvent(
        JSON.stringify({
          ...head,
          object: 'chat.completion.chunk',
          choices,
          ...(includeUsage ? { usage: null } : {}),
          ...extra,
        }),
      );
    const delta = (content: Record<string, unknown>, finish: string | null = null) => ({
      index: 0,
      delta: content,
      logprobs: null,
      finish_reason: finish,
    });
    let ended = false;
    try {
      yield chunk([delta({ role: 'assistant', content: '' })]);
      let sources: Source[] = [];
      for await (const event of generation.follow()) {
        if (event.type === 'token') yield chunk([delta({ content: event.text })]);
        else if (event.type === 'sources') sources = event.sources;
        else if (event.type === 'error') {
          ended = true;
          // OpenAI's clients read an `error` object in the stream as a failed request.
          yield sseEvent(JSON.stringify({ error: { message: event.message, type: 'server_error', code: event.code } }));
          return;
        } else if (event.type === 'done') {
          ended = true;
          const list = sourcesMarkdown(sources, origin);
          if (list) yield chunk([delta({ content: list })]);
          yield chunk([delta({}, 'stop')], {
            sources: sourcesField(sources, origin),
            conversation_id: started.conversation.id,
          });
          if (includeUsage) yield chunk([], { usage: usageOf(started) });
          yield sseEvent('[DONE]');
        }
      }
    } finally {
      // The client closed the stream before the end: the answer stops (and is stored as stopped).
      if (!ended) await deps.chat.stop(principal.user.id, generation.messageId).catch(() => {});
    }
  }
}
