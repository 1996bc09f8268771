import { AsyncLocalStorage } from 'node:async_hooks';
import type { AppError } from '../errors.ts';
import type { Locale } from './locale.ts';
import { type MessageKey, type Params, type Translator, translator } from './translator.ts';

/**
 * The language of the request being handled, for the views. Views are rendered deep inside
 * fragments and SSE streams (an answer's bubble, its sources, the side list); threading a
 * translator through every component and every route would rewrite each route file for a value
 * that is fixed for the whole request. So, like the trace context (observability/), it rides the
 * request's async context: set once where the request enters (app.tsx), read where text is written.
 * Outside a request (a test rendering a view, a CLI) it is English.
 */
const scope = new AsyncLocalStorage<{ locale: Locale }>();

/** Runs `fn` (and everything it awaits, streams included) in `locale`. */
export function inLocale<T>(locale: Locale, fn: () => T): T {
  return scope.run({ locale }, fn);
}

export function currentLocale(): Locale {
  return scope.getStore()?.locale ?? 'en';
}

/** The translator of the request being handled. */
export function tr(): Translator {
  return translator(currentLocale());
}

/** A sentence of the catalog in the request's language (see Translator.t). */
export function t(key: MessageKey, params?: Params): string {
  return tr().t(key, params);
}

/** An error's sentence in the request's language when it was thrown with a catalog key. */
export function errorText(error: AppError): string {
  return error.key ? t(error.key, error.params) : error.message;
}
