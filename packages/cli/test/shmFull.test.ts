/**
 * A full /dev/shm (Docker's is 64 MB, shared with all else in the container:
 * a browser under test, PostgreSQL). The exec port's runs keep their files
 * there (daemon/src/runsHome.ts). Before, a full one made every call the
 * daemon carried build uncached, one line each, for the rest of its life; a
 * link step whose rustc lost its output to it failed (rustc aborts, exit 134),
 * printed SPLITCACHE_LINK_FAILED and evicted its hit; and a crate that read
 * RUSTC_BOOTSTRAP, whose rerun is quiet, failed the build with exit 134.
 * Each test runs its daemon and builds in a mount namespace of its own
 * (`unshare -m`, root) with a 256 KiB tmpfs over /dev/shm, entered with
 * nsenter, and fills that tmpfs; the machine's own /dev/shm is not touched.
 */
import t from 'tap';
import type { Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, fileTree, run, Store, type RunResult } from './helpers.js';

const root = process.getuid?.() === 0;
const canUnshare = root && spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0 && spawnSync('nsenter', ['--version']).status === 0;
const skip = !canUnshare && 'needs root, for unshare -m, nsenter and a tmpfs over /dev/shm';

const SHM_KIB = 256;

/**
 * A mount namespace with a new SHM_KIB tmpfs over /dev/shm (and, given `store`, one of
 * `store.kib` over its dir), held by a sleep until the test ends; `inside` runs a command in
 * it, `fill` leaves `freeKib` free in one of those tmpfs (/dev/shm unless named).
 */
async function smallShm(t: Test, store?: { dir: string; kib: number }) {
  const mounts = [`mount -t tmpfs -o size=${SHM_KIB}k tmpfs /dev/shm`, ...(store ? [`mount -t tmpfs -o size=${store.kib}k tmpfs "$0"`] : [])];
  // Its stderr piped, not inherited: a sleep holding the test's own stderr kept tap waiting up to
  // 600 s after a failure under --bail (which runs no teardown).
  const holder = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${mounts.join(' && ')} && echo mounted && exec sleep 600`, store?.dir ?? ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  holder.stderr.on('data', (d: Buffer) => (said += d.toString()));
  // The namespace, and its tmpfs, go with the last process in it: the sleep, and the daemon stopped by its Store's teardown.
  t.teardown(() => void holder.kill('SIGKILL'));
  await new Promise<void>((res, rej) => {
    holder.stdout.once('data', () => res());
    holder.once('exit', (code) => rej(new Error(`unshare exited ${code}: ${said.trim()}`)));
  });
  // Entering a mount namespace sets the working directory to its root: --wd sets it back.
  const inside = (cmd: string, args: string[], env?: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<RunResult> =>
    run('nsenter', ['-t', String(holder.pid), '-m', `--wd=${cwd}`, '--', cmd, ...args], { env });
  const fill = async (freeKib: number, dir = '/dev/shm') => {
    const r = await inside('sh', ['-c', 'avail=$(df -k --output=avail "$2" | tail -n 1) && fallocate -l $((avail - $1))k "$2/fill" && df -k "$2"', 'sh', String(freeKib), dir]);
    if (r.code !== 0) throw new Error(`fallocate: ${r.stderr}`);
    t.comment(r.stdout.trim().split('\n').at(-1) ?? '');
  };
  return { inside, fill };
}

/** A package with a lib and a bin that prints `text` through it. */
function pkg(text: string, main = 'fn main() { println!("{}", shm::text()); }\n'): string {
  return fileTree({
    'Cargo.toml': '[package]\nname = "shm"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/lib.rs': `pub fn text() -> &'static str { "${text}" }\n`,
    'src/main.rs': main,
  });
}

/**
 * A store, a namespace with a small /dev/shm (and a `storeKib` tmpfs over the store dir, given
 * one; and that /dev/shm filled to `shmFreeKib` first, given that) whose daemon is started in it
 * and stopped at the end, and a package printing `text`.
 */
async function inNamespace(t: Test, text: string, { main, storeKib, shmFreeKib }: { main?: string; storeKib?: number; shmFreeKib?: number } = {}) {
  const store = new Store();
  // Given a tmpfs of its own, the store is seen only in the namespace: every request to its daemon goes through it.
  const ns = await smallShm(t, storeKib ? { dir: store.dir, kib: storeKib } : undefined);
  t.teardown(() => ns.inside(BIN, ['server', 'stop'], store.env()));
  const ws = pkg(text, main);
  if (shmFreeKib !== undefined) await ns.fill(shmFreeKib);
  t.equal((await ns.inside(BIN, ['server', 'start'], store.env())).code, 0, 'the daemon starts in the namespace');
  return { store, ns, ws };
}

const lines = (r: RunResult) => r.stderr.split('\n').filter((l) => l.startsWith('splitcache:'));

/** After `cargo clean`, a build in session `session` succeeds silently, both its calls hit (`hits` says why that matters), and the bin prints `text`. */
async function hitsAgain(t: Test, ns: Awaited<ReturnType<typeof smallShm>>, store: Store, ws: string, cargo: (session: string) => Promise<RunResult>, session: string, text: string, hits = 'and its calls are hits'): Promise<void> {
  await ns.inside('cargo', ['clean'], store.env(), ws);
  const r = await cargo(session);
  t.equal(r.code, 0, 'the next build succeeds');
  t.same(lines(r), [], 'silently');
  t.same((await store.calls(session)).map((e) => e.outcome), ['hit', 'hit'], hits);
  t.equal((await run(join(ws, 'target/debug/shm'), [])).stdout, `${text}\n`, 'the binary works');
}

t.test('/dev/shm full before the build: one line, the runs move to the store dir, and every call is cached', { skip }, async (t) => {
  const { store, ns, ws } = await inNamespace(t, 'full from the start');
  t.match(readFileSync(join(store.dir, 'exec.port'), 'utf8'), / \/dev\/shm\/splitcache-/, 'its runs are on /dev/shm');
  await ns.fill(0);

  const cargo = (session: string) => ns.inside('cargo', ['build'], store.env({ SPLITCACHE_SESSION: session }), ws);
  const first = await cargo('first');
  t.equal(first.code, 0, 'the build succeeds');
  t.same(lines(first).length, 1, `with one line: ${lines(first).join(' | ')}`);
  t.match(lines(first)[0] ?? '', /SPLITCACHE_EXEC_RUN: \/dev\/shm is full/, 'saying /dev/shm is full');
  t.equal(readFileSync(join(store.dir, 'exec.port'), 'utf8').trim().split(' ')[2], join(store.dir, 'runs'), 'exec.port names runs/ in the store dir');
  t.equal((await run(join(ws, 'target/debug/shm'), [])).stdout, 'full from the start\n', 'the binary works');
  // The run that found /dev/shm full made its files there before the write failed: they are removed, not left to hold its memory (mutation N03 left them).
  t.equal((await ns.inside('sh', ['-c', 'find /dev/shm/splitcache-* -type f 2>/dev/null'])).stdout, '', 'no run file left on /dev/shm');
  const calls = await store.calls('first');
  t.same(calls.map((e) => [e.crateType, e.notStored ?? 'stored']), [['lib', 'stored'], ['bin', 'stored']], 'both calls stored, the first set up again in the store dir');

  await hitsAgain(t, ns, store, ws, cargo, 'second', 'full from the start');
});

t.test('/dev/shm full before the daemon starts: its runs go to the store dir from the start, and nothing is said', { skip }, async (t) => {
  const { store, ns, ws } = await inNamespace(t, 'full before the daemon', { shmFreeKib: 4 });
  t.equal(readFileSync(join(store.dir, 'exec.port'), 'utf8').trim().split(' ')[2], join(store.dir, 'runs'), 'exec.port names runs/ in the store dir');
  const cargo = (session: string) => ns.inside('cargo', ['build'], store.env({ SPLITCACHE_SESSION: session }), ws);
  const first = await cargo('first');
  t.equal(first.code, 0, 'the build succeeds');
  t.same(lines(first), [], 'silently (before: one line, from the first run that found /dev/shm full)');
  t.same((await store.calls('first')).map((e) => [e.crateType, e.notStored ?? 'stored']), [['lib', 'stored'], ['bin', 'stored']], 'both calls stored');
  await hitsAgain(t, ns, store, ws, cargo, 'second', 'full before the daemon');
});

t.test('/dev/shm filled while a call is under way (its compile fills it): its link step is set up again in the store dir, named from the old dir, and the call is cached', { skip }, async (t) => {
  const { store, ns, ws } = await inNamespace(t, 'filled under way');
  // A rustc whose -Zno-link half fills /dev/shm as it starts: the call's caller has read exec.port naming /dev/shm, and its link step
  // comes after. The page its own arguments' file holds is taken too (bash has read it), else the link step's arguments would go there.
  const rustc = join(ws, 'rustc-filling');
  const fills = `find /dev/shm -type f -name '[0-9]*' ! -name '*.*' -delete; avail=$(df -k --output=avail /dev/shm | tail -n 1); fallocate -l "\${avail}k" /dev/shm/filled-under-way`;
  writeFileSync(rustc, `#!/bin/sh\ncase " $* " in *" -Zno-link "*) ${fills} 2>/dev/null ;; esac\nexec rustc "$@"\n`, { mode: 0o755 });
  const cargo = (session: string) => ns.inside('cargo', ['build'], store.env({ RUSTC: rustc, SPLITCACHE_SESSION: session }), ws);
  const first = await cargo('first');
  t.equal(first.code, 0, 'the build succeeds');
  t.same(lines(first).length, 1, `with one line: ${lines(first).join(' | ')}`);
  t.match(lines(first)[0] ?? '', /SPLITCACHE_EXEC_RUN: \/dev\/shm is full .* from now on$/, 'saying /dev/shm is full, and nothing of building uncached');
  t.equal((await run(join(ws, 'target/debug/shm'), [])).stdout, 'filled under way\n', 'the binary works');
  t.same((await store.calls('first')).map((e) => [e.crateType, e.notStored ?? 'stored']), [['lib', 'stored'], ['bin', 'stored']], 'both calls stored');
  await hitsAgain(t, ns, store, ws, cargo, 'second', 'filled under way');
});

t.test("/dev/shm filled while a hit's link step writes its output: the build succeeds, the entry stays, and later calls are hits", { skip }, async (t) => {
  const { store, ns, ws } = await inNamespace(t, 'filled under the link');
  const cargo = (session: string) => ns.inside('cargo', ['build'], store.env({ SPLITCACHE_SESSION: session }), ws);
  const stored = await cargo('stored');
  t.equal(stored.code, 0, 'a build with room stores');
  t.same(lines(stored), [], 'silently');

  // One page left: the link step's arguments take it, and rustc then can't write its artifact notice (exit 134).
  await ns.fill(4);
  await ns.inside('cargo', ['clean'], store.env(), ws);
  const filled = await cargo('filled');
  t.equal(filled.code, 0, 'the build succeeds');
  t.same(lines(filled).length, 1, `with one line: ${lines(filled).join(' | ')}`);
  t.match(lines(filled)[0] ?? '', /SPLITCACHE_EXEC_RUN: \/dev\/shm is full/, 'saying /dev/shm is full (not a failed link)');
  t.equal((await run(join(ws, 'target/debug/shm'), [])).stdout, 'filled under the link\n', 'the binary works');
  // Its link step failed to run, not to link: the .rlink it was given is removed all the same, as a plain build leaves none (mutation C04 left it).
  t.same(readdirSync(join(ws, 'target'), { recursive: true }).filter((f) => String(f).endsWith('.rlink')), [], 'no .rlink left in the target dir');
  // The bin hit, then was linked by a plain rustc after all: a miss that stored nothing, not a hit.
  t.same((await store.calls('filled')).map((e) => `${e.crateType}:${e.outcome}:${e.reason ?? ''}`), ['lib:hit:', 'bin:miss:runs-dir-full'], 'the bin, built plainly, is counted as a miss (runs-dir-full), the lib as a hit');
  // explain told it as a miss whose result was not stored, "the next build misses too": it hits.
  t.equal(
    (await store.splitcache(['explain', 'shm', '--type', 'bin', '--session', 'filled'])).stdout,
    "shm hit, then was compiled by a plain rustc after all:\n  rustc's output was lost to a full runs dir (its entry is kept: a build with room hits it)\n",
    'explain says it hit, was built plainly, and its entry is kept',
  );

  await hitsAgain(t, ns, store, ws, cargo, 'after', 'filled under the link', 'both calls are hits: the bin was not evicted');
  t.same((await store.stats()).errors, {}, 'no cache error counted');
});

t.test('/dev/shm filled while a quiet rerun writes its output (a crate that reads RUSTC_BOOTSTRAP): the build succeeds, nothing stored for it', { skip }, async (t) => {
  const { store, ns, ws } = await inNamespace(t, 'unused', { main: 'fn main() { println!("{:?}", option_env!("RUSTC_BOOTSTRAP")); }\n' });
  await ns.fill(4);
  const r = await ns.inside('cargo', ['build'], store.env(), ws);
  t.equal(r.code, 0, 'the build succeeds (before: exit 134 from the rerun, whose stderr could not be written)');
  t.same(lines(r).length, 1, `with one line: ${lines(r).join(' | ')}`);
  t.equal((await run(join(ws, 'target/debug/shm'), [])).stdout, 'None\n', 'the binary sees no RUSTC_BOOTSTRAP, as a plain build');
  t.notOk((await store.calls()).some((e) => e.crateType === 'bin' && e.entryKey), 'nothing stored for the bin');
});

t.test('/dev/shm and the store\'s disk both full: each call that runs rustc builds uncached with one line, as before, and exec.port is left as it was', { skip }, async (t) => {
  const { store, ns, ws } = await inNamespace(t, 'both full', { storeKib: 4096 });
  const cargo = () => ns.inside('cargo', ['build'], store.env(), ws);
  t.equal((await cargo()).code, 0, 'a build with room stores');
  const port = (await ns.inside('cat', [join(store.dir, 'exec.port')])).stdout;
  await ns.fill(0);
  await ns.fill(0, store.dir);
  for (const which of ['first', 'second']) {
    await ns.inside('cargo', ['clean'], store.env(), ws);
    const r = await cargo();
    t.equal(r.code, 0, `the ${which} build succeeds`);
    t.same(lines(r).length, 1, `with one line (the hit's link step): ${lines(r).join(' | ')}`);
    t.match(lines(r)[0] ?? '', /^splitcache: SPLITCACHE_EXEC_RUN: cannot write a run's arguments to \/dev\/shm\//, 'coded as the run\'s fault, naming /dev/shm (not SPLITCACHE_STORE_FULL)');
    t.equal((await run(join(ws, 'target/debug/shm'), [])).stdout, 'both full\n', 'the binary works');
  }
  t.equal((await ns.inside('cat', [join(store.dir, 'exec.port')])).stdout, port, 'exec.port still names the runs dir on /dev/shm');
});

t.test("a compile error with /dev/shm nearly full is the crate's own: shown once, nothing said, the runs left where they are", { skip }, async (t) => {
  // The whole tmpfs is under the 1 MiB taken for nearly full: a failed run may have lost its output, and its
  // stderr, teed as it came, says whether (rustc's `os error 28`). Taken for lost (mutation N02), the call ran
  // again plainly (rustc run twice), with a line blaming /dev/shm, and the runs moved off it for good.
  const { store, ns, ws } = await inNamespace(t, 'unused', { main: 'fn main() { let x: u32 = "not a number"; }\n' });
  const r = await ns.inside('cargo', ['build'], store.env(), ws);
  t.not(r.code, 0, 'the build fails, as a plain one does');
  t.equal(r.stderr.split('error[E0308]').length - 1, 1, `rustc's error shown once: ${r.stderr}`);
  t.same(lines(r), [], 'nothing said of /dev/shm');
  t.match(readFileSync(join(store.dir, 'exec.port'), 'utf8'), / \/dev\/shm\/splitcache-/, 'its runs still on /dev/shm');
});
