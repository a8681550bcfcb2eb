import { z } from 'zod';
import { POLICY_KNOBS, policySchema } from '../policy/policy';
import { type PolicyScope } from '../policy/resolve-policy';

// `directory` names the directory's policy container, whose defaults sit between the bootstrap and the overrides.
const SOURCE_KINDS = ['subtree', 'group', 'directory'] as const satisfies readonly (
  PolicyScope['kind'] | 'directory'
)[];

/**
 * `default` (the bootstrap), `directory:<dn>` (the directory's defaults), or the override that set a knob:
 * `subtree:<dn>` / `group:<dn>` (policy/resolve-policy.ts).
 */
export const policySourceSchema = z.union([
  z.literal('default'),
  z.templateLiteral([z.enum(SOURCE_KINDS), ':', z.string().min(1).max(2048)]),
]);

/**
 * policy/resolve-policy.ts's EffectivePolicy on the wire: the resolved knobs and, for every knob, where its value
 * came from. The record is keyed by the knob enum, so a missing or unknown knob is refused.
 */
export const effectivePolicySchema = z
  .object({
    policy: policySchema,
    sources: z.record(z.enum(POLICY_KNOBS), policySourceSchema),
  })
  .strict();
