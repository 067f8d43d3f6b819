import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DAEMON_MAIN, ON_PIPES, printingCrate, printingCrateArgs, realRustc, run, Store, tempDir, waitFor } from './helpers.js';

// A daemon outlives the build that started it. Any pipe it inherited stays
// open as long as it runs: a shell reading that pipe (a `2> >(tee log)`, as CI
// scripts write) waited for end of file until the daemon's idle timeout. Here
// the call runs as `bash -c '"$@" 2> >(cat >&2) | cat'`, whose process
// substitution reaches every process under it: with the daemon holding it,
// the call took the whole idle timeout (120 s here; 600 s by default).

/** The daemon's descriptors above stderr that its children would inherit (no close-on-exec), as `fd -> target`. */
function inheritable(pid: number): string[] {
  const out: string[] = [];
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    if (Number(name) < 3) continue;
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${name}`, 'latin1'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) out.push(`${name} -> ${readlinkSync(`/proc/${pid}/fd/${name}`)}`);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** Pipes of which the daemon holds one end only: its own come in pairs, so such a one is a pipe somebody else reads or writes. */
function lonePipeEnds(pid: number): string[] {
  const targets = readdirSync(`/proc/${pid}/fd`).flatMap((n) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${n}`)];
    } catch {
      return [];
    }
  });
  return targets.filter((x) => x.startsWith('pipe:') && targets.indexOf(x) === targets.lastIndexOf(x));
}

async function startsCleanly(t: Test, store: Store, args: string[], extra: NodeJS.ProcessEnv, cwd?: string, shell = ON_PIPES): Promise<void> {
  const t0 = Date.now();
  const r = await run('/bin/bash', ['-c', shell, '_', BIN, ...args], { cwd, env: store.env(extra) });
  const ms = Date.now() - t0;
  t.equal(r.code, 0, r.stderr);
  t.ok(ms < 20_000, `the call ended with its work, not with the daemon (${ms} ms; its idle timeout is 120 s)`);
  // cargo's probe returns at once, while the daemon it started comes up.
  t.ok(await waitFor(() => existsSync(join(store.dir, 'exec.port'))), 'the daemon is up');
  const pid = store.daemonPid();
  // The starter under test: bash spells the bundle's path from its own (`bin/../packages/…`), node's join does not.
  const main = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[1];
  t.ok(extra.SPLITCACHE_CLIENT === 'node' ? main === DAEMON_MAIN : main?.includes('/bin/../packages/'), `started by ${extra.SPLITCACHE_CLIENT === 'node' ? 'the node client' : 'bin/splitcache'} (${main})`);
  const held = inheritable(pid);
  t.notOk(
    held.some((h) => /pipe:|socket:/.test(h)),
    `the daemon holds no pipe or socket it inherited (inheritable: ${held.join(', ') || 'none'})`,
  );
  t.same(lonePipeEnds(pid), [], 'nor one end of anyone else\'s pipe');
}

/**
 * The substitution's pipe at fd 21, in one run of open descriptors from fd 3 up: node marks such
 * descriptors close-on-exec itself, so the flag alone doesn't tell them from the daemon's own.
 */
const IN_A_RUN = 'for fd in $(seq 3 20); do eval "exec $fd</dev/null"; done; exec 21> >(cat >&2); "$@" 2>&21 | cat';

t.test("a daemon started by cargo's first probe (bin/splitcache) keeps none of the caller's pipes", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await startsCleanly(t, store, [await realRustc(), '-vV'], {});
});

// `@` in the store dir's path is outside the bytes bin/splitcache takes for a socket path: it leaves
// the start to the node client. With SPLITCACHE_CLIENT=node alone, bash started the daemon before
// the client ran, and these cases tested bash's start twice.
const nodeStore = () => new Store(tempDir('store@node'));

t.test('a daemon started by the node client keeps none of the caller\'s pipes', async (t) => {
  const store = nodeStore();
  t.teardown(() => store.stop());
  const cwd = printingCrate('inherited');
  await startsCleanly(t, store, [await realRustc(), ...printingCrateArgs(cwd)], { SPLITCACHE_CLIENT: 'node' }, cwd);
});

t.test("a daemon keeps none of the caller's pipes inherited in one run of descriptors from fd 3, by either starter", async (t) => {
  const rustc = await realRustc();
  for (const client of ['exec', 'node']) {
    const store = client === 'node' ? nodeStore() : new Store();
    t.teardown(() => store.stop());
    const cwd = printingCrate(`in a run ${client}`);
    const args = client === 'exec' ? [rustc, '-vV'] : [rustc, ...printingCrateArgs(cwd)];
    await startsCleanly(t, store, args, client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {}, cwd, IN_A_RUN);
  }
});
