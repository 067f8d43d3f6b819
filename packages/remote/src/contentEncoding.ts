import { promisify } from 'node:util';
import { brotliDecompress, inflate } from 'node:zlib';
import { gunzipSized } from './blobBody.js';

const brotliAsync = promisify(brotliDecompress);
const inflateAsync = promisify(inflate);

/** Why a response's Content-Encoding could not be undone: `tooLarge` when it expands past the cap. */
export class ContentEncodingError extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

/**
 * A response body with its `Content-Encoding` undone, each coding in the reverse of the order the
 * header lists them (RFC 9110 8.4: names are case-insensitive, `x-gzip` is gzip, `deflate` is the
 * zlib format), inflated to at most `maxBytes`. The client asks for no coding, so one comes only
 * from a server or proxy that compresses regardless. Before, only `gzip` and `br` spelled so were
 * undone: any other (`x-gzip`, `GZIP`, `deflate`, `gzip, br`) reached the record and blob checks
 * still encoded, and each hit was refused as a damaged record or blob (`not an AC envelope`, `does
 * not match its digest`), naming no coding; and a body labelled gzip that was none threw zlib's
 * bare `Z_DATA_ERROR: incorrect header check`, asked twice more.
 */
export async function decodeContent(body: Buffer, header: string, maxBytes: number): Promise<Buffer> {
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  // The server's words, cut so that one line stays one short line.
  const said = header.trim().slice(0, 100);
  let data = body;
  for (const coding of codings.reverse()) {
    try {
      if (coding === 'gzip' || coding === 'x-gzip') data = await gunzipSized(data, maxBytes);
      else if (coding === 'br') data = await brotliAsync(data, { maxOutputLength: maxBytes });
      else if (coding === 'deflate') data = await inflateAsync(data, { maxOutputLength: maxBytes });
      else throw new ContentEncodingError(`Content-Encoding ${said}, which this client does not decode (it asks for none: a server or proxy that compresses regardless?)`);
    } catch (err) {
      if (err instanceof ContentEncodingError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'ERR_BUFFER_TOO_LARGE') throw new ContentEncodingError(`Content-Encoding ${said} expands over the limit`, true);
      const why = `${code ?? 'error'}: ${(err as Error).message}`;
      throw new ContentEncodingError(`Content-Encoding ${said}, but the body is no ${coding} stream (${why}): a server or proxy that labels what it did not compress?`);
    }
  }
  return data;
}

/**
 * What `accept` makes of a body that came with the `Content-Encoding` `header`: of the body as it came
 * first, and only where that fails its check, of the body with the coding undone (decodeContent, capped at
 * `maxBytes`), checked in its turn. A server or proxy that labels a plain body (`none`, `binary`, `gzip` over
 * a file stored raw) is misconfigured, but what it sends is the record or blob, and its check says so:
 * before, such a label was refused before any check, and a team behind such a proxy missed every hit.
 * Decoded bytes are never returned unchecked. Where both fail, a coding that can't be undone is its
 * ContentEncodingError; one undone, the check's own error of what it gave.
 */
export async function acceptCoded<T>(body: Buffer, header: string, maxBytes: number, accept: (body: Buffer) => T | Promise<T>): Promise<T> {
  if (!header.trim()) return accept(body);
  let asSent: unknown;
  try {
    return await accept(body);
  } catch (err) {
    asSent = err;
  }
  const decoded = await decodeContent(body, header, maxBytes);
  if (decoded === body) throw asSent; // `identity` alone: nothing to undo, and the check has spoken
  return accept(decoded);
}
