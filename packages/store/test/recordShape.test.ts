import t from 'tap';
import { isEntryRecord, isManifestRecord } from '../src/recordShape.js';

const result = { entryKey: 'e1', inputs: [['<src>/lib.rs', 'd1']], envDeps: [['A', 'x'], ['B', null]] };
const manifest = { v: 1, crateName: 'l', components: [['rustc', 'r'], ['--crate-type', 'lib']], results: [result] };
const entry = {
  v: 1, mode: 'whole', crateName: 'l', crateType: 'lib', outputs: [{ name: 'libl.rlib', digest: 'd', size: 1, form: 'raw', role: 'output' }],
  stdout: new Uint8Array(0), stderr: new Uint8Array(0), exitCode: 0, producer: 'p', createdAt: 1, rustcVersion: '1.95.0', compileMs: 1,
  command: [], inputs: [['<src>/lib.rs', 'd1']],
};

t.test('the records every writer makes', async (t) => {
  t.ok(isManifestRecord(manifest), 'a manifest');
  t.ok(isManifestRecord({ ...manifest, results: [{ ...result, display: 'width=40' }] }), 'a result with its form');
  t.ok(isManifestRecord({ v: 1, crateName: 'l', components: [], results: [], evictedAt: 1, damaged: true }), 'an eviction mark');
  t.ok(isManifestRecord({ ...manifest, evictedResults: [{ ...result, damaged: true }], evictedAt: 1 }), 'with evicted results');
  t.ok(isEntryRecord(entry), 'an entry');
  t.ok(isEntryRecord({ ...entry, fetched: 'valid', recordDigest: 'r' }), 'one fetched from the remote');
});

t.test('a damaged pair inside a record is of the wrong shape (it threw where read)', async (t) => {
  t.notOk(isManifestRecord({ ...manifest, results: [{ ...result, inputs: [7] }] }), "a result's input that is a number");
  t.notOk(isManifestRecord({ ...manifest, results: [{ ...result, inputs: [[7, 'd']] }] }), "a result's input path that is a number");
  t.notOk(isManifestRecord({ ...manifest, results: [{ ...result, envDeps: [7] }] }), 'an env-dep that is a number');
  t.notOk(isManifestRecord({ ...manifest, components: [7] }), 'a component that is a number');
  t.notOk(isManifestRecord({ ...manifest, evictedResults: [{ ...result, inputs: [null] }] }), "an evicted result's input");
  t.notOk(isEntryRecord({ ...entry, inputs: [7] }), "an entry's input");
});
