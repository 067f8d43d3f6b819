/**
 * Shared error type for every splitcache package. Errors carry a stable
 * `SPLITCACHE_*` code (codes never change between versions; messages may),
 * a one-line message that names what was wrong, and an optional `cause`.
 */
export type ErrorCode =
  | 'SPLITCACHE_RLINK_MAGIC'
  | 'SPLITCACHE_RLINK_VERSION'
  | 'SPLITCACHE_RLINK_LEB128'
  | 'SPLITCACHE_RLINK_SENTINEL'
  | 'SPLITCACHE_RLINK_FOOTER'
  | 'SPLITCACHE_RLINK_RUSTC_MISMATCH'
  | 'SPLITCACHE_RLINK_FOREIGN_CRATE'
  | 'SPLITCACHE_RLINK_UNSUPPORTED'
  | 'SPLITCACHE_DEPINFO_MALFORMED'
  | 'SPLITCACHE_ARCHIVE_MALFORMED'
  | 'SPLITCACHE_CONFIG_STALE'
  | 'SPLITCACHE_BLOB_CORRUPT'
  | 'SPLITCACHE_BLOB_MISSING'
  | 'SPLITCACHE_MANIFEST_MALFORMED'
  | 'SPLITCACHE_MANIFEST_HOSTILE'
  | 'SPLITCACHE_STORE_IO'
  | 'SPLITCACHE_STORE_FULL'
  | 'SPLITCACHE_STORE_LOCKED'
  | 'SPLITCACHE_STORE_ACCESS'
  | 'SPLITCACHE_STORE_CORRUPT'
  | 'SPLITCACHE_STORE_TOO_SMALL'
  | 'SPLITCACHE_STORE_HUNG'
  | 'SPLITCACHE_DAEMON_UNREACHABLE'
  | 'SPLITCACHE_DAEMON_PROTOCOL'
  | 'SPLITCACHE_DAEMON_LOST'
  | 'SPLITCACHE_DAEMON_UNRESPONSIVE'
  | 'SPLITCACHE_NODE_MISSING'
  | 'SPLITCACHE_NODE_LIMITED'
  | 'SPLITCACHE_NODE_TOO_OLD'
  | 'SPLITCACHE_INSTALL_INCOMPLETE'
  | 'SPLITCACHE_EXEC_CALLER'
  | 'SPLITCACHE_EXEC_RUN'
  | 'SPLITCACHE_RUSTC_IDENTITY'
  | 'SPLITCACHE_NATIVE_CPU'
  | 'SPLITCACHE_INGEST'
  | 'SPLITCACHE_REPLAY'
  | 'SPLITCACHE_LINK_FAILED'
  | 'SPLITCACHE_REMOTE_HTTP'
  | 'SPLITCACHE_REMOTE_TIMEOUT'
  | 'SPLITCACHE_REMOTE_SIGNATURE'
  | 'SPLITCACHE_REMOTE_DIGEST'
  | 'SPLITCACHE_REMOTE_BREAKER_OPEN'
  | 'SPLITCACHE_REMOTE_AUTH'
  | 'SPLITCACHE_REMOTE_RECORD'
  | 'SPLITCACHE_REMOTE_TOO_LARGE'
  | 'SPLITCACHE_REMOTE_FULL'
  | 'SPLITCACHE_REMOTE_SLOW'
  | 'SPLITCACHE_SERVE_CONFIG'
  | 'SPLITCACHE_SERVE_IO'
  | 'SPLITCACHE_CONFIG';

export class SplitcacheError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SplitcacheError';
    this.code = code;
  }
}

/** True if `err` is a SplitcacheError (optionally with the given code). */
export function isSplitcacheError(err: unknown, code?: ErrorCode): err is SplitcacheError {
  return err instanceof SplitcacheError && (code === undefined || err.code === code);
}

/** The one-line form printed on stderr: `splitcache: CODE: message`. */
export function oneLine(err: unknown): string {
  if (err instanceof SplitcacheError) return `${err.code}: ${firstLine(err.message)}`;
  const e = err as { code?: string; message?: string };
  const message = firstLine(String(e?.message ?? err));
  // node's system errors already begin with their code (`EACCES: permission denied, …`).
  return e?.code && message.startsWith(`${e.code}: `) ? message : `${e?.code ?? 'ERROR'}: ${message}`;
}

/**
 * `text` with each control character (C0, DEL, C1) written as `\uXXXX`: a name another machine
 * chose (a remote entry's producer), shown on a terminal, can't break a line or send an escape
 * sequence (a forged audit line).
 */
export function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
