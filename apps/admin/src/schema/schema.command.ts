// `credroam schema --dialect openldap|active-directory`: the files an operator loads, printed from deploy/ (the
// same files the tests load into slapd), so the command and the shipped files never disagree.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RoamingError } from '@credroam/roaming';

export const SCHEMA_DIALECTS = ['openldap', 'active-directory'] as const;
export type SchemaDialect = (typeof SCHEMA_DIALECTS)[number];

const FILES: Record<SchemaDialect, string[]> = {
  openldap: ['deploy/openldap/credroam.ldif', 'deploy/openldap/credroam-acl.ldif'],
  'active-directory': [
    'deploy/active-directory/credroam-ad.ldif',
    'deploy/active-directory/credroam-ad-policy.ldif',
    'deploy/active-directory/credroam-ad-delegation.txt',
  ],
};

/** The checkout or install root: the nearest ancestor holding deploy/ (source tree and dist/ alike). */
function installRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'deploy', 'openldap', 'credroam.ldif'))) return dir;
    if (dirname(dir) === dir)
      throw new RoamingError('INTERNAL', 'cannot find the deploy/ directory of credroam');
  }
}

export interface SchemaFile {
  path: string;
  text: string;
}

export function schemaFiles(dialect: SchemaDialect, root = installRoot(__dirname)): SchemaFile[] {
  return FILES[dialect].map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

export function formatSchemaFiles(files: SchemaFile[]): string {
  return files.map((file) => `# ===== ${file.path}\n${file.text.trimEnd()}\n`).join('\n');
}
