import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, printingCrate, printingCrateArgs, realRustc, runOnPipes, Store, waitFor } from './helpers.js';

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

async function startsCleanly(t: Test, store: Store, args: string[], extra: NodeJS.ProcessEnv, cwd?: string): Promise<void> {
  const t0 = Date.now();
  const r = await runOnPipes(BIN, args, { cwd, env: store.env(extra) });
  const ms = Date.now() - t0;
  t.equal(r.code, 0, r.stderr);
  t.ok(ms < 20_000, `the call ended with its work, not with the daemon (${ms} ms; its idle timeout is 120 s)`);
  // cargo's probe returns at once, while the daemon it started comes up.
  t.ok(await waitFor(() => existsSync(join(store.dir, 'exec.port'))), 'the daemon is up');
  const pid = store.daemonPid();
  const held = inheritable(pid);
  t.notOk(
    held.some((h) => /pipe:|socket:/.test(h)),
    `the daemon holds no pipe or socket it inherited (inheritable: ${held.join(', ') || 'none'})`,
  );
}

t.test("a daemon started by cargo's first probe (bin/splitcache) keeps none of the caller's pipes", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  await startsCleanly(t, store, [await realRustc(), '-vV'], {});
});

t.test('a daemon started by the node client keeps none of the caller\'s pipes', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = printingCrate('inherited');
  await startsCleanly(t, store, [await realRustc(), ...printingCrateArgs(cwd)], { SPLITCACHE_CLIENT: 'node' }, cwd);
});
