import { Elysia } from 'elysia';
import type { AppDeps } from '../deps.ts';
import type { Principal } from '../domain.ts';
import { routeRules } from '../http/route-rules.ts';

const DETAIL = {
  summary: 'MCP server (Streamable HTTP)',
  description:
    'Model Context Protocol over Streamable HTTP, stateless: tools `search_documents`, `ask`, `list_collections`, `get_document`, and the documents as resources (`ragchat://documents/{id}`). Authenticated by a personal API token (`Authorization: Bearer rc_…`).',
  tags: ['MCP'],
};

/**
 * `/mcp`: the SDK's web-standard transport (Request in, Response out) on a server built for the
 * caller. Stateless (no session id): each POST carries its token, so any instance of a fleet can
 * answer it, and each response is one JSON body, so the server is closed once it is sent.
 */
export function mcpRoutes(deps: AppDeps) {
  const handle = async (principal: Principal, request: Request, body: unknown) => {
    // Loaded at the first MCP request, not at start: the SDK's zod schemas, evaluated while the
    // compiled binary's bundle still initialises zod, find its classes undefined (a crash at start).
    const [{ WebStandardStreamableHTTPServerTransport }, { mcpServerFor }] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
      import('./mcp-server.ts'),
    ]);
    const origin = deps.config.publicOrigin ?? new URL(request.url).origin;
    const server = mcpServerFor(principal, deps.integrations, { origin, logger: deps.logger, version: '1' });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, { parsedBody: body });
    } finally {
      await server.close();
    }
  };
  // Stateless: there is no stream of the server's own to open (GET) and no session to end
  // (DELETE); the transport spec lets a server answer both with 405.
  const onlyPost = () =>
    Response.json(
      {
        jsonrpc: '2.0',
        error: { code: -32000, message: 'This MCP server is stateless: send each request as a POST.' },
        id: null,
      },
      { status: 405, headers: { allow: 'POST' } },
    );
  return new Elysia({ name: 'mcp' })
    .use(routeRules(deps))
    .post('/mcp', ({ principal, request, body }) => handle(principal, request, body), { detail: DETAIL })
    .get('/mcp', onlyPost, { detail: DETAIL })
    .delete('/mcp', onlyPost, { detail: DETAIL });
}
