import { isBoundaryAfter, isBoundaryBefore } from './textBoundary.js';
import { PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN, isPlaceholderName, placeholderFor } from './placeholder.js';

/** One machine-specific prefix: `sysroot`, `workspace`, `cargo_home`, `target`, `out_dir`, `tmp`, `base0`... */
export interface PrefixEntry {
  name: string;
  path: string;
}

interface Prefix extends PrefixEntry {
  placeholder: string;
}

/**
 * Maps machine-specific path prefixes to `@@sc:<name>@@` placeholders and
 * back, so cached artifacts can be shared between checkouts at different
 * paths. Paths are literal: only trailing slashes are stripped, nothing is
 * resolved, because the text being rewritten holds paths as rustc printed them.
 */
export class PrefixTable {
  /** Longest path first, so `/ws/target` wins over `/ws`. */
  readonly #prefixes: readonly Prefix[];
  readonly #byName: ReadonlyMap<string, Prefix>;

  /**
   * Entries whose path is empty, relative or `/` are ignored. A name that
   * can't sit in a placeholder, or the same name twice, is a TypeError. When
   * two names share a path, the first one given is used to normalise; both
   * expand.
   */
  constructor(entries: readonly PrefixEntry[]) {
    const prefixes: Prefix[] = [];
    const byName = new Map<string, Prefix>();
    for (const { name, path } of entries) {
      const placeholder = placeholderFor(name);
      const trimmed = typeof path === 'string' ? path.replace(/\/+$/, '') : '';
      if (!trimmed.startsWith('/')) continue;
      if (byName.has(name)) throw new TypeError(`prefix name ${JSON.stringify(name)} is given twice`);
      const prefix = { name, path: trimmed, placeholder };
      prefixes.push(prefix);
      byName.set(name, prefix);
    }
    // Array.prototype.sort is stable, so equal lengths keep their given order.
    this.#prefixes = prefixes.sort((a, b) => b.path.length - a.path.length);
    this.#byName = byName;
  }

  /** The kept entries, longest path first. */
  get entries(): PrefixEntry[] {
    return this.#prefixes.map(({ name, path }) => ({ name, path }));
  }

  /** Replaces a leading prefix (the whole string, or followed by '/') with its placeholder. */
  normalise(s: string): string {
    for (const p of this.#prefixes) {
      if (s.startsWith(p.path) && (s.length === p.path.length || s[p.path.length] === '/')) {
        return p.placeholder + s.slice(p.path.length);
      }
    }
    return s;
  }

  /** Replaces a leading placeholder with its path; the inverse of normalise. */
  expand(s: string): string {
    if (!s.startsWith(PLACEHOLDER_OPEN)) return s;
    const found = this.#placeholderAt(s, 0);
    return found === undefined ? s : found.path + s.slice(found.placeholder.length);
  }

  /**
   * Replaces every prefix occurrence in free text, longest first, where it
   * starts at a boundary (not inside a longer path or name) and ends at one
   * (a '/', a delimiter, whitespace or the end). Byte-preserving: for text
   * with no `@@sc:` in it, expandText(normaliseText(text)) === text.
   */
  normaliseText(text: string): string {
    let out = '';
    let copied = 0;
    let at = text.indexOf('/');
    while (at >= 0) {
      const p = isBoundaryBefore(text, at) ? this.#prefixAt(text, at) : undefined;
      if (p === undefined) {
        at = text.indexOf('/', at + 1);
      } else {
        out += text.slice(copied, at) + p.placeholder;
        copied = at + p.path.length;
        at = text.indexOf('/', copied);
      }
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  /** Replaces every placeholder of a known name in free text with its path. */
  expandText(text: string): string {
    let out = '';
    let copied = 0;
    let at = text.indexOf(PLACEHOLDER_OPEN);
    while (at >= 0) {
      const p = this.#placeholderAt(text, at);
      if (p === undefined) {
        at = text.indexOf(PLACEHOLDER_OPEN, at + 1);
      } else {
        out += text.slice(copied, at) + p.path;
        copied = at + p.placeholder.length;
        at = text.indexOf(PLACEHOLDER_OPEN, copied);
      }
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  /**
   * normaliseText over UTF-8 bytes (a compile's stdout and stderr). Bytes with nothing to
   * replace come back as they are, not copied: a crate's warnings can be tens of MB.
   */
  normaliseBytes(bytes: Uint8Array): Buffer {
    return mapText(bytes, (t) => this.normaliseText(t));
  }

  /**
   * expandText over UTF-8 bytes, done on the bytes (a hit's stdout and stderr, replayed on
   * every hit): one copy made, where a detour through text made three.
   */
  expandBytes(bytes: Uint8Array): Buffer {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const parts: Buffer[] = [];
    let copied = 0;
    let at = buf.indexOf(OPEN_BYTES);
    while (at >= 0) {
      const nameStart = at + OPEN_BYTES.length;
      const close = buf.indexOf(CLOSE_BYTES, nameStart);
      // Names are ASCII, so latin1 reads them as UTF-8 would; anything else fails isPlaceholderName.
      const name = close < 0 ? '' : buf.toString('latin1', nameStart, close);
      const p = isPlaceholderName(name) ? this.#byName.get(name) : undefined;
      if (p === undefined) {
        at = buf.indexOf(OPEN_BYTES, at + 1);
      } else {
        parts.push(buf.subarray(copied, at), Buffer.from(p.path, 'utf8'));
        copied = close + CLOSE_BYTES.length;
        at = buf.indexOf(OPEN_BYTES, copied);
      }
    }
    if (copied === 0) return buf;
    parts.push(buf.subarray(copied));
    return Buffer.concat(parts);
  }

  /** The entries, for logging and for fromJSON. */
  toJSON(): PrefixEntry[] {
    return this.entries;
  }

  /** Rebuilds a table from toJSON's output; anything else is a TypeError. */
  static fromJSON(json: unknown): PrefixTable {
    if (!Array.isArray(json)) throw new TypeError('PrefixTable JSON must be an array of { name, path }');
    const entries = json.map((e: unknown, i) => {
      const { name, path } = (e ?? {}) as Record<string, unknown>;
      if (typeof name !== 'string' || typeof path !== 'string') {
        throw new TypeError(`PrefixTable JSON entry ${i} must have string name and path`);
      }
      return { name, path };
    });
    return new PrefixTable(entries);
  }

  #prefixAt(text: string, at: number): Prefix | undefined {
    for (const p of this.#prefixes) {
      if (text.startsWith(p.path, at) && isBoundaryAfter(text, at + p.path.length)) return p;
    }
    return undefined;
  }

  #placeholderAt(text: string, at: number): Prefix | undefined {
    const nameStart = at + PLACEHOLDER_OPEN.length;
    const close = text.indexOf(PLACEHOLDER_CLOSE, nameStart);
    if (close < 0) return undefined;
    const name = text.slice(nameStart, close);
    return isPlaceholderName(name) ? this.#byName.get(name) : undefined;
  }
}

const OPEN_BYTES = Buffer.from(PLACEHOLDER_OPEN);
const CLOSE_BYTES = Buffer.from(PLACEHOLDER_CLOSE);

/** `bytes` through `f` as UTF-8 text; the same bytes (a view, not a copy) where `f` changed nothing. */
function mapText(bytes: Uint8Array, f: (text: string) => string): Buffer {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length === 0) return view;
  const text = view.toString('utf8');
  const out = f(text);
  return out === text ? view : Buffer.from(out, 'utf8');
}
