import { beforeAll, beforeEach } from 'bun:test';

/**
 * `beforeAll` for a suite's set-up (a stand-in to start, a schema to create), such that a set-up
 * that fails fails every test of the suite by name. A throwing `beforeAll` makes bun report one
 * "(unnamed)" failure and never run, nor count, the suite's tests; here the error is kept and each
 * test fails with it, so the closing count includes them all. Scoped like `beforeAll`: at the top
 * of a file it covers the file, inside a `describe` that block.
 */
export function beforeSuite(setUp: () => unknown | Promise<unknown>): void {
  let failure: unknown = null;
  beforeAll(async () => {
    try {
      await setUp();
    } catch (error) {
      failure = error;
    }
  });
  beforeEach(() => {
    if (failure === null) return;
    const reason = failure instanceof Error ? failure.message : String(failure);
    throw new Error(`This suite could not start: ${reason}`, { cause: failure });
  });
}
