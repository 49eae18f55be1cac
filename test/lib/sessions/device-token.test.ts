import { describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createDeviceTokens, MAX_DEVICE_TOKEN_LENGTH } from '#lib/sessions/device-token.ts';
import { manualClock } from '#test/support/handler.ts';

const KEY = 'refresh-key-for-unit-tests-0123456789abcdef';
const YEAR = 365 * 86_400;
const OWNER = { id: '0123456789abcdef01234567', sessionEpoch: 2, globalEpoch: 0 };

const setup = (key = KEY) => {
  const time = manualClock();
  return {
    time,
    tokens: createDeviceTokens(createSecretReader({ value: key }), { ttlSeconds: YEAR, clock: time.clock }),
  };
};

describe('device tokens', () => {
  it('name a new device, read back genuine and unexpired, and belong to their owner at their epoch', async () => {
    const { tokens } = setup();
    const { deviceId, token } = await tokens.issue(OWNER);
    expect(token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\.2\.\d{10}\.[A-Za-z0-9_-]{43}$/);
    expect(token.length).toBeLessThanOrEqual(MAX_DEVICE_TOKEN_LENGTH);
    const device = await tokens.read(token);
    expect(device).toMatchObject({ deviceId, epoch: 2 });
    expect(await tokens.belongsTo(device!, OWNER)).toBe(true);
  });

  it('hold no user id, and give each new device its own id', async () => {
    const { tokens } = setup();
    const [a, b] = await Promise.all([tokens.issue(OWNER), tokens.issue(OWNER)]);
    expect(a.token).not.toContain(OWNER.id);
    expect(a.deviceId).not.toBe(b.deviceId);
  });

  it('keep the device id when one is given (a trusted device signing in again), with a new expiry', async () => {
    const { tokens, time } = setup();
    const first = await tokens.issue(OWNER);
    time.advance(3600);
    const again = await tokens.issue(OWNER, first.deviceId);
    expect(again.deviceId).toBe(first.deviceId);
    expect((await tokens.read(again.token))!.expiresAt - (await tokens.read(first.token))!.expiresAt).toBe(3600);
  });

  it('belong to no other account, and to no later epoch of their own (every session ended since)', async () => {
    const { tokens } = setup();
    const device = (await tokens.read((await tokens.issue(OWNER)).token))!;
    expect(await tokens.belongsTo(device, { ...OWNER, id: '0123456789abcdef01234568' })).toBe(false);
    expect(await tokens.belongsTo(device, { ...OWNER, sessionEpoch: 3 })).toBe(false);
  });

  it('count an epoch that is absent as 0', async () => {
    const { tokens } = setup();
    const device = (await tokens.read((await tokens.issue({ id: OWNER.id, globalEpoch: 0 })).token))!;
    expect(device.epoch).toBe(0);
    expect(await tokens.belongsTo(device, { id: OWNER.id, sessionEpoch: 0, globalEpoch: 0 })).toBe(true);
  });

  it('belong to no later global epoch (an operator ended every session), with the same format and work', async () => {
    const { tokens } = setup();
    const before = await tokens.issue(OWNER);
    const device = (await tokens.read(before.token))!;
    // Nothing of the token says which global epoch it is of: read needs no read of the epoch.
    expect(device).toMatchObject({ deviceId: before.deviceId, epoch: OWNER.sessionEpoch });
    expect(await tokens.belongsTo(device, { ...OWNER, globalEpoch: 1 })).toBe(false);
    // A token issued in the new global epoch belongs in it, and in no other.
    const after = (await tokens.read((await tokens.issue({ ...OWNER, globalEpoch: 1 }, before.deviceId)).token))!;
    expect(after.accountTag).not.toBe(device.accountTag);
    expect(await tokens.belongsTo(after, { ...OWNER, globalEpoch: 1 })).toBe(true);
    expect(await tokens.belongsTo(after, OWNER)).toBe(false);
    expect(await tokens.belongsTo(after, { ...OWNER, globalEpoch: 2 })).toBe(false);
  });

  it('expire after their lifetime', async () => {
    const { tokens, time } = setup();
    const { token } = await tokens.issue(OWNER);
    time.advance(YEAR - 1);
    expect(await tokens.read(token)).toBeDefined();
    time.advance(1);
    expect(await tokens.read(token)).toBeUndefined();
  });

  it('are not genuine under another key, nor with any part changed', async () => {
    const { tokens } = setup();
    const { token } = await tokens.issue(OWNER);
    expect(await setup(`${KEY}x`).tokens.read(token)).toBeUndefined();
    const parts = token.split('.');
    const changed = (index: number, value: string) => parts.map((part, i) => (i === index ? value : part)).join('.');
    for (const forged of [
      changed(0, `${parts[0]!.slice(0, -1)}${parts[0]!.endsWith('A') ? 'B' : 'A'}`),
      changed(1, 'A'.repeat(22)),
      changed(2, '3'),
      changed(3, String(Number(parts[3]) + YEAR)),
      changed(4, 'A'.repeat(43)),
    ]) {
      expect(await tokens.read(forged)).toBeUndefined();
    }
  });

  it('tag an account at global epoch 0 as they did before the global epoch, so those tokens stay good', async () => {
    const { createHmac, hkdfSync } = await import('node:crypto');
    const deviceKey = Buffer.from(hkdfSync('sha256', KEY, Buffer.alloc(0), 'movie-knight-device-token/v1', 32));
    const before = createHmac('sha256', deviceKey).update(`account\n${OWNER.id}`).digest().subarray(0, 16);
    const { token } = await setup().tokens.issue(OWNER);
    expect(token.split('.')[1]).toBe(before.toString('base64url'));
  });

  it('come from no key when the refresh key secret lists none', async () => {
    const { tokens } = setup(' \n ');
    await expect(tokens.issue(OWNER)).rejects.toThrow('The refresh key secret lists no key');
  });

  it('are not made from the refresh key as it is: the device key is derived under a label of its own', async () => {
    // The same secret signs refresh tokens: a device MAC must never be a valid refresh MAC or the
    // reverse. HKDF under a distinct label makes the two keys unrelated.
    const { tokens } = setup();
    const { token } = await tokens.issue(OWNER);
    const { createHmac } = await import('node:crypto');
    const [deviceId, tag, epoch, expiry, mac] = token.split('.');
    const underRawKey = createHmac('sha256', KEY)
      .update(`token\n${deviceId}\n${tag}\n${epoch}\n${expiry}`)
      .digest('base64url');
    expect(underRawKey).not.toBe(mac);
  });

  it.each([
    undefined,
    '',
    'x',
    `${'A'.repeat(22)}.${'A'.repeat(22)}.0.1999999999`,
    `${'A'.repeat(22)}.${'A'.repeat(22)}.01.1999999999.${'A'.repeat(43)}`,
    `${'A'.repeat(22)}.${'A'.repeat(22)}.-1.1999999999.${'A'.repeat(43)}`,
    `${'A'.repeat(21)}.${'A'.repeat(22)}.0.1999999999.${'A'.repeat(43)}`,
    `${'A'.repeat(22)}.${'A'.repeat(22)}.0.1999999999.${'A'.repeat(42)}=`,
    `${'A'.repeat(22)}.${'A'.repeat(22)}.0.1999999999.${'A'.repeat(43)}.`,
    'a'.repeat(MAX_DEVICE_TOKEN_LENGTH),
  ])('read the malformed %j as no device', async (token) => {
    expect(await setup().tokens.read(token)).toBeUndefined();
  });
});
