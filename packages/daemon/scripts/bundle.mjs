// Bundles the daemon's entry (dist/src/main.js) and every workspace package it
// imports into dist/bundle/: the daemon starts on demand, often once per build,
// and resolving and loading some forty ES modules one by one took about 60 ms of
// its ~210 ms start here. The remote tier stays a separate chunk, loaded only
// when a remote is configured. Packages with native parts (LevelDB, msgpackr's
// optional addon) or large ones used only by the remote (undici) stay external.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, '..', 'dist', 'src', 'main.js')],
  outdir: join(here, '..', 'dist', 'bundle'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['level', 'classic-level', 'msgpackr', 'undici'],
  // Bundled CommonJS code (xxhash-wasm) may call require.
  banner: { js: "import { createRequire as scCreateRequire } from 'node:module'; const require = scCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
