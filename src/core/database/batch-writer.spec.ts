import { BatchWriter } from './batch-writer.js';

/** A write that records each batch and finishes when the test says so. */
function recordingWrite(fail: (items: string[]) => Error | undefined = () => undefined) {
  const batches: string[][] = [];
  const pending: Array<() => void> = [];
  const write = (items: string[]) => {
    batches.push(items);
    return new Promise<void>((resolve, reject) => {
      pending.push(() => {
        const error = fail(items);
        if (error) reject(error);
        else resolve();
      });
    });
  };
  const finishAll = async () => {
    while (pending.length > 0) {
      pending.splice(0).forEach((finish) => finish());
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { batches, write, finishAll };
}

const dataError = Object.assign(new Error('invalid input syntax'), { code: '22P02' });
const outage = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

describe('BatchWriter', () => {
  it('writes an item alone and at once when nothing else is being written', async () => {
    const { batches, write, finishAll } = recordingWrite();
    const writer = new BatchWriter(write, { concurrency: 1, maxBatch: 10, maxWeight: 100 });
    const done = writer.submit('a', 1);
    expect(batches).toEqual([['a']]);
    await finishAll();
    await done;
  });

  it('gathers items that arrive during a write into the next one, up to maxBatch', async () => {
    const { batches, write, finishAll } = recordingWrite();
    const writer = new BatchWriter(write, { concurrency: 1, maxBatch: 3, maxWeight: 100 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f'].map((item) => writer.submit(item, 1));
    expect(batches).toEqual([['a']]);
    await finishAll();
    await Promise.all(all);
    expect(batches).toEqual([['a'], ['b', 'c', 'd'], ['e', 'f']]);
  });

  it('ends a batch before the item that would take it past maxWeight; a heavier item goes alone', async () => {
    const { batches, write, finishAll } = recordingWrite();
    const writer = new BatchWriter(write, { concurrency: 1, maxBatch: 10, maxWeight: 100 });
    const weights: Record<string, number> = { first: 1, a: 40, b: 50, c: 20, huge: 500, d: 10 };
    const all = Object.entries(weights).map(([item, weight]) => writer.submit(item, weight));
    await finishAll();
    await Promise.all(all);
    expect(batches).toEqual([['first'], ['a', 'b'], ['c'], ['huge'], ['d']]);
  });

  it('keeps up to `concurrency` writes under way', async () => {
    const { batches, write, finishAll } = recordingWrite();
    const writer = new BatchWriter(write, { concurrency: 2, maxBatch: 10, maxWeight: 100 });
    const all = ['a', 'b', 'c', 'd'].map((item) => writer.submit(item, 1));
    expect(batches).toEqual([['a'], ['b']]);
    await finishAll();
    await Promise.all(all);
    expect(batches).toEqual([['a'], ['b'], ['c', 'd']]);
  });

  it('writes each item of a batch that failed on its data again alone: only the bad item fails', async () => {
    const { batches, write, finishAll } = recordingWrite((items) => (items.includes('bad') ? dataError : undefined));
    const writer = new BatchWriter(write, { concurrency: 1, maxBatch: 10, maxWeight: 100 });
    const first = writer.submit('first', 1);
    const [good, bad, other] = ['good', 'bad', 'other'].map((item) => writer.submit(item, 1));
    const outcomes = Promise.allSettled([first, good, bad, other]);
    await finishAll();
    expect((await outcomes).map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    await expect(bad).rejects.toBe(dataError);
    expect(batches).toEqual([['first'], ['good', 'bad', 'other'], ['good'], ['bad'], ['other']]);
  });

  it('fails every item of a batch that failed for another reason, without writing them again', async () => {
    const { batches, write, finishAll } = recordingWrite((items) => (items.length > 1 ? outage : undefined));
    const writer = new BatchWriter(write, { concurrency: 1, maxBatch: 10, maxWeight: 100 });
    const first = writer.submit('first', 1);
    const rest = ['b', 'c'].map((item) => writer.submit(item, 1));
    const outcomes = Promise.allSettled(rest);
    await finishAll();
    await first;
    expect((await outcomes).map((outcome) => outcome.status === 'rejected' && outcome.reason)).toEqual([outage, outage]);
    expect(batches).toEqual([['first'], ['b', 'c']]);
  });
});
