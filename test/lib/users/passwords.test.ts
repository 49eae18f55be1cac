import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { parseSetting, SETTINGS } from '#lib/settings.ts';
import {
  acceptedCosts,
  BCRYPT_HASH_PATTERN,
  createDummyHash,
  createPasswordVerifier,
  exceedsBcryptLimit,
  LOWEST_ACCEPTED_COST,
  paddedCosts,
} from '#lib/users/passwords.ts';

const COST = 10;

describe('createDummyHash', () => {
  it('is a well-formed bcrypt hash at the requested cost, different every time', () => {
    const hash = createDummyHash(COST);
    expect(hash).toMatch(BCRYPT_HASH_PATTERN);
    expect(bcrypt.getRounds(hash)).toBe(COST);
    expect(createDummyHash(COST)).not.toBe(hash);
  });
});

describe('exceedsBcryptLimit', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(exceedsBcryptLimit('a'.repeat(72))).toBe(false);
    expect(exceedsBcryptLimit('a'.repeat(73))).toBe(true);
    expect(exceedsBcryptLimit('é'.repeat(36))).toBe(false);
    expect(exceedsBcryptLimit('é'.repeat(37))).toBe(true);
  });
});

// Each test makes its own verifier: what a verifier is made with (its dummies, its functions) is
// then made under the mutant a mutation run tests (docs/testing.md).
describe('createPasswordVerifier', () => {
  it('accepts the right password and rejects a wrong one', async () => {
    const verifier = createPasswordVerifier(COST);
    const hash = await bcrypt.hash('secret123', COST);
    expect(await verifier.verify('secret123', hash)).toBe(true);
    expect(await verifier.verify('secret124', hash)).toBe(false);
  });

  it('rejects when there is no hash to compare with', async () => {
    const verifier = createPasswordVerifier(COST);
    expect(await verifier.verify('secret123', undefined)).toBe(false);
  });

  it('hashes at the configured cost a hash it accepts and verifies, and wants weaker hashes made again', async () => {
    const verifier = createPasswordVerifier(11);
    const hash = await verifier.hash('secret123');
    expect(hash).toMatch(BCRYPT_HASH_PATTERN);
    expect(bcrypt.getRounds(hash)).toBe(11);
    expect(verifier.accepts(hash)).toBe(true);
    expect(await verifier.verify('secret123', hash)).toBe(true);
    expect(verifier.needsRehash(hash)).toBe(false);
    expect(verifier.needsRehash(await bcrypt.hash('secret123', 10))).toBe(true);
  });

  it('never accepts a password bcrypt would truncate, even when its first 72 bytes match', async () => {
    const first72 = 'x'.repeat(72);
    const hash = await bcrypt.hash(first72, COST);
    expect(await bcrypt.compare(`${first72}tail`, hash)).toBe(true); // what bcrypt alone would do
    expect(await createPasswordVerifier(COST).verify(`${first72}tail`, hash)).toBe(false);
  });
});

describe('the work of a check, whatever the stored hash', () => {
  /** bcrypt's work at a cost, in units of one compare at cost 0. */
  const work = (costs: number[]) => costs.reduce((sum, c) => sum + 2 ** c, 0);

  it('pads every accepted cost up to exactly the work of one compare at the configured cost', () => {
    for (let cost = 10; cost <= 15; cost += 1) {
      const { lowest, highest } = acceptedCosts(cost);
      expect({ lowest, highest }).toEqual({ lowest: 10, highest: cost });
      for (let stored = lowest; stored <= highest; stored += 1) {
        const costs = paddedCosts(stored, cost);
        expect(costs[0]).toBe(stored);
        expect(work(costs)).toBe(2 ** cost);
      }
    }
    expect(paddedCosts(12, 12)).toEqual([12]);
    expect(paddedCosts(10, 12)).toEqual([10, 10, 11]);
  });

  it('accepts every cost the BCRYPT_COST setting allows, from its floor up to the configured one', () => {
    expect(parseSetting(SETTINGS.bcryptCost, LOWEST_ACCEPTED_COST).ok).toBe(true);
    expect(parseSetting(SETTINGS.bcryptCost, LOWEST_ACCEPTED_COST - 1).ok).toBe(false);
    const verifier = createPasswordVerifier(12);
    expect([9, 10, 11, 12, 13].map((c) => verifier.accepts(createDummyHash(c)))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  describe('right after BCRYPT_COST was raised from 10 to 12', () => {
    const CONFIGURED = 12;
    const hashes = new Map<number, string>();
    let compare: MockInstance<typeof bcrypt.compare>;

    beforeAll(async () => {
      for (const c of [9, 10, 11, 12, 13]) hashes.set(c, await bcrypt.hash('secret123', c));
      compare = vi.spyOn(bcrypt, 'compare');
    });
    afterAll(() => compare.mockRestore());

    /** What one check compared: the cost of each hash, and whether it was the stored one. */
    const trace = async (password: string, stored: number | undefined) => {
      const verifier = createPasswordVerifier(CONFIGURED);
      compare.mockClear();
      const hash = stored === undefined ? undefined : hashes.get(stored);
      const matches = await verifier.verify(password, hash);
      const compared = compare.mock.calls.map(([, against]) => ({
        cost: bcrypt.getRounds(against as string),
        stored: against === hash,
      }));
      return { matches, compared };
    };

    it('compares a hash at any accepted cost at its own cost, then dummies up to the configured cost', async () => {
      const checks: [number, string][] = [
        [10, 'secret123'],
        [10, 'wrong-password'],
        [11, 'secret123'],
        [12, 'secret123'],
      ];
      for (const [stored, password] of checks) {
        const { matches, compared } = await trace(password, stored);
        expect(matches).toBe(password === 'secret123');
        expect(compared).toEqual(paddedCosts(stored, CONFIGURED).map((cost, i) => ({ cost, stored: i === 0 })));
        expect(work(compared.map(({ cost }) => cost))).toBe(2 ** CONFIGURED);
      }
    });

    it('checks no hash, and refuses one outside the accepted costs, with one dummy compare at the configured cost', async () => {
      const reference = [{ cost: CONFIGURED, stored: false }];
      expect(await trace('secret123', undefined)).toEqual({ matches: false, compared: reference });
      // The right password, but above the configured cost (it was lowered) or below the floor.
      expect(await trace('secret123', 13)).toEqual({ matches: false, compared: reference });
      expect(await trace('secret123', 9)).toEqual({ matches: false, compared: reference });
      const verifier = createPasswordVerifier(CONFIGURED);
      expect(verifier.needsRehash(hashes.get(10) as string)).toBe(true);
      expect(verifier.needsRehash(hashes.get(12) as string)).toBe(false);
    });
  });
});
