import t from 'tap';
import { ServerIndex } from '../src/server/serverIndex.js';
import { tmp } from './serverHelpers.js';

// A GET reads a blob's item, then moves it to the young end of the LRU order (touch) with what it
// read. A PUT of the blob's other form (another size) or an eviction in between: the touch wrote the
// size it had read over the PUT's, or the item back after its removal, and /status's totals drifted
// from the items for good (each later removal took off a size the totals never held).

t.test('a touch with an item read before a replace keeps the size the replace wrote', async (t) => {
  const index = await ServerIndex.open(tmp('sc-touch-'), 0);
  t.teardown(() => index.close());
  await index.replace('c', 'ab', 100);
  const read = (await index.get('c', 'ab'))!;
  await new Promise((res) => setTimeout(res, 5)); // a later atime than the read's
  await index.replace('c', 'ab', 40); // the PUT of its other form
  await index.touch('c', 'ab', read);
  t.equal((await index.get('c', 'ab'))?.size, 40, 'the item says the size on disk');
  await index.remove('c', 'ab');
  t.same({ ...index.totals }, { entries: 0, bytes: 0 }, 'totals back to nothing once it is removed');
});

t.test('a touch with an item read before its removal does not bring it back', async (t) => {
  const index = await ServerIndex.open(tmp('sc-touch-'), 0);
  t.teardown(() => index.close());
  await index.replace('c', 'cd', 100);
  const read = (await index.get('c', 'cd'))!;
  await new Promise((res) => setTimeout(res, 5));
  await index.remove('c', 'cd'); // evicted
  await index.touch('c', 'cd', read);
  t.equal(await index.get('c', 'cd'), undefined, 'still removed');
  await index.remove('c', 'cd'); // a GET that finds no file drops what the index names
  t.same({ ...index.totals }, { entries: 0, bytes: 0 }, 'totals say nothing stored');
});

// A GET that found no blob file (or removed one that was not the blob) drops the item it read: a PUT
// that stored the blob in between had its new item dropped, its good file left unindexed, a 404.
t.test('a removal of the item a GET read leaves one a PUT wrote since', async (t) => {
  const index = await ServerIndex.open(tmp('sc-touch-'), 0);
  t.teardown(() => index.close());
  await index.replace('c', 'ef', 100);
  const read = (await index.get('c', 'ef'))!;
  await new Promise((res) => setTimeout(res, 5));
  await index.replace('c', 'ef', 40); // the PUT that stored it anew
  await index.remove('c', 'ef', read);
  t.equal((await index.get('c', 'ef'))?.size, 40, 'the PUT\'s item stays');
  t.same({ ...index.totals }, { entries: 1, bytes: 40 });
  await index.remove('c', 'ef', (await index.get('c', 'ef'))!);
  t.same({ ...index.totals }, { entries: 0, bytes: 0 }, 'the item as read is removed');
});
