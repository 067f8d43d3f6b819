import t from 'tap';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
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
  t.match(hint({ CARGO_INCREMENTAL: '0', CARGO_PROFILE_DEV_INCREMENTAL: 'true' }), /though CARGO_INCREMENTAL=0 reached rustc/, "0 beside a profile's setting: CARGO_INCREMENTAL overrides it, so it came from [env]");
});

t.test('said only to a call of cargo, at most once a day, and never where the day cannot be kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inc-hint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(incrementalHint(dir, {}), undefined, 'an incremental call no cargo ran (a Makefile): nothing about cargo said');
  t.ok(incrementalHint(dir, { CARGO: '/usr/bin/cargo' }), "a call of cargo's: said");
  t.equal(incrementalHint(dir, { CARGO: '/usr/bin/cargo' }), undefined, 'not again');
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3600e3);
  utimesSync(join(dir, 'incremental-hint'), hoursAgo(2), hoursAgo(2));
  t.equal(incrementalHint(dir, { CARGO: '/usr/bin/cargo' }), undefined, 'two hours later: not again');
  utimesSync(join(dir, 'incremental-hint'), hoursAgo(25), hoursAgo(25));
  t.ok(incrementalHint(dir, { CARGO: '/usr/bin/cargo' }), 'a day later: said again');
  t.equal(incrementalHint(join(dir, 'no', 'such'), { CARGO: '/usr/bin/cargo' }), undefined, 'a store dir where the marker cannot be written: nothing (not a line on every call)');
});
