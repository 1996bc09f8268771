import Html from '@kitajs/html';
import { Elysia } from 'elysia';
import {
  AssistantBubble,
  answerAnnouncement,
  ChatPage,
  ConversationIdInput,
  ConversationList,
  citationNumbers,
  MessageView,
  Notice,
  renderAnswer,
  SourcesPanel,
  UserBubble,
} from '../../views/chat.tsx';
import { principalOf } from '../auth/request-auth.ts';
import type { AppDeps } from '../deps.ts';
import type { Conversation, Principal, Source } from '../domain.ts';
import type { StartedAnswer } from './chat-service.ts';
import type { Generation } from './generation.ts';
import { shellData } from './shell-data.ts';
import { sseEvent, sseResponse } from './sse.ts';

const HTML_TYPE = 'text/html; charset=utf-8';
const RENDER_INTERVAL_MS = 50;

/** `<hx-partial>` updates a region other than the request's target (htmx 4). */
function partial(target: string, swap: string, html: string): string {
  return `<hx-partial hx-target="${Html.escapeHtml(target)}" hx-swap="${swap}">${html}</hx-partial>`;
}

/** The chat page and the hypermedia endpoints behind it. */
export function pageRoutes(deps: AppDeps) {
  const { chat, config } = deps;

  const renderPage = async (principal: Principal, current: Conversation | null) => {
    const userId = principal.user.id;
    const [shell, messages] = await Promise.all([
      shellData(deps, principal),
      current ? chat.messages(userId, current.id).then((r) => r.messages) : Promise.resolve([]),
    ]);
    const live = new Set(
      messages.filter((m) => m.status === 'streaming' && chat.activeGeneration(userId, m.id)).map((m) => m.id),
    );
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

  /** The fragments that finish an answer: the stored message as a reload would render it. */
  const finalFragments = async (g: Generation) => {
    await g.finished;
    const stored = await deps.repo.getMessage(g.messageId);
    return stored
      ? partial(`#m-${g.messageId}`, 'outerHTML', (await (<MessageView message={stored} />)) as string) +
          partial('#announcer', 'innerHTML', Html.escapeHtml(answerAnnouncement(stored)))
      : '';
  };

  /**
   * While an answer is written, its Markdown is rendered (sanitised) again and replaces the bubble's
   * content: at most every 50 ms, so that a fast model does not send the whole answer per token.
   * Citations are links, numbered in order of first citation, from the first word on: the
   * passages are known before it; the sources panel is sent again whenever a new one is cited.
   * The last event is the stored message, rendered the way a reload renders it.
   */
  async function* answerEvents(g: Generation): AsyncGenerator<string> {
    let text = '';
    let sent = '';
    let last = 0;
    let passages: Source[] = [];
    let citedKey = '';
    const render = async () => {
      sent = text;
      let html = partial(`#answer-${g.messageId}`, 'innerHTML', renderAnswer(text, g.messageId, passages));
      const key = [...citationNumbers(text, passages).keys()].join(',');
      if (key !== citedKey) {
        citedKey = key;
        const panel = (await (<SourcesPanel messageId={g.messageId} sources={passages} text={text} />)) as string;
        html += partial(`#sources-${g.messageId}`, 'innerHTML', panel);
      }
      return sseEvent(html);
    };
    for await (const event of g.follow()) {
      if (event.type === 'passages') {
        passages = event.sources;
      } else if (event.type === 'token') {
        text += event.text;
        if (performance.now() - last < RENDER_INTERVAL_MS) continue;
        last = performance.now();
        yield await render();
      } else if (event.type === 'done' || event.type === 'error') {
        if (sent !== text) yield await render();
        yield sseEvent(await finalFragments(g));
      }
    }
  }

  async function* askEvents(started: StartedAnswer): AsyncGenerator<string> {
    const { conversation, userMessage, generation } = started;
    yield sseEvent(
      ((await (<UserBubble id={userMessage.id} text={userMessage.content} />)) as string) +
        ((await (<AssistantBubble id={generation.messageId} />)) as string) +
        partial('#conversation-id', 'outerHTML', (await (<ConversationIdInput id={conversation.id} />)) as string) +
        partial('#conversation-list', 'innerHTML', await listHtml(conversation.userId, conversation.id)) +
        partial('#chat-title', 'innerHTML', Html.escapeHtml(conversation.title)) +
        partial('#empty-state', 'delete', ''),
    );
    // The page's URL follows the conversation, so a reload (or a shared link) reopens it.
    yield sseEvent(conversation.id, 'ragchat:conversation');
    yield* answerEvents(generation);
  }

  return new Elysia()
    .get('/', async ({ request, set }) => {
      set.headers['content-type'] = HTML_TYPE;
      return renderPage(principalOf(request), null);
    })
    .get('/c/:id', async ({ params, request, set }) => {
      const principal = principalOf(request);
      const current = await chat.conversationFor(principal.user.id, params.id);
      set.headers['content-type'] = HTML_TYPE;
      return renderPage(principal, current);
    })
    .delete('/c/:id', async ({ params, request, set }) => {
      await chat.deleteConversation(principalOf(request).user.id, params.id);
      // Deleting the conversation on screen leaves nothing to show: go to a new one.
      const onScreen = request.headers.get('hx-current-url') ?? '';
      if (onScreen.includes(`/c/${params.id}`)) set.headers['hx-redirect'] = '/';
      set.headers['content-type'] = HTML_TYPE;
      return '';
    })
    .post('/chat/messages', async ({ body, request }) => {
      const form = (body ?? {}) as Record<string, unknown>;
      const started = await chat.ask(principalOf(request), {
        message: form.message,
        conversationId: form.conversationId,
      });
      return sseResponse(askEvents(started), {
        heartbeatMs: config.heartbeatMs,
        onError: (error) => deps.logger.error('page stream failed', { error: error as Error }),
      });
    })
    .get('/chat/messages/:id/stream', async ({ params, request, set }) => {
      const userId = principalOf(request).user.id;
      const g = chat.activeGeneration(userId, params.id);
      if (!g) {
        // Finished meanwhile: send the stored message in one event (only to its owner).
        const stored = await chat.messageFor(userId, params.id);
        if (!stored) {
          set.status = 404;
          set.headers['content-type'] = HTML_TYPE;
          return <Notice message="That answer was not found." />;
        }
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
      return sseResponse(answerEvents(g), { heartbeatMs: config.heartbeatMs });
    })
    .post('/chat/messages/:id/stop', async ({ params, request, set }) => {
      await chat.stop(principalOf(request).user.id, params.id);
      set.status = 204;
      return '';
    });
}
