// Bundles the daemon's entry (dist/src/main.js), every workspace package it
// imports and their pure-JS npm dependencies into dist/bundle/: the daemon
// starts on demand, often once per build, on the critical path of a new CI
// job's first crates. Resolving and loading some forty ES modules one by one
// took about 60 ms of its ~210 ms start here; LevelDB's JS layer
// (abstract-level and friends, CommonJS) another 12-18 ms, and msgpackr's node
// entry, which looks for its optional native string decoder, 20-24 ms.
//
// - LevelDB's native binding stays outside: classic-level finds its .node file
//   from its own directory, so `./binding` is left as `classic-level/binding.js`.
// - msgpackr is bundled as its pure-JS build (what `msgpackr/pack` names under
//   the node condition): the native decoder only speeds up long strings, and
//   the daemon's records are small.
// - undici, used only by the remote tier, stays external, and the remote tier
//   is a separate chunk, loaded only when a remote is configured.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, '..', 'dist', 'bundle');
// Chunk names carry content hashes: without this, every build would leave the last one's chunks behind.
rmSync(outdir, { recursive: true, force: true });

/** classic-level's `require('./binding')` → an external `classic-level/binding.js`, resolved at run time. */
const levelBinding = {
  name: 'level-binding',
  setup(b) {
    b.onResolve({ filter: /^\.\/binding(\.js)?$/ }, (args) =>
      /[\\/]classic-level[\\/]/.test(args.importer) ? { path: 'classic-level/binding.js', external: true } : undefined,
    );
  },
};

await build({
  entryPoints: [join(here, '..', 'dist', 'src', 'main.js')],
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['undici'],
  alias: { msgpackr: 'msgpackr/pack' },
  plugins: [levelBinding],
  // Bundled CommonJS code (xxhash-wasm) may call require.
  banner: { js: "import { createRequire as scCreateRequire } from 'node:module'; const require = scCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
