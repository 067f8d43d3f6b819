import { escapeControl, SplitcacheError } from '@splitcache/errors';
import { isDigest } from '@splitcache/hash';
import type { EntryRecord, OutputRecord } from '@splitcache/store';

const FORMS = new Set<OutputRecord['form']>(['raw', 'text', 'rlink']);
const ROLES = new Set<OutputRecord['role']>(['output', 'object', 'rlink']);
const MAX_OUTPUTS = 10_000;
const MAX_PRODUCER = 256;
/** A day: no compile of one crate takes longer. */
const MAX_COMPILE_MS = 86_400_000;

/**
 * Checks that a decoded remote entry has the shape of an EntryRecord before
 * anything in the daemon reads it: a record from the network is untrusted
 * input even when it is signed (a signature says who wrote it, not that the
 * writer was bug-free). Output names must be plain file names (replay checks
 * again); every digest must be one of ours.
 */
export function checkEntry(e: unknown, key: string): EntryRecord {
  const bad = (why: string) => new SplitcacheError('SPLITCACHE_REMOTE_RECORD', `remote entry ${key}: ${why}`);
  const r = e as EntryRecord;
  if (!r || typeof r !== 'object' || r.v !== 1) throw bad('not a v1 entry');
  if (r.mode !== 'whole' && r.mode !== 'split') throw bad('bad mode');
  for (const f of ['crateName', 'crateType', 'producer', 'rustcVersion'] as const) {
    if (typeof r[f] !== 'string') throw bad(`bad ${f}`);
  }
  for (const f of ['exitCode', 'createdAt', 'compileMs'] as const) {
    if (typeof r[f] !== 'number' || !Number.isFinite(r[f])) throw bad(`bad ${f}`);
  }
  if (r.exitCode !== 0) throw bad('a failed compile is never cached');
  // Both are for display and stats only, so they are mended, not refused (an honest writer's clock
  // stepped back, or an older version's producer with a tab: a refusal counted toward the breaker).
  // A producer with a line break and an escape sequence forged whole audit lines, `(signature
  // valid)` among them (hunting helper); a compile of 10 h made `stats` save 50 hours a build.
  r.producer = escapeControl(r.producer).slice(0, MAX_PRODUCER);
  r.compileMs = Math.min(Math.max(r.compileMs, 0), MAX_COMPILE_MS);
  if (!(r.stdout instanceof Uint8Array) || !(r.stderr instanceof Uint8Array)) throw bad('bad stdout/stderr');
  if (!Array.isArray(r.outputs) || r.outputs.length === 0 || r.outputs.length > MAX_OUTPUTS) throw bad('bad outputs');
  for (const o of r.outputs) {
    if (!o || typeof o !== 'object') throw bad('bad output');
    if (typeof o.name !== 'string' || o.name === '' || o.name === '.' || o.name === '..' || /[/\\\0]/.test(o.name)) {
      throw new SplitcacheError('SPLITCACHE_MANIFEST_HOSTILE', `remote entry ${key} names an output outside its out-dir: ${JSON.stringify(o.name)}`);
    }
    // A size is a count of bytes: NaN passed `typeof … === 'number'`, and with it every cap on the
    // blob's body (NaN compares false), so a keyless server made the daemon inflate gigabytes.
    if (!isDigest(o.digest) || !Number.isSafeInteger(o.size) || o.size < 0 || !FORMS.has(o.form) || !ROLES.has(o.role)) {
      throw bad(`bad output ${o.name}`);
    }
  }
  // Two outputs of one name: the last written won, another output's bytes under that name.
  if (new Set(r.outputs.map((o) => o.name)).size !== r.outputs.length) throw bad('two outputs of one name');
  if (r.command === undefined) r.command = [];
  if (!Array.isArray(r.command) || !r.command.every((a) => typeof a === 'string')) throw bad('bad command');
  if (!Array.isArray(r.inputs) || !r.inputs.every((i) => Array.isArray(i) && typeof i[0] === 'string' && isDigest(i[1]))) {
    throw bad('bad inputs');
  }
  return r;
}
