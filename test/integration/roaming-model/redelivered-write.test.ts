// The model of the fault suites (test/support/roaming-model.ts), on the round that stack-faults met with seed
// 347470133 (6 Dec): pure logic, no service. A gateway replica killed after its compare-and-swap write took effect
// but before it acknowledged the request: the broker redelivered the write to its peer, which lost the CAS against
// that very write, and logon-events planned the sync again after another workstation had written. The agent saw
// one answer and no retry; the model must count the redelivered write as a lost reply, or no serial order explains
// the round.
import { type TokenMeta } from '@credroam/roaming';
import { localToken, policy } from '@credroam/roaming/reconcile/testing/builders';
import { listedView, RoamingModel, type ObservedSync } from '../../support/roaming-model';

const CREDENTIAL = 'TERMSRV/fileserver.example.com';

const credential = (content: string, at: number) =>
  localToken({ type: 'stored-credential', id: CREDENTIAL, content, at });
const certificate = (name: string, at: number) => localToken({ id: name.padEnd(40, '0'), content: name, at });

function observed(...tokens: TokenMeta[]): ObservedSync {
  return { view: listedView(tokens), conflicts: [], undelivered: [], heldBack: [] };
}

/** Two workstations that both hold the credential, synced. */
function settledModel(): { model: RoamingModel } {
  // As the fault stack's policy file says: stored credentials roam.
  const model = new RoamingModel(2, policy({ roamStoredCredentials: true }));
  const first = credential('first', 1_000);
  model.put(0, first);
  const both = observed(first);
  expect(model.explainRound(new Map([[0, both]]), 2_000)).toBe(1);
  expect(model.explainRound(new Map([[1, both]]), 3_000)).toBe(1);
  return { model };
}

describe('the fault suites’ model', () => {
  // ws-0 imports a certificate and ws-1 edits the credential; both sync. ws-0's write lands first, its redelivered
  // copy is re-planned after ws-1's write: ws-0 ends with ws-1's edit, and ws-1 (which wrote after ws-0's first
  // write) with ws-0's certificate.
  const roundOf = (model: RoamingModel) => {
    const imported = certificate('AB', 4_000);
    const edited = credential('second', 4_100);
    model.put(0, imported);
    model.put(1, edited);
    return new Map([
      [0, observed(imported, edited)],
      [1, observed(imported, edited)],
    ]);
  };

  it('explains a write redelivered to the peer gateway as a lost reply of that sync', () => {
    const { model } = settledModel();
    const round = roundOf(model);
    expect(model.explainRound(round, 5_000, new Map([[0, 1]]))).toBeGreaterThan(0);
    expect(model.directoryView()).toEqual(round.get(0)!.view);
  });

  it('does not explain the same round without it: the check keeps its teeth', () => {
    const { model } = settledModel();
    expect(model.explainRound(roundOf(model), 5_000)).toBe(0);
  });
});
