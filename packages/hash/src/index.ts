export { initHash, digestBytes, digestFile, digestFileSync, digestHandle, DigestStream, isDigest, type Digest } from './digest.js';
export { FileDigestMemo, SYNC_IO_MAX_BYTES, type KeptDigest } from './fileDigestMemo.js';
export { KeyBuilder, diffKeys, type KeyDiff } from './keyBuilder.js';
export { withChunk, IO_CHUNK } from './chunkPool.js';
