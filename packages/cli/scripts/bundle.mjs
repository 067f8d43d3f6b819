// Bundles the thin wrapper client into one CommonJS file: a single read and
// compile at start-up, no module resolution walk. Its start-up is the hot path.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, '..', 'dist', 'src', 'client.js')],
  outfile: join(here, '..', 'dist', 'client.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
});
