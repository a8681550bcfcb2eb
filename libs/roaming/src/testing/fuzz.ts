import fc from 'fast-check';
import { ERROR_CODES } from '../errors/roaming-error';
import { type Result } from '../errors/result';
import { checkProperty } from './property-check';

/**
 * Fuzzing at scale with fast-check, for the fuzz specs (codecs, request validators, PKI parsers): every target runs
 * CREDROAM_FUZZ_RUNS cases (default: the spec's modest CI figure), under the seed property-check prints, and the
 * spec prints how many cases each target ran. A big run: `CREDROAM_FUZZ_RUNS=100000 npx jest --selectProjects unit
 * libs/roaming/src/fuzz.spec.ts`.
 */
export function fuzzRuns(fallback: number): number {
  const text = process.env.CREDROAM_FUZZ_RUNS;
  if (text === undefined || text === '') return fallback;
  const runs = Number(text);
  if (!Number.isSafeInteger(runs) || runs < 1)
    throw new Error('CREDROAM_FUZZ_RUNS must be a positive integer');
  return runs;
}

/** The longest error message a parser may answer: a refusal names the problem, it never echoes the input. */
export const MAX_ERROR_MESSAGE = 2_048;

/** A Result whose error, if any, is one of the catalogue's codes with a bounded message. */
export function isTyped(result: Result<unknown>): boolean {
  return (
    result.ok ||
    ((ERROR_CODES as readonly string[]).includes(result.error.code) &&
      typeof result.error.message === 'string' &&
      result.error.message.length <= MAX_ERROR_MESSAGE)
  );
}

/** Counts the cases each target ran, and prints them with their total when the spec ends. */
export class FuzzTally {
  private readonly counts = new Map<string, number>();
  private readonly durations = new Map<string, number>();

  constructor(private readonly title: string) {}

  /** Checks `property` with fuzzRuns(runs) cases and records them under `target`. */
  check<Ts>(target: string, property: fc.IProperty<Ts>, runs: number): void {
    const numRuns = fuzzRuns(runs);
    const started = Date.now();
    checkProperty(property, { numRuns });
    this.counts.set(target, (this.counts.get(target) ?? 0) + numRuns);
    this.durations.set(target, Date.now() - started);
  }

  report(): void {
    const total = [...this.counts.values()].reduce((sum, count) => sum + count, 0);
    const lines = [...this.counts].map(
      ([target, count]) => `  ${target}: ${count} cases, ${this.durations.get(target) ?? 0} ms`,
    );
    console.log(`${this.title}: ${total} cases over ${this.counts.size} targets\n${lines.join('\n')}`);
  }
}

/** Bytes as an attacker sends them: random, or a real value truncated, extended or with bytes changed. */
export function mutatedBytes(samples: readonly Uint8Array[]): fc.Arbitrary<Buffer> {
  const random = fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes));
  if (samples.length === 0) return random;
  const changed = fc
    .tuple(
      fc.nat({ max: samples.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat({ max: 3 }),
      fc.uint8Array({ maxLength: 16 }),
    )
    .map(([which, edits, how, tail]) => {
      const sample = Buffer.from(samples[which]!);
      if (sample.length === 0) return Buffer.from(tail);
      const at = edits[0]![0] % sample.length;
      if (how === 0) return sample.subarray(0, at);
      if (how === 1) return Buffer.concat([sample, tail]);
      for (const [position, mask] of edits) sample[position % sample.length]! ^= mask;
      // A changed length or count near the start reaches every level of the structure.
      if (how === 3) sample[Math.min(1, sample.length - 1)]! ^= edits[0]![1];
      return sample;
    });
  return fc.oneof({ weight: 1, arbitrary: random }, { weight: 3, arbitrary: changed });
}
