/**
 * The most items one token-crypto call carries. token-crypto serves up to its prefetch (32) calls at once,
 * interleaved, at roughly 1,000 downloads or 300 uploads per second and core: one call for all 2,000 items of a
 * user at the policy maximum, shared with others, outlived the 10-s RPC timeout (8 such first logons at once all
 * failed in bench:storm), and a workstation that tried again asked for the whole work again. 200 items take well
 * under a second alone.
 */
export const CRYPTO_BATCH_ITEMS = 200;

/** Passes `items` to `call` in batches of CRYPTO_BATCH_ITEMS, one after another; the results in the items' order. */
export async function inCryptoBatches<T, R>(
  items: readonly T[],
  call: (batch: T[]) => Promise<readonly R[]>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += CRYPTO_BATCH_ITEMS) {
    results.push(...(await call(items.slice(start, start + CRYPTO_BATCH_ITEMS))));
  }
  return results;
}
