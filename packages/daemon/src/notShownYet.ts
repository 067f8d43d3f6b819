/**
 * What a plain rustc run after a split half adds to what the half already showed. A crate that
 * links whose `-Zlink-only` step fails is compiled again by a plain rustc (callFlow.ts): its
 * diagnostics come a second time, after the `-Zno-link` half's (relayed on a miss, replayed on a
 * hit). cargo counted each twice: `generated 2 warnings (1 duplicate)` and `2 warnings emitted`
 * where a plain build says 1, and `--message-format=json` printed each `compiler-message` twice.
 *
 * Under `--error-format=json` (cargo, and the build systems that read rustc's JSON), each
 * diagnostic, future-incompat report or artifact notice is one line: a line of the plain run
 * that the half showed, byte for byte, is left out. Human text (a direct call) is given whole:
 * its lines repeat inside diagnostics (`  |`), and on a terminal the two runs colour it apart.
 */
export function notShownYet(plain: Buffer, shown: Uint8Array): Buffer {
  if (!holdsJsonLines(shown) || plain.length === 0) return plain;
  const seen = new Set(jsonLines(Buffer.from(shown.buffer, shown.byteOffset, shown.byteLength)));
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

/** Whether a run's stderr holds a JSON line (it ran under `--error-format=json`). */
export function holdsJsonLines(stderr: Uint8Array): boolean {
  const bytes = Buffer.from(stderr.buffer, stderr.byteOffset, stderr.byteLength);
  return bytes[0] === 0x7b || bytes.includes('\n{');
}
