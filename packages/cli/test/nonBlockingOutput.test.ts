import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, oneFileCrate, printingCrateArgs, Store, tempDir } from './helpers.js';

// The node client writes rustc's diagnostics with write(2) (directOutput.ts). On a
// descriptor some other process made non-blocking (node does so to any pipe it opens
// process.stderr on), a full pipe answers EAGAIN: the rest must wait for the reader,
// through node's stream, not be dropped. The call's exit code said nothing of it.

/**
 * Fills fd 2 (a pipe nobody reads yet) until it is full, runs the command given, and
 * sets the pipe non-blocking again once it is spawned (libuv makes a child's stdio
 * blocking). Writes how many bytes it filled to $FILLED_AT.
 */
const FILLER = `
const { spawn } = require('node:child_process');
const { writeFileSync, writeSync } = require('node:fs');
const net = require('node:net');
process.stderr;
let filled = 0;
const chunk = Buffer.alloc(4096, '.');
for (;;) {
  try { filled += writeSync(2, chunk); } catch (err) { if (err.code === 'EAGAIN') break; throw err; }
}
const child = spawn(process.argv[2], process.argv.slice(3), { stdio: ['ignore', 'inherit', 'inherit'] });
new net.Socket({ fd: 2, readable: false, writable: true });
child.on('close', (code) => { writeFileSync(process.env.FILLED_AT, String(filled)); process.exit(code ?? 99); });
`;

/** Runs the call with its stderr a full, non-blocking pipe that is read only 2 s later; returns its code and what it wrote after the filler. */
async function onFullPipe(cwd: string, env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; filled: boolean; said: string }> {
  const dir = tempDir('full-pipe');
  const filler = join(dir, 'filler.cjs');
  writeFileSync(filler, FILLER);
  const filledAt = join(dir, 'filled');
  const script = '"$0" "$@" 2> >(sleep 2; exec cat >&2)';
  const child = spawn('/bin/bash', ['-c', script, process.execPath, filler, ...args], { cwd, env: { ...env, FILLED_AT: filledAt }, stdio: ['ignore', 'ignore', 'pipe'] });
  const err: Buffer[] = [];
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const code = await new Promise<number | null>((res) => child.on('close', res));
  const all = Buffer.concat(err).toString();
  const n = Number(readFileSync(filledAt, 'utf8'));
  return { code, filled: n > 0 && /^\.+$/.test(all.slice(0, n)), said: all.slice(n) };
}

t.test('the node client on a full non-blocking stderr: rustc\'s warning reaches the reader whole, on a miss and on a hit', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cwd = oneFileCrate('fn main() { let unused = 1; }\n');
  const env = store.env({ SPLITCACHE_CLIENT: 'node' });
  const args = printingCrateArgs(cwd);
  for (const what of ['miss', 'hit']) {
    const r = await onFullPipe(cwd, env, [BIN, 'rustc', ...args]);
    t.equal(r.code, 0, `${what}: the call succeeds`);
    t.ok(r.filled, `${what}: the pipe was filled first`);
    t.match(r.said, /^warning: unused variable: `unused`\n[^]*warning: 1 warning emitted\n\n$/, `${what}: the warning is there, whole (was: dropped)`);
  }
  const stats = await store.stats();
  t.same([stats.misses, stats.hits], [1, 1], 'one miss, then a hit');
});
