import type { Children } from '@kitajs/html';
import Html from '@kitajs/html';
import type { Conversation, Principal } from '../src/domain.ts';
import { t } from '../src/i18n/request-locale.ts';
import { AccountLinks } from './account.tsx';
import { ConversationList, ModeBadge } from './chat.tsx';
import { ConversationSearch } from './conversation-tools.tsx';
import { LanguagePicker } from './language-picker.tsx';
import { Layout } from './layout.tsx';

/** Which part of the product a page belongs to: its link in the side bar is marked current. */
export type ShellSection = 'chat' | 'docs' | 'account' | 'admin';

/** What every signed-in page shows around its content: the side bar's conversations and links. */
export interface ShellData {
  principal: Principal;
  /** Accounts are on (AUTH_MODE=password): the account link, Admin for admins, and Log out. */
  accounts: boolean;
  conversations: Conversation[];
  offline: boolean;
  model: string;
}

export interface AppShellProps extends ShellData {
  /** The document's title, before " · ragchat". */
  title: string;
  /** The page's heading, in the top bar. */
  heading: string;
  /** An id for the heading, when a fragment updates it (the chat's title). */
  headingId?: string;
  section: ShellSection;
  currentConversationId?: string | null;
  /** Controls at the right of the top bar. */
  actions?: JSX.Element;
  /** Extra classes for `<main>` (`chat` lays out the conversation and its composer). */
  mainClass?: string;
  children?: Children;
}

/**
 * The one frame of every signed-in page: the side bar (conversations, Documents, the account, Log
 * out) and a top bar with the page's heading. On a phone the side bar is a drawer that the menu
 * button opens (assets/app.js); on a wide screen it is always there.
 */
export function AppShell(p: AppShellProps): JSX.Element {
  return (
    <Layout title={p.title === 'ragchat' ? 'ragchat' : `${p.title} · ragchat`}>
      <a class="skip-link" href="#main" safe>
        {t('shell.skip')}
      </a>
      <div class="app">
        <Sidebar {...p} />
        <div class="backdrop" data-close-drawer></div>
        <main id="main" class={p.mainClass ? `main ${p.mainClass}` : 'main'} tabindex="-1">
          <header class="topbar">
            <button
              type="button"
              class="icon-button menu-button"
              aria-controls="sidebar"
              aria-expanded="false"
              aria-label={t('shell.menu')}
            >
              <MenuIcon />
            </button>
            <h1 id={p.headingId} safe>
              {p.heading}
            </h1>
            {p.actions ? <div class="topbar-actions">{p.actions as 'safe'}</div> : ''}
          </header>
          {p.children as 'safe'}
        </main>
      </div>
    </Layout>
  );
}

function Sidebar(p: AppShellProps): JSX.Element {
  const current = (section: ShellSection) => (p.section === section ? 'page' : undefined);
  return (
    <aside id="sidebar" class="sidebar" aria-label={t('shell.sidebar')}>
      <div class="sidebar-head">
        <a class="brand" href="/">
          <BrandMark size={24} />
          ragchat
        </a>
        <button type="button" class="icon-button drawer-close" data-close-drawer aria-label={t('shell.closeMenu')}>
          ×
        </button>
      </div>
      <a class="button new-chat" href="/" title={t('shell.newChatTitle')} safe>
        {t('shell.newChat')}
      </a>
      <ConversationSearch />
      <nav id="conversation-list" class="conversation-list" aria-label={t('shell.conversations')}>
        <ConversationList conversations={p.conversations} currentId={p.currentConversationId ?? null} />
      </nav>
      <footer class="sidebar-foot">
        <nav class="sidebar-nav" aria-label={t('shell.pages')}>
          <a class="nav-link docs-link" href="/docs" aria-current={current('docs')}>
            <DocumentsIcon />
            {Html.escapeHtml(t('shell.documents'))}
          </a>
          <AccountLinks principal={p.principal} accounts={p.accounts} current={p.section} />
        </nav>
        <ModeBadge offline={p.offline} model={p.model} />
        <LanguagePicker />
      </footer>
    </aside>
  );
}

/**
 * A page seen without the side bar (log in, sign up, errors): the brand above one card, in the
 * same type, buttons, fields and notices as the rest.
 */
export function CardPage({
  title,
  heading,
  children,
}: {
  title: string;
  heading: string;
  children?: Children;
}): JSX.Element {
  return (
    <Layout title={`${title} · ragchat`}>
      <main id="main" class="card-page">
        <a class="brand" href="/">
          <BrandMark size={28} />
          ragchat
        </a>
        <section class="card" aria-labelledby="card-heading">
          <h1 id="card-heading" safe>
            {heading}
          </h1>
          {children as 'safe'}
        </section>
        <LanguagePicker />
      </main>
    </Layout>
  );
}

/** The favicon's speech bubble, drawn inline so that it follows the page without another request. */
function BrandMark({ size }: { size: number }): JSX.Element {
  return (
    <svg viewBox="0 0 32 32" width={String(size)} height={String(size)} aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="8" fill="#4f46e5" />
      <path d="M8 10h16v10H14l-5 4v-4H8z" fill="#fff" />
    </svg>
  );
}

function MenuIcon(): JSX.Element {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
      <path d="M4 6h16M4 12h16M4 18h16" stroke="currentColor" stroke-width="2" stroke-linecap="round" fill="none" />
    </svg>
  );
}

function DocumentsIcon(): JSX.Element {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <path
        d="M7 3h7l5 5v13H7zM14 3v5h5"
        stroke="currentColor"
        stroke-width="1.8"
        stroke-linejoin="round"
        fill="none"
      />
    </svg>
  );
}

/**
 * A table cell of plain text, labelled with its column: on a phone the table becomes a list of
 * cards and the label is shown before the value (see "Tables become lists" in app.css).
 */
export function TextCell({ label, text, class: className }: { label: string; text: string; class?: string }) {
  return (
    <td class={className} data-label={label} safe>
      {text}
    </td>
  );
}
