import { CRYPTO_BATCH_ITEMS, CRYPTO_CALLS_AT_ONCE, inCryptoBatches } from './crypto-batches';

describe('inCryptoBatches', () => {
  const items = Array.from({ length: CRYPTO_BATCH_ITEMS * 4 + 7 }, (_, index) => index);

  it('keeps the items’ order whatever order the calls finish in, with at most CRYPTO_CALLS_AT_ONCE in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const results = await inCryptoBatches(items, async (batch) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      sizes.push(batch.length);
      // Later batches answer first.
      await new Promise((resolve) => setTimeout(resolve, 50 - batch[0]! / CRYPTO_BATCH_ITEMS));
      inFlight -= 1;
      return batch.map((item) => item * 2);
    });
    expect(results).toEqual(items.map((item) => item * 2));
    expect(most).toBe(CRYPTO_CALLS_AT_ONCE);
    expect(sizes).toEqual([
      CRYPTO_BATCH_ITEMS,
      CRYPTO_BATCH_ITEMS,
      CRYPTO_BATCH_ITEMS,
      CRYPTO_BATCH_ITEMS,
      7,
    ]);
  });

  it('fails the whole when one call fails, and starts no call after it', async () => {
    const started: number[] = [];
    await expect(
      inCryptoBatches(items, async (batch) => {
        started.push(batch[0]!);
        if (batch[0] === 0) throw new Error('token-crypto refused');
        await new Promise((resolve) => setTimeout(resolve, 20));
        return batch;
      }),
    ).rejects.toThrow('token-crypto refused');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toEqual([0, CRYPTO_BATCH_ITEMS]);
  });

  it('makes no call for no items', async () => {
    const call = jest.fn();
    await expect(inCryptoBatches([], call)).resolves.toEqual([]);
    expect(call).not.toHaveBeenCalled();
  });
});
