import { describe, expect, test } from 'bun:test';
import { PROD_SETTINGS, runStack, TEST_SECRETS } from './harness.ts';
import DEPLOYED from './stack-urns.json' with { type: 'json' };

/**
 * `stack-urns.json` holds every URN these runs gave before AppService was split into components
 * (generated from that program, not from this one): what a deployed stack's state knows its
 * resources by. A resource whose URN the program no longer answers to is deleted and created again
 * by the next `pulumi up` (a new load balancer, a new DNS name, a lost bucket), so moving one into
 * another component must carry an alias naming its old URN. Adding resources needs no change here;
 * removing one on purpose means deleting its line.
 */
const RUNS = {
  dev: () => runStack('dev'),
  prod: () => runStack('prod', PROD_SETTINGS, TEST_SECRETS),
  'dev, scaling on requests too': () => runStack('dev', { 'ragchat:appRequestsPerTarget': '1000' }),
} as const;

describe('URNs: a pulumi up over a stack deployed before replaces nothing', () => {
  for (const [run, urns] of Object.entries(DEPLOYED)) {
    test(`${run}: every URN the deployed stack holds is still a resource's URN or one of its aliases`, async () => {
      const { resources } = await RUNS[run as keyof typeof RUNS]();
      const answered = new Set(resources.flatMap((r) => [r.urn, ...r.aliases]));
      expect(urns.filter((urn) => !answered.has(urn))).toEqual([]);
    });

    test(`${run}: no two resources claim the same URN, now or as an alias`, async () => {
      const { resources } = await RUNS[run as keyof typeof RUNS]();
      // One resource may name an alias twice (@pulumi/aws's Bucket names its old BucketV2 type so).
      const claims = resources.flatMap((r) => [...new Set([r.urn, ...r.aliases])]);
      expect(claims.filter((urn, i) => claims.indexOf(urn) !== i)).toEqual([]);
    });
  }

  test('the fixture covers the runs above and nothing else', () => {
    expect(Object.keys(DEPLOYED).sort()).toEqual(Object.keys(RUNS).sort());
  });
});
