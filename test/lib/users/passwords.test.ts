import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import {
  BCRYPT_HASH_PATTERN,
  createDummyHash,
  createPasswordVerifier,
  exceedsBcryptLimit,
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

describe('createPasswordVerifier', () => {
  const verifier = createPasswordVerifier(COST);

  it('accepts the right password and rejects a wrong one', async () => {
    const hash = await bcrypt.hash('secret123', COST);
    expect(await verifier.verify('secret123', hash)).toBe(true);
    expect(await verifier.verify('secret124', hash)).toBe(false);
  });

  it('rejects when there is no hash to compare with', async () => {
    expect(await verifier.verify('secret123', undefined)).toBe(false);
  });

  it('never accepts a password bcrypt would truncate, even when its first 72 bytes match', async () => {
    const first72 = 'x'.repeat(72);
    const hash = await bcrypt.hash(first72, COST);
    expect(await bcrypt.compare(`${first72}tail`, hash)).toBe(true); // what bcrypt alone would do
    expect(await verifier.verify(`${first72}tail`, hash)).toBe(false);
  });
});
