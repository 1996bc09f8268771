import { en } from './en.ts';
import { es } from './es.ts';
import type { Locale } from './locale.ts';

/** One entry of a catalog: a sentence, or its plural forms when it counts `{count}`. */
export type Message = string | { readonly one: string; readonly other: string };
export type MessageKey = keyof typeof en;
/** A complete catalog: every key of the English one, nothing else (the compiler checks). */
export type Catalog = { readonly [K in MessageKey]: Message };
/** Values for `{placeholders}`; numbers are written the locale's way (1,234 or 1.234). */
export type Params = Readonly<Record<string, string | number>>;

export const CATALOGS: Record<Locale, Catalog> = { en, es };

/** The sentences of one language, and its way of writing numbers, sizes and dates. */
export interface Translator {
  readonly locale: Locale;
  /** The sentence for `key`, with `{name}` replaced by `params.name`; `params.count` picks a plural form. */
  t(key: MessageKey, params?: Params): string;
  number(value: number, options?: Intl.NumberFormatOptions): string;
  /** Bytes in MB, as the upload limits are stated. */
  megabytes(bytes: number, digits?: number): string;
  /** A stored timestamp (ISO 8601) as a date and time, in the server's time zone. */
  dateTime(iso: string): string;
  /** A stored timestamp as a date only. */
  date(iso: string): string;
}

const translators = new Map<Locale, Translator>();

/** The translator for a language; built once per language (the Intl formatters are not cheap). */
export function translator(locale: Locale): Translator {
  let found = translators.get(locale);
  if (!found) {
    found = build(locale);
    translators.set(locale, found);
  }
  return found;
}

function build(locale: Locale): Translator {
  const catalog = CATALOGS[locale];
  const numbers = new Intl.NumberFormat(locale);
  const plurals = new Intl.PluralRules(locale);
  const dateTimes = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
  const when = (iso: string, format: Intl.DateTimeFormat) => {
    const at = Date.parse(iso);
    return Number.isNaN(at) ? iso : format.format(at);
  };
  const self: Translator = {
    locale,
    t(key, params) {
      const entry = catalog[key] ?? en[key];
      const template =
        typeof entry === 'string'
          ? entry
          : plurals.select(Number(params?.count ?? 0)) === 'one'
            ? entry.one
            : entry.other;
      return fill(template, params, (n) => numbers.format(n));
    },
    number: (value, options) => (options ? new Intl.NumberFormat(locale, options) : numbers).format(value),
    megabytes: (bytes, digits = 1) =>
      new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(bytes / 1024 / 1024),
    dateTime: (iso) => when(iso, dateTimes),
    date: (iso) => when(iso, dates),
  };
  return self;
}

/** `{name}` → its value; a placeholder without a value stays as written, so a gap shows in review. */
function fill(template: string, params: Params | undefined, formatNumber: (n: number) => string): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? formatNumber(value) : value;
  });
}

/** The `{placeholders}` of a catalog entry (all its plural forms), for the catalogs' test. */
export function placeholdersOf(message: Message): string[] {
  const texts = typeof message === 'string' ? [message] : [message.one, message.other];
  return [...new Set(texts.flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string)))].sort();
}

/**
 * A sentence chosen by key where it is thrown, to be shown in the reader's language where it is
 * rendered: `text` is the English (the error's message in logs and for API clients).
 */
export interface Said {
  readonly key: MessageKey;
  readonly params?: Params;
  readonly text: string;
}

export const say = (key: MessageKey, params?: Params): Said => ({
  key,
  params,
  text: translator('en').t(key, params),
});
