import { describe, expect, it } from 'vitest';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';

const KEY = 'identifier-hash-test-key-0123456789abcdef';
const hashUnder = (key: string) => createIdentifierHash(async () => key);

describe('createIdentifierHash', () => {
  // Known answers: HMAC-SHA256 under the key's UTF-8 bytes of "<kind>:<identifier>", base64url.
  it('hashes an email and a username with their kind, under the secret', async () => {
    const hash = hashUnder(KEY);
    await expect(hash({ kind: 'email', email: 'fan@example.com' })).resolves.toBe(
      'w2fThwznLvSJa4B4yxlyZH40fdqhO50_hDniVSwDEkE',
    );
    await expect(hash({ kind: 'username', username: 'fan' })).resolves.toBe(
      '50vipF1QB9gjLUnpgXSfekuSdIjtJV7UNk-RMDoJcHQ',
    );
  });

  it('never gives an email and a username of the same text the same key', async () => {
    const hash = hashUnder(KEY);
    await expect(hash({ kind: 'username', username: 'fan@example.com' })).resolves.toBe(
      'b3ci4DyWCthJX5IJl2e27EoSq4NE1yUWwwf6LFGWq2E',
    );
  });

  it('reads the secret for every hash, so a rotated secret starts new counts', async () => {
    let key = KEY;
    const hash = createIdentifierHash(async () => key);
    const fan = { kind: 'email', email: 'fan@example.com' } as const;
    await expect(hash(fan)).resolves.toBe('w2fThwznLvSJa4B4yxlyZH40fdqhO50_hDniVSwDEkE');
    key = 'another-identifier-hash-key-0123456789ab';
    await expect(hash(fan)).resolves.toBe('cJL4Whs-RxMt04z5BVX6l8VuoHgXBULF6iy_S_1Kez8');
  });
});
