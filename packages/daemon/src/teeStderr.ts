/**
 * A tee run's stderr, as it comes on the caller's own connection
 * (execCall.ts): rustc writes it there, and once rustc has exited the caller
 * writes the run's marker (a NUL, a value of this daemon's and the run's id,
 * a space) and then its answer, `ran <code> tee`. One connection keeps the
 * order, so whatever came before the marker is all of rustc's stderr, with
 * no wait for anything else.
 *
 * Bytes go on as they come, for cargo reads rustc's artifact notices while
 * rustc runs. Only a chunk's end that could begin the marker (from a NUL on)
 * is held until the next chunk says whether it does.
 */
export class TeeStderr {
  private held: Buffer | undefined;

  constructor(
    private readonly marker: Buffer,
    private readonly out: (bytes: Buffer) => void,
  ) {}

  /** Takes the caller's next bytes: what follows the marker once it has come (the answer), else undefined. */
  push(chunk: Buffer): Buffer | undefined {
    const buf = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = undefined;
    const at = buf.indexOf(this.marker);
    if (at >= 0) {
      if (at > 0) this.out(buf.subarray(0, at));
      return buf.subarray(at + this.marker.length);
    }
    const keep = this.markerStartAtEnd(buf);
    if (keep < buf.length) this.out(buf.subarray(0, buf.length - keep));
    if (keep > 0) this.held = Buffer.from(buf.subarray(buf.length - keep));
    return undefined;
  }

  /** How many of `buf`'s last bytes are the marker's first ones (the marker starts with a NUL, which rustc's text holds none of). */
  private markerStartAtEnd(buf: Buffer): number {
    const first = this.marker[0]!;
    for (let i = Math.max(0, buf.length - this.marker.length + 1); i < buf.length; i++) {
      if (buf[i] === first && buf.subarray(i).equals(this.marker.subarray(0, buf.length - i))) return buf.length - i;
    }
    return 0;
  }
}
