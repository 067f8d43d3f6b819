import t from 'tap';
import type { Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestBytes, FileDigestMemo } from '@splitcache/hash';
import { PrefixTable } from '@splitcache/paths';
import { RemoteCache } from '@splitcache/remote';
import { Store, type EntryRecord } from '@splitcache/store';
import { entryKeyOf } from '../src/entryKey.js';
import { makeLogger } from '../src/log.js';
import { StatsKeeper } from '../src/stats.js';

// What the remote tier's tests share: scratch directories, a checkout of one
// crate, a store, a client, and an entry stored the way ingest stores one.
const made: string[] = [];
t.teardown(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
export const tmp = (p: string) => (made.push(mkdtempSync(join(tmpdir(), `sc-${p}-`))), made[made.length - 1]!);
export const log = makeLogger('quiet');
export const MANIFEST = 'f'.repeat(32);
export const SOURCE = 'pub fn answer() -> u32 { 42 }\n';

export function checkout(): { cwd: string; table: PrefixTable } {
  const cwd = tmp('checkout');
  mkdirSync(join(cwd, 'src'));
  writeFileSync(join(cwd, 'src', 'lib.rs'), SOURCE);
  return { cwd, table: new PrefixTable([{ name: 'cwd', path: cwd }]) };
}

export async function open(t: Test, dir = tmp('store')) {
  const store = await Store.open(dir);
  t.teardown(() => store.close().catch(() => undefined));
  return { store, dir, stats: await StatsKeeper.load(store), files: new FileDigestMemo(0) };
}

export function cache(t: Test, url: string, o: { token?: string; signingKey?: string } = {}) {
  const c = new RemoteCache({ url, timeoutMs: 1000, retries: 0, breakerThreshold: 1, breakerCooldownMs: 60_000, compression: 'gzip', ...o });
  t.teardown(() => c.close());
  return c;
}

/**
 * Stores an entry the way ingest does; returns its key and what the upload queue needs.
 * `mode`: the env-dep's value, which makes another entry; `extra`: one more output; `single`: one output only;
 * `warning`: a diagnostic on stderr, rendered in the form `display` ('' for rustc's default);
 * `source`: the crate's source as the producer read it (SOURCE by default).
 */
export async function produce(
  store: Store, table: PrefixTable, cwd: string,
  o: { mode?: string; extra?: Buffer; single?: boolean; warning?: string; display?: string; source?: string } = {},
) {
  const objects = [Buffer.from('object one '.repeat(900)), ...(o.single ? [] : [Buffer.from('object two')]), ...(o.extra ? [o.extra] : [])];
  const digests = await Promise.all(objects.map((o) => store.blobs.write(o)));
  const inputs: [string, string][] = [[table.normalise(join(cwd, 'src/lib.rs')), digestBytes(o.source ?? SOURCE)]];
  const envDeps: [string, string | null][] = [['ANSWER_MODE', o.mode ?? 'fast']];
  const display = o.warning === undefined ? undefined : (o.display ?? '');
  const entryKey = entryKeyOf(MANIFEST, inputs, envDeps, display);
  const entry: EntryRecord = {
    v: 1, mode: 'whole', crateName: 'answer', crateType: 'lib', exitCode: 0, producer: 'runner-a', createdAt: Date.now(),
    rustcVersion: 'rustc test', compileMs: 1234, command: [], inputs, stdout: Buffer.alloc(0), stderr: Buffer.from(o.warning ?? ''),
    outputs: digests.map((digest, i) => ({ name: `answer-${i}.o`, digest, size: objects[i]!.length, form: 'raw' as const, role: 'output' as const })),
  };
  await store.commitEntry({ manifestKey: MANIFEST, manifest: { v: 1, crateName: 'answer', components: [] }, result: display === undefined ? { entryKey, inputs, envDeps } : { entryKey, inputs, envDeps, display }, entry });
  return { entryKey, item: { manifestKey: MANIFEST, crateName: 'answer', inputs: inputs.map(([p]) => p), envDeps: envDeps.map(([n]) => n) } };
}
