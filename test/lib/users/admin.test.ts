import { GetCommand } from '@aws-sdk/lib-dynamodb';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserAdminError } from '#lib/errors.ts';
import type { UserAdmin } from '#lib/users/admin.ts';
import { uniqueValueId } from '#lib/users/table.ts';
import { createTestTables, TEST_BCRYPT_COST, type TestTables } from '#test/support/dynamodb.ts';
import { testUserAdmin } from '#test/support/users.ts';

const profile = (n: string) => ({ email: `user${n}@example.com`, username: `user${n}`, name: `User ${n}` });

const reasonOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserAdminError);
  return (error as UserAdminError).reason;
};

describe('user administration against DynamoDB Local', () => {
  let tables: TestTables;
  let admin: UserAdmin;

  const item = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id } }))).Item;

  beforeAll(async () => {
    tables = await createTestTables();
    admin = testUserAdmin(tables);
  });

  afterAll(() => tables.drop());

  it('creates a user with a bcrypt hash at the configured cost, guard items, and returns the safe user', async () => {
    const user = await admin.create(
      { ...profile('1'), email: ' User1@Example.com ', dateOfBirth: '2001-02-03' },
      'correct horse battery staple',
    );
    expect(user).toMatchObject({
      email: 'User1@Example.com',
      username: 'user1',
      dateOfBirth: '2001-02-03T00:00:00.000Z',
    });
    expect(user).not.toHaveProperty('passwordHash');
    const stored = await item(user.id);
    expect(stored?.emailLower).toBe('user1@example.com');
    expect(bcrypt.getRounds(stored?.passwordHash)).toBe(TEST_BCRYPT_COST);
    expect(await bcrypt.compare('correct horse battery staple', stored?.passwordHash)).toBe(true);
    expect(await item(uniqueValueId('email', 'user1@example.com'))).toEqual({
      id: uniqueValueId('email', 'user1@example.com'),
      userId: user.id,
    });
    expect(await item(uniqueValueId('username', 'user1'))).toMatchObject({ userId: user.id });
  });

  it('refuses a taken email in any case, and a taken username, writing nothing', async () => {
    expect(
      await reasonOf(admin.create({ ...profile('2'), email: 'USER1@example.com' }, 'a passphrase of my own')),
    ).toBe('email_taken');
    expect(await reasonOf(admin.create({ ...profile('2'), username: 'user1' }, 'a passphrase of my own'))).toBe(
      'username_taken',
    );
    expect(await item(uniqueValueId('username', 'user2'))).toBeUndefined();
    expect(await item(uniqueValueId('email', 'user2@example.com'))).toBeUndefined();
  });

  it('lets exactly one of two concurrent creates of the same email win', async () => {
    const results = await Promise.allSettled([
      admin.create({ ...profile('3'), username: 'racer-a' }, 'a passphrase of my own'),
      admin.create({ ...profile('3'), username: 'racer-b' }, 'a passphrase of my own'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [loser] = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect((loser!.reason as UserAdminError).reason).toBe('email_taken');
    // The loser's username guard was not left behind.
    const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ username: string }>)
      .value;
    const loserName = winner.username === 'racer-a' ? 'racer-b' : 'racer-a';
    expect(await item(uniqueValueId('username', loserName))).toBeUndefined();
  });

  it.each([
    [{ ...profile('4'), email: 'not-an-email' }, 'a passphrase of my own', 'email is not a valid email address'],
    [
      { ...profile('4'), username: 'has@sign' },
      'a passphrase of my own',
      'username must be 3 to 32 letters, digits, ".", "_" or "-"',
    ],
    [{ ...profile('4'), name: '  ' }, 'a passphrase of my own', 'name is required'],
    [
      { ...profile('4'), dateOfBirth: '20/05/1999' },
      'a passphrase of my own',
      'date of birth must be a date like 1999-05-20',
    ],
    [profile('4'), 'fourteen chars', 'password must be at least 15 characters'],
    [
      profile('4'),
      'é'.repeat(37),
      'password must be at most 72 bytes in UTF-8 (it is 74): a letter outside ASCII takes 2 to 4 bytes, so that is 72 ASCII characters, 36 accented or Cyrillic, 24 Chinese or Japanese',
    ],
    [
      profile('4'),
      'passwordpassword',
      'password is too easy to guess: it is built from common passwords or a pattern (a repeat, a sequence, a keyboard run, a date)',
    ],
    [
      profile('4'),
      'User 4 user4@example.com',
      "password is built from your email, username or name, or the service's name: choose something unrelated",
    ],
  ])('refuses %j with "%s"', async (input, password, message) => {
    await expect(admin.create(input, password)).rejects.toThrow(new UserAdminError('invalid_input', message));
    expect(await item(uniqueValueId('username', 'user4'))).toBeUndefined();
  });

  it('accepts a long passphrase of exactly 72 bytes', async () => {
    const passphrase = 'seventy-two bytes of a passphrase nobody else would ever think to write!';
    expect(Buffer.byteLength(passphrase)).toBe(72);
    await expect(admin.create(profile('5'), passphrase)).resolves.toMatchObject({ username: 'user5' });
  });

  it('sets a new password with a conditional update, by email or username', async () => {
    const user = await admin.create(profile('6'), 'the first of my passphrases');
    await admin.setPassword('USER6@example.com', 'the second of my passphrases');
    expect(await bcrypt.compare('the second of my passphrases', (await item(user.id))?.passwordHash)).toBe(true);
    await admin.setPassword('user6', 'the third of my passphrases');
    expect(await bcrypt.compare('the third of my passphrases', (await item(user.id))?.passwordHash)).toBe(true);
    // Each change moved the epoch on: every session of the user ended with it.
    expect(await item(user.id)).toMatchObject({ sessionEpoch: 2 });
  });

  it('refuses a new password that breaks the rules, or an unknown user', async () => {
    expect(await reasonOf(admin.setPassword('user6', 'short'))).toBe('invalid_input');
    // The account's own words, known only once the user is read.
    expect(await reasonOf(admin.setPassword('user6', 'user6user6user6!'))).toBe('invalid_input');
    expect(await reasonOf(admin.setPassword('nobody-here', 'long enough and unusual'))).toBe('not_found');
  });

  it('shows the safe user only', async () => {
    const shown = await admin.show('user1');
    expect(Object.keys(shown).sort()).toEqual(
      [
        'aiUsage',
        'avatarUrl',
        'badges',
        'bio',
        'countryCode',
        'createdAt',
        'dateOfBirth',
        'email',
        'id',
        'name',
        'username',
      ].sort(),
    );
  });

  it('refuses a user written without guards by an older tool, found through the index', async () => {
    await tables.put({
      id: 'legacy',
      email: 'legacy@example.com',
      emailLower: 'legacy@example.com',
      username: 'legacy',
    });
    expect(
      await reasonOf(admin.create({ ...profile('7'), email: 'Legacy@example.com' }, 'a passphrase of my own')),
    ).toBe('email_taken');
  });
});

describe('disabling and deleting users', () => {
  let tables: TestTables;
  let admin: UserAdmin;
  const item = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id } }))).Item;

  beforeAll(async () => {
    tables = await createTestTables();
    admin = testUserAdmin(tables, () => new Date('2026-12-01T20:00:00Z'));
  });

  afterAll(() => tables.drop());

  it('disables a user and moves the session epoch on in the same write, and enables them again', async () => {
    const { id } = await admin.create(profile('d'), 'a passphrase of my own');
    await admin.disable('userd');
    expect(await item(id)).toMatchObject({
      disabledAt: '2026-12-01T20:00:00.000Z',
      sessionEpoch: 1,
    });
    // The epoch alone ends the sessions: no clock is written.
    expect(await item(id)).not.toHaveProperty('sessionsValidAfter');
    await admin.disable('userd@example.com');
    expect((await item(id))?.sessionEpoch).toBe(2);
    await admin.enable('userd');
    expect(await item(id)).not.toHaveProperty('disabledAt');
    expect((await item(id))?.sessionEpoch).toBe(2);
  });

  it('lists the email and username of a user, as logins present them', async () => {
    await admin.create({ ...profile('i'), email: 'UserI@Example.com' }, 'a passphrase of my own');
    expect(await admin.identifiers('useri')).toEqual([
      { kind: 'email', email: 'useri@example.com' },
      { kind: 'username', username: 'useri' },
    ]);
  });

  it('deletes a user and the guards of their email and username, so both are free again', async () => {
    const { id } = await admin.create(profile('x'), 'a passphrase of my own');
    await admin.remove('userx');
    expect(await item(id)).toBeUndefined();
    expect(await item(uniqueValueId('email', 'userx@example.com'))).toBeUndefined();
    expect(await item(uniqueValueId('username', 'userx'))).toBeUndefined();
    expect(await reasonOf(admin.show('userx'))).toBe('not_found');
    await admin.create(profile('x'), 'a passphrase of my own');
  });
});
