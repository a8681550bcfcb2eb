import * as pkijs from 'pkijs';
import { type Asn1 } from './ber';
import { compileSchema, matchSchema } from './schema';
import { oidOf } from './values';

/** An AlgorithmIdentifier as read: its OID and its parameters (undefined when absent). */
export interface AlgorithmId {
  oid: string;
  parameters: Asn1 | undefined;
}

const ALGORITHM_IDENTIFIER = compileSchema<'algorithm' | 'parameters'>(() =>
  pkijs.AlgorithmIdentifier.schema({
    names: { algorithmIdentifier: 'algorithm', algorithmParams: 'parameters' },
  }),
);

/** Reads an AlgorithmIdentifier; undefined when the node is not one. */
export function algorithmIdOf(node: Asn1 | undefined): AlgorithmId | undefined {
  const found = matchSchema(node, ALGORITHM_IDENTIFIER);
  return algorithmFrom(found?.algorithm, found?.parameters);
}

/**
 * Names for an AlgorithmIdentifier inside a larger pkijs schema: a match then returns `<name>` (the OID) and
 * `<name>Parameters`, which algorithmFrom reads.
 */
export function algorithmNames<Name extends string>(name: Name) {
  return { names: { algorithmIdentifier: name, algorithmParams: `${name}Parameters` as const } };
}

export function algorithmFrom(
  oidNode: Asn1 | undefined,
  parameters: Asn1 | undefined,
): AlgorithmId | undefined {
  const oid = oidOf(oidNode);
  return oid === undefined ? undefined : { oid, parameters };
}
