import { type z } from 'zod';
import { describeUntrusted } from '../tokens/token-id';
import { tokenKeyString, type TokenKey } from '../tokens/token-key';

/**
 * A refinement refusing a list in which two elements share a token key; `keyOf` picks an element's key, `at` is
 * the list's path when the refinement sits on an enclosing object.
 */
export function uniqueKeys<T>(keyOf: (item: T) => TokenKey, what: string, at: (string | number)[] = []) {
  return (items: readonly T[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const key = keyOf(item);
      const text = tokenKeyString(key);
      if (seen.has(text)) {
        ctx.addIssue({
          code: 'custom',
          path: [...at, index],
          message: `${what}: ${key.type} ${describeUntrusted(key.id)} appears twice`,
        });
      }
      seen.add(text);
    });
  };
}
