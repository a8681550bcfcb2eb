import { checkMergeRules, CI_BOUND, describeBound, LARGE_BOUND } from './testing/exhaustive';

// MERGE_CHECK=large (npm run check:merge) checks the larger bound; it takes tens of minutes and prints progress.
const large = process.env.MERGE_CHECK === 'large';
const bound = large ? LARGE_BOUND : CI_BOUND;

describe('reconcile: every history up to a bound, not a sample', () => {
  it(`keeps every merge property on every history of ${describeBound(bound)}`, () => {
    const report = checkMergeRules(bound, {
      onDepth: (depth, states, elapsedMs) => {
        if (large)
          process.stderr.write(
            `[check:merge] ${states} states within ${depth} steps, ${Math.round(elapsedMs / 1000)} s\n`,
          );
      },
    });
    const summary =
      `exhaustive merge check (${describeBound(bound)}): ${report.histories} histories, ` +
      `${report.states} distinct states, ${report.syncsChecked} syncs checked, ${(report.elapsedMs / 1000).toFixed(1)} s`;
    console.log(summary);
    if (large) process.stderr.write(`[check:merge] ${summary}\n`);
    // Each violation comes with the shortest history that reaches it; testing/exhaustive's replay() rebuilds it.
    expect(
      report.violations.map(({ history, problems }) => ({ history: JSON.stringify(history), problems })),
    ).toEqual([]);
    expect(report.histories).toBeGreaterThan(0);
  }, 3_600_000);
});
