import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Principal } from '../domain.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { type IntegrationService, sourcesMarkdown } from './integration-service.ts';

const DOCUMENT_URI = 'ragchat://documents/';

/** What a tool answers: its result as JSON text (and as structured content), or a sentence when it fails. */
const result = (value: Record<string, unknown>, text = JSON.stringify(value, null, 2)): CallToolResult => ({
  content: [{ type: 'text', text }],
  structuredContent: value,
});

/**
 * An MCP server for one caller: four tools and the documents as resources, every one within the
 * caller's collections (IntegrationService). Built per request: the transport is stateless, so
 * each request carries its own token and nothing is kept between them.
 */
export function mcpServerFor(
  principal: Principal,
  integrations: IntegrationService,
  options: { origin: string; logger: Logger; version: string },
): McpServer {
  const server = new McpServer({ name: 'ragchat', version: options.version });
  const link = (path: string) => `${options.origin}${path}`;

  /** A refusal is a sentence the agent can act on; an unexpected failure is logged, not shown. */
  const tool =
    <A>(run: (args: A, signal: AbortSignal) => Promise<CallToolResult>) =>
    async (args: A, extra: { signal: AbortSignal }): Promise<CallToolResult> => {
      try {
        return await run(args, extra.signal);
      } catch (error) {
        const known = error instanceof AppError && error.status < 500;
        if (!known) options.logger.error('an MCP tool failed', { error: error as Error });
        const message = error instanceof AppError ? error.message : 'Something went wrong on our side; try again.';
        return { content: [{ type: 'text', text: message }], isError: true };
      }
    };

  server.registerTool(
    'search_documents',
    {
      title: 'Search documents',
      description:
        "Finds passages in the team's documents that match a query (hybrid keyword and semantic search), best first, from the collections you may read.",
      inputSchema: {
        query: z.string().min(1).max(2000).describe('What to look for, in words.'),
        collection: z.string().max(40).optional().describe('Only this collection (an id from list_collections).'),
        top_k: z.number().int().min(1).max(50).optional().describe("How many passages. Default: the server's TOP_K."),
      },
      annotations: { readOnlyHint: true },
    },
    tool<{ query: string; collection?: string; top_k?: number }>(async (args, signal) => {
      const passages = await integrations.search(
        principal,
        { query: args.query, collection: args.collection, topK: args.top_k },
        signal,
      );
      return result({ passages: passages.map((p) => ({ ...p, url: link(p.url) })) });
    }),
  );

  server.registerTool(
    'ask',
    {
      title: 'Ask the documents',
      description:
        'Answers a question from the documents you may read, citing passages as [n]; returns the answer and its sources. Stored as a conversation in ragchat.',
      inputSchema: {
        question: z.string().min(1).max(8000).describe('The question, on its own (no earlier context is kept).'),
        collection: z.string().max(40).optional().describe('Only this collection (an id from list_collections).'),
      },
    },
    tool<{ question: string; collection?: string }>(async (args, signal) => {
      const answer = await integrations.answer(
        principal,
        { question: args.question, collection: args.collection, origin: 'mcp' },
        signal,
      );
      if (answer.status === 'failed') throw new AppError('answer_failed', answer.error ?? 'The answer failed.', 502);
      const sources = answer.sources.map((s) => ({
        id: s.id,
        title: s.title,
        location: s.location,
        url: link(s.url),
        cited: s.cited,
        snippet: s.snippet,
      }));
      const value = { answer: answer.text, sources, conversationId: answer.conversationId };
      return result(value, answer.text + sourcesMarkdown(answer.sources, options.origin));
    }),
  );

  server.registerTool(
    'list_collections',
    {
      title: 'List collections',
      description: 'The collections of documents you may read, with how many documents each holds.',
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    tool<Record<string, never>>(async () => {
      const [collections, documents] = await Promise.all([
        integrations.collectionsOf(principal),
        integrations.listDocuments(principal),
      ]);
      return result({
        collections: collections.map((c) => ({
          id: c.id,
          name: c.name,
          documents: documents.filter((d) => d.collection === c.id).length,
        })),
      });
    }),
  );

  server.registerTool(
    'get_document',
    {
      title: 'Get a document',
      description: 'A document you may read, by id (from search_documents): its metadata and its whole text.',
      inputSchema: { id: z.string().min(1).max(200).describe('The document id.') },
      annotations: { readOnlyHint: true },
    },
    tool<{ id: string }>(async (args) => {
      const { document, text } = await integrations.getDocument(principal, args.id);
      return result(
        { ...document, url: link(`/docs/${encodeURIComponent(document.id)}/original`), text },
        `${JSON.stringify({ ...document, url: link(`/docs/${encodeURIComponent(document.id)}/original`) }, null, 2)}\n\n${text}`,
      );
    }),
  );

  server.registerResource(
    'document',
    new ResourceTemplate(`${DOCUMENT_URI}{id}`, {
      list: async () => ({
        resources: (await integrations.listDocuments(principal)).map((d) => ({
          uri: `${DOCUMENT_URI}${encodeURIComponent(d.id)}`,
          name: d.title,
          description: `${d.source} (collection ${d.collection})`,
          mimeType: 'text/markdown',
        })),
      }),
    }),
    { title: 'Documents', description: 'The documents you may read, as text.', mimeType: 'text/markdown' },
    async (uri, variables) => {
      const id = decodeURIComponent(String(variables.id));
      const { text } = await integrations.getDocument(principal, id);
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text }] };
    },
  );

  return server;
}
