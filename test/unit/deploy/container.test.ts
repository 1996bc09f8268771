import { expect, test } from 'bun:test';
import { join } from 'node:path';

/**
 * No Docker engine runs here, so the container files are checked as text: they must agree with
 * the app (port, data folder, listen address, what the binary needs next to it).
 */
const ROOT = join(import.meta.dir, '..', '..', '..');
const dockerfile = await Bun.file(join(ROOT, 'Dockerfile')).text();
const compose = Bun.YAML.parse(await Bun.file(join(ROOT, 'docker-compose.yml')).text()) as {
  services: Record<string, { build: string; ports: string[]; volumes: string[]; environment: Record<string, string> }>;
  volumes: Record<string, unknown>;
};

test('the image builds the single binary with npm and ships what it serves next to it', () => {
  expect(dockerfile).toContain('RUN npm ci');
  expect(dockerfile).toContain('RUN npm run build');
  expect(dockerfile).toMatch(/COPY --from=build \/src\/dist\/ragchat /);
  expect(dockerfile).toMatch(/COPY --from=build \/src\/assets /);
  expect(dockerfile).toMatch(/COPY --from=build \/src\/ingest\/sample-docs /);
  expect(dockerfile).toMatch(/ENV HOST=0\.0\.0\.0 PORT=3000 DATA_DIR=\/data/);
  expect(dockerfile).toContain('EXPOSE 3000');
  // Not root at run time.
  expect(dockerfile).toMatch(/^USER ragchat$/m);
});

test('the compose file runs that image on port 3000 with /data in a volume, keys from the environment', () => {
  const app = compose.services.ragchat;
  expect(app?.build).toBe('.');
  expect(app?.ports).toContain('3000:3000');
  expect(app?.volumes).toContain('ragchat-data:/data');
  expect(Object.keys(compose.volumes)).toContain('ragchat-data');
  // No secret is written into the file: keys come from the user's environment.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation syntax, on purpose.
  expect(app?.environment.OPENAI_API_KEY).toBe('${OPENAI_API_KEY:-}');
});

test('the build script compiles src/main.ts into dist/ragchat', async () => {
  const pkg = await Bun.file(join(ROOT, 'package.json')).json();
  expect(pkg.scripts.build).toContain('bun build --compile');
  expect(pkg.scripts.build).toContain('src/main.ts');
  expect(pkg.scripts.build).toContain('--outfile dist/ragchat');
  expect(pkg.devDependencies.bun).toMatch(/^1\.4\./);
});
