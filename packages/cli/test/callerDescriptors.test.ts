import t, { type Test } from 'tap';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, DAEMON_MAIN, fileTree, printingCrate, printingCrateArgs, realRustc, run, Store, tempDir, type RunResult } from './helpers.js';

// A daemon outlives the build that started it. bin/splitcache closed only fds 3-9 for it, and
// node, as it starts, marks inherited descriptors in the range of its own close-on-exec, so the
// daemon's entry took them for its own and kept them: a pipe whose both ends the caller held
// (a jobserver's, a CI harness's) kept its reader from ever seeing end of file, and a file the
// caller had locked (`exec 14>lock; flock 14; cargo build`) stayed locked until the daemon idled
// out. Here the caller holds such a pipe and a locked file at fds 12-14, and again at 40-42 (above
// the run node marks), and runs "$@": a real cargo build through bin/splitcache, whose first
// `rustc -vV` probe starts the daemon, or a call that leaves the start to the node client.

// The second pipe's reader closes the first's descriptors, which it inherits: else it alone would
// keep the first pipe open, and its lock held, whenever the daemon keeps the second.
const CALLER = `
set -u
d=$1; shift
exec 12> >(exec >/dev/null 2>&1; cat; echo eof >"$d/eof12")
exec 13</proc/self/fd/12
exec 14>"$d/lock12"
exec 40> >(exec 12>&- 13<&- 14>&- >/dev/null 2>&1; cat; echo eof >"$d/eof40")
exec 41</proc/self/fd/40
exec 42>"$d/lock40"
flock 14
flock 42
"$@" || exit 90
exec 12>&- 13<&- 14>&- 40>&- 41<&- 42>&-
for fd in 12 40; do
  for i in $(seq 200); do [ -e "$d/eof$fd" ] && break; sleep 0.05; done
  if [ -e "$d/eof$fd" ]; then echo "reader $fd: end of file"; else echo "reader $fd: no end of file"; fi
  if flock -n "$d/lock$fd" true; then echo "lock $fd: free"; else echo "lock $fd: held"; fi
done
`;

/** Runs `command` under CALLER; checks the daemon it started, which `main` (its bundle's path, as its starter spelt it) tells apart. */
async function keepsNone(t: Test, store: Store, command: string[], cwd: string, starter: RegExp, extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const d = tempDir('caller-fds');
  const r = await run('/bin/bash', ['-c', CALLER, '_', d, ...command], { cwd, env: store.env(extra) });
  t.equal(r.code, 0, r.stderr);
  const pid = store.daemonPid();
  t.match(readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[1], starter, 'the daemon was started by the starter under test');
  for (const fd of [12, 40]) {
    t.match(r.stdout, `reader ${fd}: end of file`, `the pipe at ${fd}: its reader saw end of file once the caller closed its ends`);
    t.match(r.stdout, `lock ${fd}: free`, `the lock at ${fd + 2} is free once the caller closed its file`);
  }
  const held = readdirSync(`/proc/${pid}/fd`).flatMap((n) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${n}`)];
    } catch {
      return [];
    }
  });
  t.notOk(held.some((h) => h.startsWith(d)), `the daemon holds no caller's file (${held.join(', ')})`);
  return r;
}

t.test("a daemon bin/splitcache starts during a cargo build keeps none of the caller's descriptors above 9", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({ 'Cargo.toml': '[package]\nname = "fdcaller"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': 'fn main() {}\n' }, 'fdcaller');
  // bash spells the bundle's path from its own (`bin/../packages/…`); node's join does not.
  await keepsNone(t, store, ['cargo', 'build', '-q'], ws, /\/bin\/\.\.\/packages\//);
});

t.test("a daemon the node client starts keeps none of the caller's descriptors either", async (t) => {
  // `@` in the store dir's path is outside the bytes bin/splitcache takes for a socket path: it
  // leaves the start to the client. (With SPLITCACHE_CLIENT=node alone, bash still starts it.)
  const store = new Store(tempDir('store@node'));
  t.teardown(() => store.stop());
  const cwd = printingCrate('caller fds, node');
  const exact = new RegExp(`^${DAEMON_MAIN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await keepsNone(t, store, [BIN, await realRustc(), ...printingCrateArgs(cwd)], cwd, exact, { SPLITCACHE_CLIENT: 'node' });
});
