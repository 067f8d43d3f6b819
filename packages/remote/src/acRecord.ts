import { createHmac, timingSafeEqual } from 'node:crypto';
import { Packr } from 'msgpackr';
import { SplitcacheError } from '@splitcache/errors';
import { isDigest, type Digest } from '@splitcache/hash';
import { packValue, type EntryRecord } from '@splitcache/store';
import { checkEntry } from './checkEntry.js';
import { envelopeShaped } from './envelopeShape.js';
import { pageHint } from './pageHint.js';

/**
 * `/ac/{manifestKey}`: the input set of the first result published for a
 * manifest key: its normalised dep-info paths and env-dep names, no digests.
 * A client digests those files itself to compute the entry key.
 */
export interface InputSetRecord {
  v: 1;
  kind: 'inputs';
  key: Digest;
  crateName: string;
  inputs: string[];
  envDeps: string[];
  /**
   * The latest entry published for these paths, with its entry key: a reader
   * whose digests give that key has the entry without asking for
   * `/ac/{entryKey}`, one round trip fewer (docs/REMOTE.md). Older writers
   * leave it out, and older readers ignore it.
   */
  entry?: InlineEntry;
}

export interface InlineEntry {
  key: Digest;
  entry: EntryRecord;
}

/** `/ac/{entryKey}`: the entry (outputs with blob digests, stdout/stderr, provenance). */
export interface EntryAcRecord {
  v: 1;
  kind: 'entry';
  key: Digest;
  entry: EntryRecord;
}

export type AcRecord = InputSetRecord | EntryAcRecord;

/** The AC body on the wire: msgpack `{ v: 1, payload: <msgpack bytes of the record>, sig: <hex> | null }`. */
interface Envelope {
  v: 1;
  payload: Uint8Array;
  sig: string | null;
}

// Plain msgpack maps (no msgpackr record extension), so any msgpack reader can decode a body.
const packr = new Packr({ useRecords: false, moreTypes: false });
const MAX_INPUTS = 100_000;

/**
 * Encodes a record as an AC body, signed with HMAC-SHA256 over the payload
 * bytes when a signing key is given. The record names its own kind and key,
 * so a validly signed record served under another key is refused.
 */
export function sealAc(record: AcRecord, signingKey: string | undefined): Buffer {
  const payload = packValue(record, packr);
  const env: Envelope = { v: 1, payload, sig: signingKey ? hmac(signingKey, payload) : null };
  return packValue(env, packr);
}

/**
 * Decodes and checks an AC body fetched for `key`. With a signing key, an
 * unsigned or mis-signed body is SPLITCACHE_REMOTE_SIGNATURE; a body that
 * isn't a well-formed record of the expected kind and key is
 * SPLITCACHE_REMOTE_RECORD. Without a signing key the server is trusted.
 */
export function openAc<K extends AcRecord['kind']>(
  body: Uint8Array,
  kind: K,
  key: Digest,
  signingKey: string | undefined,
): Extract<AcRecord, { kind: K }> {
  const env = decodeEnvelope(body);
  if (!env) throw recordError(key, `not an AC envelope${pageHint(body)}`);
  if (signingKey) {
    if (env.sig === null) throw new SplitcacheError('SPLITCACHE_REMOTE_SIGNATURE', `remote record ${key} is unsigned`);
    const want = Buffer.from(hmac(signingKey, env.payload), 'hex');
    const got = Buffer.from(env.sig, 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new SplitcacheError('SPLITCACHE_REMOTE_SIGNATURE', `remote record ${key} has a bad signature`);
    }
  }
  let rec: unknown;
  try {
    rec = packr.unpack(env.payload);
  } catch {
    throw recordError(key, 'payload is not msgpack');
  }
  const r = rec as Partial<AcRecord>;
  if (!r || typeof r !== 'object' || r.v !== 1 || r.kind !== kind || r.key !== key) throw recordError(key, `not a v1 ${kind} record for this key`);
  if (kind === 'inputs') checkInputSet(r as InputSetRecord);
  else (r as EntryAcRecord).entry = checkEntry((r as EntryAcRecord).entry, key);
  return r as Extract<AcRecord, { kind: K }>;
}

/** The envelope of an AC body, or undefined if it isn't one (the server refuses such a PUT). */
export function decodeEnvelope(body: Uint8Array): Envelope | undefined {
  if (!envelopeShaped(body)) return undefined;
  let e: Partial<Envelope>;
  try {
    e = packr.unpack(body) as Partial<Envelope>;
  } catch {
    return undefined;
  }
  if (!e || typeof e !== 'object' || e.v !== 1 || !(e.payload instanceof Uint8Array)) return undefined;
  if (e.sig !== null && !(typeof e.sig === 'string' && /^[0-9a-f]{64}$/.test(e.sig))) return undefined;
  return e as Envelope;
}

/**
 * An input's name: a path, or two split by one NUL (a path under a placeholder, and that path as
 * it was on the producer's machine: the daemon's nearInputs.ts), none of them empty. No path
 * holds a NUL otherwise.
 */
function isInputName(s: string): boolean {
  const parts = s.split('\0');
  return parts.length <= 2 && parts.every((p) => p.length > 0);
}

function checkInputSet(r: InputSetRecord): void {
  const strings = (a: unknown, names: (s: string) => boolean) => Array.isArray(a) && a.length <= MAX_INPUTS && a.every((s) => typeof s === 'string' && names(s));
  if (!isDigest(r.key) || typeof r.crateName !== 'string' || !strings(r.inputs, isInputName) || !strings(r.envDeps, (s) => s.length > 0 && !s.includes('\0'))) {
    throw recordError(r.key, 'malformed input set');
  }
  if (r.entry === undefined) return;
  // An entry inline that fails its checks is left aside, not the input set with it: the reader
  // asks for the entry at its key then, which is checked in its turn (before, one malformed or
  // hostile inline entry made a miss of a crate whose entry at its key was sound).
  const inline = r.entry as Partial<InlineEntry> | null;
  try {
    if (!inline || typeof inline !== 'object' || !isDigest(inline.key)) throw recordError(r.key, 'malformed entry in the input set');
    r.entry = { key: inline.key, entry: checkEntry(inline.entry, inline.key) };
  } catch {
    delete r.entry;
  }
}

function hmac(key: string, payload: Uint8Array): string {
  return createHmac('sha256', key).update(payload).digest('hex');
}

function recordError(key: string, why: string): SplitcacheError {
  return new SplitcacheError('SPLITCACHE_REMOTE_RECORD', `remote record ${key}: ${why}`);
}
