import { describe, expect, it } from 'vitest';
import {
  isCredentialId,
  knownTransports,
  MAX_CREDENTIAL_ID_LENGTH,
  parsePasskeyItem,
  parsePasskeySummary,
  toPasskeyView,
} from '#lib/passkeys/passkey.ts';

const ITEM = {
  id: 'AAAA',
  userId: 'ann',
  name: 'Laptop',
  createdAt: 1_764_650_000_000,
  backedUp: false,
  deviceType: 'singleDevice',
  transports: ['usb'],
  publicKey: 'pQECAyYgAQ',
  counter: 3,
};

describe('passkeys as stored and listed', () => {
  it('take a credential id of base64url, from 1 to 1364 characters, and nothing else', () => {
    expect(MAX_CREDENTIAL_ID_LENGTH).toBe(1364);
    for (const id of ['A', 'a-_9', 'A'.repeat(1364)]) expect(isCredentialId(id), id).toBe(true);
    for (const id of ['', 'A'.repeat(1365), 'a+b', 'a/b', 'AA==', ' A']) expect(isCredentialId(id), id).toBe(false);
  });

  it('keep the transports WebAuthn knows, each once, in their order', () => {
    expect(knownTransports(['usb', 'cable', 7, 'nfc', 'usb', 'hybrid'])).toStrictEqual(['usb', 'nfc', 'hybrid']);
  });

  it('read an item as a passkey only when it is one, its unknown transports dropped and none when absent', () => {
    expect(parsePasskeyItem(ITEM)).toStrictEqual(ITEM);
    const { transports: _, ...untransported } = ITEM;
    expect(parsePasskeyItem(untransported)).toStrictEqual({ ...ITEM, transports: [] });
    expect(parsePasskeySummary({ ...ITEM, transports: ['bogus', 'nfc'] })?.transports).toStrictEqual(['nfc']);
    for (const item of [
      undefined,
      { ...ITEM, counter: -1 },
      { ...ITEM, counter: 1.5 },
      { ...ITEM, publicKey: 'not base64url!' },
      { ...ITEM, publicKey: '' },
      { ...ITEM, deviceType: 'tablet' },
    ]) {
      expect(parsePasskeyItem(item)).toBeUndefined();
    }
    expect(parsePasskeySummary({ ...ITEM, userId: '' })).toBeUndefined();
  });

  it('list a passkey with its times as ISO strings, and nothing secret', () => {
    const listed = {
      id: 'AAAA',
      name: 'Laptop',
      createdAt: new Date(ITEM.createdAt).toISOString(),
      lastUsedAt: null,
      backedUp: false,
      deviceType: 'singleDevice',
      transports: ['usb'],
    };
    expect(toPasskeyView(parsePasskeyItem(ITEM)!)).toStrictEqual(listed);
    expect(toPasskeyView(parsePasskeyItem({ ...ITEM, lastUsedAt: 0 })!)).toStrictEqual({
      ...listed,
      lastUsedAt: '1970-01-01T00:00:00.000Z',
    });
  });
});
