import { AppError } from '../errors.ts';

/**
 * Document keys are relative, slash-separated paths. Every backend checks them the same way, so a
 * key that is refused by one is refused by all: no empty or absolute keys, no `.`/`..` segments,
 * no backslashes or control characters (an S3 key would accept them, a folder would not).
 */
export function isDocumentKey(key: string): boolean {
  try {
    checkDocumentKey(key);
    return true;
  } catch {
    return false;
  }
}

export function checkDocumentKey(key: string): string {
  const bad =
    key === '' ||
    key.length > 1024 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse.
    /[\u0000-\u001f\u007f]/.test(key) ||
    key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad)
    throw new AppError(
      'invalid_key',
      `Document key "${key.slice(0, 200)}" points outside the document folder or is not a valid path.`,
      400,
    );
  return key;
}
