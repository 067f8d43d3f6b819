import t from 'tap';
import { readConfig } from '../src/config.js';
import { SettingsDrift, settingsDiff } from '../src/settingsDrift.js';

const base = { HOME: '/home/u', SPLITCACHE_DIR: '/s', SPLITCACHE_IDLE_TIMEOUT: '120' };

t.test('a call with the daemon\'s settings, or differing only in per-call ones, is not told anything', async (t) => {
  const drift = new SettingsDrift(readConfig(base).settings);
  t.equal(drift.check(base), undefined, 'the same environment');
  t.equal(drift.check({ ...base, SPLITCACHE_SESSION: 's1', SPLITCACHE_LOG: 'debug', SPLITCACHE_RECACHE: '1', SPLITCACHE_TIMING_LOG: '/t', SPLITCACHE_CLIENT_SOCKET: 'net' }), undefined, 'per-call variables');
  t.equal(drift.check({ ...base, SPLITCACHE_MAX_SIZE: '10240M', SPLITCACHE_IDLE_TIMEOUT: '120.0' }), undefined, 'the same effective values, written otherwise');
  // With no remote, the remote's settings take no effect: before, they were compared as given.
  t.equal(drift.check({ ...base, SPLITCACHE_REMOTE_TIMEOUT: '3', SPLITCACHE_REMOTE_RETRIES: '0x2', SPLITCACHE_REMOTE_MODE: 'off' }), undefined, "the remote's settings, with no remote");
  t.equal(drift.check({ ...base, SPLITCACHE_REMOTE: 'http://c/', SPLITCACHE_REMOTE_MODE: 'off' }), undefined, 'a remote turned off');
  t.equal(drift.check({ ...base, SPLITCACHE_MAX_SIZE: ' ' }), undefined, 'a value of blanks, as unset');
  t.equal(drift.check({ ...base, SPLITCACHE_PRODUCER: '  ', SPLITCACHE_SIGNING_KEY: ' ' }), undefined, 'a producer or key of blanks, as unset');
  // The proxy and CA variables are the remote's: a daemon with no remote reaches nothing through them.
  const proxied = { ...base, HTTPS_PROXY: 'http://proxy:3128', http_proxy: 'http://proxy:3128', NO_PROXY: 'localhost', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' };
  t.equal(drift.check(proxied), undefined, 'a proxy or CA certificates, with no remote');
  t.match(new SettingsDrift(readConfig({ ...base, SPLITCACHE_REMOTE: 'http://c/' }).settings).check({ ...proxied, SPLITCACHE_REMOTE: 'http://c/' }), /for HTTPS_PROXY, HTTP_PROXY, NO_PROXY;/, 'with a remote, a proxy set since is named');
});

t.test('other settings are named once a minute, secrets by name only', async (t) => {
  let now = 1_000_000;
  const drift = new SettingsDrift(readConfig(base).settings, () => now);
  const other = { ...base, SPLITCACHE_MAX_SIZE: '5G', SPLITCACHE_REMOTE: 'http://127.0.0.1:9/c', SPLITCACHE_REMOTE_TOKEN: 'hunter2' };
  const line = drift.check(other);
  t.equal(
    line,
    'splitcache: SPLITCACHE_CONFIG_STALE: the running daemon has other settings than this build for SPLITCACHE_MAX_SIZE, SPLITCACHE_REMOTE, SPLITCACHE_REMOTE_TOKEN; run `splitcache server stop` to apply this build\'s',
  );
  t.notMatch(line!, /hunter2|127\.0\.0\.1/, 'no values shown');
  now += 30_000;
  t.equal(drift.check(other), undefined, 'not again within the minute');
  now += 31_000;
  t.match(drift.check(other), /SPLITCACHE_CONFIG_STALE/, 'again after it');
  t.match(drift.check({ ...base, SPLITCACHE_REMAP: '1' }), /for SPLITCACHE_REMAP;/, 'another set of settings has its own minute');
});

t.test('settingsDiff compares effective values', async (t) => {
  t.same(settingsDiff(readConfig(base).settings, readConfig({ ...base, SPLITCACHE_IDLE_TIMEOUT: 'nonsense' }).settings), ['SPLITCACHE_IDLE_TIMEOUT'], 'an unreadable value is its default, 600 s, not 120');
  t.same(settingsDiff(readConfig(base).settings, readConfig({ ...base, SPLITCACHE_PRODUCER: 'ci-7' }).settings), ['SPLITCACHE_PRODUCER']);
  // The entry limit, unset, is a quarter of the size limit: it changed with it, and was named too.
  const small = readConfig({ ...base, SPLITCACHE_MAX_SIZE: '1G' }).settings;
  t.same(settingsDiff(readConfig(base).settings, small), ['SPLITCACHE_MAX_SIZE'], 'a derived entry limit is not named');
  t.same(settingsDiff(small, readConfig({ ...base, SPLITCACHE_MAX_SIZE: '1G', SPLITCACHE_MAX_ENTRY_SIZE: '100M' }).settings), ['SPLITCACHE_MAX_ENTRY_SIZE'], 'one set is');
  t.same(settingsDiff(small, readConfig({ ...base, SPLITCACHE_MAX_SIZE: '1G', SPLITCACHE_MAX_ENTRY_SIZE: '256M' }).settings), [], 'set to what it was derived as: the same in effect');
});
