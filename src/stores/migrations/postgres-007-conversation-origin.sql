-- Where a conversation was asked: the page or /api, an OpenAI-compatible client, an MCP client.
ALTER TABLE conversations ADD COLUMN origin text NOT NULL DEFAULT 'ragchat' CHECK (origin IN ('ragchat', 'openai', 'mcp'));
