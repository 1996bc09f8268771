import type { Conversation, Message, Source } from '../domain.ts';

/**
 * A conversation as a file a person keeps: Markdown to read or paste, JSON to process. The page's
 * "Copy" button and the API share `answerMarkdown`, so a copied answer reads the same everywhere.
 */

/** The sources an answer cites, as a Markdown list under it: `[n]` in the text finds its line. */
function citedSourcesMarkdown(sources: readonly Source[]): string {
  const cited = sources.filter((s) => s.cited).sort((a, b) => a.id - b.id);
  if (cited.length === 0) return '';
  const lines = cited.map((s) => `- [${s.id}] ${[s.title, s.location].filter(Boolean).join(' › ')} (${s.source})`);
  return `\n\nSources:\n\n${lines.join('\n')}`;
}

/** An answer's Markdown as written, with the sources it cites listed after it. */
export function answerMarkdown(message: Pick<Message, 'content' | 'sources'>): string {
  return `${message.content.trim()}${citedSourcesMarkdown(message.sources)}`;
}

/** Quotes a question as a Markdown block quote, line by line, so its own Markdown stays text. */
function quoted(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => `> ${line}`.trimEnd())
    .join('\n');
}

export function conversationMarkdown(conversation: Conversation, messages: readonly Message[]): string {
  const parts = [`# ${conversation.title.replace(/\s+/g, ' ')}`, `_Exported from ragchat, ${conversation.updatedAt}_`];
  for (const m of messages) {
    if (m.role === 'user') parts.push(`## Question\n\n${quoted(m.content)}`);
    else {
      const note = m.status === 'complete' ? '' : `\n\n_(${m.status}${m.error ? `: ${m.error}` : ''})_`;
      parts.push(`## Answer\n\n${answerMarkdown(m)}${note}`);
    }
  }
  return `${parts.join('\n\n')}\n`;
}

/** The conversation as the API returns it, with every message (sources and feedback included). */
export function conversationJson(conversation: Conversation, messages: readonly Message[]) {
  const { userId: _, ...rest } = conversation;
  return { ...rest, messages: messages.map(({ conversationId: __, ...m }) => m) };
}

/** A file name from the title: letters, digits and dashes, never empty, never a path. */
export function exportFileName(conversation: Conversation, extension: 'md' | 'json'): string {
  // Split and joined rather than trimmed with /^-+|-+$/, which backtracks quadratically on dashes.
  const slug = conversation.title
    .normalize('NFKD')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join('-')
    .slice(0, 60)
    .toLowerCase();
  return `${slug || 'conversation'}.${extension}`;
}
