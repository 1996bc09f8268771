/**
 * Parses a command's arguments; on a mistake, prints it with the usage and returns null, so each
 * command can answer exit code 2 in one line.
 */
export function parseOrExplain<T>(parse: () => T, usage: string): T | null {
  try {
    return parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return null;
  }
}
