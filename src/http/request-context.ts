import { Elysia } from 'elysia';
import type { Forwarding } from './forwarding.ts';
import { beginRequest } from './request-auth.ts';

/**
 * First of all: the request's id (kept from the balancer's X-Request-Id when well formed), the
 * client's address and whether it came over HTTPS, as the trusted proxies say. Everything after
 * (logs, limits, cookies, HSTS) reads them from the request's context.
 */
export function requestContext(forwarding: Forwarding) {
  return new Elysia({ name: 'request-context' }).onRequest(({ request, set, server }) => {
    const context = beginRequest(request);
    const socketAddress = server?.requestIP(request)?.address;
    context.address = forwarding.clientAddress(request, socketAddress ?? 'unknown');
    context.https = forwarding.isHttps(request, socketAddress);
    set.headers['x-request-id'] = context.id;
  });
}
