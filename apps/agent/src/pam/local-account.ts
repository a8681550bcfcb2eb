import { execFileSync } from 'node:child_process';

export interface LocalAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * The account PAM names, as the system's name service knows it (files, LDAP through sssd, ...): `getent passwd`,
 * because os.userInfo only describes the current process's user. Null when there is no such account.
 */
export function lookupLocalAccount(name: string): LocalAccount | null {
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', '--', name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (error) {
    // getent exits 2 for "no such key"; anything else is a broken name service, and says so.
    if ((error as { status?: number }).status === 2) return null;
    throw new Error(`getent passwd ${name} failed: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  return parsePasswdLine(line.split('\n')[0] ?? '', name);
}

export function parsePasswdLine(line: string, name: string): LocalAccount {
  const fields = line.split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  const home = fields[5] ?? '';
  if (fields.length !== 7 || fields[0] !== name || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`getent passwd ${name}: unexpected answer`);
  }
  if (!home.startsWith('/')) throw new Error(`account ${name} has no absolute home directory`);
  return { name, uid, gid, home };
}
