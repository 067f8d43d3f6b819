import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ON_PIPES, printingCrate, printingCrateArgs, realRustc, run, Store, tempDir, waitFor } from './helpers.js';

// A client killed mid-link (SIGKILL, the OOM killer) leaves its rustc -Zlink-only linking on. Its
// objects, under names of the call's own (daemon/src/privateObjects.ts), were removed by the daemon
// as the call ended: the orphan's link then failed (`cannot open …rcgu.o.sc-replay-…`) and, under the
// node client, left its `rustcXXXXXX` temp dir in the out dir. Here the linker of the split link waits
// for a go file, so that the client is killed, and its call has ended at the daemon, before it links.

const LINKER = `#!/bin/sh
if [ -n "$RUSTC_BOOTSTRAP" ] && [ -n "$SC_HOLD" ]; then
  touch "$SC_HOLD.linking"
  while [ ! -e "$SC_HOLD.go" ]; do sleep 0.05; done
  cc "$@"; rc=$?; echo $rc > "$SC_HOLD.rc"; exit $rc
fi
exec cc "$@"
`;

/** The process `pid`'s children. */
const children = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);

for (const client of ['exec port', 'node']) {
  const clientEnv = client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {};

  t.test(`${client}: a hit's link step whose client was killed links on: its objects stay until it is done`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const linker = join(tempDir('linker'), 'cc');
    writeFileSync(linker, LINKER, { mode: 0o755 });
    const crate = printingCrate('orphan linked');
    const out = join(crate, 'out');
    const args = [BIN, await realRustc(), ...printingCrateArgs(crate), '-C', `linker=${linker}`, '-C', 'codegen-units=4'];
    t.equal((await run('/bin/bash', ['-c', ON_PIPES, '_', ...args], { cwd: crate, env: store.env(clientEnv) })).code, 0, 'the cold call stores the crate');

    const hold = join(tempDir('hold'), 'h');
    const shell = spawn('/bin/bash', ['-c', ON_PIPES, '_', ...args], { cwd: crate, env: store.env({ ...clientEnv, SC_HOLD: hold, SPLITCACHE_SESSION: 'orphan' }), stdio: 'ignore' });
    const ended = new Promise((res) => shell.on('close', res));
    t.ok(await waitFor(() => existsSync(`${hold}.linking`), 60_000), 'the hit reaches its link step');
    // bin/splitcache (bash, or node once it has exec'd the node client), not the shell around it nor the `cat` after it.
    const victim = children(shell.pid!).find((pid) => /splitcache|client\.cjs/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
    t.ok(victim, 'the client is found');
    process.kill(victim!, 'SIGKILL');
    await ended;
    let calls = 0;
    for (const end = Date.now() + 30_000; calls === 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 100))) calls = (await store.calls('orphan')).length;
    t.equal(calls, 1, 'its call has ended at the daemon (its hit counted)');
    writeFileSync(`${hold}.go`, '');
    t.ok(await waitFor(() => existsSync(`${hold}.rc`), 60_000), 'the orphaned link step ran its linker');
    t.equal(readFileSync(`${hold}.rc`, 'utf8').trim(), '0', 'which linked: its objects were still there');
    t.ok(await waitFor(() => !readdirSync(out).some((f) => f.includes('.sc-replay-') || f.startsWith('rustc')), 30_000), 'and deleted them: no object nor rustc temp dir is left in the out dir');
    t.equal((await run(join(out, 'trial-t'), [])).stdout, 'orphan linked\n', 'its binary runs');
  });
}
