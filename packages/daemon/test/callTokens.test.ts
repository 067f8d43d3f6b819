import t, { type Test } from 'tap';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonServer } from '../src/server.js';
import type { CompileHandler, Services } from '../src/compileHandler.js';
import { doneToWire, encodeFrame, FrameReader, PROTOCOL_VERSION, type CompilePlan, type DoneReply } from '../src/protocol.js';

// A node client's call is one connection: the daemon forgets the call's token when it closes, as the
// exec port does at a call's end (CompileHandler.forget: a hit counted, the objects its link step was
// given under names of its own removed ORPHAN_LINK_GRACE_MS later, what the call held let go). A
// miss's token was dropped at its `done`, before its link step, so a node client killed mid-link (or
// between its `done` and its link) was never forgotten: its objects stayed in the out dir for the
// daemon's life. Here a real DaemonServer on a unix socket, with a stand-in handler that notes the
// requests it is given.

function standIn() {
  const forgotten: string[] = [];
  const plan: CompilePlan = { action: 'run', token: 'miss-1', args: ['--crate-name', 'app'], bootstrap: true };
  const reply: DoneReply = { link: { args: ['-Zlink-only', 'app.rlink'], rlinkPath: '/nowhere/app.rlink', objects: ['/nowhere/app.o.sc-replay-1-2-3'] } };
  const handler = {
    compile: async () => plan,
    done: async () => reply,
    linked: async () => undefined,
    forget: (token: string) => void forgotten.push(token),
    settled: async () => true,
    faults: { requestLine: (err: unknown) => String(err) },
  } as unknown as CompileHandler;
  return { handler, forgotten };
}

async function daemon(t: Test, handler: CompileHandler): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'call-tokens-'));
  const services = { config: { idleTimeoutMs: 60_000 }, log: { warn: () => undefined, debug: () => undefined } } as unknown as Services;
  const sock = join(dir, 'daemon.sock');
  const server = new DaemonServer(sock, services, handler, async () => undefined);
  await server.listen();
  t.teardown(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return sock;
}

/** A client on `sock` that sends each request once the one before is answered, then closes. */
async function call(sock: string, requests: unknown[]): Promise<unknown[]> {
  const c = connect(sock);
  const reader = new FrameReader();
  const replies: unknown[] = [];
  let next: ((v: unknown) => void) | undefined;
  c.on('data', (chunk) => {
    for (const f of reader.push(chunk)) if (!(f as { alive?: number }).alive) next?.(f);
  });
  await new Promise<void>((res, rej) => c.once('connect', res).once('error', rej));
  for (const r of requests) {
    const answered = new Promise((res) => (next = res));
    c.write(encodeFrame(r));
    replies.push(await answered);
  }
  await new Promise<void>((res) => c.end(() => res()));
  return replies;
}

const compile = { op: 'compile', v: PROTOCOL_VERSION, argv: ['rustc', '--crate-name', 'app'], cwd: '/', env: {} };
const done = doneToWire({ op: 'done', token: 'miss-1', code: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), ms: 5 });

/** Waits for `cond`, at most 5 s. */
async function until(cond: () => boolean): Promise<boolean> {
  for (const end = Date.now() + 5000; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

t.test("a miss whose client closes after `done`, its link step not reported (a client killed mid-link), is forgotten", async (t) => {
  const { handler, forgotten } = standIn();
  const sock = await daemon(t, handler);
  const replies = await call(sock, [compile, done]);
  t.match(replies[1], { link: { rlinkPath: '/nowhere/app.rlink' } }, 'its `done` is answered with its link step');
  t.ok(await until(() => forgotten.includes('miss-1')), 'its call is forgotten when its connection closes');
});

t.test('a miss whose link step was reported is forgotten at the close too, as the exec port forgets each call at its end', async (t) => {
  const { handler, forgotten } = standIn();
  const sock = await daemon(t, handler);
  await call(sock, [compile, done, { op: 'linked', token: 'miss-1', code: 0 }]);
  t.ok(await until(() => forgotten.includes('miss-1')), 'its call is forgotten when its connection closes');
});

t.test('a miss whose client closes before `done` is forgotten (counted as not stored, client gone)', async (t) => {
  const { handler, forgotten } = standIn();
  const sock = await daemon(t, handler);
  await call(sock, [compile]);
  t.ok(await until(() => forgotten.includes('miss-1')), 'its call is forgotten when its connection closes');
});
