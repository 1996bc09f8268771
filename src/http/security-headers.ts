import { Elysia } from 'elysia';
import { type HostPolicy, hostnameOf } from './host-policy.ts';
import { contextOf } from './request-auth.ts';
import { hostOf } from './request-path.ts';

/**
 * Sent with every answer. The page runs no inline script and loads everything from itself, so the
 * policy can be strict; htmx evaluates no attribute code here (no hx-on, no js: values).
 */
export function securityHeaderValues(https: boolean): Record<string, string> {
  return {
    'content-security-policy':
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    ...(https ? { 'strict-transport-security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

/**
 * The security headers on every answer, and the Host check before anything else: a Host that
 * cannot be parsed, or a name this server does not answer to (a DNS-rebinding page), is refused in
 * plain text; no route, page or session is touched. Runs after `requestContext`.
 */
export function securityHeaders(hosts: HostPolicy) {
  return new Elysia({ name: 'security-headers' }).onRequest(({ request, set }) => {
    Object.assign(set.headers, securityHeaderValues(contextOf(request)?.https ?? false));
    const problem = badHost(request, hosts);
    if (problem) return plainRefusal(problem.status, problem.message, set.headers);
  });
}

/** Why a request's Host is refused, or null when this server answers to it. */
function badHost(request: Request, hosts: HostPolicy): { status: number; message: string } | null {
  const name = hostnameOf(hostOf(request));
  if (name === null) return { status: 400, message: 'The request has a missing or malformed Host header.' };
  if (!hosts.allowsName(name)) {
    return {
      status: 421,
      message:
        `This server does not answer to the name ${JSON.stringify(name)}. ` +
        'If you run it and meant to reach it by that name, add the name to ALLOWED_HOSTS (or set PUBLIC_URL).',
    };
  }
  return null;
}

/** A refusal in plain text, with the security headers: nothing of the app is rendered for it. */
export function plainRefusal(status: number, message: string, headers: Record<string, string | number>): Response {
  const response = new Response(`${message}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, String(value));
  return response;
}
