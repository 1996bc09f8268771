import { type DocumentDecoration, Elysia } from 'elysia';
import { AppError } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import { declaredOn, type RouteList } from './declared-routes.ts';

/** The largest request body accepted by default; a question is at most a few KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An upload may be as large as the upload limit, plus the multipart framing. */
export const uploadBodyLimit = (uploadMaxBytes: number) => uploadMaxBytes + 64 * 1024;

const isBytes = (value: unknown): value is number => typeof value === 'number';

/** The body limit of a request's route: what it declares, else the 1 MB default. */
export function bodyLimitOf(routes: RouteList): (request: Request) => number {
  const declared = declaredOn(routes, 'x-body-limit', isBytes);
  return (request) => declared(request) ?? MAX_BODY_BYTES;
}

/**
 * Every body is at most 1 MB unless its route declares more beside it (`{ bodyLimit: bytes }`,
 * documented in the OpenAPI document as `x-body-limit`). Checked from Content-Length before a
 * byte of the body is read; Bun's `maxRequestBodySize` bounds a body sent without one. A route
 * allowed more than the default is an upload (connection-limits.ts gives it the upload's deadline).
 */
export function bodyLimits(limitOf: (request: Request) => number) {
  return new Elysia({ name: 'body-limits' })
    .macro({ bodyLimit: (bytes: number) => ({ detail: { 'x-body-limit': bytes } as DocumentDecoration }) })
    .onRequest(({ request }) => {
      const limit = limitOf(request);
      if (Number(request.headers.get('content-length') ?? 0) > limit) {
        const megabytes = Math.round((limit / 1024 / 1024) * 10) / 10;
        throw new AppError('too_large', say('error.tooLarge', { megabytes }), 413);
      }
    });
}
