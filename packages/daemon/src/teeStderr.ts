/**
 * A run's stderr, as it comes on the caller's own connection (execCall.ts):
 * a tee run's rustc writes it there, and once rustc has exited the caller
 * writes the run's marker (a NUL, a value of this daemon's and the run's id,
 * a space) and then its answer, `ran <code> <how>`. One connection keeps the
 * order, so whatever came before the marker is all of rustc's stderr, with
 * no wait for anything else.
 *
 * Whole lines go on as they come, for cargo reads rustc's artifact notices
 * while rustc runs. A line's start waits for its end (or for the marker): a
 * daemon that died while it relayed a line cut in two by the socket left
 * cargo half a JSON message, which the plain rustc run after it then
 * finished with its own lines, and cargo printed the mix raw (a hunting
 * helper's repro, 130 KB lines). The marker holds no newline, so a line's
 * start is also all that may begin the marker.
 */
export class TeeStderr {
  /** What came after the last newline: a line's start, or the marker's. Kept as it came. */
  private held: Buffer[] = [];
  private heldSize = 0;

  constructor(
    private readonly marker: Buffer,
    private readonly out: (bytes: Buffer) => void,
  ) {}

  /** Takes the caller's next bytes: what follows the marker once it has come (the answer), else undefined. */
  push(chunk: Buffer): Buffer | undefined {
    const tailSize = Math.min(this.heldSize, this.marker.length - 1);
    const probe = tailSize > 0 ? Buffer.concat([this.lastHeld(tailSize), chunk]) : chunk;
    const at = probe.indexOf(this.marker);
    if (at >= 0) {
      // Everything before the marker, which may have begun in what was held.
      const fromChunk = at - tailSize;
      const before = fromChunk >= 0 ? [...this.held, chunk.subarray(0, fromChunk)] : [this.firstHeld(this.heldSize + fromChunk)];
      this.held = [];
      this.heldSize = 0;
      const bytes = Buffer.concat(before);
      if (bytes.length > 0) this.out(bytes);
      return probe.subarray(at + this.marker.length);
    }
    const nl = chunk.lastIndexOf(10);
    if (nl >= 0) {
      this.out(this.heldSize > 0 ? Buffer.concat([...this.held, chunk.subarray(0, nl + 1)]) : chunk.subarray(0, nl + 1));
      this.held = [];
      this.heldSize = 0;
    }
    if (nl + 1 < chunk.length) {
      this.held.push(chunk.subarray(nl + 1));
      this.heldSize += chunk.length - nl - 1;
    }
    return undefined;
  }

  /** The last `n` bytes held. */
  private lastHeld(n: number): Buffer {
    const parts: Buffer[] = [];
    for (let i = this.held.length - 1, left = n; i >= 0 && left > 0; i--) {
      const b = this.held[i]!;
      parts.unshift(b.length > left ? b.subarray(b.length - left) : b);
      left -= b.length;
    }
    return Buffer.concat(parts);
  }

  /** The first `n` bytes held. */
  private firstHeld(n: number): Buffer {
    return Buffer.concat(this.held).subarray(0, n);
  }
}
