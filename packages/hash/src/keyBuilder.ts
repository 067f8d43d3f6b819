import { digestBytes, type Digest } from './digest.js';

/**
 * Builds an action key from named components. Every component is recorded,
 * so `explain` can diff two keys and name what changed. The digest covers the
 * names and values in order, each length-prefixed so no two component lists
 * can produce the same byte stream.
 */
export class KeyBuilder {
  private readonly parts: [string, string][] = [];

  add(name: string, value: string | number | boolean | undefined | null): this {
    this.parts.push([name, value === undefined || value === null ? '\u0000' : String(value)]);
    return this;
  }

  components(): ReadonlyArray<readonly [string, string]> {
    return this.parts;
  }

  digest(): Digest {
    let s = '';
    for (const [k, v] of this.parts) s += `${k.length}:${k}${v.length}:${v}`;
    return digestBytes(s);
  }
}

export interface KeyDiff {
  name: string;
  before?: string;
  after?: string;
}

/** Component-wise difference of two recorded keys, in `after`'s order. */
export function diffKeys(
  before: ReadonlyArray<readonly [string, string]>,
  after: ReadonlyArray<readonly [string, string]>,
): KeyDiff[] {
  const b = new Map(before.map(([k, v]) => [k, v]));
  const out: KeyDiff[] = [];
  for (const [k, v] of after) {
    if (!b.has(k)) out.push({ name: k, after: v });
    else if (b.get(k) !== v) out.push({ name: k, before: b.get(k), after: v });
    b.delete(k);
  }
  for (const [k, v] of b) out.push({ name: k, before: v });
  return out;
}
