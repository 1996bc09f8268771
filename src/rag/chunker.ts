import { sentences } from '../search/text.ts';
import { countTokens, truncateToTokens } from '../search/tokens.ts';
import { isWhitespace } from '../strings.ts';

export interface ChunkingOptions {
  /** Largest chunk, in tokens. @default 300 */
  chunkSizeTokens: number;
  /** Tokens repeated from the end of one chunk at the start of the next, in whole sentences. @default 40 */
  overlapTokens: number;
}

export interface Section {
  /** Headings above this text, outermost first (the document title excluded). */
  headings: string[];
  text: string;
}

export interface ParsedDocument {
  title: string;
  sections: Section[];
}

export interface TextChunk {
  location: string;
  text: string;
}

const FENCE = /^\s*(```|~~~)/;

const LINE_TERMINATORS = new Set(['\n', '\r', '\u2028', '\u2029']);

/**
 * An ATX heading line as /^(#{1,6})\s+(.+?)\s*#*\s*$/ reads it (`## Title ##` → level 2, "Title"),
 * found in one pass: that expression backtracks to the fourth power on a long line of spaces.
 */
export function atxHeading(line: string): { level: number; text: string } | null {
  let level = 0;
  while (level < line.length && line[level] === '#') level++;
  if (level === 0 || level > 6) return null;
  let start = level;
  while (start < line.length && isWhitespace(line[start])) start++;
  if (start === level) return null;
  // The text is the shortest that leaves a tail of spaces, closing #s and spaces.
  let end = line.length;
  while (end > start && isWhitespace(line[end - 1])) end--;
  while (end > start && line[end - 1] === '#') end--;
  while (end > start && isWhitespace(line[end - 1])) end--;
  if (end === start && start === line.length) {
    // Only spaces after the `#`s: the expression gives back the last of them that `.` takes.
    for (let i = line.length - 1; i > level; i--) {
      if (!LINE_TERMINATORS.has(line[i] as string)) return { level, text: line[i] as string };
    }
    return null;
  }
  // Nothing but the tail (`# ##`): the text is its first character.
  if (end === start) end = start + 1;
  const text = line.slice(start, end);
  for (const ch of text) if (LINE_TERMINATORS.has(ch)) return null;
  return { level, text };
}

/**
 * Splits Markdown into sections by ATX headings, ignoring `#` lines inside fenced code. The first
 * level-1 heading (or, failing that, the file name) is the title.
 */
export function parseMarkdown(markdown: string, fallbackTitle: string): ParsedDocument {
  const text = markdown.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const sections: Section[] = [];
  const stack: { level: number; text: string }[] = [];
  let title: string | null = null;
  let buffer: string[] = [];
  let inFence = false;

  const flush = () => {
    const body = buffer.join('\n').trim();
    if (body) sections.push({ headings: stack.map((h) => h.text), text: body });
    buffer = [];
  };

  for (const line of text.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : atxHeading(line);
    if (!heading) {
      buffer.push(line);
      continue;
    }
    flush();
    const level = heading.level;
    const headingText = heading.text.replace(/[*_`]/g, '');
    if (level === 1 && title === null && sections.length === 0 && stack.length === 0) {
      title = headingText;
      continue;
    }
    while (stack.length > 0 && (stack[stack.length - 1] as { level: number }).level >= level) stack.pop();
    stack.push({ level, text: headingText });
  }
  flush();
  return { title: title ?? fallbackTitle, sections };
}

/** Plain text has no structure to keep but its paragraphs. */
export function parsePlainText(text: string, fallbackTitle: string): ParsedDocument {
  const body = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .trim();
  const firstLine = body.split('\n', 1)[0]?.trim() ?? '';
  const title = firstLine.length > 0 && firstLine.length <= 80 ? firstLine : fallbackTitle;
  return { title, sections: body ? [{ headings: [], text: body }] : [] };
}

/**
 * Cuts each section into chunks of at most `chunkSizeTokens`, at paragraph boundaries when they
 * fit, else at sentence boundaries, and only as a last resort inside a sentence. Consecutive chunks
 * of one section share up to `overlapTokens` of whole sentences, so a fact split across a boundary
 * is still found whole in one of them.
 */
export function chunkDocument(doc: ParsedDocument, options: ChunkingOptions): TextChunk[] {
  return doc.sections.flatMap((section) => chunkSection(section, options));
}

/** The chunks of one section (a streaming loader hands sections over one at a time). */
export function chunkSection(section: Section, options: ChunkingOptions): TextChunk[] {
  const location = section.headings.join(' › ');
  return packUnits(unitsOf(section.text, options.chunkSizeTokens), options).map((text) => ({ location, text }));
}

interface Unit {
  text: string;
  tokens: number;
  /** A paragraph starts here: packed chunks join paragraphs with a blank line. */
  paragraphStart: boolean;
}

function unitsOf(sectionText: string, max: number): Unit[] {
  const units: Unit[] = [];
  for (const paragraph of paragraphs(sectionText)) {
    const tokens = countTokens(paragraph);
    if (tokens <= max) {
      units.push({ text: paragraph, tokens, paragraphStart: true });
      continue;
    }
    let first = true;
    for (const sentence of sentences(paragraph)) {
      for (const piece of hardSplit(sentence, max)) {
        units.push({ text: piece, tokens: countTokens(piece), paragraphStart: first });
        first = false;
      }
    }
  }
  return units;
}

/** Blank-line separated paragraphs; a fenced code block stays one paragraph. */
function paragraphs(text: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    if (!inFence && line.trim() === '') {
      if (current.length) out.push(current.join('\n').trim());
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.length) out.push(current.join('\n').trim());
  return out.filter(Boolean);
}

function hardSplit(sentence: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = sentence;
  // truncateToTokens returns what fits whole as it is, and reads only about a piece's worth of
  // text each time: counting the whole rest per piece made one long sentence quadratic.
  for (;;) {
    const head = truncateToTokens(rest, max);
    if (head === rest || head.length === 0) break;
    pieces.push(head.trim());
    rest = rest.slice(head.length).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

function packUnits(units: Unit[], { chunkSizeTokens: max, overlapTokens }: ChunkingOptions): string[] {
  const chunks: string[] = [];
  let current: Unit[] = [];
  let size = 0;
  const render = (us: Unit[]) =>
    us.map((u, i) => (i === 0 ? u.text : `${u.paragraphStart ? '\n\n' : ' '}${u.text}`)).join('');

  for (const unit of units) {
    if (size + unit.tokens > max && current.length > 0) {
      chunks.push(render(current));
      // Carry whole trailing units into the next chunk, up to the overlap budget.
      const carried: Unit[] = [];
      let carriedSize = 0;
      for (let i = current.length - 1; i >= 0; i--) {
        const u = current[i] as Unit;
        if (carriedSize + u.tokens > overlapTokens || carriedSize + u.tokens + unit.tokens > max) break;
        carried.unshift(u);
        carriedSize += u.tokens;
      }
      current = carried;
      size = carriedSize;
    }
    current.push(unit);
    size += unit.tokens;
  }
  if (current.length > 0) chunks.push(render(current));
  return chunks;
}
