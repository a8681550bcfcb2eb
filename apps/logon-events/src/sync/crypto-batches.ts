import pLimit from 'p-limit';

/**
 * The most items one token-crypto call carries. token-crypto serves up to its prefetch (32) calls at once,
 * interleaved, at roughly 1,000 downloads or 300 uploads per second and core: one call for all 2,000 items of a
 * user at the policy maximum, shared with others, outlived the 10-s RPC timeout (8 such first logons at once all
 * failed in bench:storm), and a workstation that tried again asked for the whole work again. 200 items take well
 * under a second alone.
 */
export const CRYPTO_BATCH_ITEMS = 200;

/**
 * How many of one sync's calls are in flight at once: two keep token-crypto busy while logon-events reads the last
 * answer, and let two replicas share a large sync; more would only queue behind other users' calls.
 */
export const CRYPTO_CALLS_AT_ONCE = 2;

/**
 * Passes `items` to `call` in batches of CRYPTO_BATCH_ITEMS, CRYPTO_CALLS_AT_ONCE at a time; the results in the
 * items' order. A failed call fails the whole and no further call starts; those in flight run to their end, unused.
 */
export async function inCryptoBatches<T, R>(
  items: readonly T[],
  call: (batch: T[]) => Promise<readonly R[]>,
): Promise<R[]> {
  const limit = pLimit(CRYPTO_CALLS_AT_ONCE);
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += CRYPTO_BATCH_ITEMS) {
    batches.push(items.slice(start, start + CRYPTO_BATCH_ITEMS));
  }
  const results = await Promise.all(
    batches.map((batch) =>
      limit(() =>
        call(batch).catch((error: unknown) => {
          limit.clearQueue();
          throw error;
        }),
      ),
    ),
  );
  return results.flat();
}
