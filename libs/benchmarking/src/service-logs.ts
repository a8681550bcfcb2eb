import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Prints the last lines of each service's log in `logDir`: what a failed benchmark's services said before it cleans up. */
export function printServiceLogTails(logDir: string, lines = 15): void {
  for (const name of existsSync(logDir) ? readdirSync(logDir) : []) {
    const tail = readFileSync(join(logDir, name), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    console.error(`--- ${name} (last lines)\n${tail}`);
  }
}
