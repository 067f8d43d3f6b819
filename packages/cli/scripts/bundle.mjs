// Bundles the thin wrapper client into one CommonJS file: a single read and
// compile at start-up, no module resolution walk. Its start-up is the hot path.
import { build } from 'esbuild';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, '..', 'dist', 'client.cjs');
// Written beside its place and renamed (below): a build's calls go on while `npm ci` rebuilds an
// install in place, and one that read the file half written failed on its syntax.
const next = `${outfile}.${process.pid}.next`;
const result = await build({
  entryPoints: [join(here, '..', 'dist', 'src', 'client.js')],
  outfile: next,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
// Every npm package in the client costs each rustc call its load and compile
// (msgpackr alone was 5 ms of a 50 ms start). The client speaks MessagePack
// through the daemon package's own small codec; keep it free of node_modules.
const fromNpm = Object.keys(result.metafile.inputs).filter((f) => f.includes('node_modules'));
if (fromNpm.length > 0) {
  rmSync(next, { force: true });
  console.error(`bundle.mjs: the client bundle must not include npm packages, found:\n  ${fromNpm.join('\n  ')}`);
  process.exit(1);
}
renameSync(next, outfile);

// `splitcache --version` (src/versionLine.ts) names the commit this install was built from, and
// its cache format. Outside a git checkout (a tarball), or where git can't read it, only the format.
const repo = join(here, '..', '..', '..');
const git = (...args) => {
  const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout.trim() : undefined;
};
const { CACHE_VERSION } = await import(pathToFileURL(join(repo, 'packages', 'daemon', 'dist', 'src', 'manifestKey.js')).href);
const commit = git('rev-parse', 'HEAD');
const info = { cacheVersion: CACHE_VERSION };
if (commit) Object.assign(info, { commit, date: git('log', '-1', '--format=%cs'), changed: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '' });
const infoFile = join(here, '..', 'dist', 'build-info.json');
writeFileSync(`${infoFile}.${process.pid}.next`, `${JSON.stringify(info)}\n`);
renameSync(`${infoFile}.${process.pid}.next`, infoFile);
