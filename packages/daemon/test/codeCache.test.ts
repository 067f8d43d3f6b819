import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The daemon starts through V8's code cache (scripts/entry.cjs). A cache is
// written by the first start, used as it is by the next, and one that V8
// refuses (garbage, or made by another node) costs only the compile: the
// daemon still starts, and the cache is written again.

const bundle = join(import.meta.dirname, '..', 'bundle');
// A copy of the bundle inside the package, so that it still finds LevelDB's binding in node_modules.
const copy = join(import.meta.dirname, '..', `bundle-test-${process.pid}`);
t.teardown(() => rmSync(copy, { recursive: true, force: true }));
mkdirSync(copy);
for (const f of ['main.cjs', 'daemon.cjs']) copyFileSync(join(bundle, f), join(copy, f));

const caches = () => readdirSync(copy).filter((f) => f.endsWith('.cache'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a daemon from the copy on a new store; resolves once its socket accepts. */
async function start(): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sc-codecache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [join(copy, 'main.cjs')], { env: { ...process.env, SPLITCACHE_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  for (let i = 0; i < 500; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = connect(join(dir, 'daemon.sock'));
      s.on('connect', () => (s.destroy(), res(true)));
      s.on('error', () => res(false));
    });
    if (ok) return child;
    if (child.exitCode !== null) break;
    await sleep(10);
  }
  child.kill('SIGKILL');
  throw new Error(`the daemon did not listen: ${stderr}`);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

// The entry writes the cache 3 s after the start.
const CACHE_WRITTEN_MS = 3500;

t.test('the first start writes a cache, the next uses it unchanged', async (t) => {
  t.same(caches(), [], 'no cache before the first start');
  const first = await start();
  await sleep(CACHE_WRITTEN_MS);
  await stop(first);
  const [name] = caches();
  t.ok(name, `a cache was written: ${name}`);
  const file = join(copy, name!);
  t.ok(statSync(file).size > 10_000, `of ${statSync(file).size} bytes`);
  const before = readFileSync(file);
  const second = await start();
  await sleep(CACHE_WRITTEN_MS);
  await stop(second);
  t.same(caches(), [name], 'still the one cache');
  t.ok(readFileSync(file).equals(before), 'not written again: V8 took it');
});

t.test('a cache V8 refuses only costs the compile', async (t) => {
  const [name] = caches();
  const file = join(copy, name!);
  writeFileSync(file, Buffer.alloc(4096, 0xa5));
  const child = await start();
  t.pass('the daemon starts with a garbage cache');
  await sleep(CACHE_WRITTEN_MS);
  await stop(child);
  const now = readFileSync(file);
  t.notOk(now.equals(Buffer.alloc(4096, 0xa5)), 'and writes a good one in its place');
  t.ok(now.length > 10_000);
});
