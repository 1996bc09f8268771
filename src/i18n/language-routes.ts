import { Elysia } from 'elysia';
import { badInput } from '../errors.ts';
import { isLocale, LANGUAGE_COOKIE, LOCALES } from './locale.ts';
import { say } from './translator.ts';

/** A year: the choice is a preference, not a session. */
const COOKIE_MAX_AGE_S = 365 * 24 * 60 * 60;

/**
 * Back to the page the picker was on: the path of the Referer (the page sends it for its own
 * forms, Referrer-Policy same-origin), only when it is this site (never an open redirect).
 */
function backTo(request: Request): string {
  const referer = request.headers.get('referer');
  if (!referer || !URL.canParse(referer)) return '/';
  const from = new URL(referer);
  return from.host === (request.headers.get('host') ?? new URL(request.url).host)
    ? `${from.pathname}${from.search}`
    : '/';
}

/**
 * The language picker's endpoint: a plain form post (it works before the script loads, and on the
 * login page), remembered in a cookie that every later request is rendered by.
 */
export function languageRoutes() {
  return new Elysia({ name: 'language' }).post('/language', ({ body, request }) => {
    const form = (body ?? {}) as Record<string, unknown>;
    if (!isLocale(form.language)) throw badInput(say('error.language', { languages: LOCALES.join(', ') }));
    return new Response(null, {
      status: 303,
      headers: {
        location: backTo(request),
        // Lax: the choice goes with a link followed from elsewhere too; nothing secret is in it.
        'set-cookie': `${LANGUAGE_COOKIE}=${form.language}; Path=/; Max-Age=${COOKIE_MAX_AGE_S}; SameSite=Lax`,
      },
    });
  });
}
