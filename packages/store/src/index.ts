export { Store, isDiskFull } from './store.js';
export { BlobDir } from './blobDir.js';
export type { AuditEvent, EntryRecord, ManifestRecord, ManifestResult, OutputRecord } from './records.js';
export { MAX_RESULTS_PER_MANIFEST } from './records.js';
export { planEviction, parseSize, parseAge, type EntrySummary, type EvictionPlan } from './gc.js';
export { collectGarbage, verifyStore, type GcResult, type VerifyResult, type Progress } from './maintenance.js';
export { encodeRecordBlob, decodeRecordBlob, RECORD_MAGIC, type EntryCommit } from './recordBlob.js';
export { tempSuffix, writeFileAtomic, writeFileAtomicSync } from './writeFileAtomic.js';
export { readWhole, writeWhole } from './wholeFile.js';
