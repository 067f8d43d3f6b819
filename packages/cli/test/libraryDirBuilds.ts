import type { Test } from 'tap';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

/**
 * A one-package workspace (`crate`: a lib and a bin printing `printed`) whose build script hands
 * on a dir of odd files named as libraries: built twice from clean, its lib and bin miss and are
 * stored, then hit, with no line of splitcache's, and the bin runs.
 */
export async function cachedQuietlyTwice(t: Test, workspace: Record<string, string>, label: string, crate: string, printed: string): Promise<void> {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = fileTree(workspace, label);
  for (const [session, outcome] of [['one', 'miss'], ['two', 'hit']] as const) {
    assertOk(t, await store.cargo(ws, ['clean']), 'cargo clean');
    const r = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session });
    assertOk(t, r, `build ${session}`);
    t.notMatch(r.stderr, /SPLITCACHE_/, `build ${session}: no line of splitcache's`);
    const calls = (await store.audit(session)).filter((e) => e.crateType !== 'build-script').map((e) => `${e.crate} ${e.crateType} ${e.outcome}`);
    t.same(calls.sort(), [`${crate} bin ${outcome}`, `${crate} lib ${outcome}`], `build ${session}: the lib and the bin ${outcome === 'hit' ? 'hit' : 'miss, and are stored'}`);
    t.equal((await run(join(ws, 'target', 'debug', crate), [])).stdout, printed, 'the bin runs');
  }
}
