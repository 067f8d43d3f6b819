/**
 * Progress for long commands: a bar redrawn in place on a TTY, plain lines
 * (at most one per 10 %, or one per 1000 items once past the first 1000 when
 * the total is unknown: a small store's gc says nothing) otherwise.
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  let lastBucket = -1;
  let drawn = false;
  const update = (p: { done: number; total: number; phase: string }) => {
    const pct = p.total > 0 ? Math.min(100, Math.floor((100 * p.done) / p.total)) : undefined;
    if (stream.isTTY) {
      const width = 30;
      const filled = pct === undefined ? 0 : Math.round((width * pct) / 100);
      const bar = pct === undefined ? ''.padEnd(width, '·') : '#'.repeat(filled).padEnd(width, ' ');
      stream.write(`\r${p.phase} [${bar}] ${pct === undefined ? '' : pct + '% '}${p.done}${p.total ? '/' + p.total : ''}   `);
      drawn = true;
      return;
    }
    const bucket = pct === undefined ? Math.floor(p.done / 1000) : Math.floor(pct / 10);
    if (bucket === lastBucket || (pct === undefined && bucket === 0)) return;
    lastBucket = bucket;
    stream.write(`${p.phase}: ${p.done}${p.total ? '/' + p.total : ''}${pct === undefined ? '' : ` (${pct}%)`}\n`);
  };
  const done = () => {
    if (drawn) stream.write('\n');
  };
  return { update, done };
}
