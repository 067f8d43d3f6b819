import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { incrementalHint } from '../src/incrementalHint.js';

// Which line an incremental call of cargo's gets, once a day (the marker is taken anew each time here).
const hint = (env: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'inc-hint-'));
  try {
    return incrementalHint(dir, { CARGO: '/usr/bin/cargo', ...env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

t.test('an incremental call that sees CARGO_INCREMENTAL=0 got it from [env]; CARGO_INCREMENTAL=1 beside build.incremental=false is a choice', async (t) => {
  t.match(hint({}), /its dev profile's default, or an incremental setting/, 'nothing set: the default');
  t.match(hint({ CARGO_INCREMENTAL: '0' }), /though CARGO_INCREMENTAL=0 reached rustc: cargo passes on \[env\]/, '0 seen by an incremental call: [env]');
  t.match(hint({ CARGO_BUILD_INCREMENTAL: 'false' }), /though CARGO_BUILD_INCREMENTAL=false reached rustc/, 'named as it was seen');
  // cargo: CARGO_INCREMENTAL overrides build.incremental (a review's point: the [env] line was said).
  t.equal(hint({ CARGO_INCREMENTAL: '1', CARGO_BUILD_INCREMENTAL: 'false' }), undefined, 'CARGO_INCREMENTAL=1 wins: a choice, nothing said');
  t.equal(hint({ CARGO_INCREMENTAL: '1' }), undefined, 'a choice');
  t.equal(hint({ CARGO_PROFILE_DEV_INCREMENTAL: 'true' }), undefined, "a profile's choice");
  t.equal(hint({ CARGO_INCREMENTAL: '0', SPLITCACHE_LOG: 'quiet' }), undefined, 'quiet');
});
