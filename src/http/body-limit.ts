import { type DocumentDecoration, Elysia } from 'elysia';
import { AppError } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import { declaredOn, type RouteList } from './declared-routes.ts';

/** The largest request body accepted by default; a question is at most a few KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An upload may be as large as the upload limit, plus the multipart framing. */
export const uploadBodyLimit = (uploadMaxBytes: number) => uploadMaxBytes + 64 * 1024;

export interface BodyLimitOptions {
  /** Seconds an upload route's request has, instead of the request deadline (a large file on a slow link). */
  uploadTimeoutS: number;
  /** The app's routes (the limits are declared on them). */
  routes: RouteList;
}

const isBytes = (value: unknown): value is number => typeof value === 'number';

/**
 * Every body is at most 1 MB unless its route declares more beside it (`{ bodyLimit: bytes }`,
 * documented in the OpenAPI document as `x-body-limit`). Checked from Content-Length before a
 * byte of the body is read; Bun's `maxRequestBodySize` bounds a body sent without one. A route
 * allowed more than the default is an upload: its deadline becomes the upload's.
 */
export function bodyLimits({ uploadTimeoutS, routes }: BodyLimitOptions) {
  const declared = declaredOn(routes, 'x-body-limit', isBytes);
  return new Elysia({ name: 'body-limits' })
    .macro({ bodyLimit: (bytes: number) => ({ detail: { 'x-body-limit': bytes } as DocumentDecoration }) })
    .onRequest(({ request, server }) => {
      const limit = declared(request) ?? MAX_BODY_BYTES;
      if (limit > MAX_BODY_BYTES) server?.timeout(request, uploadTimeoutS);
      if (Number(request.headers.get('content-length') ?? 0) > limit) {
        const megabytes = Math.round((limit / 1024 / 1024) * 10) / 10;
        throw new AppError('too_large', say('error.tooLarge', { megabytes }), 413);
      }
    });
}
