import { type PolicySource } from '@credroam/roaming';

/** Where a knob's value came from (an effective policy's source), in an administrator's words. */
export function describeSource(source: PolicySource | string): string {
  if (source === 'default') return 'bootstrap: policy file or built-in';
  const colon = source.indexOf(':');
  const kind = source.slice(0, colon);
  const dn = source.slice(colon + 1);
  if (kind === 'directory') return `directory default ${dn}`;
  if (kind === 'subtree') return `OU ${dn}`;
  return kind === 'group' ? `group ${dn}` : source;
}
