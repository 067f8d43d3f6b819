import t from 'tap';
import { initHash, KeyBuilder } from '@splitcache/hash';
import { oneTargetForm } from '../src/targetForm.js';

// cargo names the target dir as it was given, but a build script's OUT_DIR resolved: a `-L native=`
// of it normalises under the real form's placeholder where the two differ. The key reads each real
// form as its given one: the target dir's and its profile dirs' (profileDirs.ts).
const keyOf = (lib: string) => {
  const k = new KeyBuilder();
  k.add('-L native', `-L native=${lib}`);
  return oneTargetForm(k);
};

t.test('the key reads the real forms of the target dir and of its profile dirs as their given ones', async (t) => {
  await initHash();
  t.equal(keyOf('@@sc:target_real@@/x').key, keyOf('@@sc:target@@/x').key, 'the target dir');
  t.equal(keyOf('@@sc:profile_real@@/build/x-1/out').key, keyOf('@@sc:profile@@/build/x-1/out').key, 'the host profile dir');
  t.equal(keyOf('@@sc:triple_profile_real@@/build/x-1/out').key, keyOf('@@sc:triple_profile@@/build/x-1/out').key, "a target's profile dir");
  t.not(keyOf('@@sc:profile@@/build/x-1/out').key, keyOf('@@sc:triple_profile@@/build/x-1/out').key, 'the two profile dirs stay apart');
  t.same(keyOf('@@sc:profile_real@@/y').components, [['-L native', '-L native=@@sc:profile@@/y']], 'as explain shows it');
});
