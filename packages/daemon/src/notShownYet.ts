/**
 * What a plain rustc run after a split half adds to what the half already showed. A crate that
 * links whose `-Zlink-only` step fails is compiled again by a plain rustc (callFlow.ts): its
 * diagnostics come a second time, after the `-Zno-link` half's (relayed on a miss, replayed on a
 * hit). cargo counted each twice: `generated 2 warnings (1 duplicate)` and `2 warnings emitted`
 * where a plain build says 1, and `--message-format=json` printed each `compiler-message` twice.
 *
 * Under `--error-format=json` (cargo, and the build systems that read rustc's JSON), each
 * diagnostic, future-incompat report or artifact notice is one line: a line of the plain run
 * that the half showed, byte for byte, is left out. In human text (a direct call: a Makefile, a
 * developer's `rustc` in a terminal, which showed every warning twice, and two `warning: N
 * warnings emitted` lines) its lines repeat inside diagnostics (`  |`), so whole diagnostics are
 * compared (humanBlocks): each the half showed, byte for byte, colours and all, is left out once.
 * Everything else the plain run wrote (the link error, a warning the half had not, the summary
 * where it differs) is kept as it came, in its order.
 */
export function notShownYet(plain: Buffer, shown: Uint8Array): Buffer {
  if (plain.length === 0 || shown.length === 0) return plain;
  const half = Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength);
  return holdsJsonLines(half) ? newJsonLines(plain, half) : newBlocks(plain, half);
}

function newJsonLines(plain: Buffer, half: Buffer): Buffer {
  const seen = new Set(jsonLines(half));
  const kept: Buffer[] = [];
  for (let at = 0; at < plain.length; ) {
    let end = plain.indexOf(0x0a, at);
    end = end === -1 ? plain.length : end + 1;
    const line = plain.subarray(at, end);
    const text = line.toString('utf8').replace(/\n$/, '');
    if (!(text.startsWith('{') && seen.has(text))) kept.push(line);
    at = end;
  }
  return Buffer.concat(kept);
}

function jsonLines(bytes: Buffer): string[] {
  return bytes
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'));
}

/** The plain run's human text less the blocks the half showed, each as many times as it showed it. */
function newBlocks(plain: Buffer, half: Buffer): Buffer {
  const seen = new Map<string, number>();
  // latin1: one character a byte, so two blocks are equal as text only where their bytes are.
  for (const b of humanBlocks(half)) {
    const text = b.toString('latin1');
    seen.set(text, (seen.get(text) ?? 0) + 1);
  }
  const kept: Buffer[] = [];
  for (const b of humanBlocks(plain)) {
    const text = b.toString('latin1');
    const times = seen.get(text) ?? 0;
    if (times > 0) seen.set(text, times - 1);
    else kept.push(b);
  }
  return Buffer.concat(kept);
}

/**
 * rustc's human text cut into its diagnostics: each from a line that starts, at column 0 and
 * past any colour codes, with `warning` or `error` (`error[E0425]`) and a colon, up to the next
 * such line, its blank line and any `note:`/`help:` child or `For more information…` line
 * included; whatever comes before the first, a block of its own. The blocks are the text's
 * bytes, all of them, in order. rustc 1.95's summary (`warning: 1 warning emitted`, `error:
 * aborting due to 1 previous error; 1 warning emitted`) is a block too.
 */
export function humanBlocks(text: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let start = 0;
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf(0x0a, at);
    end = end === -1 ? text.length : end + 1;
    if (at > start && STARTS_DIAGNOSTIC.test(text.subarray(at, Math.min(end, at + 200)).toString('latin1'))) {
      blocks.push(text.subarray(start, at));
      start = at;
    }
    at = end;
  }
  if (start < text.length) blocks.push(text.subarray(start));
  return blocks;
}

/** `warning:`, `error:`, `error[E0425]:`, each part maybe wrapped in SGR colour codes (`\x1b[1m\x1b[91merror[E0425]\x1b[0m\x1b[1m:`). */
const STARTS_DIAGNOSTIC = /^(?:\x1b\[[0-9;]*m)*(?:warning|error)(?:\[[A-Za-z]*\d+\])?(?:\x1b\[[0-9;]*m)*:/;

/** Whether a run's stderr holds a JSON line (it ran under `--error-format=json`). */
export function holdsJsonLines(stderr: Uint8Array): boolean {
  const bytes = Buffer.from(stderr.buffer, stderr.byteOffset, stderr.byteLength);
  return bytes[0] === 0x7b || bytes.includes('\n{');
}

/**
 * The plain run's stdout less what the half wrote there, where it begins with those bytes: what a
 * compile prints on stdout (nightly's `-Zprint-type-sizes`) comes before the link, in the same
 * order, so a failed split link printed it twice. Anything else is kept whole.
 */
export function outAfterShown(plain: Buffer, shown: Uint8Array): Buffer {
  const half = Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength);
  return half.length > 0 && plain.subarray(0, half.length).equals(half) ? plain.subarray(half.length) : plain;
}
