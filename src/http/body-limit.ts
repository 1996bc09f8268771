import { type DocumentDecoration, Elysia } from 'elysia';
import { AppError } from '../errors.ts';

/** The largest request body accepted by default; a question is at most a few KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An upload may be as large as the upload limit, plus the multipart framing. */
export const uploadBodyLimit = (uploadMaxBytes: number) => uploadMaxBytes + 64 * 1024;

export interface BodyLimitOptions {
  /** Seconds an upload route's request has, instead of the request deadline (a large file on a slow link). */
  uploadTimeoutS: number;
  /** The app's routes, read once at the first request (the limits are declared on them). */
  routes: () => readonly { method: string; path: string; hooks: unknown }[];
}

/**
 * Every body is at most 1 MB unless its route declares more beside it (`{ bodyLimit: bytes }`,
 * documented in the OpenAPI document as `x-body-limit`). Checked from Content-Length in the parse
 * step, before a byte of the body is read; Bun's `maxRequestBodySize` bounds a body sent without
 * one. A route allowed more than the default is an upload: its deadline becomes the upload's.
 */
export function bodyLimits({ uploadTimeoutS, routes }: BodyLimitOptions) {
  let declared: Map<string, number> | null = null;
  const limitOf = (method: string, route: string): number => {
    declared ??= new Map(
      routes().flatMap((r) => {
        const bytes = (r.hooks as { detail?: Record<string, unknown> } | undefined)?.detail?.['x-body-limit'];
        return typeof bytes === 'number' ? [[`${r.method} ${r.path}`, bytes] as const] : [];
      }),
    );
    return declared.get(`${method} ${route}`) ?? MAX_BODY_BYTES;
  };
  return new Elysia({ name: 'body-limits' })
    .macro({ bodyLimit: (bytes: number) => ({ detail: { 'x-body-limit': bytes } as DocumentDecoration }) })
    .onParse({ as: 'global' }, ({ request, route, server }) => {
      const limit = limitOf(request.method, route);
      if (limit > MAX_BODY_BYTES) server?.timeout(request, uploadTimeoutS);
      if (Number(request.headers.get('content-length') ?? 0) > limit) {
        const mb = Math.round((limit / 1024 / 1024) * 10) / 10;
        throw new AppError('too_large', `The request is too large: ${mb} MB at most.`, 413);
      }
    });
}
