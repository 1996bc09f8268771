import { runIngestCommand } from '../src/cli/ingest-command.ts';

// `bun run ingest ...` (npm run ingest -- ...): see src/cli/ingest-command.ts.
process.exit(await runIngestCommand(Bun.argv.slice(2), process.env));
