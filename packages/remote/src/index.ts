export { RemoteCache, casPath, acPath, blobBodyBound, MAX_RECORD_BYTES, type RemoteCacheOptions } from './remoteCache.js';
export { HttpRemote, type HttpRemoteOptions } from './httpRemote.js';
export { CircuitBreaker } from './circuitBreaker.js';
export { sealAc, openAc, decodeEnvelope, type AcRecord, type EntryAcRecord, type InputSetRecord, type InlineEntry } from './acRecord.js';
export { encodeBlobBody, decodeBlobBody, isGzip, type Compression } from './blobBody.js';
export { checkEntry } from './checkEntry.js';
export { CacheServer, isLoopback, type CacheServerOptions } from './server/cacheServer.js';
export { AccessLogFile, accessLine } from './server/accessLog.js';
export { loadTokens, parseTokens, TokensFile, type Scope, type TokenInfo } from './server/tokens.js';
