/**
 * String scanning that stays linear on any input, for the places where the obvious regular
 * expression backtracks: `/[-.]+$/` rescans a long run that does not reach the end once per
 * character of it (quadratic), and a chain like `\s*#*\s*$` after a lazy group is worse.
 */

/** Whether `ch` (one UTF-16 unit) is what `\s` matches: `trim()` strips exactly that set. */
export function isWhitespace(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '' && ch.trim() === '';
}

/** `text` without its leading and trailing characters for which `strip` holds. */
export function trimWhere(text: string, strip: (ch: string) => boolean): string {
  let start = 0;
  let end = text.length;
  while (start < end && strip(text[start] as string)) start++;
  while (end > start && strip(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

/** `text` without its trailing characters for which `strip` holds. */
export function trimEndWhere(text: string, strip: (ch: string) => boolean): string {
  let end = text.length;
  while (end > 0 && strip(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

/**
 * The anchor of a heading in an original shown as a page (`/docs/:id/original`): its letters and
 * digits, lower-case and without accents, joined by dashes. The page's headings and the citation
 * links both use this one function, so a citation always lands on its section.
 */
export function headingAnchor(text: string): string {
  const words =
    text
      .normalize('NFKD')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.join('-').slice(0, 80) || 'section';
}
