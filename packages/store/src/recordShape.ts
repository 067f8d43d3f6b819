import type { EntryRecord, ManifestRecord } from './records.js';

/**
 * Whether an index record that decoded has the shape the daemon reads. msgpack decodes almost
 * any bytes to some value, and a record of another shape (a damaged value that still decodes, a
 * record written by another version) threw a TypeError wherever it was read: every build of
 * its crate passed through for good with `SPLITCACHE_STORE_IO: ERROR: Cannot read properties
 * of undefined`, the record never dropped, and one such entry made `gc` and `audit verify`
 * fail for the whole store. Such a record is dropped as one that does not decode.
 */
export function isManifestRecord(m: unknown): m is ManifestRecord {
  const r = m as ManifestRecord;
  return isObject(r) && Array.isArray(r.components) && r.components.every(isPair) && Array.isArray(r.results) && r.results.every(isResult) && (r.evictedResults === undefined || (Array.isArray(r.evictedResults) && r.evictedResults.every(isResult)));
}

export function isEntryRecord(e: unknown): e is EntryRecord {
  const r = e as EntryRecord;
  return (
    isObject(r) &&
    typeof r.crateName === 'string' &&
    typeof r.rustcVersion === 'string' &&
    r.stdout instanceof Uint8Array &&
    r.stderr instanceof Uint8Array &&
    Array.isArray(r.inputs) &&
    r.inputs.every(isPair) &&
    Array.isArray(r.outputs) &&
    r.outputs.every((o) => isObject(o) && typeof o.name === 'string' && typeof o.digest === 'string' && typeof o.size === 'number')
  );
}

function isResult(r: unknown): boolean {
  const x = r as ManifestRecord['results'][number];
  return (
    isObject(x) &&
    typeof x.entryKey === 'string' &&
    Array.isArray(x.inputs) &&
    x.inputs.every(isPair) &&
    Array.isArray(x.envDeps) &&
    x.envDeps.every((d) => Array.isArray(d) && typeof d[0] === 'string' && (d[1] === null || typeof d[1] === 'string')) &&
    (x.display === undefined || typeof x.display === 'string')
  );
}

/**
 * A [name, value] pair of strings: an input and its digest, a key component. Each is read as a
 * pair (lookup.ts, explain.ts): a damaged one that decoded to a number threw there
 * ('SPLITCACHE_STORE_IO: ERROR: .for is not iterable'), and its crate passed through for good.
 */
function isPair(p: unknown): boolean {
  return Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
