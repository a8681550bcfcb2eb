// The hostile-input corpus: cases kept as data (test/corpus/<class>/*.jsonl, one case a line), each with the
// documented error it must get. A case is data: a binary or huge input is named by a generator of the class's
// runner, with its arguments, never written as code in the data.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { errorCodeSchema } from '@credroam/roaming';

export const expectSchema = z
  .object({ status: z.number().int().min(100).max(599).optional(), code: errorCodeSchema })
  .strict();

/** Every case of a class, named `<file>: <name>`; a malformed line or a repeated name fails loudly. */
export function loadCorpus<S extends z.ZodType>(
  corpusClass: string,
  caseSchema: S,
): { file: string; name: string; value: z.output<S> }[] {
  const dir = join(__dirname, corpusClass);
  const cases: { file: string; name: string; value: z.output<S> }[] = [];
  const names = new Set<string>();
  for (const file of readdirSync(dir)
    .filter((entry) => entry.endsWith('.jsonl'))
    .sort()) {
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (line.trim() === '' || line.startsWith('//')) return;
        const parsed = caseSchema.safeParse(JSON.parse(line));
        if (!parsed.success) {
          throw new Error(`${corpusClass}/${file}:${index + 1}: ${parsed.error.message}`);
        }
        const name = `${file.replace(/\.jsonl$/, '')}: ${(parsed.data as { name: string }).name}`;
        if (names.has(name)) throw new Error(`${corpusClass}: two cases named ${name}`);
        names.add(name);
        cases.push({ file, name, value: parsed.data });
      });
  }
  return cases;
}
