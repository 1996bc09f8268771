import type { Conversation } from '../domain.ts';

export const DATE_GROUPS = ['Today', 'Yesterday', 'Last 7 days', 'Older'] as const;
export type DateGroup = (typeof DATE_GROUPS)[number];

const DAY_MS = 86_400_000;

/** Midnight starting the calendar day of `date`, in the server's time zone (TZ). */
function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/**
 * Which group a conversation's last activity falls in, by calendar day: "Today", "Yesterday", the
 * five days before ("Last 7 days", today included), or "Older". Days are the server's (its TZ):
 * the page is rendered there, and a browser's time zone is not sent with a request.
 */
export function dateGroup(updatedAt: string, now: Date = new Date()): DateGroup {
  const today = startOfDay(now);
  const at = Date.parse(updatedAt);
  if (at >= today) return 'Today';
  // Calendar days, not 24-hour spans: a day may be 23 or 25 hours long around a clock change.
  const yesterday = startOfDay(new Date(today - DAY_MS / 2));
  if (at >= yesterday) return 'Yesterday';
  let weekStart = yesterday;
  for (let i = 0; i < 5; i++) weekStart = startOfDay(new Date(weekStart - DAY_MS / 2));
  return at >= weekStart ? 'Last 7 days' : 'Older';
}

/** Conversations (newest first) in their date groups, in order; empty groups left out. */
export function groupByDate(
  conversations: readonly Conversation[],
  now: Date = new Date(),
): { label: DateGroup; conversations: Conversation[] }[] {
  const groups = new Map<DateGroup, Conversation[]>();
  for (const c of conversations) {
    const label = dateGroup(c.updatedAt, now);
    groups.set(label, [...(groups.get(label) ?? []), c]);
  }
  return DATE_GROUPS.filter((label) => groups.has(label)).map((label) => ({
    label,
    conversations: groups.get(label) as Conversation[],
  }));
}
