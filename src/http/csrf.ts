import { Elysia } from 'elysia';
import { AppError } from '../errors.ts';
import { contextOf, crossSiteProblem } from './request-auth.ts';

/**
 * Cross-site request forgery: a state-changing request from another site, or one authenticated by
 * the session cookie without proof it came from our page, is refused (see `crossSiteProblem`).
 * Runs after `authentication`: how the caller authenticated decides what proof is needed.
 */
export function csrf(publicOrigin: string | undefined) {
  return new Elysia({ name: 'csrf' }).onRequest(({ request }) => {
    const problem = crossSiteProblem(request, contextOf(request)?.principal ?? null, publicOrigin);
    if (problem) throw new AppError('cross_site', problem, 403);
  });
}
