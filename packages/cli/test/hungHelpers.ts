import type { Test } from 'tap';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runningDaemonPid } from '../src/daemonPid.js';
import { BIN, printingCrate, printingCrateArgs, run, Store, tempDir, waitFor } from './helpers.js';

// What the hung-daemon tests share (hungDaemon.test.ts, hungDaemonCrate.test.ts).

/** A store whose daemon runs and has its exec port, after one call built `first`; the daemon is woken before it is stopped at the end. */
export async function runningStore(t: Test, rustc: string, first = printingCrate('first')): Promise<Store> {
  const store = new Store();
  t.teardown(async () => {
    const pid = runningDaemonPid(store.dir);
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    await store.stop();
  });
  const r = await run(BIN, [rustc, ...printingCrateArgs(first)], { cwd: first, env: store.env() });
  t.equal(r.code, 0, `a first call starts the daemon ${r.stderr}`);
  t.ok(await waitFor(() => existsSync(join(store.dir, 'exec.port'))), 'the daemon has its exec port');
  return store;
}

/**
 * Where in a split call the daemon is stopped: as its -Zno-link half starts (the daemon then owes
 * the caller the link step), or once the link step's rustc has linked (it owes the call's end). The
 * link step's rustc is started ahead, its arguments read from `@/dev/fd/N`.
 */
export const STOPS = [
  { when: 'as its -Zno-link half starts', match: '*" --crate-name "*', after: false },
  { when: 'once its link step has linked', match: '*" @/dev/fd/"*', after: true },
] as const;

/** A rustc (a script over `real`) that stops the store's daemon, once, at `stop`; `once` is made when it has. */
export function stoppingRustc(store: Store, real: string, stop: (typeof STOPS)[number]): { rustc: string; once: string } {
  const bin = tempDir('rustc');
  const rustc = join(bin, 'rustc');
  const once = join(bin, 'stopped');
  const stopDaemon = `if [ ! -e '${once}' ]; then : > '${once}'; kill -STOP "$(cat '${join(store.dir, 'daemon.pid')}')"; fi`;
  const body = stop.after
    ? `case " $* " in ${stop.match}) '${real}' "$@"; code=$?; ${stopDaemon}; exit $code ;; esac\nexec '${real}' "$@"\n`
    : `case " $* " in ${stop.match}) ${stopDaemon} ;; esac\nexec '${real}' "$@"\n`;
  writeFileSync(rustc, `#!/bin/sh\n${body}`, { mode: 0o755 });
  return { rustc, once };
}
