import { type Command } from '../command';
import { EXIT } from '../exit-codes';

export const listCommand: Command = {
  name: 'list',
  summary: 'show the local tokens',
  usage: `usage: credroam-agent list [--json]

  --json   an array of {type, id, modifiedAt, hash, size}`,
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    const { tokens, problems } = context.store().tokens.list();
    const rows = tokens.map(({ meta }) => ({
      type: meta.type,
      id: meta.id,
      modifiedAt: meta.modifiedAt,
      hash: meta.hash,
      size: meta.size,
    }));
    if (values.json === true) {
      context.io.stdout(`${JSON.stringify(rows)}\n`);
    } else {
      for (const row of rows) {
        context.io.stdout(`${row.type}\t${row.id}\t${row.size}\t${new Date(row.modifiedAt).toISOString()}\n`);
      }
      if (rows.length === 0) context.io.stdout('no tokens\n');
    }
    for (const problem of problems)
      context.io.stderr(`skipped unusable token file ${problem.file}: ${problem.reason}\n`);
    return EXIT.ok;
  },
};
