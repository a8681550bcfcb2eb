import fc from 'fast-check';
import { errorInfoSchema } from './error-info';
import { freshnessRefusal, INGRESS_FRESHNESS_MS, refusalServerTime, SERVER_TIME_DETAIL } from './sync';
import { checkProperty } from '../testing/property-check';

const instant = fc.integer({ min: 0, max: 4_102_444_800_000 });
const offset = fc.integer({ min: -86_400_000, max: 86_400_000 });

describe('freshnessRefusal', () => {
  it('refuses exactly what is dated beyond the window, as a retryable CLOCK_SKEW naming the server time', () => {
    checkProperty(
      fc.property(instant, offset, (now, off) => {
        const refusal = freshnessRefusal('the device proof', now + off, now);
        if (Math.abs(off) <= INGRESS_FRESHNESS_MS) {
          expect(refusal).toBeNull();
          return;
        }
        expect(refusal).toMatchObject({ code: 'CLOCK_SKEW', retryable: true });
        const info = refusal!.toInfo();
        // It travels as any error does (HTTP problem, RPC and ingress replies), and the agent reads the time back.
        expect(errorInfoSchema.parse(JSON.parse(JSON.stringify(info)))).toEqual(info);
        expect(refusalServerTime(info)).toBe(now);
        expect(info.details).toMatchObject({ offsetSeconds: Math.round(off / 1000) });
        expect(info.message).toMatch(off > 0 ? /ahead of this server's clock/ : /behind this server's clock/);
      }),
    );
  });

  it('reads a server time only from a CLOCK_SKEW refusal with a numeric one', () => {
    expect(refusalServerTime({ code: 'UNAUTHENTICATED', details: { [SERVER_TIME_DETAIL]: 5 } })).toBeNull();
    expect(refusalServerTime({ code: 'CLOCK_SKEW', details: { [SERVER_TIME_DETAIL]: '5' } })).toBeNull();
    expect(refusalServerTime({ code: 'CLOCK_SKEW' })).toBeNull();
    expect(refusalServerTime({ code: 'CLOCK_SKEW', details: { [SERVER_TIME_DETAIL]: 5 } })).toBe(5);
  });
});
