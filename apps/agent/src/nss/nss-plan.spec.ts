import { planNssSync, type NssPresence } from './nss-plan';

const A = 'A'.repeat(40);
const B = 'B'.repeat(40);
const C = 'C'.repeat(40);

const presence = (entries: [string, NssPresence][]) => new Map(entries);

describe('planNssSync', () => {
  it('adds what is roamed and missing from NSS, with its key, and records it', () => {
    const plan = planNssSync(
      [
        { thumbprint: A, hasKey: true },
        { thumbprint: B, hasKey: false },
      ],
      new Map(),
      new Map(),
    );
    expect(plan.add).toEqual([
      { thumbprint: A, hasKey: true },
      { thumbprint: B, hasKey: false },
    ]);
    expect([...plan.record]).toEqual([
      [A, { key: true }],
      [B, { key: false }],
    ]);
    expect([plan.addKey, plan.remove, plan.roam]).toEqual([[], [], []]);
  });

  it('adds a key that arrived after its certificate', () => {
    const plan = planNssSync(
      [{ thumbprint: A, hasKey: true }],
      presence([[A, { nickname: 'a', hasKey: false }]]),
      new Map([[A, { key: false }]]),
    );
    expect(plan.addKey).toEqual([A]);
    expect(plan.record.get(A)).toEqual({ key: true });
  });

  it('removes only recorded certificates that left the store, with the key credroam added', () => {
    const plan = planNssSync(
      [],
      presence([
        [A, { nickname: 'a', hasKey: true }],
        [B, { nickname: 'b', hasKey: true }],
      ]),
      new Map([
        [A, { key: true }],
        [C, { key: true }],
      ]),
    );
    expect(plan.remove).toEqual([{ thumbprint: A, nickname: 'a', withKey: true }]);
    // B is the user's own: it goes into roaming, not away. C is gone from both: forgotten.
    expect(plan.roam).toEqual([{ thumbprint: B, nickname: 'b', withKey: true }]);
    expect([...plan.record]).toEqual([]);
  });

  it('takes over a roamed certificate the user already had, so a deletion in roaming removes it', () => {
    const plan = planNssSync(
      [{ thumbprint: A, hasKey: true }],
      presence([[A, { nickname: 'mine', hasKey: true }]]),
      new Map(),
    );
    expect([plan.add, plan.addKey, plan.remove, plan.roam]).toEqual([[], [], [], []]);
    expect(plan.record.get(A)).toEqual({ key: true });
  });

  it('puts back a recorded certificate the user deleted from NSS (the store is the truth)', () => {
    const plan = planNssSync([{ thumbprint: A, hasKey: false }], new Map(), new Map([[A, { key: false }]]));
    expect(plan.add).toEqual([{ thumbprint: A, hasKey: false }]);
  });
});
