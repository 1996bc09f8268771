import type { Conversation, Message, Principal, Source } from '../src/domain.ts';
import { originalUrl } from '../src/rag/rag-orchestrator.ts';
import { AccountLinks } from './account.tsx';
import {
  AnswerActions,
  ConversationSearch,
  ConversationToolbar,
  EditingNote,
  EditQuestionButton,
  GroupedConversations,
  RenameControls,
} from './conversation-tools.tsx';
import { Layout } from './layout.tsx';
import { renderMarkdown } from './markdown.ts';

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

const SUGGESTIONS = [
  'How do I start ragchat on my laptop?',
  'How are answers streamed to the browser?',
  'What does the offline mode do?',
  'How do I add my own documents?',
];

export function ChatPage(p: ChatPageProps): JSX.Element {
  return (
    <Layout title={p.current ? `${p.current.title} · ragchat` : 'ragchat'}>
      <div class="app">
        <aside class="sidebar" aria-label="Conversations">
          <div class="sidebar-head">
            <a class="brand" href="/">
              ragchat
            </a>
            <a class="new-chat" href="/" title="Start a new conversation">
              + New chat
            </a>
          </div>
          <ConversationSearch />
          <nav id="conversation-list" class="conversation-list">
            <ConversationList conversations={p.conversations} currentId={p.current?.id ?? null} />
          </nav>
          <footer class="sidebar-foot">
            <a class="docs-link" href="/docs">
              Documents
            </a>
            <AccountLinks principal={p.principal} accounts={p.accounts} />
            <ModeBadge offline={p.offline} model={p.model} />
          </footer>
        </aside>
        <main class="chat">
          <header class="chat-head">
            <h1 id="chat-title" safe>
              {p.current?.title ?? 'New conversation'}
            </h1>
            <ConversationToolbar conversation={p.current} />
          </header>
          <section id="messages" class="messages" aria-live="polite">
            {p.messages.length === 0 ? (
              <EmptyState />
            ) : (
              p.messages.map((m) => <MessageView message={m} live={p.liveMessageIds?.has(m.id) ?? false} />)
            )}
          </section>
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
            <label for="message" class="visually-hidden">
              Your question
            </label>
            <textarea
              id="message"
              name="message"
              rows="1"
              maxlength={String(p.maxMessageChars)}
              placeholder="Ask a question about your documents…"
              autofocus
              required
            ></textarea>
            <button id="send" type="submit" class="send" title="Send (Enter)">
              Send
            </button>
          </form>
          <p class="hint">Enter sends · Shift+Enter adds a line · answers cite their sources as [n]</p>
        </main>
      </div>
    </Layout>
  );
}

export function ConversationIdInput({ id }: { id: string }): JSX.Element {
  return <input type="hidden" id="conversation-id" name="conversationId" value={id} />;
}

export function ModeBadge({ offline, model }: { offline: boolean; model: string }): JSX.Element {
  return offline ? (
    <p
      class="mode offline"
      title="No language model is configured: answers quote the most relevant sentences of your documents."
    >
      Offline mode · answers quote your documents
    </p>
  ) : (
    <p class="mode online" safe>
      {`Model: ${model}`}
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
  if (conversations.length === 0 && !search) return <p class="empty-list">No conversations yet.</p>;
  return (
    <GroupedConversations conversations={conversations} currentId={currentId} search={search} item={ConversationItem} />
  );
}

export function ConversationItem(c: Conversation, currentId: string | null): JSX.Element {
  return (
    <li class={c.id === currentId ? 'active' : undefined} id={`conv-${c.id}`}>
      <a href={`/c/${c.id}`} title={c.title} safe>
        {c.title}
      </a>
      <RenameControls conversation={c} />
      <button
        type="button"
        class="delete"
        hx-delete={`/c/${c.id}`}
        hx-confirm="Delete this conversation?"
        hx-target="closest li"
        hx-swap="delete"
        aria-label={`Delete conversation: ${c.title}`}
        title="Delete"
      >
        ×
      </button>
    </li>
  );
}

function EmptyState(): JSX.Element {
  return (
    <div class="empty-state" id="empty-state">
      <h2>Ask your documents</h2>
      <p>Answers are written from the documents you ingested, with numbered sources you can check.</p>
      <div class="suggestions">
        {SUGGESTIONS.map((q) => (
          <button type="button" class="suggestion" data-question={q} safe>
            {q}
          </button>
        ))}
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
            <span class="badge stopped">
              This answer is still being written. Reload the page in a moment to see it.
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
        <SourcesPanel messageId={message.id} sources={message.sources} searchQuery={message.searchQuery} />
      </div>
    </article>
  );
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
    <article class="msg assistant streaming" id={`m-${id}`}>
      {resume ? (
        <div hidden hx-get={`/chat/messages/${id}/stream`} hx-trigger="load" hx-target="this" hx-swap="beforeend"></div>
      ) : (
        ''
      )}
      <div class="bubble">
        <div class="answer" id={`answer-${id}`}></div>
        <div class="status" id={`status-${id}`}>
          <span class="typing" role="status" aria-label="Writing">
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
  if (message.latencyMs !== null) parts.push(`${(message.latencyMs / 1000).toFixed(1)} s`);
  return (
    <div class="status">
      {message.status === 'stopped' ? <span class="badge stopped">Stopped</span> : ''}
      {message.status === 'failed' ? (
        <span class="badge failed" role="alert" safe>
          {message.error ?? 'The answer could not be completed.'}
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
      title="Stop the answer; what is written so far is kept"
    >
      Stop
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
  searchQuery = null,
}: {
  messageId: string;
  sources: Source[];
  /** The standalone question a follow-up was rewritten to, shown so the reader sees what was searched. */
  searchQuery?: string | null;
}): JSX.Element {
  if (sources.length === 0 && !searchQuery) return '';
  const cited = sources.filter((s) => s.cited);
  const others = sources.filter((s) => !s.cited);
  return (
    <section class="sources" aria-label="Sources">
      {searchQuery ? (
        <p class="search-query">
          Searched for: <q safe>{searchQuery}</q>
        </p>
      ) : (
        ''
      )}
      {cited.length > 0 ? (
        <>
          <h3 class="sources-title" safe>{`Sources · ${cited.length} cited`}</h3>
          <SourceList messageId={messageId} sources={cited} />
        </>
      ) : (
        ''
      )}
      {others.length > 0 ? (
        <details class="more-sources" open={cited.length === 0}>
          <summary safe>
            {cited.length > 0
              ? `${others.length} more retrieved, not cited`
              : `${others.length} passages retrieved, none cited`}
          </summary>
          <SourceList messageId={messageId} sources={others} />
        </details>
      ) : (
        ''
      )}
    </section>
  );
}

function SourceList({ messageId, sources }: { messageId: string; sources: Source[] }): JSX.Element {
  return (
    <ol>
      {sources.map((s) => (
        <li id={`src-${messageId}-${s.id}`} class={s.cited ? 'source cited' : 'source'}>
          <div class="source-head">
            <span class="num" safe>{`[${s.id}]`}</span>
            <a
              class="title"
              href={s.url ?? originalUrl(s.documentId, s.location)}
              target="_blank"
              rel="noopener"
              title="Open the original at this passage"
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
              <summary class="snippet" safe>
                {s.snippet}
              </summary>
              <p class="passage-text" safe>
                {s.text}
              </p>
            </details>
          ) : (
            <p class="snippet" safe>
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

/** A message a person can act on, shown where the answer would have gone. */
export function Notice({ message, kind = 'error' }: { message: string; kind?: 'error' | 'info' }): JSX.Element {
  return (
    <div class={`notice ${kind}`} role="alert" safe>
      {message}
    </div>
  );
}

/**
 * Renders the answer's Markdown, sanitised, with `[n]` linked to source n of this message, but only
 * when n is a passage the model was given: a made-up citation stays plain text.
 */
export function renderAnswer(text: string, messageId: string, sources: Source[]): string {
  const known = new Set(sources.map((s) => s.id));
  return renderMarkdown(text, (n) => (known.has(n) ? `#src-${messageId}-${n}` : null));
}
