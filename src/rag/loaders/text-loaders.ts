import { parseMarkdown, parsePlainText } from '../chunker.ts';
import { fromArray, type LoadedDocument } from './loaded-document.ts';
import { decodeText, normalizeText } from './normalize.ts';

export function loadMarkdown(file: string, bytes: Uint8Array, fallbackTitle: string): LoadedDocument {
  // Markdown keeps its own line structure (lists, code); only encoding and line ends are normalised.
  const text = decodeText(file, bytes)
    .replace(/^\uFEFF/, '')
    .normalize('NFC')
    .replace(/\r\n?/g, '\n');
  const parsed = parseMarkdown(text, fallbackTitle);
  return { title: parsed.title, format: 'markdown', sections: fromArray(parsed.sections) };
}

export function loadPlainText(file: string, bytes: Uint8Array, fallbackTitle: string): LoadedDocument {
  const parsed = parsePlainText(normalizeText(decodeText(file, bytes)), fallbackTitle);
  return { title: parsed.title, format: 'text', sections: fromArray(parsed.sections) };
}
