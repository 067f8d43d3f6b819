/**
 * A build whose container ends with it: `docker run --rm … cargo build`, a
 * Dockerfile's `RUN cargo build` over a cache mount, a CI job container that
 * stops once its step is done. Every process in the container is killed at
 * once, the daemon too. A call's reply came before its store, which went on in
 * the background, so the store begun for the build's last crate was lost, and
 * that crate missed in every build (3 of 4 times here for `cargo build -p
 * fx-util`, whose last crate is a lib). The container is a pid namespace made
 * with `unshare -p -f --kill-child` (root): once cargo (its first process)
 * ends, the kernel kills the rest; `--mount-proc` gives it a /proc of its own, as a container
 * has, so that its calls take the exec port; without it they take the node client.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, fileTree, hitRate, ON_PIPES, run, Store } from './helpers.js';

const root = process.getuid?.() === 0;
const canUnshare = root && spawnSync('unshare', ['-p', '-f', '--kill-child', '--mount-proc', 'true']).status === 0;

// The build, as the container's first process: with the exec port, its daemon started first (a
// fresh store's single call would otherwise come before it listens there) and its output on pipes.
const EXEC_PORT = `"$0" server start >/dev/null && ${ON_PIPES.replace('"$@"', 'cargo build -q')}`;
// One crate whose output holds 16 MiB: its store takes long enough to be cut off every time. A
// lib is cached whole; a bin is split, and its store (of the -Zno-link half's objects) goes on
// while its link step runs.
const CRATES = {
  lib: { 'Cargo.toml': '[package]\nname = "big-lib"\nversion = "0.1.0"\nedition = "2021"\n', 'src/lib.rs': 'pub static DATA: &[u8] = include_bytes!("../data.bin");\n' },
  bin: {
    'Cargo.toml': '[package]\nname = "big-bin"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'static DATA: &[u8] = include_bytes!("../data.bin");\nfn main() {\n    println!("{}", DATA.len());\n}\n',
  },
};
for (const [how, command] of [
  ['the exec port', ['--mount-proc', '/bin/bash', '-c', EXEC_PORT, BIN]],
  ['the node client', ['cargo', 'build', '-q']],
] as const) for (const [kind, files] of Object.entries(CRATES)) {
  t.test(`the last crate of a build whose container ends with it is stored (a ${kind}, ${how})`, { skip: !canUnshare && 'needs root, for unshare -p' }, async (t) => {
    const ws = fileTree(files);
    writeFileSync(join(ws, 'data.bin'), randomBytes(16 << 20));
    for (const round of [1, 2]) {
      const store = new Store();
      t.teardown(() => store.stop());
      const log = join(ws, `calls-${round}.jsonl`);
      const inContainer = await run('unshare', ['-p', '-f', '--kill-child', ...command], { cwd: ws, env: store.env({ SPLITCACHE_TIMING_LOG: log }) });
      assertOk(t, inContainer, `round ${round}: the build in the container succeeds`);
      const client = (JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!) as { client?: string }).client;
      t.equal(client === 'exec' ? 'the exec port' : 'the node client', how, `the call took ${how}`);
      rmSync(join(ws, 'target'), { recursive: true, force: true });
      const session = `after-${round}`;
      const next = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session });
      assertOk(t, next, 'the next build succeeds');
      const { rate, total, missed } = hitRate(await store.calls(session));
      if (!t.same({ rate, total, missed }, { rate: 1, total: 1, missed: [] }, 'and hits its one crate, the last of the build')) {
        t.comment(`next build's stderr: ${next.stderr}\naudit: ${JSON.stringify(await store.audit())}\ndaemon.log: ${store.daemonLog(4000)}`);
      }
      rmSync(join(ws, 'target'), { recursive: true, force: true });
    }
  });
}
