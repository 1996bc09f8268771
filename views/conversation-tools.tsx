import Html from '@kitajs/html';
import { type DateGroup, groupByDate } from '../src/chat/conversation-groups.ts';
import { MAX_COMMENT_CHARS, MAX_SEARCH_CHARS, MAX_TITLE_CHARS } from '../src/chat/conversation-tools.ts';
import type { Conversation, Message } from '../src/domain.ts';
import { t } from '../src/i18n/request-locale.ts';
import type { MessageKey } from '../src/i18n/translator.ts';

/** The side list's date headings, by the group conversation-groups.ts puts a conversation in. */
const DATE_GROUP_LABELS: Record<DateGroup, MessageKey> = {
  Today: 'convs.today',
  Yesterday: 'convs.yesterday',
  'Last 7 days': 'convs.lastWeek',
  Older: 'convs.older',
};

/**
 * The chat page's conversation tools: the side list's search, date groups and inline rename; an
 * answer's Copy and thumbs; the conversation's Regenerate and Export; the note shown while a
 * question is being edited in the composer. Behaviour htmx attributes do not cover (opening the
 * rename form, copying, editing in the composer) is in assets/conversation-tools.js.
 */

/** Filters the side list as the user types: title and text of every conversation. */
export function ConversationSearch(): JSX.Element {
  return (
    <search class="conversation-search">
      <label for="conversation-search" class="visually-hidden" safe>
        {t('convs.search')}
      </label>
      <input
        type="search"
        id="conversation-search"
        name="q"
        placeholder={t('convs.search')}
        maxlength={String(MAX_SEARCH_CHARS)}
        autocomplete="off"
        hx-get="/chat/conversations"
        hx-trigger="input changed delay:250ms, search"
        hx-target="#conversation-list"
        hx-swap="innerHTML"
      />
    </search>
  );
}

/**
 * The side list's items under date headings (Today, Yesterday, Last 7 days, Older); a search's
 * results as one list, saying when nothing matched.
 */
export function GroupedConversations({
  conversations,
  currentId,
  search,
  item,
}: {
  conversations: Conversation[];
  currentId: string | null;
  /** The search these are results of, if any. */
  search?: string;
  item: (c: Conversation, currentId: string | null) => JSX.Element;
}): JSX.Element {
  if (search) {
    if (conversations.length === 0) {
      return (
        <p class="empty-list" safe>
          {t('convs.noMatch', { search })}
        </p>
      );
    }
    return (
      <section class="conv-group" aria-label={t('convs.results')}>
        <h2 class="conv-group-title" safe>
          {t('convs.found', { count: conversations.length })}
        </h2>
        <ul>{conversations.map((c) => item(c, currentId))}</ul>
      </section>
    );
  }
  return (
    <>
      {groupByDate(conversations).map((g) => {
        const label = t(DATE_GROUP_LABELS[g.label]);
        return (
          <section class="conv-group" aria-label={label}>
            <h2 class="conv-group-title" safe>
              {label}
            </h2>
            <ul>{g.conversations.map((c) => item(c, currentId))}</ul>
          </section>
        );
      })}
    </>
  );
}

/** The inline rename: a button that opens a small form in place of the title. */
export function RenameControls({ conversation }: { conversation: Conversation }): JSX.Element {
  const inputId = `rename-${conversation.id}`;
  return (
    <>
      <button
        type="button"
        class="rename"
        data-rename
        aria-label={t('convs.renameLabel', { title: conversation.title })}
        title={t('convs.rename')}
      >
        ✎
      </button>
      <form class="rename-form" hidden hx-patch={`/c/${conversation.id}`} hx-target="closest li" hx-swap="outerHTML">
        <label for={inputId} class="visually-hidden" safe>
          {t('convs.newTitle')}
        </label>
        <input
          id={inputId}
          name="title"
          value={conversation.title}
          maxlength={String(MAX_TITLE_CHARS)}
          required
          autocomplete="off"
        />
        <button type="submit" class="rename-save" safe>
          {t('convs.save')}
        </button>
        <button type="button" class="rename-cancel" data-rename-cancel safe>
          {t('convs.cancel')}
        </button>
      </form>
    </>
  );
}

/** Under a finished answer: copy it as Markdown, and the reader's thumbs up or down. */
export function AnswerActions({ message }: { message: Message }): JSX.Element {
  return (
    <div class="answer-actions">
      <button
        type="button"
        class="copy-answer"
        data-markdown-url={`/api/messages/${message.id}/markdown`}
        title={t('tools.copyTitle')}
        safe
      >
        {t('tools.copy')}
      </button>
      <Feedback message={message} />
    </div>
  );
}

/**
 * Thumbs up or down, each a small form (so it works without script), and once given, an optional
 * comment. Pressing the chosen thumb again takes it back.
 */
export function Feedback({
  message,
  justSaved = false,
}: {
  message: Pick<Message, 'id' | 'feedback'>;
  /** Right after the reader gave it: say it was kept. */
  justSaved?: boolean;
}): JSX.Element {
  const rating = message.feedback?.rating ?? null;
  const action = `/chat/messages/${message.id}/feedback`;
  const thumb = (value: 'up' | 'down', label: string) => (
    <form class="thumb-form" hx-put={action} hx-target="closest .feedback" hx-swap="outerHTML">
      <input type="hidden" name="rating" value={rating === value ? '' : value} />
      <button
        type="submit"
        class={`thumb ${value}`}
        aria-pressed={rating === value ? 'true' : 'false'}
        aria-label={label}
        title={rating === value ? t('tools.takeBack', { label }) : label}
      >
        <ThumbIcon direction={value} />
      </button>
    </form>
  );
  return (
    <div class="feedback" id={`feedback-${message.id}`}>
      {thumb('up', t('tools.good'))}
      {thumb('down', t('tools.bad'))}
      {rating ? (
        <form class="feedback-comment" hx-put={action} hx-target="closest .feedback" hx-swap="outerHTML">
          <input type="hidden" name="rating" value={rating} />
          <label for={`comment-${message.id}`} class="visually-hidden" safe>
            {t('tools.commentLabel')}
          </label>
          <input
            id={`comment-${message.id}`}
            name="comment"
            value={message.feedback?.comment ?? ''}
            maxlength={String(MAX_COMMENT_CHARS)}
            placeholder={t('tools.commentPlaceholder')}
            autocomplete="off"
          />
          <button type="submit" class="comment-save" safe>
            {message.feedback?.comment ? t('tools.update') : t('chat.send')}
          </button>
        </form>
      ) : (
        ''
      )}
      {justSaved ? (
        <span class="feedback-thanks" role="status" safe>
          {rating ? t('tools.thanks') : t('tools.takenBack')}
        </span>
      ) : (
        ''
      )}
    </div>
  );
}

/*
 * Thumb outlines from Feather (feathericons.com, MIT licence), drawn inline: emoji need a colour
 * font the machine may not have (Debian's Chromium draws boxes), and no icon file is fetched.
 */
const THUMB_PATHS = {
  up: 'M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3',
  down: 'M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2h-2.67',
} as const;

function ThumbIcon({ direction }: { direction: 'up' | 'down' }): JSX.Element {
  return (
    <svg
      class="thumb-icon"
      viewBox="0 0 24 24"
      width="16"
      height="16"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
    >
      <path d={THUMB_PATHS[direction]} />
    </svg>
  );
}

/**
 * The open conversation's tools, in the header: regenerate the last answer, export. The button is
 * outside the messages on purpose: the answer it replaces is removed from the page while the new
 * one streams, and a stream stops when the element that asked for it leaves the page.
 */
export function ConversationToolbar({ conversation }: { conversation: Conversation | null }): JSX.Element {
  if (!conversation) return <div id="conversation-tools" class="conversation-tools"></div>;
  const exportUrl = (format: string) => `/api/conversations/${conversation.id}/export?format=${format}`;
  return (
    <div id="conversation-tools" class="conversation-tools">
      <button
        type="button"
        id="regenerate"
        class="tool-button"
        hx-post={`/c/${conversation.id}/regenerate`}
        hx-target="#messages"
        hx-swap="beforeend"
        title={t('tools.regenerateTitle')}
        safe
      >
        {t('tools.regenerate')}
      </button>
      <a class="tool-button" href={exportUrl('markdown')} download="" title={t('tools.exportMarkdownTitle')} safe>
        {t('tools.exportMarkdown')}
      </a>
      <a class="tool-button" href={exportUrl('json')} download="" title={t('tools.exportJsonTitle')} safe>
        {t('tools.exportJson')}
      </a>
    </div>
  );
}

/** The question a user bubble holds, to edit: the script puts it in the composer. */
export function EditQuestionButton({ id, text }: { id: string; text: string }): JSX.Element {
  return (
    <button
      type="button"
      class="edit-question"
      data-edit-question={id}
      data-text={text}
      title={t('tools.editTitle')}
      safe
    >
      {t('tools.edit')}
    </button>
  );
}

/**
 * Inside the composer: which question Send replaces (empty when asking a new one), and the note
 * that says so, with the way back.
 */
export function EditingNote(): JSX.Element {
  return (
    <>
      <input type="hidden" id="edit-of" name="editOf" value="" />
      <p id="editing-note" class="editing-note" hidden>
        {Html.escapeHtml(t('tools.editing'))}{' '}
        <button type="button" id="cancel-edit" class="link-button" safe>
          {t('convs.cancel')}
        </button>
      </p>
    </>
  );
}
