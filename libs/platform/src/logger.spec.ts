import { createLogger } from './logger';

describe('service logger', () => {
  it('censors secret-bearing fields even when code passes them by mistake', () => {
    const lines: string[] = [];
    const logger = createLogger('test', { destination: { write: (line: string) => void lines.push(line) } });
    logger.info(
      {
        correlationId: 'c-1',
        password: 'alice-pass',
        request: { sealedPassword: 'QUJD', body: { sealed: 'AAAA' } },
      },
      'logon',
    );
    const [line] = lines;
    expect(JSON.parse(line!)).toMatchObject({ service: 'test', correlationId: 'c-1', msg: 'logon' });
    for (const secret of ['alice-pass', 'QUJD', 'AAAA']) expect(line).not.toContain(secret);
  });
});
