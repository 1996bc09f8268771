import { ensureChromium } from './ensure-chromium.ts';
import { ensureInfraDeps } from './ensure-infra-deps.ts';
import { ensurePostgres } from './ensure-postgres.ts';

/**
 * `npm test`: everything a change must pass, in order, stopping at the first red step:
 * browser, Postgres and infra/'s packages present → assets copied → type-check (app, then infra),
 * XSS scan → lint and format → the suite (the app's tests and infra/test, Pulumi under mocks).
 * Ends with one line `N passed, N failed, N skipped` for CI. Extra arguments go to `bun test`.
 */
const BIN = `${import.meta.dir}/../node_modules/.bin`;

async function step(name: string, cmd: string[]): Promise<void> {
  console.log(`\n▶ ${name}`);
  const code = await Bun.spawn(cmd, { stdout: 'inherit', stderr: 'inherit', cwd: `${import.meta.dir}/..` }).exited;
  if (code !== 0) {
    console.log(`\n✖ ${name} failed (exit ${code})`);
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
}

async function suite(args: string[]): Promise<number> {
  console.log('\n▶ test suite (bun test)');
  // Bun 1.4 ignores bunfig.toml's `[test] timeout`, so the browser and streaming tests got the
  // 5 s default; the flag applies it (an explicit --timeout in the arguments still wins).
  const timeout = args.some((a) => a.startsWith('--timeout')) ? [] : ['--timeout=30000'];
  const proc = Bun.spawn([process.execPath, 'test', ...timeout, ...args], {
    cwd: `${import.meta.dir}/..`,
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let output = '';
  const pump = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      output += text;
      sink.write(text);
    }
  };
  await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
  const code = await proc.exited;
  const count = (word: string) => Number(output.match(new RegExp(`^\\s*(\\d+) ${word}$`, 'm'))?.[1] ?? 0);
  const passed = count('pass');
  const failed = count('fail');
  const skipped = count('skip') + count('todo');
  // A hook that throws outside a test is reported as "(unnamed)" and the tests it guarded never
  // run nor count; name the file so the failure is not mistaken for one small test.
  // (Only the per-file part: bun repeats the failures in a summary after the last file.)
  const perFile = output.split(/^\d+ tests? failed:$/m)[0] ?? output;
  const unnamed = [
    ...perFile.matchAll(/^(\S+\.test\.tsx?):$(?:(?!^\S+\.test\.tsx?:$)[\s\S])*?^\(fail\) \(unnamed\)/gm),
  ].map((m) => m[1]);
  if (unnamed.length > 0) {
    console.log(`\n✖ set-up or tear-down failed outside any test in: ${[...new Set(unnamed)].join(', ')}`);
    console.log('  (its tests may not have run; use beforeSuite from test/support/before-suite.ts)');
  }
  if (process.env.CI === 'true' && skipped > 0) {
    console.log(`\n✖ ${skipped} tests were skipped; under CI=true every suite must run.`);
    console.log(`${passed} passed, ${failed + skipped} failed, ${skipped} skipped`);
    return 1;
  }
  if (passed === 0 && code === 0) {
    console.log('\n✖ no test ran');
    console.log('0 passed, 1 failed, 0 skipped');
    return 1;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return unnamed.length > 0 && code === 0 ? 1 : code;
}

const args = Bun.argv.slice(2);
try {
  await ensureChromium();
  await ensurePostgres();
  await ensureInfraDeps();
} catch (error) {
  console.error((error as Error).message);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
await step('copy htmx into assets/vendor', [process.execPath, 'run', 'scripts/copy-assets.ts']);
await step('type-check (TypeScript strict)', [`${BIN}/tsc`, '--noEmit']);
await step('type-check the Pulumi program (infra/)', [`${BIN}/tsc`, '-p', 'infra', '--noEmit']);
await step('XSS scan of the JSX views', [`${BIN}/xss-scan`]);
await step('lint and format (biome, warnings count as errors)', [`${BIN}/biome`, 'check', '--error-on-warnings', '.']);
process.exit(await suite(args));
