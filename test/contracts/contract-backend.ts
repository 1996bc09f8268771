import { afterEach } from 'bun:test';

/**
 * What every contract suite takes from a backend's test file, in one shape for all of them:
 * `make` builds a fresh instance for one test; `dispose`, when given, releases what it opened (a
 * database, a collection, a connection) after that test, whether it passed or not.
 */
export interface ContractBackend<T> {
  make(): Promise<T>;
  dispose?(made: T): Promise<void>;
}

/**
 * The `make` a suite's tests call: each instance is remembered and disposed after its test. Called
 * once at the top of a suite (it registers the suite's `afterEach`).
 */
export function eachTest<T>(backend: ContractBackend<T>): () => Promise<T> {
  const made: T[] = [];
  afterEach(async () => {
    for (const instance of made.splice(0)) await backend.dispose?.(instance);
  });
  return async () => {
    const instance = await backend.make();
    made.push(instance);
    return instance;
  };
}
