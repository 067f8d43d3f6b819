import { unpack } from 'msgpackr';
import { packValue } from './packValue.js';
import type { EntryRecord, ManifestRecord, ManifestResult } from './records.js';

/**
 * Every committed entry is also written as a blob: a magic header and the
 * msgpack of everything the index holds for it. If the LevelDB index is ever
 * lost or beyond repair, it is rebuilt from these, so the blob directory alone
 * is enough to recover the store.
 */
export const RECORD_MAGIC = Buffer.from('SCENTRY1');

export interface EntryCommit {
  manifestKey: string;
  manifest: Omit<ManifestRecord, 'results'>;
  result: ManifestResult;
  entry: EntryRecord;
}

export function encodeRecordBlob(c: EntryCommit): Buffer {
  return Buffer.concat([RECORD_MAGIC, packValue(c)]);
}

/** The commit a record blob holds, or undefined if the bytes are not one (most blobs are outputs). */
export function decodeRecordBlob(buf: Uint8Array): EntryCommit | undefined {
  if (buf.length <= RECORD_MAGIC.length || !RECORD_MAGIC.equals(buf.subarray(0, RECORD_MAGIC.length))) return undefined;
  try {
    const c = unpack(buf.subarray(RECORD_MAGIC.length)) as EntryCommit;
    return typeof c?.manifestKey === 'string' && c.entry && c.result ? c : undefined;
  } catch {
    return undefined;
  }
}
