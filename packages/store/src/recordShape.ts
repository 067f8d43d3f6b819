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
  return isObject(r) && Array.isArray(r.components) && Array.isArray(r.results) && r.results.every(isResult) && (r.evictedResults === undefined || (Array.isArray(r.evictedResults) && r.evictedResults.every(isResult)));
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
    Array.isArray(r.outputs) &&
    r.outputs.every((o) => isObject(o) && typeof o.name === 'string' && typeof o.digest === 'string' && typeof o.size === 'number')
  );
}

function isResult(r: unknown): boolean {
  const x = r as ManifestRecord['results'][number];
  return isObject(x) && typeof x.entryKey === 'string' && Array.isArray(x.inputs) && Array.isArray(x.envDeps);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
