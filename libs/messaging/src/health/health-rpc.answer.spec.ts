import { Test } from '@nestjs/testing';
import { HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { healthSchema } from '@credroam/roaming';
import { answerHealthRpc } from './health-rpc.answer';

describe('the health RPC answer', () => {
  let health: HealthCheckService;
  const indicators = new HealthIndicatorService();

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      imports: [TerminusModule.forRoot({ logger: false })],
    }).compile();
    health = module.get(HealthCheckService);
  });

  it('is ok with every indicator up, each a check with its message as the detail', async () => {
    const answer = await answerHealthRpc(health, [
      () => indicators.check('ldap').up(),
      () => indicators.check('storage-keys').up({ message: 'current v2' }),
    ]);
    expect(healthSchema.parse(answer)).toEqual({
      status: 'ok',
      checks: { ldap: { ok: true }, 'storage-keys': { ok: true, detail: 'current v2' } },
    });
  });

  it('is degraded, not an error, when one indicator is down', async () => {
    const answer = await answerHealthRpc(health, [
      () => indicators.check('keys').up(),
      () => indicators.check('transport-certificate').down({ message: 'expires in 3 days' }),
    ]);
    expect(healthSchema.parse(answer)).toEqual({
      status: 'degraded',
      checks: {
        keys: { ok: true },
        'transport-certificate': { ok: false, detail: 'expires in 3 days' },
      },
    });
  });
});
