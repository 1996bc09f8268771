import Html from '@kitajs/html';
import { Elysia } from 'elysia';
import {
  AssistantBubble,
  answerAnnouncement,
  ChatPage,
  ConversationIdInput,
  ConversationItem,
  ConversationList,
  citationNumbers,
  MessageView,
  Notice,
  renderAnswer,
  SourcesPanel,
  UserBubble,
} from '../../views/chat.tsx';
import { ConversationToolbar, Feedback } from '../../views/conversation-tools.tsx';
import type { AppDeps } from '../deps.ts';
import type { Conversation, Message, Principal, Source } from '../domain.ts';
import { routeRules } from '../http/route-rules.ts';
import { t } from '../i18n/request-locale.ts';
import { shellData } from '../shell-data.ts';
import type { FollowedAnswer, StartedAnswer } from './chat-service.ts';
import type { Generation } from './generation.ts';
import { sseEvent, sseResponse } from './sse.ts';

const HTML_TYPE = 'text/html; charset=utf-8';
const RENDER_INTERVAL_MS = 50;

/** `<hx-partial>` updates a region other than the request's target (htmx 4). */
function partial(target: string, swap: string, html: string): string {
  return `<hx-partial hx-target="${Html.escapeHtml(target)}" hx-swap="${swap}">${html}</hx-partial>`;
}

/** An answer being followed; `generation` when this instance writes it. */
type Live = Extract<FollowedAnswer, { kind: 'live' }>;

const liveOf = (g: Generation): Live => ({
  kind: 'live',
  messageId: g.messageId,
  events: g.follow(),
  finished: () => g.finished,
  generation: g,
});

/** The answer as its writer holds it once it has ended, shaped as the stored message would be. */
function asWritten(g: Generation): Message | null {
  const o = g.outcome;
  if (!o) return null;
  return {
    id: g.messageId,
    conversationId: g.conversationId,
    role: 'assistant',
    content: o.content,
    status: o.status,
    sources: o.sources,
    model: g.model,
    latencyMs: o.latencyMs,
    promptTokens: o.promptTokens ?? null,
    completionTokens: o.completionTokens ?? null,
    searchQuery: o.searchQuery ?? null,
    error: o.error ?? null,
    feedback: null,
    createdAt: new Date().toISOString(),
  };
}

/** The chat page and the hypermedia endpoints behind it. */
export function pageRoutes(deps: AppDeps) {
  const { chat, config, conversations: tools } = deps;

  /** The conversation the page shows, from the URL htmx sends with each request (any text at all). */
  const onScreenId = (request: Request): string | null => {
    const url = request.headers.get('hx-current-url') ?? '';
    const path = URL.canParse(url) ? new URL(url).pathname : '';
    return /^\/c\/([0-9a-f-]{36})\/?$/i.exec(path)?.[1] ?? null;
  };

  const renderPage = async (principal: Principal, current: Conversation | null) => {
    const userId = principal.user.id;
    const [shell, messages] = await Promise.all([
      shellData(deps, principal),
      current ? chat.messages(userId, current.id).then((r) => r.messages) : Promise.resolve([]),
    ]);
    // Written here or, in a fleet on one database, by another instance: either way it can be followed.
    const live = new Set(messages.filter((m) => chat.isLive(userId, m)).map((m) => m.id));
    return (
      <ChatPage
        {...shell}
        current={current}
        messages={messages}
        maxMessageChars={config.maxMessageChars}
        liveMessageIds={live}
      />
    );
  };

  const listHtml = async (userId: string, currentId: string) =>
    (await (<ConversationList conversations={await chat.listConversations(userId)} currentId={currentId} />)) as string;

  /**
   * The fragments that finish an answer: the stored message as a reload would render it. When the
   * database is away (the final write waits to be retried), the answer as this instance holds it.
   */
  const finalFragments = async (live: Live) => {
    await live.finished();
    let stored: Message | null;
    try {
      stored = await deps.repo.getMessage(live.messageId);
    } catch (error) {
      deps.logger.warn('could not read the stored answer; showing it as written', { error: error as Error });
      stored = null;
    }
    if ((!stored || stored.status === 'streaming') && live.generation) stored = asWritten(live.generation) ?? stored;
    return stored
      ? partial(`#m-${live.messageId}`, 'outerHTML', (await (<MessageView message={stored} />)) as string) +
          partial('#announcer', 'innerHTML', Html.escapeHtml(answerAnnouncement(stored)))
      : '';
  };

  /**
   * While an answer is written, its Markdown is rendered (sanitised) again and replaces the bubble's
   * content: at most every 50 ms, so that a fast model does not send the whole answer per token.
   * Citations are links, numbered in order of first citation, from the first word on: the
   * passages are known before it (when this instance writes the answer); the sources panel is
   * sent again whenever a new one is cited. The last event is the stored message, rendered the
   * way a reload renders it.
   */
  async function* answerEvents(live: Live): AsyncGenerator<string> {
    const { messageId } = live;
    let text = '';
    let sent = '';
    let last = 0;
    let passages: Source[] = [];
    let citedKey = '';
    const render = async () => {
      sent = text;
      let html = partial(`#answer-${messageId}`, 'innerHTML', renderAnswer(text, messageId, passages));
      const key = [...citationNumbers(text, passages).keys()].join(',');
      if (key !== citedKey) {
        citedKey = key;
        const panel = (await (<SourcesPanel messageId={messageId} sources={passages} text={text} />)) as string;
        html += partial(`#sources-${messageId}`, 'innerHTML', panel);
      }
      return sseEvent(html);
    };
    for await (const event of live.events) {
      if (event.type === 'passages') {
        passages = event.sources;
      } else if (event.type === 'token') {
        text += event.text;
        if (performance.now() - last < RENDER_INTERVAL_MS) continue;
        last = performance.now();
        yield await render();
      } else if (event.type === 'done' || event.type === 'error') {
        if (sent !== text) yield await render();
        yield sseEvent(await finalFragments(live));
      }
    }
  }

  /**
   * A question's stream: its bubble and the answer's, the side list and title, then the answer.
   * `replaced` names the messages a regenerate or an edit removed: their bubbles go first.
   */
  async function* askEvents(started: StartedAnswer, replaced: readonly string[] = []): AsyncGenerator<string> {
    const { conversation, userMessage, generation } = started;
    yield sseEvent(
      replaced.map((id) => partial(`#m-${id}`, 'delete', '')).join('') +
        // A new conversation gets its tools; an open one keeps them (the regenerate button may be
        // the element this stream belongs to, and replacing it would end the stream).
        (started.isNewConversation
          ? partial(
              '#conversation-tools',
              'outerHTML',
              (await (<ConversationToolbar conversation={conversation} />)) as string,
            )
          : '') +
        ((await (<UserBubble id={userMessage.id} text={userMessage.content} />)) as string) +
        ((await (<AssistantBubble id={generation.messageId} />)) as string) +
        partial('#conversation-id', 'outerHTML', (await (<ConversationIdInput id={conversation.id} />)) as string) +
        partial('#conversation-list', 'innerHTML', await listHtml(conversation.userId, conversation.id)) +
        partial('#chat-title', 'innerHTML', Html.escapeHtml(conversation.title)) +
        partial('#empty-state', 'delete', ''),
    );
    // The page's URL follows the conversation, so a reload (or a shared link) reopens it.
    yield sseEvent(conversation.id, 'ragchat:conversation');
    yield* answerEvents(liveOf(generation));
  }

  const streamAnswer = (events: AsyncGenerator<string>) =>
    sseResponse(events, {
      heartbeatMs: config.heartbeatMs,
      onError: (error) => deps.logger.error('page stream failed', { error: error as Error }),
    });

  return new Elysia({ name: 'chat-page-routes' })
    .use(routeRules(deps))
    .get('/', async ({ principal, set }) => {
      set.headers['content-type'] = HTML_TYPE;
      return renderPage(principal, null);
    })
    .get('/c/:id', async ({ principal, params, set }) => {
      const current = await chat.conversationFor(principal.user.id, params.id);
      set.headers['content-type'] = HTML_TYPE;
      return renderPage(principal, current);
    })
    .delete('/c/:id', async ({ principal, params, request, set }) => {
      await chat.deleteConversation(principal.user.id, params.id);
      // Deleting the conversation on screen leaves nothing to show: go to a new one.
      const onScreen = request.headers.get('hx-current-url') ?? '';
      if (onScreen.includes(`/c/${params.id}`)) set.headers['hx-redirect'] = '/';
      set.headers['content-type'] = HTML_TYPE;
      return '';
    })
    .post(
      '/chat/messages',
      async ({ principal, body }) => {
        const form = (body ?? {}) as Record<string, unknown>;
        // With `editOf`, the composer resends an edited question in place of that one.
        if (form.editOf) {
          const edited = await tools.editAndResend(principal, form.editOf, form.message);
          return streamAnswer(askEvents(edited, edited.replaced));
        }
        const started = await chat.ask(principal, {
          message: form.message,
          conversationId: form.conversationId,
        });
        return streamAnswer(askEvents(started));
      },
      { rateLimit: 'chat' },
    )
    .post('/c/:id/regenerate', async ({ principal, params }) => {
      const again = await tools.regenerate(principal, params.id);
      return streamAnswer(askEvents(again, again.replaced));
    })
    .get('/chat/conversations', async ({ principal, query, request, set }) => {
      const userId = principal.user.id;
      const found = await tools.search(userId, query.q);
      set.headers['content-type'] = HTML_TYPE;
      const search = typeof query.q === 'string' ? query.q.trim() : '';
      return <ConversationList conversations={found} currentId={onScreenId(request)} search={search || undefined} />;
    })
    .patch('/c/:id', async ({ principal, body, params, request, set }) => {
      const form = (body ?? {}) as Record<string, unknown>;
      const renamed = await tools.rename(principal.user.id, params.id, form.title);
      set.headers['content-type'] = HTML_TYPE;
      const current = onScreenId(request);
      return (
        ((await ConversationItem(renamed, current)) as string) +
        (current === renamed.id ? partial('#chat-title', 'innerHTML', Html.escapeHtml(renamed.title)) : '')
      );
    })
    .put('/chat/messages/:id/feedback', async ({ principal, body, params, set }) => {
      const form = (body ?? {}) as Record<string, unknown>;
      // The page's forms send an empty rating to take it back.
      const rated = await tools.rate(principal.user.id, params.id, {
        rating: form.rating === '' ? null : form.rating,
        comment: form.comment,
      });
      set.headers['content-type'] = HTML_TYPE;
      return <Feedback message={rated} justSaved />;
    })
    .get('/chat/messages/:id/stream', async ({ principal, params, set }) => {
      const userId = principal.user.id;
      const followed = await chat.follow(userId, params.id);
      if (!followed) {
        set.status = 404;
        set.headers['content-type'] = HTML_TYPE;
        return <Notice message={t('error.answer.notFound')} />;
      }
      if (followed.kind === 'stored') {
        // Finished meanwhile: send the stored message in one event (only to its owner).
        const stored = followed.message;
        return sseResponse(
          (async function* () {
            // Never a live bubble here: that would re-attach, and loop, to a stream that is gone.
            yield sseEvent(
              partial(`#m-${stored.id}`, 'outerHTML', (await (<MessageView message={stored} />)) as string),
            );
          })(),
          { heartbeatMs: config.heartbeatMs },
        );
      }
      return sseResponse(answerEvents(followed), { heartbeatMs: config.heartbeatMs });
    })
    .post('/chat/messages/:id/stop', async ({ principal, params, set }) => {
      await chat.stop(principal.user.id, params.id);
      set.status = 204;
      return '';
    });
}
