import { Elysia } from 'elysia';
import type { Locale } from './locale.ts';
import { requestLocale } from './locale.ts';
import { inLocale } from './request-locale.ts';

/**
 * The reader's language (the picker's cookie, else Accept-Language, else DEFAULT_LANGUAGE) for
 * everything the request renders: views, error pages, streams (see request-locale.ts).
 */
export function requestLanguage(defaultLanguage: Locale) {
  return new Elysia({ name: 'request-language' }).wrap(
    (handle, request) =>
      ((...args: unknown[]) => inLocale(requestLocale(request, defaultLanguage), () => handle(...args))) as ReturnType<
        typeof handle
      >,
  );
}
