/**
 * The client ↔ daemon protocol: MessagePack frames over a unix socket, each a
 * 4-byte big-endian length then the packed value. The daemon packs with
 * msgpackr, the thin client with msgpackLite.ts (see there for why). This
 * module is bundled into the client, so it imports only node builtins.
 */
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROTOCOL_VERSION = 1;
export const MAX_FRAME = 256 * 1024 * 1024;

export interface LinkStep {
  /** Arguments for `rustc -Zlink-only`, run with RUSTC_BOOTSTRAP=1. */
  args: string[];
  /** The .rlink fed to the link; the client deletes it afterwards (a plain build leaves none). */
  rlinkPath: string;
}

export type Request =
  | { op: 'compile'; v: number; argv: string[]; cwd: string; env: Record<string, string> }
  | { op: 'done'; token: string; code: number; stdout: Uint8Array; stderr: Uint8Array; ms: number }
  | { op: 'linked'; token: string; code: number }
  | { op: 'stats' }
  | { op: 'audit'; since?: number; session?: string; crate?: string }
  | { op: 'explain'; crate: string; session?: string }
  | { op: 'gc'; maxBytes?: number; olderThanMs?: number }
  | { op: 'verify' }
  | { op: 'ping' }
  | { op: 'stop' };

export type CompilePlan =
  | { action: 'passthrough'; reason: string; warning?: string }
  | { action: 'hit'; token: string; stdout: Uint8Array; stderr: Uint8Array; code: number; link?: LinkStep; warning?: string }
  | { action: 'run'; token: string; args: string[]; bootstrap: boolean; warning?: string };

/** Sent before the reply of a long request (gc, verify); the client shows it as progress. */
export interface ProgressFrame {
  progress: { done: number; total: number; phase: string };
}

export interface DoneReply {
  link?: LinkStep;
  /** A cache fault while storing, to show the user once (the build goes on). */
  warning?: string;
}

/** What packs and unpacks a frame's body: msgpackr in the daemon, msgpackLite in the client. */
export interface FrameCodec {
  pack(value: unknown): Uint8Array;
  unpack(body: Uint8Array): unknown;
}

export function encodeFrame(value: unknown, codec: FrameCodec): Buffer {
  const body = codec.pack(value);
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Accumulates socket data and yields whole decoded frames. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly codec: FrameCodec) {}

  /** Throws SPLITCACHE_DAEMON_PROTOCOL for an oversized or undecodable frame. */
  push(chunk: Buffer): unknown[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: unknown[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (len > MAX_FRAME) throw Object.assign(new Error(`frame of ${len} bytes exceeds the limit`), { code: 'SPLITCACHE_DAEMON_PROTOCOL' });
      if (this.buf.length < 4 + len) break;
      try {
        out.push(this.codec.unpack(this.buf.subarray(4, 4 + len)));
      } catch (err) {
        throw Object.assign(new Error(`undecodable frame: ${(err as Error).message}`), { code: 'SPLITCACHE_DAEMON_PROTOCOL' });
      }
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}

/** The store directory: SPLITCACHE_DIR, else $XDG_CACHE_HOME/splitcache, else ~/.cache/splitcache. */
export function storeDir(env: NodeJS.ProcessEnv): string {
  if (env.SPLITCACHE_DIR) return env.SPLITCACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'splitcache');
  return join(env.HOME || homedir(), '.cache', 'splitcache');
}

/**
 * The daemon's socket. Unix socket paths are limited to 107 bytes, so a deep
 * store directory gets its socket in the temp dir, named by a hash of the path.
 */
export function socketPath(dir: string): string {
  const p = join(dir, 'daemon.sock');
  if (Buffer.byteLength(p) < 100) return p;
  return join(tmpdir(), `splitcache-${fnv1a(dir, 0x811c9dc5)}${fnv1a(dir, 0x01000193)}.sock`);
}

/** A small string hash, so the client need not load node:crypto for a file name. */
function fnv1a(s: string, seed: number): string {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
