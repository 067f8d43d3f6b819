export * from './protocol.js';
export { CACHE_VERSION, buildManifestKey, type KeyOptions } from './manifestKey.js';
export type { Stats, TypeCounts } from './stats.js';
export type { Explanation } from './explain.js';
export type { StoreUsage } from './maintenance.js';
