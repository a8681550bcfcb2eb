import * as asn1js from 'asn1js';
import { type Asn1 } from './ber';

/**
 * Untrusted input is checked against pkijs' own ASN.1 schemas, compiled once per process.
 *
 * Why not `new pkijs.X({ schema })`: pkijs builds a class's schema afresh on every parse, dozens of asn1js objects
 * per level (EnvelopedData's holds every certificate and CRL form that OriginatorInfo may carry), which costs ~1 ms
 * per envelope, ten times everything else in opening one. The schemas themselves are pure data, and
 * asn1js.compareSchema leaves them as they were, so one copy serves every parse.
 *
 * A schema names the parts a reader needs (pkijs' `names` parameters); a match returns them: a single node per name,
 * or the list of nodes a named Repeated collected.
 */
export interface CompiledSchema<Single extends string, Listed extends string = never> {
  readonly build: () => asn1js.AsnSchemaType;
  /** Only for the compiler: the names a match returns. */
  readonly names?: { single: Single; listed: Listed };
}

export type Matched<Single extends string, Listed extends string = never> = {
  readonly [Name in Single]?: Asn1;
} & { readonly [Name in Listed]?: Asn1[] };

const built = new WeakMap<object, asn1js.AsnSchemaType>();

/** A schema built on first use from pkijs' builders (`pkijs.X.schema({ names })`), then kept. */
export function compileSchema<Single extends string, Listed extends string = never>(
  build: () => asn1js.AsnSchemaType,
): CompiledSchema<Single, Listed> {
  return { build };
}

/** The named parts of `node` when it has the schema's structure; undefined when it has not. */
export function matchSchema<Single extends string, Listed extends string>(
  node: Asn1 | undefined,
  compiled: CompiledSchema<Single, Listed>,
): Matched<Single, Listed> | undefined {
  if (node === undefined) return undefined;
  let schema = built.get(compiled);
  if (schema === undefined) {
    schema = compiled.build();
    built.set(compiled, schema);
  }
  // compareSchema records each named part on its first argument; a fresh object keeps them off the input.
  const found: Record<string, unknown> = {};
  try {
    return asn1js.compareSchema(found as unknown as Asn1, node, schema).verified
      ? (found as Matched<Single, Listed>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The nodes a named Repeated collected (compareSchema leaves the name unset when there were none). */
export function listed(nodes: Asn1[] | undefined): Asn1[] {
  return Array.isArray(nodes) ? nodes : [];
}
