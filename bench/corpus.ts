/**
 * A synthetic corpus for benchmarks: `documents` Markdown files made from a seeded generator, so
 * every run searches the same text, and questions drawn from their headings, so retrieval finds
 * real matches (keyword and vector) among many near misses.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../test/support/prng.ts';

export interface CorpusOptions {
  /** @default 300 */
  documents?: number;
  /** @default 12 */
  seed?: number;
}

export interface Corpus {
  dir: string;
  documents: number;
  bytes: number;
  /** Questions about the corpus, each naming one document's section. */
  questions: string[];
}

const SYLLABLES = 'ka ro mi tu sel van dor pel quin zar lo ne vi bra sto mer gal fin hud tes'.split(' ');
const COMMON =
  'the a of to and in is that for it with as on be by this are or from at can when which each your one all'.split(' ');

/** Writes the corpus into `dir` (created if needed) and returns its questions. */
export function writeCorpus(dir: string, options: CorpusOptions = {}): Corpus {
  const random = prng(options.seed ?? 12);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  // A vocabulary of made-up words, some frequent and most rare (roughly Zipf), as in real text.
  const vocabulary = Array.from({ length: 3000 }, () =>
    Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(SYLLABLES)).join(''),
  );
  const word = () => {
    const r = random();
    return r < 0.35 ? pick(COMMON) : (vocabulary[Math.floor(vocabulary.length * random() ** 2.5)] as string);
  };
  const sentence = (topic: string[]) => {
    const n = 8 + Math.floor(random() * 14);
    const words = Array.from({ length: n }, () => (random() < 0.12 ? pick(topic) : word()));
    const text = words.join(' ');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  };

  mkdirSync(dir, { recursive: true });
  const count = options.documents ?? 300;
  const questions: string[] = [];
  let bytes = 0;
  for (let d = 0; d < count; d++) {
    const topic = Array.from({ length: 4 }, () => pick(vocabulary));
    const lines = [`# ${topic.slice(0, 2).join(' ')} guide ${d + 1}`, ''];
    const sections = 3 + Math.floor(random() * 4);
    for (let s = 0; s < sections; s++) {
      const heading = [pick(topic), word(), pick(vocabulary)].join(' ');
      lines.push(`## ${heading}`, '');
      const paragraphs = 2 + Math.floor(random() * 3);
      for (let p = 0; p < paragraphs; p++) {
        lines.push(Array.from({ length: 3 + Math.floor(random() * 4) }, () => sentence(topic)).join(' '), '');
      }
      if (random() < 0.3) lines.push(`- ${sentence(topic)}`, `- ${sentence(topic)}`, '');
      if (s === 0) questions.push(`How does ${heading} work with ${topic[1]}?`);
    }
    const text = lines.join('\n');
    bytes += text.length;
    writeFileSync(join(dir, `guide-${String(d + 1).padStart(4, '0')}.md`), text);
  }
  return { dir, documents: count, bytes, questions };
}
