import { randomInt } from 'node:crypto';
import { relative } from 'node:path';
import fc from 'fast-check';

/**
 * How every property spec of libs/roaming runs fast-check. A random seed per spec file, printed on every run, so a
 * failure seen once (in CI, on a laptop) can be replayed exactly; on a failure, the one command that replays the
 * shrunk counterexample. A property that fails now and then is a bug report, not noise.
 *
 * Environment: PROPERTY_RUNS (cases per property, instead of each property's default), PROPERTY_SEED and
 * PROPERTY_PATH (replay a run, or one counterexample of it, with the test name given to jest's -t).
 */
const SEED = process.env.PROPERTY_SEED
  ? integerFrom('PROPERTY_SEED', process.env.PROPERTY_SEED)
  : randomInt(2 ** 31);
let announced = false;

function integerFrom(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value))
    throw new Error(`${name} must be an integer, not ${JSON.stringify(text)}`);
  return value;
}

/** The number of cases for a property: PROPERTY_RUNS when set, else the property's own default. */
export function propertyRuns(fallback: number): number {
  const text = process.env.PROPERTY_RUNS;
  if (text === undefined || text === '') return fallback;
  const runs = integerFrom('PROPERTY_RUNS', text);
  if (runs < 1) throw new Error('PROPERTY_RUNS must be at least 1');
  return runs;
}

function specPath(): string {
  const { testPath } = expect.getState();
  return testPath ? relative(process.cwd(), testPath) : '<spec file>';
}

/** Quoted for a POSIX shell, as a regular expression that matches exactly this test name. */
function testNamePattern(name: string): string {
  const pattern = `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  return `'${pattern.replace(/'/g, `'\\''`)}'`;
}

/** The command that replays one run of a property, or the counterexample at `path` of it. */
export function replayCommand(seed: number, path?: string): string {
  const testName = expect.getState().currentTestName ?? '';
  const variables = [`PROPERTY_SEED=${seed}`, ...(path ? [`PROPERTY_PATH='${path}'`] : [])];
  return `${variables.join(' ')} npx jest ${specPath()} -t ${testNamePattern(testName)}`;
}

/** fc.assert with the shared seed, PROPERTY_RUNS and a failure message that starts with the replay command. */
export function checkProperty<Ts>(
  property: fc.IProperty<Ts>,
  { numRuns = 1000 }: { numRuns?: number } = {},
): void {
  if (!announced) {
    announced = true;
    console.log(
      `property seed ${SEED}; replay this file's cases: PROPERTY_SEED=${SEED} npx jest ${specPath()}`,
    );
  }
  const path = process.env.PROPERTY_PATH;
  const details = fc.check(property, {
    seed: SEED,
    numRuns: propertyRuns(numRuns),
    ...(path ? { path } : {}),
  });
  if (!details.failed) return;
  const command = replayCommand(details.seed, details.counterexamplePath ?? undefined);
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `Replay this failure with:\n  ${command}\n\n${fc.defaultReportMessage(details) ?? ''}\n\nThe property said: ${error}`,
  );
}
