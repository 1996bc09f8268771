/**
 * The languages the interface is written in, and how a request picks one. A leaf module: it
 * imports nothing of the app, so views, routes, services and errors may all use it.
 */

/** Every language with a complete catalog (src/i18n/en.ts, src/i18n/es.ts). */
export const LOCALES = ['en', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language in its own name, for the picker: a reader looks for the name they know. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', es: 'Español' };

/** The cookie the picker sets; it wins over Accept-Language. */
export const LANGUAGE_COOKIE = 'ragchat_lang';

export const isLocale = (value: unknown): value is Locale =>
  typeof value === 'string' && (LOCALES as readonly string[]).includes(value);

/**
 * The best supported language for an `Accept-Language` header (RFC 9110 §12.5.4): ranges by
 * descending weight, `q=0` meaning "not this one", a region (`es-MX`) matching its language and
 * `*` matching the fallback. The fallback when nothing matches.
 */
export function negotiate(acceptLanguage: string | null | undefined, fallback: Locale): Locale {
  if (!acceptLanguage) return fallback;
  // A browser sends a few dozen bytes; a longer header is not worth splitting.
  const ranges = acceptLanguage
    .slice(0, 1024)
    .split(',')
    .map((part, order) => {
      const [tag = '', ...attributes] = part.trim().split(';');
      const q = attributes.map((a) => /^\s*q=([0-9.]+)\s*$/i.exec(a)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim().toLowerCase(), weight: q === undefined ? 1 : Number(q), order };
    })
    .filter((r) => r.tag !== '' && Number.isFinite(r.weight) && r.weight > 0)
    // Equal weights keep the order the client listed them in.
    .sort((a, b) => b.weight - a.weight || a.order - b.order);
  for (const { tag } of ranges) {
    if (tag === '*') return fallback;
    const language = tag.split('-')[0];
    if (isLocale(language)) return language;
  }
  return fallback;
}

/** The language of a request: the picker's cookie if it names one we have, else Accept-Language. */
export function requestLocale(request: Request, fallback: Locale): Locale {
  const cookie = request.headers.get('cookie');
  // Bun's own cookie parser; a header far past what a browser sends is not read at all.
  const chosen = cookie && cookie.length <= 8192 ? new Bun.CookieMap(cookie).get(LANGUAGE_COOKIE) : null;
  return isLocale(chosen) ? chosen : negotiate(request.headers.get('accept-language'), fallback);
}
