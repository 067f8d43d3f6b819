import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHash } from '@splitcache/hash';
import { Store } from '../src/index.js';

/** A new temp dir named `<prefix>XXXXXX`, removed when the test ends. */
export function freshDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new store in a fresh temp dir (`store.dir`), closed and removed when the test ends; `onRecover` gets its log lines. */
export async function freshStore(t: Test, prefix: string, onRecover?: (line: string) => void): Promise<Store> {
  await initHash();
  const store = await Store.open(freshDir(t, prefix), onRecover);
  t.teardown(() => store.close().catch(() => undefined));
  return store;
}
