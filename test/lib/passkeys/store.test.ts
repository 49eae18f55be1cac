import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthServiceError } from '#lib/errors.ts';
import type { PasskeyItem } from '#lib/passkeys/passkey.ts';
import { createDynamoDbPasskeyStore } from '#lib/passkeys/store.ts';
import { passkeyCountKey } from '#lib/passkeys/table.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';

let serial = 0;
/** A new passkey of `userId`, created at `createdAt`, with its own id. */
const passkeyOf = (userId: string, createdAt = 1_700_000_000_000, extra: Partial<PasskeyItem> = {}): PasskeyItem => {
  serial += 1;
  return {
    id: `pk${serial}x${Math.random().toString(36).slice(2)}`,
    userId,
    name: `key ${serial}`,
    createdAt,
    backedUp: false,
    deviceType: 'singleDevice',
    transports: ['usb'],
    publicKey: 'pQECAyYgASFYIA',
    counter: 0,
    ...extra,
  };
};

describe('the passkeys store, on DynamoDB Local', () => {
  let tables: TestTables;
  let user = 0;
  /** A user id no other test uses. */
  const newUser = () => {
    user += 1;
    return `user-${user}-${Math.random().toString(36).slice(2)}`;
  };
  const store = () => createDynamoDbPasskeyStore(tables.client, tables.passkeysTableName);
  const stored = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.passkeysTableName, Key: { id } }))).Item;
  const count = async (userId: string) => (await stored(passkeyCountKey(userId)))?.count;
  /** Writes items as they are (as the code before the count wrote passkeys). */
  const putRaw = async (...items: Record<string, unknown>[]) => {
    for (const item of items)
      await tables.client.send(new PutCommand({ TableName: tables.passkeysTableName, Item: item }));
  };

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(() => tables.drop());

  it('creates a passkey and counts it, refuses a taken credential id (for anyone), and answers at_cap first at the cap', async () => {
    const passkeys = store();
    const [ann, bob] = [newUser(), newUser()];
    const first = passkeyOf(ann);
    expect(await passkeys.create(first, 2)).toBe('created');
    expect(await stored(first.id)).toStrictEqual(first);
    expect(await passkeys.get(first.id)).toStrictEqual(first);
    expect(await count(ann)).toBe(1);

    expect(await passkeys.create({ ...first, userId: bob, name: 'theirs' }, 2)).toBe('exists');
    expect(await stored(first.id)).toStrictEqual(first);
    expect(await count(bob)).toBe(0);
    expect(await passkeys.create({ ...first, name: 'again' }, 2)).toBe('exists');
    expect(await count(ann)).toBe(1);

    expect(await passkeys.create(passkeyOf(ann), 2)).toBe('created');
    expect(await count(ann)).toBe(2);
    const over = passkeyOf(ann);
    expect(await passkeys.create(over, 2)).toBe('at_cap');
    expect(await stored(over.id)).toBeUndefined();
    expect(await passkeys.create(first, 2)).toBe('at_cap');
    expect(await count(ann)).toBe(2);
  });

  it('counts the passkeys stored before the count, once, at the first write that needs it', async () => {
    const passkeys = store();
    const ann = newUser();
    await putRaw(passkeyOf(ann, 1), passkeyOf(ann, 2), passkeyOf(ann, 3));
    const send = vi.spyOn(tables.client, 'send');
    try {
      expect(await passkeys.create(passkeyOf(ann, 4), 4)).toBe('created');
      // Counted, not read: no passkey's attributes leave the table.
      const queries = send.mock.calls.map(([command]) => command.input as { Select?: string; IndexName?: string });
      expect(queries.filter((input) => input.IndexName)).toStrictEqual([expect.objectContaining({ Select: 'COUNT' })]);
    } finally {
      send.mockRestore();
    }
    expect(await count(ann)).toBe(4);
    expect(await passkeys.create(passkeyOf(ann, 5), 4)).toBe('at_cap');
    expect(await count(ann)).toBe(4);
  });

  it('reads a passkey strongly consistently, and nothing for an id that has none or an item that is not a passkey', async () => {
    const passkeys = store();
    const send = vi.spyOn(tables.client, 'send');
    try {
      const ann = newUser();
      const passkey = passkeyOf(ann);
      await putRaw(passkey, { ...passkeyOf(ann), id: 'broken', publicKey: 'not base64url!' });
      send.mockClear();
      expect(await passkeys.get(passkey.id)).toStrictEqual(passkey);
      expect(send.mock.calls.map(([command]) => command.input)).toStrictEqual([
        { TableName: tables.passkeysTableName, Key: { id: passkey.id }, ConsistentRead: true },
      ]);
      expect(await passkeys.get('none')).toBeUndefined();
      expect(await passkeys.get('broken')).toBeUndefined();
    } finally {
      send.mockRestore();
    }
  });

  it('lists a user’s passkeys newest first, up to the limit, skipping unreadable items, in as few pages as it needs', async () => {
    const passkeys = store();
    const [ann, bob] = [newUser(), newUser()];
    const items = [1, 2, 3, 4, 5].map((at) =>
      passkeyOf(ann, at, at === 3 ? { transports: ['nfc', 'bogus' as never] } : {}),
    );
    await putRaw(...items, passkeyOf(bob, 9), passkeyOf(bob, 8), { ...passkeyOf(ann, 6), deviceType: 'tablet' });
    const summary = ({ id, userId, name, createdAt, backedUp, deviceType, transports }: PasskeyItem) => ({
      id,
      userId,
      name,
      createdAt,
      backedUp,
      deviceType,
      transports: transports.filter((t) => t !== ('bogus' as never)),
    });
    const send = vi.spyOn(tables.client, 'send');
    try {
      // The newest item is unreadable: the first page (of 2) gives one passkey, the second two more.
      expect(await passkeys.listByUser(ann, 2)).toStrictEqual([summary(items[4]!), summary(items[3]!)]);
      expect(send).toHaveBeenCalledTimes(2);
      send.mockClear();
      expect(await passkeys.listByUser(ann, 3)).toStrictEqual([
        summary(items[4]!),
        summary(items[3]!),
        summary(items[2]!),
      ]);
      expect(send).toHaveBeenCalledTimes(2);
      send.mockClear();
      expect(await passkeys.listByUser(ann, 10)).toStrictEqual(items.map(summary).reverse());
      expect(send).toHaveBeenCalledTimes(1);
      send.mockClear();
      // A first page that fills the limit is the last one read.
      expect(await passkeys.listByUser(bob, 1)).toHaveLength(1);
      expect(send).toHaveBeenCalledTimes(1);
    } finally {
      send.mockRestore();
    }
  });

  it('reads at most 10 pages of a user index, whatever it holds', async () => {
    const passkeys = store();
    const ann = newUser();
    const readable = passkeyOf(ann, 1);
    await putRaw(readable, ...Array.from({ length: 10 }, (_, i) => ({ ...passkeyOf(ann, 10 + i), name: 7 })));
    expect(await passkeys.listByUser(ann, 1)).toStrictEqual([]);
    expect(await passkeys.listByUser(ann, 11)).toHaveLength(1);
  });

  it('records a use on a passkey that exists, and with counterMustRise only on a counter that rises', async () => {
    const passkeys = store();
    const passkey = passkeyOf(newUser(), 1, { counter: 5 });
    await putRaw(passkey);
    expect(await passkeys.recordUse(passkey.id, { counter: 5, backedUp: true, at: 1000, counterMustRise: false })).toBe(
      true,
    );
    expect(await stored(passkey.id)).toStrictEqual({ ...passkey, counter: 5, backedUp: true, lastUsedAt: 1000 });
    for (const counter of [4, 5]) {
      expect(await passkeys.recordUse(passkey.id, { counter, backedUp: false, at: 2000, counterMustRise: true })).toBe(
        false,
      );
    }
    expect(await stored(passkey.id)).toStrictEqual({ ...passkey, counter: 5, backedUp: true, lastUsedAt: 1000 });
    expect(await passkeys.recordUse(passkey.id, { counter: 6, backedUp: false, at: 3000, counterMustRise: true })).toBe(
      true,
    );
    expect(await stored(passkey.id)).toStrictEqual({ ...passkey, counter: 6, backedUp: false, lastUsedAt: 3000 });
    expect(await passkeys.recordUse('gone', { counter: 1, backedUp: false, at: 1, counterMustRise: false })).toBe(
      false,
    );
    expect(await stored('gone')).toBeUndefined();
  });

  it('removes only the owner’s passkey and uncounts it, counting first the passkeys from before the count', async () => {
    const passkeys = store();
    const [ann, bob] = [newUser(), newUser()];
    const counted = passkeyOf(ann);
    expect(await passkeys.create(counted, 5)).toBe('created');
    expect(await passkeys.remove(bob, counted.id)).toBe(false);
    expect(await stored(counted.id)).toStrictEqual(counted);
    // Another user's passkey is not a reason to count the caller's.
    expect(await stored(passkeyCountKey(bob))).toBeUndefined();
    expect(await passkeys.remove(ann, counted.id)).toBe(true);
    expect(await stored(counted.id)).toBeUndefined();
    expect(await count(ann)).toBe(0);
    expect(await passkeys.remove(ann, counted.id)).toBe(false);
    expect(await count(ann)).toBe(0);

    const old = [passkeyOf(bob, 1), passkeyOf(bob, 2)];
    await putRaw(...old);
    expect(await passkeys.remove(bob, old[0]!.id)).toBe(true);
    expect(await stored(old[0]!.id)).toBeUndefined();
    expect(await count(bob)).toBe(1);
  });

  it('tries a transaction that meets another again, with doubling pauses, and gives up after 10 tries', async () => {
    const conflict = () =>
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
      });
    /** The real client, but its first `conflicts` transactions meet another. */
    const conflicting = (conflicts: number) =>
      ({
        send: (command: unknown) => {
          if (command instanceof TransactWriteCommand && conflicts > 0) {
            conflicts -= 1;
            return Promise.reject(conflict());
          }
          return tables.client.send(command as never);
        },
      }) as DynamoDBDocumentClient;
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.001);
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    try {
      const ann = newUser();
      const passkey = passkeyOf(ann);
      expect(await createDynamoDbPasskeyStore(conflicting(9), tables.passkeysTableName).create(passkey, 5)).toBe(
        'created',
      );
      expect(await stored(passkey.id)).toStrictEqual(passkey);
      const pauses = timeout.mock.calls.map(([, ms]) => ms).filter((ms) => ms !== undefined && ms <= 1);
      expect(pauses.map((ms) => Math.round((ms ?? 0) * 1000))).toStrictEqual([
        20, 40, 80, 160, 320, 640, 1000, 1000, 1000,
      ]);

      const another = passkeyOf(ann);
      const failed = createDynamoDbPasskeyStore(conflicting(10), tables.passkeysTableName).create(another, 5);
      await expect(failed).rejects.toThrow(AuthServiceError);
      await expect(failed).rejects.toThrow('Passkey write failed');
      expect(await stored(another.id)).toBeUndefined();
      await expect(
        createDynamoDbPasskeyStore(conflicting(10), tables.passkeysTableName).remove(ann, passkey.id),
      ).rejects.toThrow('Passkey delete failed');
    } finally {
      random.mockRestore();
      timeout.mockRestore();
    }
  });

  it('fails with its own error when the count cannot be made, or the second try of a write fails', async () => {
    /** The real client, but the calls `fail` picks (by command and count of its kind) fail as a missing table does. */
    const failing = (fail: (name: string, nth: number) => boolean) => {
      const seen: Record<string, number> = {};
      return {
        send: (command: { constructor: { name: string } }) => {
          const name = command.constructor.name;
          seen[name] = (seen[name] ?? 0) + 1;
          return fail(name, seen[name])
            ? Promise.reject(Object.assign(new Error('no table'), { name: 'ResourceNotFoundException' }))
            : tables.client.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient;
    };
    const ann = newUser();
    await putRaw(passkeyOf(ann, 1));
    const countFails = createDynamoDbPasskeyStore(
      failing((name) => name === 'PutCommand'),
      tables.passkeysTableName,
    );
    await expect(countFails.create(passkeyOf(ann), 5)).rejects.toThrow('Passkey count write failed');
    const secondWrite = (nth: number) => (name: string, seen: number) =>
      name === 'TransactWriteCommand' && seen === nth;
    await expect(
      createDynamoDbPasskeyStore(failing(secondWrite(2)), tables.passkeysTableName).create(passkeyOf(ann), 5),
    ).rejects.toThrow('Passkey write failed');
    const bob = newUser();
    const old = passkeyOf(bob);
    await putRaw(old);
    await expect(
      createDynamoDbPasskeyStore(failing(secondWrite(2)), tables.passkeysTableName).remove(bob, old.id),
    ).rejects.toThrow('Passkey delete failed');
  });

  it('fails each call with its own error when the table cannot be used', async () => {
    const passkeys = createDynamoDbPasskeyStore(tables.client, 'no-such-table');
    const passkey = passkeyOf(newUser());
    await expect(passkeys.get('x')).rejects.toThrow('Passkey read failed');
    await expect(passkeys.create(passkey, 5)).rejects.toThrow('Passkey write failed');
    await expect(passkeys.listByUser('u', 5)).rejects.toThrow('Passkey listing failed');
    await expect(
      passkeys.recordUse('x', { counter: 1, backedUp: false, at: 1, counterMustRise: false }),
    ).rejects.toThrow('Passkey update failed');
    await expect(passkeys.remove('u', 'x')).rejects.toThrow('Passkey delete failed');
  });
});
