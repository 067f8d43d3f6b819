// Bundles the daemon's entry (dist/src/main.js), every workspace package it
// imports and their pure-JS npm dependencies into one CommonJS file,
// dist/bundle/daemon.cjs, which dist/bundle/main.cjs (scripts/entry.cjs)
// starts through V8's code cache: the daemon starts on demand, often once per
// build, on the critical path of a new CI job's first crates. Measured here,
// from spawn to listening:
// - loading some forty ES modules one by one took about 60 ms of a ~210 ms
//   start; LevelDB's JS layer (abstract-level and friends) another 12-18 ms,
//   and msgpackr's node entry, which looks for its optional native string
//   decoder, 20-24 ms;
// - an ES module bundle (with a lazily loaded chunk for the remote tier) still
//   paid node's ESM loader, ~14 ms: 89 → 75 ms p50 as one CommonJS file;
// - its whitespace and comments: 442 KB with them, some lines not ASCII (so
//   node decodes the text as UTF-8 into a two-byte string), 304 KB and ASCII
//   without. The daemon's CPU to its exec port, alternating the two builds
//   (18 starts each, 2026-12-03): 146.5 → 135.3 ms; wall 167 → 156 ms.
//   Identifiers are kept, so stack traces still name functions.
//
// - LevelDB's native binding stays outside: classic-level finds its .node file
//   from its own directory, so `./binding` is left as `classic-level/binding.js`.
// - msgpackr is bundled as its pure-JS build (what `msgpackr/pack` names under
//   the node condition): the native decoder only speeds up long strings, and
//   the daemon's records are small.
// - undici, used only by the remote tier, stays external. The remote tier's
//   modules are inlined, but their bodies (and so `require('undici')`) run only
//   when a remote is configured: esbuild wraps a module reached through a
//   dynamic import() in a function called at that import.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const bundleDir = join(here, '..', 'dist', 'bundle');
// Built in a dir beside it, then each file renamed into place: `npm ci` in an install whose daemon
// runs rebuilds it while builds go on, and with the dir removed first, main.cjs was missing for
// the second esbuild takes. A daemon stopping for the changed install then had none to start
// from: the calls of that moment built uncached with `Cannot find module …/main.cjs`, and the
// next build's too, silently, behind the failed start's note (an upgrade helper's repro).
const outdir = `${bundleDir}.${process.pid}.next`;
// Such a dir of a build that was killed, or failed after esbuild, is removed by the next one.
const distDir = dirname(bundleDir);
for (const f of readdirSync(distDir)) {
  const pid = /^bundle\.(\d+)\.next$/.exec(f)?.[1];
  if (pid && !running(Number(pid))) rmSync(join(distDir, f), { recursive: true, force: true });
}
rmSync(outdir, { recursive: true, force: true });
process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));

function running(pid) {
  try {
    process.kill(pid, 0);
    return pid !== process.pid;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

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
  outfile: join(outdir, 'daemon.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['undici'],
  alias: { msgpackr: 'msgpackr/pack' },
  plugins: [levelBinding],
  legalComments: 'none',
  minifyWhitespace: true,
  logLevel: 'warning',
});

// The entry the client spawns: it runs daemon.cjs through V8's code cache (entry.cjs says why).
copyFileSync(join(here, 'entry.cjs'), join(outdir, 'main.cjs'));

// daemon.cjs first, then main.cjs, which starts it; then whatever else is there goes (an earlier
// layout's chunks, code caches of earlier bundles: entry.cjs names each by its bundle's size and mtime).
mkdirSync(bundleDir, { recursive: true });
const made = ['daemon.cjs', 'main.cjs'];
for (const f of made) renameSync(join(outdir, f), join(bundleDir, f));
rmSync(outdir, { recursive: true, force: true });
for (const f of readdirSync(bundleDir)) if (!made.includes(f)) rmSync(join(bundleDir, f), { recursive: true, force: true });
