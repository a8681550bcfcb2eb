import { Test } from '@nestjs/testing';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { healthSchema, type Health } from '@credroam/roaming';
import { answerHealthRpc } from './health-rpc.answer';

const indicators = new HealthIndicatorService();

describe('the health RPC answer', () => {
  let health: HealthCheckService;

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
    }).compile();
    health = module.get(HealthCheckService);
  });

  it.each<[string, { key: string; up: boolean; message?: string }[], Health]>([
    [
      'is ok with every indicator up, each a check with its message as the detail',
      [
        { key: 'ldap', up: true },
        { key: 'storage-keys', up: true, message: 'current v2' },
      ],
      { status: 'ok', checks: { ldap: { ok: true }, 'storage-keys': { ok: true, detail: 'current v2' } } },
    ],
    [
      'is degraded, not an error, when one indicator is down',
      [
        { key: 'keys', up: true },
        { key: 'transport-certificate', up: false, message: 'expires in 3 days' },
      ],
      {
        status: 'degraded',
        checks: { keys: { ok: true }, 'transport-certificate': { ok: false, detail: 'expires in 3 days' } },
      },
    ],
  ])('%s', async (_name, results, expected) => {
    const answer = await answerHealthRpc(
      health,
      results.map(({ key, up, message }) => () => {
        const data: Record<string, string> = message === undefined ? {} : { message };
        return up ? indicators.check(key).up(data) : indicators.check(key).down(data);
      }),
    );
    expect(healthSchema.parse(answer)).toEqual(expected);
  });
});
