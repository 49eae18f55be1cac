import { inspect } from 'node:util';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { INVALID_CREDENTIALS_MESSAGE, InvalidCredentialsError } from '#lib/errors.ts';
import { accountKey, createDynamoDbAccountCap } from '#lib/login/account-cap.ts';
import { createDynamoDbLoginAttempts, type LoginAttempts } from '#lib/login/attempts.ts';
import { createDynamoDbDeviceBudgets } from '#lib/login/device-budget.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createLogin, type LoginDependencies } from '#lib/login/login.ts';
import { createLoginTelemetry } from '#lib/login/telemetry.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDeviceTokens } from '#lib/sessions/device-token.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { toIdentifier } from '#lib/users/identifier.ts';
import { createPasswordVerifier, hashPassword, type PasswordVerifier } from '#lib/users/passwords.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { newUserItem } from '#lib/users/user.ts';
import { createTestTables, TEST_BCRYPT_COST, TEST_PASSWORD, type TestTables } from '#test/support/dynamodb.ts';
import { MISSING_TABLE } from '#test/support/instrumented-client.ts';
import { testKeySet } from '#test/support/keys.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';
import { testLoginBudgets, testSessionStarter } from '#test/support/sessions.ts';
import { testUserAdmin } from '#test/support/users.ts';
import { verifyWithTestKeys } from '#test/support/verify.ts';

/** A threshold no test here reaches: throttling has its own tests. */
const THROTTLE = { maxFailures: 100, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 };
const settings = { issuer: 'movie-knight-auth', audience: 'movie-knight', ttlSeconds: 3600 };

/** Counts bcrypt compares, and whether each had a real hash, around the real verifier. */
const countingVerifier = (inner: PasswordVerifier) => {
  const calls: { hadHash: boolean }[] = [];
  const verifier: PasswordVerifier = {
    ...inner,
    verify: (password, hash) => {
      calls.push({ hadHash: hash !== undefined });
      return inner.verify(password, hash);
    },
  };
  return { verifier, calls };
};

describe('login against DynamoDB Local', () => {
  let table: TestTables;
  let logger: ReturnType<typeof recordingLogger>;
  let counted: ReturnType<typeof countingVerifier>;
  let login: ReturnType<typeof createLogin>;
  let deps: LoginDependencies;

  const storedAttempts = async (key: string) =>
    (await table.client.send(new GetCommand({ TableName: table.attemptsTableName, Key: { key } }))).Item;
  const attempt = (emailOrUsername: string, password: string) =>
    login({ identifier: toIdentifier(emailOrUsername), password });

  const expectInvalidCredentials = async (emailOrUsername: string, password: string) => {
    const before = counted.calls.length;
    const error = await attempt(emailOrUsername, password).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCredentialsError);
    expect((error as Error).message).toBe(INVALID_CREDENTIALS_MESSAGE);
    // Exactly one bcrypt compare, whatever was wrong.
    expect(counted.calls.length - before).toBe(1);
    return logger.lines.at(-1);
  };

  beforeAll(async () => {
    table = await createTestTables();
    await table.createUser('moviefan', { id: 'user-fan', email: 'MovieFan@Example.com', dateOfBirth: '1999-05-20' });
    logger = recordingLogger();
    counted = countingVerifier(createPasswordVerifier(TEST_BCRYPT_COST));
    deps = {
      users: createDynamoDbUserStore(table.client, table.usersTableName),
      // A threshold no test here reaches: throttling has its own tests.
      attempts: createDynamoDbLoginAttempts(table.client, table.attemptsTableName, THROTTLE),
      identifierHash: createIdentifierHash(createSecretReader({ value: 'identifier-key-for-login-tests-0123456789' })),
      passwords: counted.verifier,
      tokens: createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(await testKeySet()) }), settings),
      startSession: testSessionStarter(table),
      telemetry: createLoginTelemetry(logger),
      ...testLoginBudgets(table),
    };
  });

  // Built for each test: Stryker counts code run in beforeAll as no test's.
  beforeEach(() => {
    login = createLogin(deps);
  });

  afterAll(() => table.drop());

  it.each(['moviefan@example.com', 'MOVIEFAN@EXAMPLE.COM', '  MovieFan@Example.com '])(
    'logs in by email in any case (%s)',
    async (email) => {
      const { token, refreshToken, expiresIn, user } = await attempt(email, 'secret123');
      expect(user).toMatchObject({ id: 'user-fan', email: 'MovieFan@Example.com', username: 'moviefan' });
      const { payload } = await verifyWithTestKeys(token, settings);
      expect(payload.sub).toBe('user-fan');
      // A new session each time: the token names it, the refresh token is its generation 0.
      expect(refreshToken).toMatch(new RegExp(`^${payload.sid}\\.0\\.[A-Za-z0-9_-]{8}\\.[A-Za-z0-9_-]{43}$`));
      expect(expiresIn).toBe(settings.ttlSeconds);
    },
  );

  it.each([
    [
      'the identifier key',
      () => ({ identifierHash: createIdentifierHash(createSecretReader({ file: '/nonexistent/key' })) }),
    ],
    ['the identifier budget', () => ({ attempts: createDynamoDbLoginAttempts(table.client, MISSING_TABLE, THROTTLE) })],
    [
      'the device budget',
      () => ({ devices: createDynamoDbDeviceBudgets(table.client, MISSING_TABLE, DEFAULTS.devices) }),
    ],
    [
      'the account cap',
      () => ({
        accountCap: createDynamoDbAccountCap(table.client, MISSING_TABLE, { maxFailures: 100, memorySeconds: 60 }),
      }),
    ],
    ['the user lookup', () => ({ users: createDynamoDbUserStore(table.client, MISSING_TABLE) })],
    [
      'the signing key',
      () => ({ tokens: createTokenSigner(createSigningKeyProvider({ file: '/nonexistent/keys' }), settings) }),
    ],
    [
      'the device token key',
      () => ({
        deviceTokens: createDeviceTokens(createSecretReader({ file: '/nonexistent/key' }), {
          ttlSeconds: DEFAULTS.devices.ttlSeconds,
        }),
      }),
    ],
    ['the global session epoch', () => ({ control: createDynamoDbSessionControl(table.client, MISSING_TABLE) })],
  ] as const)('fails with %s failing, checks no password, and gives its claims back', async (_, failing) => {
    const { deviceToken } = await login({ identifier: toIdentifier('moviefan'), password: 'secret123' });
    const key = await deps.identifierHash(toIdentifier('moviefan'));
    const attemptsBefore = await storedAttempts(key);
    const compares = counted.calls.length;
    const error = await createLogin({ ...deps, ...failing() })({
      identifier: toIdentifier('moviefan'),
      password: 'secret123',
      deviceToken,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(InvalidCredentialsError);
    // Its own error (the handler answers 500 or 503): never a 401 or a 429.
    expect((error as { statusCode?: number }).statusCode ?? 500).toBeGreaterThanOrEqual(500);
    expect(counted.calls.length).toBe(compares);
    // The identifier's claim went back: nothing in flight, nothing counted.
    const after = await storedAttempts(key);
    expect(after).toMatchObject({ attempts: attemptsBefore?.attempts, failures: attemptsBefore?.failures });
    expect(after?.claims).toBeUndefined();
  });

  it('logs in by username in its exact case', async () => {
    expect((await attempt('moviefan', 'secret123')).user.id).toBe('user-fan');
    expect(logger.lines.at(-1)).toMatchObject({ level: 'info', details: { outcome: 'success', userId: 'user-fan' } });
  });

  it('rejects a username in another case', async () => {
    expect(await expectInvalidCredentials('MovieFan', 'secret123')).toMatchObject({
      details: { outcome: 'unknown_identifier' },
    });
  });

  it('rejects an unknown email after one dummy compare', async () => {
    expect(await expectInvalidCredentials('nobody@example.com', 'secret123')).toMatchObject({
      level: 'info',
      details: { outcome: 'unknown_identifier', identifierKind: 'email' },
    });
    expect(counted.calls.at(-1)).toEqual({ hadHash: false });
  });

  it('rejects a wrong password', async () => {
    expect(await expectInvalidCredentials('moviefan', 'secret124')).toMatchObject({
      details: { outcome: 'bad_password', userId: 'user-fan' },
    });
  });

  it('rejects a password longer than 72 bytes whose first 72 bytes match', async () => {
    await table.createUser('long', { id: 'user-long', password: 'p'.repeat(72) });
    await expectInvalidCredentials('long', `${'p'.repeat(72)}extra`);
    expect((await attempt('long', 'p'.repeat(72))).user.id).toBe('user-long');
  });

  it('rejects, and logs as an error, an identifier that matches two users', async () => {
    await table.createUser('twin1', { id: 'dup-1', email: 'twin@example.com' });
    await table.createUser('twin2', { id: 'dup-2', email: 'TWIN@example.com' });
    const line = await expectInvalidCredentials('twin@example.com', 'secret123');
    expect(line).toMatchObject({ level: 'error', details: { outcome: 'ambiguous_identifier' } });
    expect(counted.calls.at(-1)).toEqual({ hadHash: false });
  });

  it('rejects, and logs as an error, a user item without a usable hash', async () => {
    await table.put({
      id: 'broken',
      email: 'b@example.com',
      emailLower: 'b@example.com',
      username: 'broken',
      name: 'B',
      createdAt: '2026-01-01T00:00:00Z',
      passwordHash: 'secret123',
    });
    expect(await expectInvalidCredentials('broken', 'secret123')).toMatchObject({
      level: 'error',
      details: { outcome: 'invalid_user_record' },
    });
  });

  it('logs in a user whose optional attributes are all missing', async () => {
    const { id, email, emailLower, username, name, passwordHash, createdAt } = await table.createUser('minimal', {
      id: 'minimal',
      email: 'min@example.com',
      name: 'Min',
    });
    await table.put({ id, email, emailLower, username, name, passwordHash, createdAt });
    expect((await attempt('minimal', 'secret123')).user).toStrictEqual({
      id: 'minimal',
      bio: '',
      name: 'Min',
      email: 'min@example.com',
      badges: [],
      aiUsage: { used: 0, limit: 5, remaining: 5 },
      username: 'minimal',
      avatarUrl: null,
      createdAt,
      countryCode: null,
      dateOfBirth: null,
    });
  });

  it('never logs the identifier or the password, nor does any error it logs, down to its causes', async () => {
    // Its own lines, from its own login: every outcome, a warning and an error with a cause.
    const own = recordingLogger();
    const broken = new Error('write refused', { cause: new Error('DynamoDB said no') });
    const real = createDynamoDbLoginAttempts(table.client, table.attemptsTableName, {
      maxFailures: 3,
      windowSeconds: 900,
      baseLockSeconds: 60,
      maxLockSeconds: 900,
    });
    const ownLogin = createLogin({
      users: createDynamoDbUserStore(table.client, table.usersTableName),
      attempts: {
        // Giving a success's claim back fails, so a warning with the error is logged too.
        claim: async (key) => {
          const result = await real.claim(key);
          if (!result.granted) return result;
          return { granted: true, claim: { ...result.claim, release: () => Promise.reject(broken) } };
        },
      },
      identifierHash: createIdentifierHash(createSecretReader({ value: 'identifier-key-for-login-tests-0123456789' })),
      passwords: createPasswordVerifier(TEST_BCRYPT_COST),
      tokens: createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(await testKeySet()) }), settings),
      startSession: testSessionStarter(table),
      telemetry: createLoginTelemetry(own),
      ...testLoginBudgets(table),
    });
    const tries: [string, string][] = [
      ['MovieFan@Example.com', 'secret124'],
      ['moviefan@example.com', 'secret123'],
      ['MovieFan', 'secret123'],
      ['nobody@example.com', 'secret123'],
      ['twin@example.com', 'secret123'],
      ['broken', 'secret123'],
      ['nobody@example.com', 'secret125'],
      ['nobody@example.com', 'secret126'],
      ['nobody@example.com', 'secret127'],
    ];
    for (const [emailOrUsername, password] of tries) {
      await ownLogin({ identifier: toIdentifier(emailOrUsername), password }).catch(() => undefined);
    }
    const outcomes = own.lines.map((line) => (line.details as { outcome?: string }).outcome ?? line.message);
    expect(outcomes).toEqual(
      expect.arrayContaining(['bad_password', 'success', 'Attempt release failed', 'unknown_identifier', 'throttled']),
    );
    const logged = inspect(own.lines, { depth: null });
    expect(logged).toContain('DynamoDB said no');
    for (const [emailOrUsername, password] of tries) {
      expect(logged).not.toContain(emailOrUsername);
      expect(logged.toLowerCase()).not.toContain(emailOrUsername.toLowerCase());
      expect(logged).not.toContain(password);
    }
  });
});

describe('rehash on login', () => {
  let table: TestTables;
  let logger: ReturnType<typeof recordingLogger>;

  let keys: string;
  const loginWith = (
    cost: number,
    users = createDynamoDbUserStore(table.client, table.usersTableName),
    attempts = createDynamoDbLoginAttempts(table.client, table.attemptsTableName, DEFAULTS.throttle),
  ) =>
    createLogin({
      users,
      attempts,
      identifierHash: createIdentifierHash(createSecretReader({ value: 'identifier-key-for-login-tests-0123456789' })),
      passwords: createPasswordVerifier(cost),
      tokens: createTokenSigner(createSigningKeyProvider({ value: keys }), settings),
      startSession: testSessionStarter(table),
      telemetry: createLoginTelemetry(logger),
      ...testLoginBudgets(table),
    });
  const storedHash = async (id: string) =>
    (await table.client.send(new GetCommand({ TableName: table.usersTableName, Key: { id } }))).Item
      ?.passwordHash as string;

  beforeAll(async () => {
    table = await createTestTables();
    keys = JSON.stringify(await testKeySet());
    logger = recordingLogger();
    for (const id of ['weak', 'raced', 'unlucky', 'strong', 'epoch-moved', 'disabled-meanwhile']) {
      await table.createUser(id, { id });
    }
  });

  afterAll(() => table.drop());

  it('stores a hash at the configured cost after a login with a weaker one, and the password still works', async () => {
    expect(bcrypt.getRounds(await storedHash('weak'))).toBe(TEST_BCRYPT_COST);
    await loginWith(TEST_BCRYPT_COST + 1)({ identifier: toIdentifier('weak'), password: 'secret123' });
    const upgraded = await storedHash('weak');
    expect(bcrypt.getRounds(upgraded)).toBe(TEST_BCRYPT_COST + 1);
    expect(await bcrypt.compare('secret123', upgraded)).toBe(true);
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'success', rehashed: 'done' });
  });

  it('starts no session, and leaves the new hash alone, when the password changed since it was read', async () => {
    const real = createDynamoDbUserStore(table.client, table.usersTableName);
    // The password changes between the login's read and its session, as when an operator sets it.
    const racing = {
      ...real,
      findByIdentifier: async (identifier: Parameters<typeof real.findByIdentifier>[0]) => {
        const items = await real.findByIdentifier(identifier);
        await testUserAdmin(table).setPassword('raced', 'changed meanwhile by the operator');
        return items;
      },
    };
    await expect(
      loginWith(TEST_BCRYPT_COST + 1, racing)({ identifier: toIdentifier('raced'), password: 'secret123' }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(await bcrypt.compare('changed meanwhile by the operator', await storedHash('raced'))).toBe(true);
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'password_changed', userId: 'raced' });
  });

  /** The user store, with `meanwhile` run right after the login's lookup (before its session starts). */
  const racedBy = (meanwhile: () => Promise<unknown>) => {
    const real = createDynamoDbUserStore(table.client, table.usersTableName);
    return {
      ...real,
      findByIdentifier: async (identifier: Parameters<typeof real.findByIdentifier>[0]) => {
        const items = await real.findByIdentifier(identifier);
        await meanwhile();
        return items;
      },
    };
  };
  const setUser = (id: string, expression: string, values: Record<string, unknown>) =>
    table.client.send(
      new UpdateCommand({
        TableName: table.usersTableName,
        Key: { id },
        UpdateExpression: expression,
        ExpressionAttributeValues: values,
      }),
    );
  /** The user's sessions, whole: their ids from the user index, then each item. */
  const sessionsOf = async (userId: string) => {
    const { Items = [] } = await table.client.send(
      new QueryCommand({
        TableName: table.sessionsTableName,
        IndexName: 'user-index',
        KeyConditionExpression: 'userId = :user',
        ExpressionAttributeValues: { ':user': userId },
      }),
    );
    return Promise.all(
      Items.map(
        async ({ id }) =>
          (await table.client.send(new GetCommand({ TableName: table.sessionsTableName, Key: { id } }))).Item,
      ),
    );
  };

  it('starts one session, for the client named, in the user epoch of the item whose hash was compared', async () => {
    await loginWith(TEST_BCRYPT_COST)({
      identifier: toIdentifier('strong'),
      password: 'secret123',
      clientId: 'tv-app',
    });
    const sessions = await sessionsOf('strong');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ clientId: 'tv-app' });
  });

  it('starts the session in the new epoch when the user signed out everywhere meanwhile', async () => {
    const users = racedBy(() => setUser('epoch-moved', 'SET sessionEpoch = :one', { ':one': 1 }));
    const grant = await loginWith(
      TEST_BCRYPT_COST,
      users,
    )({ identifier: toIdentifier('epoch-moved'), password: 'secret123', clientId: 'tv-app' });
    expect(grant.user).toMatchObject({ id: 'epoch-moved' });
    const { sid } = JSON.parse(Buffer.from(grant.token.split('.')[1] ?? '', 'base64url').toString());
    const sessions = await sessionsOf('epoch-moved');
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ id: sid, epoch: 1, clientId: 'tv-app' });
  });

  it('starts no session when the user was disabled meanwhile', async () => {
    // As `users disable` does it: one write, which moves the user's epoch too.
    const users = racedBy(() =>
      setUser('disabled-meanwhile', 'SET disabledAt = :now ADD sessionEpoch :one', {
        ':now': '2026-11-26T12:00:00Z',
        ':one': 1,
      }),
    );
    await expect(
      loginWith(TEST_BCRYPT_COST, users)({ identifier: toIdentifier('disabled-meanwhile'), password: 'secret123' }),
    ).rejects.toBeInstanceOf(InvalidCredentialsError);
    expect(await sessionsOf('disabled-meanwhile')).toEqual([]);
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'password_changed', userId: 'disabled-meanwhile' });
  });

  it('still logs the user in when the rehash fails', async () => {
    const real = createDynamoDbUserStore(table.client, table.usersTableName);
    // A write failure DynamoDB Local will not produce on demand while its reads succeed.
    const failing = { ...real, replacePasswordHash: () => Promise.reject(new Error('write refused')) };
    const { user } = await loginWith(
      TEST_BCRYPT_COST + 1,
      failing,
    )({ identifier: toIdentifier('unlucky'), password: 'secret123' });
    expect(user.id).toBe('unlucky');
    expect(bcrypt.getRounds(await storedHash('unlucky'))).toBe(TEST_BCRYPT_COST);
    expect(logger.lines.find((line) => line.message === 'Rehash failed')).toMatchObject({
      level: 'warn',
      details: { userId: 'unlucky', error: expect.any(Error) },
    });
    expect(logger.lines.at(-1)?.details).toMatchObject({ outcome: 'success', rehashed: 'failed' });
  });

  it('still logs the user in when giving the claim back fails, and says so in a warning', async () => {
    const real = createDynamoDbLoginAttempts(table.client, table.attemptsTableName, DEFAULTS.throttle);
    // A write failure after a successful claim, which DynamoDB Local will not produce on demand.
    const failing: LoginAttempts = {
      claim: async (key) => {
        const result = await real.claim(key);
        if (!result.granted) return result;
        return { granted: true, claim: { ...result.claim, release: () => Promise.reject(new Error('write refused')) } };
      },
    };
    const login = loginWith(TEST_BCRYPT_COST, undefined, failing);
    await expect(login({ identifier: toIdentifier('strong'), password: 'wrong' })).rejects.toThrow(
      InvalidCredentialsError,
    );
    const { user } = await login({ identifier: toIdentifier('strong'), password: 'secret123' });
    expect(user.id).toBe('strong');
    expect(logger.lines.find((line) => line.message === 'Attempt release failed')).toMatchObject({ level: 'warn' });
  });

  it('refuses a hash above the configured cost (BCRYPT_COST was lowered): a wrong password to the client, an error in the log', async () => {
    const item = newUserItem({
      id: 'dearer',
      email: 'dearer@example.com',
      username: 'dearer',
      name: 'Dearer',
      passwordHash: await hashPassword('secret123', TEST_BCRYPT_COST + 1),
    });
    await table.put(item);
    await expect(
      loginWith(TEST_BCRYPT_COST)({ identifier: toIdentifier('dearer'), password: 'secret123' }),
    ).rejects.toThrow(InvalidCredentialsError);
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'error',
      details: { outcome: 'hash_cost_refused', userId: 'dearer' },
    });
    expect(await storedHash('dearer')).toBe(item.passwordHash);
    // Not every failure of a known user: a wrong password against an accepted hash is just that.
    await expect(loginWith(TEST_BCRYPT_COST)({ identifier: toIdentifier('strong'), password: 'nope' })).rejects.toThrow(
      InvalidCredentialsError,
    );
    expect(logger.lines.at(-1)).toMatchObject({ level: 'info', details: { outcome: 'bad_password' } });
  });

  it('does not rehash a hash already at the configured cost', async () => {
    const before = await storedHash('strong');
    await loginWith(TEST_BCRYPT_COST)({ identifier: toIdentifier('strong'), password: 'secret123' });
    expect(await storedHash('strong')).toBe(before);
  });
});

/**
 * Which budget decides, and what each decision leaves behind, with small limits so that each is
 * reached in a few logins: the identifier's (2 failures), the account's (3 failures, both
 * identifiers together) and a trusted device's (2 failures).
 */
describe('login budgets: the trusted device, the identifier and the account cap', () => {
  let table: TestTables;

  const setUp = async () => {
    const logger = recordingLogger();
    const identifierHash = createIdentifierHash(
      createSecretReader({ value: 'identifier-key-for-login-tests-0123456789' }),
    );
    const budgets = testLoginBudgets(table);
    const login = createLogin({
      ...budgets,
      users: createDynamoDbUserStore(table.client, table.usersTableName),
      attempts: createDynamoDbLoginAttempts(
        table.client,
        table.attemptsTableName,
        { maxFailures: 2, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 },
        undefined,
        [],
      ),
      devices: createDynamoDbDeviceBudgets(table.client, table.attemptsTableName, {
        ttlSeconds: 86_400,
        maxFailures: 2,
      }),
      accountCap: createDynamoDbAccountCap(table.client, table.attemptsTableName, {
        maxFailures: 3,
        memorySeconds: 86_400,
      }),
      identifierHash,
      passwords: createPasswordVerifier(TEST_BCRYPT_COST),
      tokens: createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(await testKeySet()) }), settings),
      startSession: testSessionStarter(table),
      telemetry: createLoginTelemetry(logger),
      cappedRetryAfterSeconds: 900,
    });
    const attempt = (emailOrUsername: string, password: string, deviceToken?: string) =>
      login({ identifier: toIdentifier(emailOrUsername), password, ...(deviceToken && { deviceToken }) });
    /** The error's status and Retry-After, or the grant's user. */
    const answer = (emailOrUsername: string, password: string, deviceToken?: string) =>
      attempt(emailOrUsername, password, deviceToken).then(
        (grant) => ({ ok: grant.user.username }),
        (error: { statusCode?: number; headers?: Record<string, string> }) => ({
          status: error.statusCode,
          retryAfter: error.headers?.['Retry-After'],
        }),
      );
    const last = () => logger.lines.at(-1)?.details as Record<string, unknown>;
    const logged = () => logger.lines.map((line) => line.details as Record<string, unknown>);
    /** The account cap's count on the username's and the email's item. */
    const accountFailures = async (username: string) =>
      Promise.all(
        [username, `${username}@example.com`].map(async (identifier) => {
          const key = accountKey(await identifierHash(toIdentifier(identifier)));
          const { Item } = await table.client.send(
            new GetCommand({ TableName: table.attemptsTableName, Key: { key } }),
          );
          return Item?.failures;
        }),
      );
    /** The identifier's counts (a claim given back leaves its time, nothing counted). */
    const stored = async (identifier: string) => {
      const { Item } = await table.client.send(
        new GetCommand({
          TableName: table.attemptsTableName,
          Key: { key: await identifierHash(toIdentifier(identifier)) },
        }),
      );
      const { attempts, failures, lockedUntil, forgetAt, claims } = Item ?? {};
      return { attempts, failures, lockedUntil, forgetAt, claims };
    };
    return { attempt, answer, last, logged, stored, accountFailures };
  };

  beforeAll(async () => {
    table = await createTestTables();
    for (const name of ['owner', 'capped', 'lapsed', 'off', 'shared', 'passing', 'resets', 'retired']) {
      await table.createUser(name, { id: `user-${name}` });
    }
    await table.put({
      ...(await table.createUser('gone', { id: 'user-gone' })),
      disabledAt: '2026-01-01T00:00:00Z',
    });
  });

  afterAll(() => table.drop());

  it('lets a trusted device in past a locked identifier, with its own budget, and gives the identifier’s claim back', async () => {
    const { attempt, answer, last, stored } = await setUp();
    const { deviceToken } = await attempt('owner', TEST_PASSWORD);
    expect(await answer('owner', 'wrong-1')).toEqual({ status: 401, retryAfter: undefined });
    expect(await answer('owner', 'wrong-2')).toEqual({ status: 401, retryAfter: undefined });
    expect(await answer('owner', TEST_PASSWORD)).toEqual({ status: 429, retryAfter: '60' });
    expect(last()).toMatchObject({ outcome: 'throttled', retryAfterSeconds: 60 });
    const locked = await stored('owner');

    // A wrong password from the device counts on the device, not the identifier.
    expect(await answer('owner', 'wrong-3', deviceToken)).toEqual({ status: 401, retryAfter: undefined });
    expect(last()).toMatchObject({ outcome: 'bad_password', userId: 'user-owner', trusted: true });
    expect(await stored('owner')).toEqual(locked);
    const signedIn = await attempt('owner', TEST_PASSWORD, deviceToken);
    expect(signedIn.user.username).toBe('owner');
    expect(last()).toMatchObject({ outcome: 'success', userId: 'user-owner', trusted: true });
    expect(await stored('owner')).toEqual(locked);
    // Its success forgot the device's failure (and the account's): two more wrong tries are still
    // its own, then the device is spent and judged like any client.
    const { deviceToken: next } = signedIn;
    expect(await answer('owner', 'wrong-4', next)).toEqual({ status: 401, retryAfter: undefined });
    expect(await answer('owner', 'wrong-5', next)).toEqual({ status: 401, retryAfter: undefined });
    expect(await answer('owner', TEST_PASSWORD, next)).toMatchObject({ status: 429 });
  });

  it('answers the account cap once both identifiers together used it, with the longest lock', async () => {
    const { answer, last, stored } = await setUp();
    // Two failures on the username (its lock), one on the email: the account's three.
    expect(await answer('capped', 'wrong-1')).toMatchObject({ status: 401 });
    expect(await answer('capped', 'wrong-2')).toMatchObject({ status: 401 });
    expect(await answer('capped@example.com', 'wrong-3')).toMatchObject({ status: 401 });
    // From then on the claim is refused by the cap, and given back uncounted.
    const before = await stored('capped@example.com');
    expect(await answer('capped@example.com', TEST_PASSWORD)).toEqual({ status: 429, retryAfter: '900' });
    expect(last()).toMatchObject({ outcome: 'account_capped', userId: 'user-capped' });
    expect(await stored('capped@example.com')).toEqual(before);
    // A locked identifier of a capped account says the cap's time, not its own shorter lock.
    expect(await answer('capped', TEST_PASSWORD)).toEqual({ status: 429, retryAfter: '900' });
    expect(last()).toMatchObject({ outcome: 'throttled', retryAfterSeconds: 900 });
  });

  it('answers the cap to the failure that passes it, when failures on both identifiers race', async () => {
    const { answer } = await setUp();
    expect(await answer('lapsed', 'wrong-1')).toMatchObject({ status: 401 });
    // Each claim saw the account under its cap; their counts decide: three more make four.
    const raced = await Promise.all([
      answer('lapsed', 'wrong-2'),
      answer('lapsed@example.com', 'wrong-3'),
      answer('lapsed@example.com', 'wrong-4'),
    ]);
    // Each is a wrong password's 401 or the cap's 429, and the account's fourth failure is past
    // its cap: at least one 429 (each identifier keeps its own copy of the account's count, so
    // two racing claims may both see it passed).
    const seen = raced.map((answered) => JSON.stringify(answered));
    for (const answered of seen) {
      expect([JSON.stringify({ status: 401 }), JSON.stringify({ status: 429, retryAfter: '900' })]).toContain(answered);
    }
    expect(seen).toContain(JSON.stringify({ status: 429, retryAfter: '900' }));
  });

  it('logs the failure that passed the cap as the cap, naming the user', async () => {
    const { answer, logged } = await setUp();
    expect(await answer('passing', 'wrong-1')).toMatchObject({ status: 401 });
    // Racing claims all see the account under its cap: the cap answers only from their counts.
    const raced = await Promise.all([
      answer('passing', 'wrong-2'),
      answer('passing@example.com', 'wrong-3'),
      answer('passing@example.com', 'wrong-4'),
    ]);
    const capped = logged().filter((line) => line.outcome === 'account_capped');
    expect(capped.length).toBe(raced.filter((answered) => 'status' in answered && answered.status === 429).length);
    expect(capped.length).toBeGreaterThan(0);
    for (const line of capped) expect(line).toMatchObject({ userId: 'user-passing' });
  });

  it('starts the account cap over on a trusted device’s success, on both identifiers', async () => {
    const { attempt, answer, accountFailures } = await setUp();
    const { deviceToken } = await attempt('resets', TEST_PASSWORD);
    expect(await answer('resets', 'wrong-1')).toMatchObject({ status: 401 });
    expect(await answer('resets@example.com', 'wrong-2')).toMatchObject({ status: 401 });
    expect(await accountFailures('resets')).toEqual([2, 2]);
    await attempt('resets', TEST_PASSWORD, deviceToken);
    expect(await accountFailures('resets')).toEqual([0, 0]);
  });

  it('judges a device token presented with an unknown identifier as untrusted: a plain 401', async () => {
    const { attempt, answer, last } = await setUp();
    const { deviceToken } = await attempt('shared', TEST_PASSWORD);
    expect(await answer('no-such-user', TEST_PASSWORD, deviceToken)).toEqual({ status: 401, retryAfter: undefined });
    expect(last()).toMatchObject({ outcome: 'unknown_identifier' });
  });

  it('refuses a disabled user even from the device it trusted, and says why only in the log', async () => {
    const { attempt, answer, last } = await setUp();
    const { deviceToken } = await attempt('retired', TEST_PASSWORD);
    await table.put({
      ...(await table.createUser('retired', { id: 'user-retired' })),
      disabledAt: '2026-01-01T00:00:00Z',
    });
    expect(await answer('retired', TEST_PASSWORD, deviceToken)).toEqual({ status: 401, retryAfter: undefined });
    expect(last()).toMatchObject({ outcome: 'disabled_user', userId: 'user-retired' });
  });

  it('counts an unknown identifier towards its own cap, without a user to name', async () => {
    const { answer, last } = await setUp();
    for (const password of ['a', 'b']) expect(await answer('nobody-here', password)).toMatchObject({ status: 401 });
    expect(last()).toMatchObject({ outcome: 'unknown_identifier' });
    expect(await answer('nobody-here@example.com', 'c')).toMatchObject({ status: 401 });
    expect(last()).not.toHaveProperty('userId');
  });

  it('refuses a disabled user’s right password as any wrong one, and says why only in the log', async () => {
    const { answer, last } = await setUp();
    expect(await answer('gone', TEST_PASSWORD)).toEqual({ status: 401, retryAfter: undefined });
    expect(last()).toMatchObject({ outcome: 'disabled_user', userId: 'user-gone' });
    expect(await answer('gone', 'wrong')).toEqual({ status: 401, retryAfter: undefined });
    expect(last()).toMatchObject({ outcome: 'bad_password', userId: 'user-gone' });
  });

  it('does not trust another account’s device token', async () => {
    const { attempt, answer, last } = await setUp();
    const { deviceToken } = await attempt('shared', TEST_PASSWORD);
    expect(await answer('off', 'wrong', deviceToken)).toMatchObject({ status: 401 });
    expect(last()).toMatchObject({ outcome: 'bad_password', userId: 'user-off' });
    expect(last()).not.toHaveProperty('trusted');
    await attempt('off', TEST_PASSWORD, deviceToken);
    expect(last()).toMatchObject({ outcome: 'success', userId: 'user-off', trusted: false });
  });
});
