import t from 'tap';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileTree, run, Store } from './helpers.js';

// A daemon outlives the build that started it. bin/splitcache closed only fds 3-9 for it, and
// node, as it starts, marks inherited descriptors in the range of its own close-on-exec, so the
// daemon's entry took them for its own and kept them: a pipe whose both ends the caller held
// (a jobserver's, a CI harness's) kept its reader from ever seeing end of file, and a file the
// caller had locked (`exec 14>lock; flock 14; cargo build`) stayed locked until the daemon idled
// out. Here the caller holds such a pipe at fds 12 and 13 and a locked file at fd 14, and a real
// cargo build through bin/splitcache starts the daemon (cargo's first `rustc -vV` probe).

const CALLER = `
set -u
exec 12> >(exec >/dev/null 2>&1; cat; echo eof >"$1/eof")
exec 13</proc/self/fd/12
exec 14>"$1/lock"
flock 14
cargo build -q || exit 90
exec 12>&- 13<&- 14>&-
for i in $(seq 200); do [ -e "$1/eof" ] && break; sleep 0.05; done
if [ -e "$1/eof" ]; then echo 'reader: end of file'; else echo 'reader: no end of file'; fi
if flock -n "$1/lock" true; then echo 'lock: free'; else echo 'lock: held'; fi
`;

t.test("a daemon bin/splitcache starts during a cargo build keeps none of the caller's descriptors above 9", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree({ 'Cargo.toml': '[package]\nname = "fdcaller"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': 'fn main() {}\n' }, 'fdcaller');
  const r = await run('/bin/bash', ['-c', CALLER, '_', ws], { cwd: ws, env: store.env() });
  t.equal(r.code, 0, r.stderr);
  const pid = store.daemonPid();
  t.match(r.stdout, /reader: end of file/, "the pipe's reader saw end of file once the caller closed its ends");
  t.match(r.stdout, /lock: free/, 'the lock the caller took is free once the caller closed its file');
  const held = readdirSync(`/proc/${pid}/fd`).flatMap((n) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${n}`)];
    } catch {
      return [];
    }
  });
  t.notOk(held.includes(join(ws, 'lock')), `the daemon holds no caller's file (${held.join(', ')})`);
});
