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
  // msgpackr's node entry tries to load its native extension (msgpackr-extract),
  // probing the file system on every start: 15-45 ms measured here. The client's
  // frames are small; the pure-JS entry is all it needs.
  alias: { msgpackr: join(here, '..', '..', '..', 'node_modules', 'msgpackr', 'index.js') },
});
