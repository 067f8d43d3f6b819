import t from 'tap';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { tempDir } from './helpers.js';

// The once-a-minute marker of a client fault (faultMarker.ts), taken by several callers at the
// same instant: threads held at a barrier and let go together, each asking whether it is the one
// to say the fault. Of callers that find the marker over a minute old, one must be: before, each
// rewrote it and said the line.

const WORKERS = 5;
const ROUNDS = 40;
const src = new URL('../src/faultMarker.js', import.meta.url).href;
const body = `
const { parentPort, workerData } = require('node:worker_threads');
import(${JSON.stringify(src)}).then(({ firstToSay }) => {
  const gate = new Int32Array(workerData.gate);
  parentPort.postMessage('ready');
  Atomics.wait(gate, 0, 0);
  parentPort.postMessage(firstToSay(workerData.marker));
});`;

async function atOnce(marker: string): Promise<number> {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from({ length: WORKERS }, () => new Worker(body, { eval: true, workerData: { gate: gate.buffer, marker } }));
  const answers = workers.map((w) => new Promise<boolean>((res, rej) => {
    w.on('error', rej);
    w.on('message', (m) => m !== 'ready' && res(m as boolean));
  }));
  await Promise.all(workers.map((w) => new Promise((res) => w.once('message', res))));
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  const said = (await Promise.all(answers)).filter(Boolean).length;
  await Promise.all(workers.map((w) => w.terminate()));
  return said;
}

/** A marker in `dir` made five minutes ago, and the name of the claim a call taking it over makes. */
function staleMarker(dir: string): { marker: string; claim: string } {
  const marker = join(dir, 'x.warned-SPLITCACHE_DAEMON_UNREACHABLE');
  writeFileSync(marker, '');
  const old = new Date(Date.now() - 300_000);
  utimesSync(marker, old, old);
  const st = statSync(marker, { bigint: true });
  return { marker, claim: `${marker}.${st.ino}-${st.mtimeNs}` };
}

t.test('of callers at once that find the marker over a minute old, exactly one says it', async (t) => {
  const dir = tempDir('marker');
  const marker = join(dir, 'x.warned-SPLITCACHE_DAEMON_UNREACHABLE');
  writeFileSync(marker, '');
  const counts: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const old = new Date(Date.now() - 120_000 - round * 1000);
    utimesSync(marker, old, old);
    counts.push(await atOnce(marker));
  }
  t.same(counts, Array(ROUNDS).fill(1), `callers that said it, each round: ${counts.join(' ')}`);
  t.ok(readdirSync(dir).length <= 2, `the marker and at most one claim are left (${readdirSync(dir).join(', ')})`);
});

t.test('of callers at once that find no marker, exactly one says it', async (t) => {
  const counts: number[] = [];
  for (let round = 0; round < 10; round++) counts.push(await atOnce(join(tempDir('marker'), 'x.warned-SPLITCACHE_DAEMON_UNREACHABLE')));
  t.same(counts, Array(10).fill(1), `callers that said it, each round: ${counts.join(' ')}`);
});

// A call that made its claim and ended before it took the marker over (a Ctrl-C between the two)
// left both as they were: each later call found that claim made, and none said the line again.
t.test('a claim left by a call that ended before taking the marker over does not keep the line unsaid', async (t) => {
  const { firstToSay } = (await import(src)) as { firstToSay: (marker: string) => boolean };
  const dir = tempDir('marker');
  const { marker, claim } = staleMarker(dir);
  writeFileSync(claim, '');
  t.notOk(firstToSay(marker), 'a claim made just now is a call taking the marker over: not said');
  const claimedAt = new Date(Date.now() - 120_000);
  utimesSync(claim, claimedAt, claimedAt);
  t.ok(firstToSay(marker), 'a claim over a minute old: said (before: never again)');
  t.notOk(firstToSay(marker), 'and not again within the minute');
  t.ok(readdirSync(dir).length <= 2, `the marker and at most one claim are left (${readdirSync(dir).join(', ')})`);
});

// Any failure but finding the marker or claim made says the line: a line too many, not none.
t.test('a marker that cannot be taken over or made does not keep the line unsaid', async (t) => {
  const { firstToSay } = (await import(src)) as { firstToSay: (marker: string) => boolean };
  const dir = tempDir('marker');
  t.ok(firstToSay(join(dir, 'gone', 'x.warned-SPLITCACHE_DAEMON_UNREACHABLE')), 'a marker that cannot be made (its dir is not there): said');
  t.ok(firstToSay(join(dir, 'gone', 'x.warned-SPLITCACHE_DAEMON_UNREACHABLE')), 'and said again');
  const { marker, claim } = staleMarker(dir);
  mkdirSync(`${claim}.new`); // where the new marker is written: the takeover fails
  t.ok(firstToSay(marker), 'a takeover that fails: said');
  t.notOk(existsSync(claim), 'and its claim goes');
  t.ok(firstToSay(marker), 'so the next call says it too (the marker is still old), not none for good');
});
