import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

// A frame bigger than the socket takes at once: libuv writes the rest later,
// from the frame's own memory. A client that dropped its last reference to
// the frame meanwhile had it freed under the write (a `done` frame carries
// rustc's whole output): the daemon then got a torn frame, or the connection
// died after the first ~200 KB. The client here writes 8 MiB, keeps nothing,
// and collects garbage and reuses memory while the daemon's side waits.

const SIZE = 8 * 1024 * 1024;
const pattern = (i: number) => (i * 7) % 251;

const CHILD = `
const { openTransport } = await import(process.argv[1]);
const [path, size] = [process.argv[2], Number(process.argv[3])];
const t = await openTransport(path, { data() {}, end() {} }, process.env);
if (!t) process.exit(2);
(() => {
  const frame = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) frame[i] = (i * 7) % 251;
  t.write(frame);
})();
const junk = [];
for (let k = 0; k < 20; k++) {
  globalThis.gc();
  junk.push(Buffer.alloc(size, 0x55));
  if (junk.length > 3) junk.shift();
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(t.kind);
setTimeout(() => t.close(), 1500);
`;

for (const [kind, env] of [['raw', {}], ['net', { SPLITCACHE_CLIENT_SOCKET: 'net' }]] as const) {
  t.test(`${kind} socket: a frame larger than the socket's buffer arrives whole, though the writer keeps no reference to it`, async (t) => {
    const path = join(tempDir('transport'), 'sock');
    const chunks: Buffer[] = [];
    const received = new Promise<Buffer>((res) => {
      const server = createServer((c) => {
        // Read nothing for a while: the writer's frame waits in libuv meanwhile.
        c.pause();
        setTimeout(() => c.resume(), 600);
        c.on('data', (d: Buffer) => chunks.push(d));
        c.on('close', () => (server.close(), res(Buffer.concat(chunks))));
      });
      server.listen(path);
    });
    const module = join(ROOT, 'packages/cli/dist/src/socketTransport.js');
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD, module, path, String(SIZE)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const bytes = await received;
    await new Promise((res) => child.once('close', res));
    t.equal(out, kind === 'raw' && !process.versions.node.startsWith('20.') ? 'net' : kind, `the ${out} transport was used`);
    t.equal(bytes.length, SIZE, `all ${SIZE} bytes arrived`);
    let wrong = -1;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== pattern(i)) { wrong = i; break; }
    t.equal(wrong, -1, 'each of them as written');
  });
}
