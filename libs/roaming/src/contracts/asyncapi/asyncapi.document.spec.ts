import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { parse } from 'yaml';
import { EVENT_TYPES } from '../events';
import { RPC_PATTERN_LIST } from '../rpc';
import { buildAsyncApiDocument } from './asyncapi.document';

const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const committed = readFileSync(join(ROOT, 'docs', 'asyncapi.yaml'), 'utf8');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('docs/asyncapi.yaml', () => {
  let parsed: Awaited<ReturnType<Parser['parse']>>;
  beforeAll(async () => {
    parsed = await new Parser().parse(committed);
  }, 60_000);

  it('is what `npm run asyncapi` generates from the contracts (regenerate it after changing one)', () => {
    expect(parse(committed)).toEqual(buildAsyncApiDocument(version));
  });

  it('is a valid AsyncAPI 3 document with no errors', () => {
    const { document, diagnostics } = parsed;
    // Severity 0 is an error; warnings and hints (style) do not make a document invalid.
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === 0)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  it('would be refused by the parser if an operation named a channel that does not exist', async () => {
    const broken = buildAsyncApiDocument(version) as { operations: Record<string, { channel: unknown }> };
    broken.operations.publishSyncStarted!.channel = { $ref: '#/channels/NoSuchChannel' };
    const { diagnostics } = await new Parser().parse(JSON.stringify(broken));
    expect(diagnostics.some((diagnostic) => diagnostic.severity === 0)).toBe(true);
  });

  it('describes every event type of the catalog, every RPC pattern and the AMQP ingress', () => {
    const { document } = parsed;
    const channels = document!
      .allChannels()
      .all()
      .map((channel) => channel.address());
    expect(channels).toEqual(expect.arrayContaining([...EVENT_TYPES]));
    const messages = document!
      .allMessages()
      .all()
      .map((message) => message.name());
    expect(messages).toEqual(expect.arrayContaining([...EVENT_TYPES]));
    expect(messages).toEqual(expect.arrayContaining(RPC_PATTERN_LIST.map((pattern) => `${pattern} request`)));
    expect(messages).toEqual(expect.arrayContaining(RPC_PATTERN_LIST.map((pattern) => `${pattern} reply`)));
    expect(messages).toEqual(expect.arrayContaining(['agent request', 'agent reply']));
  });
});
