import Html from '@kitajs/html';
import type { Conversation, Message, Principal, Source } from '../src/domain.ts';
import { t, tr } from '../src/i18n/request-locale.ts';
import type { MessageKey } from '../src/i18n/translator.ts';
import { originalUrl } from '../src/rag/rag-orchestrator.ts';
import {
  AnswerActions,
  ConversationToolbar,
  EditingNote,
  EditQuestionButton,
  GroupedConversations,
  RenameControls,
} from './conversation-tools.tsx';
import { UploadQueue } from './docs.tsx';
import { renderMarkdown } from './markdown.ts';
import { AppShell } from './shell.tsx';

/**
 * The chat page and every fragment it is updated with: the page renders them on load, and the
 * SSE stream sends the same fragments, so a reload looks exactly like the live view.
 */

export interface ChatPageProps {
  principal: Principal;
  /** Accounts are on (AUTH_MODE=password): show who is logged in, with log out. */
  accounts: boolean;
  conversations: Conversation[];
  current: Conversation | null;
  messages: Message[];
  offline: boolean;
  model: string;
  maxMessageChars: number;
  /** Ids of answers this server is writing right now; the page re-attaches to them. */
  liveMessageIds?: ReadonlySet<string>;
}

const SUGGESTIONS: MessageKey[] = [
  'chat.suggestion.start',
  'chat.suggestion.stream',
  'chat.suggestion.offline',
  'chat.suggestion.documents',
];

export function ChatPage(p: ChatPageProps): JSX.Element {
  return (
    <AppShell
      principal={p.principal}
      accounts={p.accounts}
      conversations={p.conversations}
      offline={p.offline}
      model={p.model}
      title={p.current?.title ?? 'ragchat'}
      heading={p.current?.title ?? t('chat.newConversation')}
      headingId="chat-title"
      section="chat"
      currentConversationId={p.current?.id ?? null}
      mainClass="chat"
      actions={
        <>
          <ConversationToolbar conversation={p.current} />
          <a class="icon-button new-chat-icon" href="/" aria-label={t('chat.newChat')} title={t('chat.newChat')}>
            +
          </a>
        </>
      }
    >
      {/* Not a live region itself: a screen reader would read every word as it streams. The
          finished answer is announced once, through #announcer. */}
      <section id="messages" class="messages" tabindex="0" aria-label={t('chat.conversation')}>
        {p.messages.length === 0 ? (
          <EmptyState />
        ) : (
          p.messages.map((m) => <MessageView message={m} live={p.liveMessageIds?.has(m.id) ?? false} />)
        )}
      </section>
      <div id="announcer" class="visually-hidden" role="status" aria-live="polite"></div>
      {/* Admins can drop files on the conversation: they go to the documents, as on /docs. */}
      {p.principal.user.role === 'admin' ? (
        <div class="chat-uploads" data-drop-upload data-upload-url="/docs/upload">
          <UploadQueue />
        </div>
      ) : (
        ''
      )}
      <form
        id="composer"
        class="composer"
        hx-post="/chat/messages"
        hx-target="#messages"
        hx-swap="beforeend"
        hx-disable="#send"
      >
        <ConversationIdInput id={p.current?.id ?? ''} />
        <EditingNote />
        <label for="message" class="visually-hidden" safe>
          {t('chat.yourQuestion')}
        </label>
        <textarea
          id="message"
          name="message"
          rows="1"
          maxlength={String(p.maxMessageChars)}
          placeholder={t('chat.placeholder')}
          autofocus
          required
        ></textarea>
        <button id="send" type="submit" class="button primary send" title={t('chat.sendTitle')} safe>
          {t('chat.send')}
        </button>
      </form>
      <p class="composer-hint" safe>
        {t('chat.hint')}
      </p>
    </AppShell>
  );
}

export function ConversationIdInput({ id }: { id: string }): JSX.Element {
  return <input type="hidden" id="conversation-id" name="conversationId" value={id} />;
}

export function ModeBadge({ offline, model }: { offline: boolean; model: string }): JSX.Element {
  return offline ? (
    <p class="mode offline" title={t('mode.offlineTitle')} safe>
      {t('mode.offline')}
    </p>
  ) : (
    <p class="mode online" safe>
      {t('mode.online', { model })}
    </p>
  );
}

export function ConversationList({
  conversations,
  currentId,
  search,
}: {
  conversations: Conversation[];
  currentId: string | null;
  /** The search these conversations were found by, when the list shows results. */
  search?: string;
}): JSX.Element {
  if (conversations.length === 0 && !search) {
    return (
      <p class="empty-list" safe>
        {t('chat.noConversations')}
      </p>
    );
  }
  return (
    <GroupedConversations conversations={conversations} currentId={currentId} search={search} item={ConversationItem} />
  );
}

/** A conversation asked from another tool is marked, quietly, with where it came from. */
const ORIGIN_LABELS = { openai: 'OpenAI', mcp: 'MCP' } as const;
const ORIGIN_TITLES = {
  openai: 'Asked from an OpenAI-compatible client (/v1/chat/completions)',
  mcp: 'Asked by an MCP client (the ask tool)',
} as const;

export function ConversationItem(c: Conversation, currentId: string | null): JSX.Element {
  return (
    <li class={c.id === currentId ? 'active' : undefined} id={`conv-${c.id}`}>
      <a href={`/c/${c.id}`} title={c.title} safe>
        {c.title}
      </a>
      {c.origin === 'ragchat' ? null : (
        <span class="origin" title={ORIGIN_TITLES[c.origin]}>
          {ORIGIN_LABELS[c.origin]}
        </span>
      )}
      <RenameControls conversation={c} />
      <button
        type="button"
        class="delete"
        hx-delete={`/c/${c.id}`}
        hx-confirm={t('chat.deleteConfirm')}
        hx-target="closest li"
        hx-swap="delete"
        aria-label={t('chat.deleteLabel', { title: c.title })}
        title={t('chat.delete')}
      >
        ×
      </button>
    </li>
  );
}

function EmptyState(): JSX.Element {
  return (
    <div class="empty-state" id="empty-state">
      <h2 safe>{t('chat.emptyHeading')}</h2>
      <p safe>{t('chat.emptyText')}</p>
      <div class="suggestions">
        {SUGGESTIONS.map((key) => {
          const q = t(key);
          return (
            <button type="button" class="suggestion" data-question={q} safe>
              {q}
            </button>
          );
        })}
      </div>
    </div>
  );
}

/**
 * One stored message. An answer still `streaming` re-attaches to its live stream when this server
 * is writing it (`live`); otherwise (another instance writes it, or its writer died) it says so
 * instead, so a page never polls for a stream that will not come.
 */
export function MessageView({ message, live = false }: { message: Message; live?: boolean }): JSX.Element {
  if (message.role === 'user') return <UserBubble id={message.id} text={message.content} />;
  if (message.status === 'streaming' && live) return <AssistantBubble id={message.id} resume />;
  if (message.status === 'streaming') {
    return (
      <article class="msg assistant pending" id={`m-${message.id}`}>
        <div class="bubble">
          <div class="answer" safe>
            {message.content}
          </div>
          <div class="status">
            <span class="badge stopped" safe>
              {t('answer.stillWriting')}
            </span>
          </div>
        </div>
      </article>
    );
  }
  return (
    <article class={`msg assistant ${message.status}`} id={`m-${message.id}`}>
      <div class="bubble">
        <div class="answer" id={`answer-${message.id}`}>
          {renderAnswer(message.content, message.id, message.sources) as 'safe'}
        </div>
        <MessageStatusLine message={message} />
        <AnswerActions message={message} />
      </div>
      <div id={`sources-${message.id}`}>
        <SourcesPanel
          messageId={message.id}
          sources={message.sources}
          text={message.content}
          searchQuery={message.searchQuery}
        />
      </div>
    </article>
  );
}

/**
 * What a screen reader hears once an answer ends (the live region #announcer), instead of every
 * word as it streams: the answer as plain text, without Markdown marks or citation numbers.
 */
export function answerAnnouncement(message: Pick<Message, 'status' | 'content' | 'error'>): string {
  const text = message.content
    .replace(/\[\d{1,3}\]/g, '')
    .replace(/^\s{0,3}(?:#{1,6}|[-*+]|\d+\.)\s+/gm, '')
    .replace(/[*_`~]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (message.status === 'failed') return t('announce.failed', { error: message.error ?? t('announce.failedUnknown') });
  if (message.status === 'stopped') return t('announce.stopped', { text });
  return t('announce.done', { text });
}

export function UserBubble({ id, text }: { id: string; text: string }): JSX.Element {
  return (
    <article class="msg user" id={`m-${id}`}>
      <div class="bubble" safe>
        {text}
      </div>
      <EditQuestionButton id={id} text={text} />
    </article>
  );
}

/**
 * The answer while it is written: fragments are appended to `#answer-{id}`. With `resume` (a page
 * loaded while the answer is still being written) it re-attaches to the live stream.
 */
export function AssistantBubble({ id, resume = false }: { id: string; resume?: boolean }): JSX.Element {
  return (
    <article class="msg assistant streaming" id={`m-${id}`} aria-busy="true">
      {resume ? (
        <div hidden hx-get={`/chat/messages/${id}/stream`} hx-trigger="load" hx-target="this" hx-swap="beforeend"></div>
      ) : (
        ''
      )}
      <div class="bubble">
        <div class="answer" id={`answer-${id}`}></div>
        <div class="status" id={`status-${id}`}>
          <span class="typing" role="status" aria-label={t('answer.writing')}>
            <i></i>
            <i></i>
            <i></i>
          </span>
          <StopButton messageId={id} />
        </div>
      </div>
      <div id={`sources-${id}`}></div>
    </article>
  );
}

export function MessageStatusLine({
  message,
}: {
  message: Pick<Message, 'status' | 'model' | 'latencyMs' | 'error'>;
}): JSX.Element {
  const parts: string[] = [];
  if (message.model) parts.push(message.model);
  if (message.latencyMs !== null) {
    const seconds = tr().number(message.latencyMs / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    parts.push(t('answer.seconds', { seconds }));
  }
  return (
    <div class="status">
      {message.status === 'stopped' ? (
        <span class="badge stopped" safe>
          {t('answer.stopped')}
        </span>
      ) : (
        ''
      )}
      {message.status === 'failed' ? (
        <span class="badge failed" role="alert" safe>
          {message.error ?? t('answer.failed')}
        </span>
      ) : (
        ''
      )}
      <span class="meta" safe>
        {parts.join(' · ')}
      </span>
    </div>
  );
}

export function StopButton({ messageId }: { messageId: string }): JSX.Element {
  return (
    <button
      type="button"
      class="stop"
      hx-post={`/chat/messages/${messageId}/stop`}
      hx-swap="none"
      title={t('answer.stopTitle')}
      safe
    >
      {t('answer.stop')}
    </button>
  );
}

/**
 * Cited passages in view, the other retrieved passages folded away under them: the reader checks
 * what the answer relies on first, and can still see what else was found.
 */
export function SourcesPanel({
  messageId,
  sources,
  text,
  searchQuery = null,
}: {
  messageId: string;
  sources: Source[];
  /** The answer (so far): cited sources are numbered 1..n in the order it first cites them. */
  text: string;
  /** The standalone question a follow-up was rewritten to, shown so the reader sees what was searched. */
  searchQuery?: string | null;
}): JSX.Element {
  if (sources.length === 0 && !searchQuery) return '';
  const numbers = citationNumbers(text, sources);
  const cited = sources
    .filter((s) => numbers.has(s.id))
    .sort((a, b) => (numbers.get(a.id) ?? 0) - (numbers.get(b.id) ?? 0));
  const others = sources.filter((s) => !numbers.has(s.id));
  return (
    <section class="sources" aria-label={t('sources.label')}>
      {searchQuery ? (
        <p class="search-query">
          {Html.escapeHtml(t('sources.searchedFor'))} <q safe>{searchQuery}</q>
        </p>
      ) : (
        ''
      )}
      {cited.length > 0 ? (
        <>
          <h2 class="sources-title" safe>
            {t('sources.cited', { count: cited.length })}
          </h2>
          <SourceList messageId={messageId} sources={cited} numbers={numbers} />
        </>
      ) : (
        ''
      )}
      {others.length > 0 ? (
        <details class="more-sources" open={cited.length === 0}>
          <summary safe>
            {t(cited.length > 0 ? 'sources.moreNotCited' : 'sources.noneCited', { count: others.length })}
          </summary>
          <SourceList messageId={messageId} sources={others} numbers={numbers} />
        </details>
      ) : (
        ''
      )}
    </section>
  );
}

function SourceList({
  messageId,
  sources,
  numbers,
}: {
  messageId: string;
  sources: Source[];
  numbers: Map<number, number>;
}): JSX.Element {
  return (
    <ol>
      {sources.map((s) => (
        <li id={`src-${messageId}-${s.id}`} class={numbers.has(s.id) ? 'source cited' : 'source'}>
          <div class="source-head">
            {numbers.has(s.id) ? <span class="num" safe>{`[${numbers.get(s.id)}]`}</span> : ''}
            <a
              class="title"
              href={s.url ?? originalUrl(s.documentId, s.location, s.source)}
              target="_blank"
              rel="noopener"
              title={t('sources.openOriginal')}
              safe
            >
              {s.title}
            </a>
            {s.location ? (
              <span class="location" safe>
                {s.location}
              </span>
            ) : (
              ''
            )}
          </div>
          {s.text && s.text.replace(/\s+/g, ' ').trim() !== s.snippet ? (
            <details class="passage">
              <summary class="snippet" id={`snip-${messageId}-${s.id}`} safe>
                {s.snippet}
              </summary>
              {/* The same Markdown renderer and sanitiser as answers: a document's markup is text. */}
              <div class="passage-text">{renderMarkdown(s.text, () => null) as 'safe'}</div>
            </details>
          ) : (
            <p class="snippet" id={`snip-${messageId}-${s.id}`} safe>
              {s.snippet}
            </p>
          )}
          <p class="path" safe>
            {s.source}
          </p>
        </li>
      ))}
    </ol>
  );
}

/** Success and warning look different: "added" is good news, "nothing to do" is not a problem. */
export type NoticeKind = 'error' | 'warning' | 'success' | 'info';

/** A message a person can act on, shown where the answer would have gone. */
export function Notice({ message, kind = 'error' }: { message: string; kind?: NoticeKind }): JSX.Element {
  return (
    <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'} safe>
      {message}
    </div>
  );
}

/**
 * The number each cited source is shown with: 1..n in the order the answer first cites them, so
 * an answer citing passages 3 and 1 of the prompt reads [1], [2], with no gap and no jump. Only
 * passages the model was given count; a made-up `[9]` gets no number.
 */
export function citationNumbers(text: string, sources: Source[]): Map<number, number> {
  const known = new Set(sources.map((s) => s.id));
  const numbers = new Map<number, number>();
  for (const match of text.matchAll(/\[(\d{1,3})\]/g)) {
    const id = Number(match[1]);
    if (known.has(id) && !numbers.has(id)) numbers.set(id, numbers.size + 1);
  }
  return numbers;
}

/**
 * Renders the answer's Markdown, sanitised, with `[n]` linked to source n of this message (shown
 * with its number in order of first citation), but only when n is a passage the model was given:
 * a made-up citation stays plain text. The same while it streams and once it is stored.
 */
export function renderAnswer(text: string, messageId: string, sources: Source[]): string {
  const numbers = citationNumbers(text, sources);
  return renderMarkdown(text, (n) => {
    const label = numbers.get(n);
    return label ? { href: `#src-${messageId}-${n}`, label, describedBy: `snip-${messageId}-${n}` } : null;
  });
}
