import t from 'tap';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { encodeFrame, FrameReader, PROTOCOL_VERSION, socketPath } from '@splitcache/daemon/protocol';
import { assertOk, BIN, printingCrate, printingCrateArgs, realRustc, runOnPipes, Store, tempDir } from './helpers.js';

// A node client killed (a Ctrl-C, cargo killed) while the daemon plans its call: the daemon's
// record of the call it is about to hand back (the miss to store once rustc is done) must go
// with the connection, as it does for a client killed later. A daemon that lives for weeks
// sees many such calls.

/** One request and its reply, on a connection of its own. */
function ask(dir: string, req: unknown): Promise<Record<string, unknown>> {
  return new Promise((res, rej) => {
    const s = connect(socketPath(dir));
    const reader = new FrameReader();
    s.on('data', (d) => {
      for (const f of reader.push(d) as Record<string, unknown>[]) {
        if (f.alive) continue;
        s.end();
        return res(f);
      }
    });
    s.on('error', rej);
    s.on('connect', () => s.write(encodeFrame(req)));
  });
}

/** Sends a compile request and closes the connection `afterMs` later, without waiting for the plan. */
function askAndLeave(dir: string, req: unknown, afterMs: number): Promise<void> {
  return new Promise((res, rej) => {
    const s = connect(socketPath(dir));
    s.on('error', rej);
    s.on('connect', () => {
      s.write(encodeFrame(req));
      setTimeout(() => {
        s.destroy();
        res();
      }, afterMs);
    });
  });
}

t.test('a client gone while its call is planned leaves no pending call in the daemon', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = printingCrate('abandoned');
  const env = store.env();
  assertOk(t, await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env }), 'a first call starts the daemon');
  const real = await realRustc();
  // Each call names a compiler the daemon hasn't seen, whose `-vV` takes 1 s: the call is still being planned when its client goes.
  for (let i = 0; i < 5; i++) {
    const rustc = join(tempDir('slow-rustc'), 'rustc');
    writeFileSync(rustc, `#!/bin/sh\n[ "$1" = -vV ] && sleep 1\nexec '${real}' "$@"\n`, { mode: 0o755 });
    await askAndLeave(store.dir, { op: 'compile', v: PROTOCOL_VERSION, argv: [rustc, ...printingCrateArgs(cwd, `abandoned${i}`)], cwd, env }, 200);
  }
  await new Promise((r) => setTimeout(r, 2500)); // every plan is made by now
  await store.audit(); // and the calls settled
  const pong = await ask(store.dir, { op: 'ping' });
  t.equal(pong.pending, 0, `${String(pong.pending)} calls pending in the daemon after 5 clients left mid-plan`);
  // Each call was counted as a miss when it was planned: the audit log has a line for each, as stats counts them.
  const stats = await store.stats();
  const calls = await store.audit();
  const audited = calls.filter((e) => e.outcome === 'miss' || e.outcome === 'compile-error').length;
  t.equal(audited, stats.misses, `stats counts ${stats.misses} misses, the audit log has ${audited}`);
  t.equal(calls.filter((e) => e.notStored === 'client-gone').length, 5, "the 5 calls' lines say their client went");
});

// The same, for a client gone once it has its plan (killed while its rustc runs): the connection's
// close forgets what the plan holds for it. Kept, the call stayed pending for the daemon's life, and
// a later call of the same crate waited on that compile, which no client would ever report (S02).
t.test('a client gone after its plan, before its rustc is done, leaves no pending call in the daemon', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = printingCrate('left mid-run');
  const env = store.env();
  assertOk(t, await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env }), 'a first call starts the daemon');
  const argv = [await realRustc(), ...printingCrateArgs(cwd, 'leftmidrun')];
  // ask() closes its connection once the plan has come: the client never says `done`.
  const plan = await ask(store.dir, { op: 'compile', v: PROTOCOL_VERSION, argv, cwd, env });
  t.equal(plan.action, 'run', 'a miss: its rustc is to run');
  // The close reaches the daemon on its own connection: waited for, not timed.
  let pending: unknown;
  for (let i = 0; i < 100 && pending !== 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    pending = (await ask(store.dir, { op: 'ping' })).pending;
  }
  t.equal(pending, 0, `no call pending once its client has gone (${String(pending)})`);
  t.equal((await store.audit()).filter((e) => e.notStored === 'client-gone').length, 1, "the miss's line says its client went");
});
