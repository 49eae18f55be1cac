import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { BadRequestError, InvalidCredentialsError, TooManyAttemptsError } from '#lib/errors.ts';
import { accountKey } from '#lib/login/account-cap.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { deviceKey } from '#lib/login/device-budget.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createLogin } from '#lib/login/login.ts';
import { createPasswordChange } from '#lib/login/password-change.ts';
import { createPasswordChangeTelemetry } from '#lib/login/password-change-telemetry.ts';
import { createLoginTelemetry } from '#lib/login/telemetry.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { toIdentifier } from '#lib/users/identifier.ts';
import { createPasswordVerifier, type PasswordVerifier } from '#lib/users/passwords.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { parseUserItem, type UserItem } from '#lib/users/user.ts';
import { createTestTables, TEST_BCRYPT_COST, type TestTables } from '#test/support/dynamodb.ts';
import { testKeySet } from '#test/support/keys.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';
import { testLoginBudgets, testSessionStarter } from '#test/support/sessions.ts';
import { testPasswordChecker } from '#test/support/users.ts';

const OLD = 'my old and trusty passphrase';
const NEW = 'a fresh passphrase for the new year';
const IDENTIFIER_KEY = 'identifier-key-for-password-change-tests-0123';
const THROTTLE = { maxFailures: 3, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 };

/**
 * The password change use case against DynamoDB Local, with the login's own throttle and session
 * start: the wiring the password function uses, minus HTTP.
 */
describe('changing a password', () => {
  let tables: TestTables;
  const logger = recordingLogger();
  const compares: string[] = [];
  let deps: Parameters<typeof createPasswordChange>[0];

  const user = async (id: string): Promise<UserItem> => {
    const { Item } = await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id } }));
    const parsed = parseUserItem(Item);
    if (!parsed) throw new Error(`no user ${id}`);
    return parsed;
  };
  const login = async (emailOrUsername: string, password: string, deviceToken?: string) =>
    createLogin({
      ...deps,
      ...testLoginBudgets(tables),
      users: createDynamoDbUserStore(tables.client, tables.usersTableName),
      telemetry: createLoginTelemetry(logger),
    })({
      identifier: toIdentifier(emailOrUsername),
      password,
      ...(deviceToken && { deviceToken }),
    });
  const identifierHash = createIdentifierHash(createSecretReader({ value: IDENTIFIER_KEY }));
  /** The attempts-table item under a key (an identifier's keyed hash, or an account's key). */
  const counters = async (key: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.attemptsTableName, Key: { key } }))).Item;
  const emailCounters = async (id: string) =>
    counters(await identifierHash({ kind: 'email', email: `${id}@example.com` }));
  const change = (id: string, sessionId: string, currentPassword: string, newPassword: string) =>
    user(id).then((caller) =>
      createPasswordChange(deps)({ user: caller, sessionId, globalEpoch: 0 }, { currentPassword, newPassword }),
    );
  const sessionOf = (token: string): string =>
    JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sid;

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus']) {
      await tables.createUser(id, { id, password: OLD });
    }
    const verifier = createPasswordVerifier(TEST_BCRYPT_COST);
    const counting: PasswordVerifier = {
      ...verifier,
      verify: (password, hash) => {
        compares.push(password);
        return verifier.verify(password, hash);
      },
    };
    deps = {
      users: createDynamoDbUserStore(tables.client, tables.usersTableName),
      attempts: createDynamoDbLoginAttempts(tables.client, tables.attemptsTableName, THROTTLE),
      identifierHash: createIdentifierHash(createSecretReader({ value: IDENTIFIER_KEY })),
      passwords: counting,
      policy: testPasswordChecker,
      tokens: createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(await testKeySet()) }), {
        issuer: 'https://auth.example.test',
        audience: 'movie-knight',
        ttlSeconds: 900,
      }),
      startSession: testSessionStarter(tables),
      telemetry: createPasswordChangeTelemetry(logger),
      ...testLoginBudgets(tables),
    };
  });
  afterAll(() => tables.drop());

  it('replaces the hash and moves the epoch on in one write, and answers a login-shaped grant on a new session', async () => {
    const device = await login('ann', OLD);
    const before = await user('ann');
    const result = await change('ann', sessionOf(device.token), OLD, NEW);
    expect(result.changed).toBe(true);
    if (!result.changed) return;
    expect(Object.keys(result.grant).sort()).toEqual(['deviceToken', 'expiresIn', 'refreshToken', 'token', 'user']);
    expect(result.grant.deviceToken).not.toBe(device.deviceToken);
    expect(result.grant.user).toEqual(device.user);
    expect(sessionOf(result.grant.token)).not.toBe(sessionOf(device.token));
    const after = await user('ann');
    expect(after.sessionEpoch).toBe(before.sessionEpoch + 1);
    // The new session is the first of the new epoch.
    const { Item: started } = await tables.client.send(
      new GetCommand({ TableName: tables.sessionsTableName, Key: { id: sessionOf(result.grant.token) } }),
    );
    expect(started?.epoch).toBe(after.sessionEpoch);
    expect(await bcrypt.compare(NEW, after.passwordHash)).toBe(true);
    await expect(login('ann', OLD)).rejects.toBeInstanceOf(InvalidCredentialsError);
    // The device token it answers is the new epoch's: the next login from it is trusted.
    await expect(login('ann@example.com', NEW, result.grant.deviceToken)).resolves.toMatchObject({
      user: { id: 'ann' },
    });
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'success', trusted: true });
    // Settled: the email's claim went back.
    expect((await emailCounters('ann'))?.claims).toBeUndefined();
    const changed = logger.lines.find((line) => line.message === 'Password change');
    expect(changed?.details).toMatchObject({ outcome: 'changed', userId: 'ann', sessionEpoch: 1 });
  });

  it('answers a wrong current password with the login’s 401, counted by the login’s throttle for the account', async () => {
    const device = await login('bob', OLD);
    // The session's own budget: a device's (5); the first three lock the email too.
    for (let i = 0; i < DEFAULTS.devices.maxFailures; i += 1) {
      await expect(change('bob', sessionOf(device.token), 'not my passphrase at all', NEW)).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
    }
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'bad_password', userId: 'bob' });
    // Each counted on the account's cap, on both its identifiers' items, as a login's failure is.
    const accounts = await Promise.all(
      [{ kind: 'email', email: 'bob@example.com' } as const, { kind: 'username', username: 'bob' } as const].map(
        async (identifier) => (await counters(accountKey(await identifierHash(identifier))))?.failures,
      ),
    );
    expect(accounts).toEqual([DEFAULTS.devices.maxFailures, DEFAULTS.devices.maxFailures]);
    // The session can change no password now, and a login by the email is locked, without bcrypt work.
    const compared = compares.length;
    await expect(change('bob', sessionOf(device.token), OLD, NEW)).rejects.toBeInstanceOf(TooManyAttemptsError);
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'throttled', userId: 'bob' });
    await expect(login('bob@example.com', OLD)).rejects.toBeInstanceOf(TooManyAttemptsError);
    expect(compares.length).toBe(compared);
    expect(await bcrypt.compare(OLD, (await user('bob')).passwordHash)).toBe(true);
  });

  it('refuses a new password that breaks the policy with the rule, and changes nothing', async () => {
    const device = await login('cat', OLD);
    const before = await user('cat');
    const compared = compares.length;
    // Too short or too long: refused before any bcrypt work.
    await expect(change('cat', sessionOf(device.token), OLD, 'short')).rejects.toThrow(
      new BadRequestError('newPassword must be at least 15 characters'),
    );
    await expect(change('cat', sessionOf(device.token), OLD, '漢'.repeat(64))).rejects.toThrow(
      /^newPassword must be at most 72 bytes in UTF-8 \(it is 192\)/,
    );
    expect(compares.length).toBe(compared);
    // The rest once the current password is proved.
    await expect(change('cat', sessionOf(device.token), OLD, 'passwordpassword')).rejects.toThrow(
      /^newPassword is too easy to guess/,
    );
    await expect(change('cat', sessionOf(device.token), OLD, 'cat@example.com!')).rejects.toThrow(
      /^newPassword is built from your email, username or name/,
    );
    await expect(change('cat', sessionOf(device.token), OLD, OLD)).rejects.toThrow(
      new BadRequestError('newPassword must differ from currentPassword'),
    );
    expect(await user('cat')).toEqual(before);
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'rejected', rule: 'unchanged' });
    expect(JSON.stringify(logger.lines)).not.toContain('passwordpassword');
  });

  it('lets exactly one of two changes racing from two devices win', async () => {
    const [phone, laptop] = [await login('dan', OLD), await login('dan', OLD)];
    const results = await Promise.allSettled([
      change('dan', sessionOf(phone.token), OLD, 'the phone chose this passphrase'),
      change('dan', sessionOf(laptop.token), OLD, 'the laptop chose this passphrase'),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled' && r.value.changed);
    expect(won).toHaveLength(1);
    const lost = results.find((r) => !(r.status === 'fulfilled' && r.value.changed));
    // The loser checked a password that is no longer the user's: the login's 401.
    expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(InvalidCredentialsError);
    const stored = await user('dan');
    expect(stored.sessionEpoch).toBe(1);
    const winner = (await bcrypt.compare('the phone chose this passphrase', stored.passwordHash)) ? 'phone' : 'laptop';
    expect(await bcrypt.compare(`the ${winner} chose this passphrase`, stored.passwordHash)).toBe(true);
  });

  it('changes nothing for a caller whose sessions all ended meanwhile (a logout everywhere won)', async () => {
    const device = await login('eve', OLD);
    const caller = await user('eve');
    await createDynamoDbUserStore(tables.client, tables.usersTableName).endAllSessions('eve');
    const result = await createPasswordChange(deps)(
      { user: caller, sessionId: sessionOf(device.token), globalEpoch: 0 },
      { currentPassword: OLD, newPassword: NEW },
    );
    expect(result).toEqual({ changed: false, reason: 'session_ended' });
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'raced', userId: 'eve', reason: expect.any(String) });
    expect(await bcrypt.compare(OLD, (await user('eve')).passwordHash)).toBe(true);
  });

  it('refuses a change on an account past its cap before bcrypt, and gives both claims back', async () => {
    const device = await login('fay', OLD);
    const sessionId = sessionOf(device.token);
    const emailKey = await identifierHash({ kind: 'email', email: 'fay@example.com' });
    await tables.client.send(
      new PutCommand({
        TableName: tables.attemptsTableName,
        Item: { key: accountKey(emailKey), failures: DEFAULTS.accountMaxFailures },
      }),
    );
    const compared = compares.length;
    await expect(change('fay', sessionId, OLD, NEW)).rejects.toBeInstanceOf(TooManyAttemptsError);
    expect(compares.length).toBe(compared);
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'account_capped', userId: 'fay' });
    // Neither the session's budget nor the email's counts kept the refused claim.
    expect(await counters(deviceKey(`session:${sessionId}`))).toMatchObject({ failures: 0 });
    expect((await emailCounters('fay'))?.claims).toBeUndefined();
  });

  it('changes nothing when the caller’s own session ended meanwhile (a logout of it won)', async () => {
    const phone = await login('gus', OLD);
    const caller = await user('gus');
    await createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName).end(
      sessionOf(phone.token),
      Date.now(),
    );
    const result = await createPasswordChange(deps)(
      { user: caller, sessionId: sessionOf(phone.token), globalEpoch: 0 },
      { currentPassword: OLD, newPassword: NEW },
    );
    expect(result).toEqual({ changed: false, reason: 'session_ended' });
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'raced', userId: 'gus', reason: 'caller_ended' });
    expect(await bcrypt.compare(OLD, (await user('gus')).passwordHash)).toBe(true);
    await expect(login('gus', OLD)).resolves.toMatchObject({ user: { id: 'gus' } });
  });
});
