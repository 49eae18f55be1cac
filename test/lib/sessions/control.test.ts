import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { INVALID_REFRESH_TOKEN_MESSAGE, SERVICE_UNAVAILABLE_MESSAGE, ServiceUnavailableError } from '#lib/errors.ts';
import { createDynamoDbSessionControl, endEverySession } from '#lib/sessions/control.ts';
import { endedEverywhere } from '#lib/sessions/session.ts';
import { SESSIONS_TABLE } from '#lib/sessions/table.ts';
import { createTestTables, TEST_PASSWORD, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { deleteSessionRequest, sessionRequest, sidOf } from '#test/support/session-requests.ts';

const INVALID_REFRESH = { ok: false, error: INVALID_REFRESH_TOKEN_MESSAGE, code: 'invalid_refresh_token' };
const UNAVAILABLE = { ok: false, error: SERVICE_UNAVAILABLE_MESSAGE, code: 'service_unavailable' };
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const CONTROL_KEY = { [SESSIONS_TABLE.partitionKey]: SESSIONS_TABLE.controlKey };

type Grant = { token: string; refreshToken: string; deviceToken: string };

/**
 * Each DynamoDB call a request makes, with the number of calls that had completed when it was
 * sent: calls sent with the same number went out in the same round, side by side. Structure, not
 * time: a read added in series shows up as a later round, however fast DynamoDB Local answers.
 */
const watchRounds = () => {
  const original = DynamoDBDocumentClient.prototype.send;
  let completed = 0;
  const calls: { call: string; round: number }[] = [];
  const spy = vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (
    this: DynamoDBDocumentClient,
    ...args: Parameters<typeof original>
  ) {
    const [command] = args;
    const { Key, TableName } = command.input as { Key?: Record<string, unknown>; TableName?: string };
    const control = Key?.[SESSIONS_TABLE.partitionKey] === SESSIONS_TABLE.controlKey;
    calls.push({ call: `${command.constructor.name}${control ? ' control' : ` ${TableName}`}`, round: completed });
    return (original.apply(this, args) as unknown as Promise<unknown>).finally(() => {
      completed += 1;
    }) as unknown as ReturnType<typeof original>;
  });
  return {
    calls,
    /**
     * How often the control item was read, the round of the first read, and whether every read
     * went out beside another call of its request (in the same round: no round trip of its own).
     */
    control: () => {
      const reads = calls.filter(({ call }) => call === 'GetCommand control');
      const beside = reads.every(
        (read) => calls.filter(({ call, round }) => round === read.round && call !== read.call).length > 0,
      );
      return { reads: reads.length, firstRound: reads[0]?.round, beside };
    },
    reset: () => {
      calls.length = 0;
      completed = 0;
    },
    restore: () => spy.mockRestore(),
  };
};

describe('ending every session of every user (the global session epoch), against DynamoDB Local', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;

  const login = async (user: string, deviceToken?: string) => {
    const response = await invoke(
      handlers.login,
      jsonLoginEvent({ emailOrUsername: user, password: TEST_PASSWORD, ...(deviceToken && { deviceToken }) }),
    );
    return { status: response.statusCode, data: JSON.parse(response.body).data as Grant };
  };
  const refresh = (refreshToken: string) =>
    sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } });
  const tokenEndpoint = (refreshToken: string) =>
    sessionRequest(handlers.refresh, {
      path: '/api/auth/token',
      headers: FORM,
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: 'movie-knight-app',
      }).toString(),
    });
  const me = (token: string) => sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token });
  const list = (token: string) =>
    sessionRequest(handlers.sessions, { method: 'GET', path: '/api/auth/sessions', token });
  const removeSession = (token: string, id: string) => deleteSessionRequest(handlers.sessions, token, id);
  const logoutAll = (token: string) => sessionRequest(handlers.sessions, { path: '/api/auth/logout-all', token });
  const changePassword = (token: string) =>
    sessionRequest(handlers.password, {
      path: '/api/auth/password',
      token,
      body: { currentPassword: TEST_PASSWORD, newPassword: 'a brand new passphrase for the test' },
    });
  const stored = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id } }))).Item;
  const endAll = () => endEverySession(tables.client, tables.sessionsTableName);
  const bodyOf = (response: { body: string }) => JSON.parse(response.body);

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay']) await tables.createUser(id, { id });
  });

  // Built for each test: Stryker counts code run in beforeAll as no test's.
  beforeEach(() => {
    handlers = createSessionHandlers(tables.env);
  });
  afterAll(() => tables.drop());
  afterEach(() => vi.restoreAllMocks());

  it('reads 0 while the control item was never written; each switch adds one with one atomic write', async () => {
    const control = createDynamoDbSessionControl(tables.client, tables.sessionsTableName);
    const other = await createTestTables();
    try {
      const fresh = createDynamoDbSessionControl(other.client, other.sessionsTableName);
      expect(await fresh.globalEpoch()).toBe(0);
      // Two operators at once: both count, nothing is read first.
      const both = await Promise.all([
        endEverySession(other.client, other.sessionsTableName),
        endEverySession(other.client, other.sessionsTableName),
      ]);
      expect(both.map(({ globalEpoch }) => globalEpoch).sort()).toEqual([1, 2]);
      expect(await fresh.globalEpoch()).toBe(2);
      const { Item } = await other.client.send(
        new GetCommand({ TableName: other.sessionsTableName, Key: CONTROL_KEY }),
      );
      // The item is in no index (no userId) and is never tidied away (no TTL).
      expect(Item).not.toHaveProperty('userId');
      expect(Item).not.toHaveProperty(SESSIONS_TABLE.timeToLiveAttribute);
    } finally {
      await other.drop();
    }
    expect(await control.globalEpoch()).toBe(0);
    expect(endedEverywhere({}, 0)).toBe(false);
    expect(endedEverywhere({}, 1)).toBe(true);
    expect(endedEverywhere({ globalEpoch: 1 }, 1)).toBe(false);
  });

  it('ends a live session at once: refresh, the token endpoint, /me, the session routes and the password change refuse it', async () => {
    const first = await login('ann');
    expect(first.status).toBe(200);
    const refreshed = await refresh(first.data.refreshToken);
    expect(refreshed.statusCode).toBe(200);
    const current = bodyOf(refreshed).data as Grant;
    const second = (await login('ann')).data;
    expect((await me(current.token)).statusCode).toBe(200);
    expect((await list(current.token)).statusCode).toBe(200);
    expect(await stored(sidOf(first.data.token))).toMatchObject({ globalEpoch: 0 });

    expect((await endAll()).globalEpoch).toBe(1);

    const refused = await refresh(current.refreshToken);
    expect(refused.statusCode).toBe(401);
    expect(bodyOf(refused)).toEqual(INVALID_REFRESH);
    const grant = await tokenEndpoint(second.refreshToken);
    expect(grant.statusCode).toBe(400);
    expect(bodyOf(grant)).toMatchObject({ error: 'invalid_grant' });
    for (const response of [
      await me(current.token),
      await list(current.token),
      await removeSession(current.token, sidOf(second.token)),
      await logoutAll(current.token),
      await changePassword(second.token),
    ]) {
      expect(response.statusCode).toBe(401);
      expect(bodyOf(response)).toMatchObject({ ok: false, code: 'invalid_token' });
    }
    // Nothing was written to the sessions themselves: the switch alone decides.
    expect(await stored(sidOf(second.token))).not.toHaveProperty('endedAt');
  });

  it('lets a new login afterwards live: it records the new epoch, refreshes, and lists only itself', async () => {
    const before = (await login('bob')).data;
    const { globalEpoch } = await endAll();
    const after = await login('bob');
    expect(after.status).toBe(200);
    expect(await stored(sidOf(after.data.token))).toMatchObject({ globalEpoch });
    expect((await me(after.data.token)).statusCode).toBe(200);
    const listed = bodyOf(await list(after.data.token)).data.sessions.map((s: { id: string }) => s.id);
    expect(listed).toEqual([sidOf(after.data.token)]);
    // The list hides the earlier session, and ending it by id answers as for any session that is over.
    expect((await removeSession(after.data.token, sidOf(before.token))).statusCode).toBe(404);
    expect((await refresh(after.data.refreshToken)).statusCode).toBe(200);
    expect((await refresh(before.refreshToken)).statusCode).toBe(401);
  });

  it('counts a session from before the switch existed (no globalEpoch) as epoch 0', async () => {
    const other = await createTestTables();
    try {
      await other.createUser('old', { id: 'old' });
      const own = createSessionHandlers(other.env);
      const response = await invoke(own.login, jsonLoginEvent({ emailOrUsername: 'old', password: TEST_PASSWORD }));
      const { token, refreshToken } = JSON.parse(response.body).data as Grant;
      await other.client.send(
        new UpdateCommand({
          TableName: other.sessionsTableName,
          Key: { id: sidOf(token) },
          UpdateExpression: 'REMOVE globalEpoch',
        }),
      );
      expect((await sessionRequest(own.me, { method: 'GET', path: '/api/auth/me', token })).statusCode).toBe(200);
      await endEverySession(other.client, other.sessionsTableName);
      expect((await sessionRequest(own.me, { method: 'GET', path: '/api/auth/me', token })).statusCode).toBe(401);
      expect(
        (await sessionRequest(own.refresh, { path: '/api/auth/refresh', body: { refreshToken } })).statusCode,
      ).toBe(401);
    } finally {
      await other.drop();
    }
  });

  it('ends trusted-device standing too: a device token from before no longer lets its owner past a lock', async () => {
    const lock = async () => {
      for (let i = 0; i < 5; i += 1) {
        const guess = await invoke(handlers.login, jsonLoginEvent({ emailOrUsername: 'cat', password: `wrong-${i}` }));
        expect(guess.statusCode).toBe(401);
      }
    };
    const device = (await login('cat')).data.deviceToken;
    await lock();
    expect((await login('cat')).status).toBe(429);
    // Trusted: judged on the device's own budget, past the identifier's lock.
    const trusted = await login('cat', device);
    expect(trusted.status).toBe(200);

    await endAll();
    expect((await login('cat', trusted.data.deviceToken)).status).toBe(429);
  });

  it('fails closed: an unreadable or unusable control item is a 503 for every check, never a pass', async () => {
    const { data } = await login('dan');
    const control = createDynamoDbSessionControl(tables.client, tables.sessionsTableName);
    const epoch = await control.globalEpoch();
    // DynamoDB Local cannot throttle one item: the SDK is made to, for the control read only.
    const original = DynamoDBDocumentClient.prototype.send;
    vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (
      this: DynamoDBDocumentClient,
      ...args: Parameters<typeof original>
    ) {
      const { Key } = args[0].input as { Key?: Record<string, unknown> };
      if (Key?.[SESSIONS_TABLE.partitionKey] === SESSIONS_TABLE.controlKey) {
        return Promise.reject(
          Object.assign(new Error('Throughput exceeds the current capacity'), {
            name: 'ThrottlingException',
            $metadata: { httpStatusCode: 400 },
          }),
        ) as unknown as ReturnType<typeof original>;
      }
      return original.apply(this, args) as ReturnType<typeof original>;
    });
    const throttled = [
      await me(data.token),
      await refresh(data.refreshToken),
      await list(data.token),
      await invoke(handlers.login, jsonLoginEvent({ emailOrUsername: 'dan', password: TEST_PASSWORD })),
    ];
    vi.restoreAllMocks();
    for (const response of throttled) {
      expect(response.statusCode).toBe(503);
      expect(bodyOf(response)).toEqual(UNAVAILABLE);
    }

    // An item someone wrote by hand, not a number: no session can be judged against it.
    await tables.client.send(
      new PutCommand({ TableName: tables.sessionsTableName, Item: { ...CONTROL_KEY, epoch: 'oops' } }),
    );
    try {
      await expect(control.globalEpoch()).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect((await me(data.token)).statusCode).toBe(503);
      expect((await refresh(data.refreshToken)).statusCode).toBe(503);
    } finally {
      await tables.client.send(
        new PutCommand({ TableName: tables.sessionsTableName, Item: { ...CONTROL_KEY, epoch } }),
      );
    }
    // The session was never ended: once the item reads again, it lives.
    expect((await me(data.token)).statusCode).toBe(200);
  });

  it('reads the control item once per check, in the first round, beside the reads each check makes anyway', async () => {
    const { data } = await login('eve');
    const other = (await login('eve')).data;
    const rounds = watchRounds();
    try {
      const cases = {
        refresh: () => refresh(data.refreshToken),
        '/api/auth/me': () => me(data.token),
        'the session list': () => list(data.token),
        'ending a session by id': () => removeSession(data.token, sidOf(other.token)),
        login: () => invoke(handlers.login, jsonLoginEvent({ emailOrUsername: 'fay', password: TEST_PASSWORD })),
      };
      const seen: Record<string, unknown> = {};
      for (const [name, run] of Object.entries(cases)) {
        rounds.reset();
        const response = await run();
        expect({ name, status: response.statusCode }).toEqual({ name, status: 200 });
        seen[name] = rounds.control();
      }
      // The session routes read it twice: the bearer check's, and the route's own (the list, the
      // end's condition), each beside the user's session state in its step.
      const once = { reads: 1, firstRound: 0, beside: true };
      expect(seen).toEqual({
        refresh: once,
        '/api/auth/me': once,
        'the session list': { ...once, reads: 2 },
        'ending a session by id': { ...once, reads: 2 },
        login: once,
      });
    } finally {
      rounds.restore();
    }
  });
});

describe('the global session epoch as stored', () => {
  let tables: TestTables;
  const write = (epoch: unknown) =>
    tables.client.send(
      new PutCommand({
        TableName: tables.sessionsTableName,
        Item: { [SESSIONS_TABLE.partitionKey]: SESSIONS_TABLE.controlKey, [SESSIONS_TABLE.controlAttribute]: epoch },
      }),
    );
  const read = () => createDynamoDbSessionControl(tables.client, tables.sessionsTableName).globalEpoch();

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(() => tables.drop());

  it('reads 0 written by hand, and counts on from it', async () => {
    await write(0);
    expect(await read()).toBe(0);
    expect(await endEverySession(tables.client, tables.sessionsTableName)).toEqual({ globalEpoch: 1, previous: 0 });
    expect(await read()).toBe(1);
  });

  it.each([
    ['a negative number', -2],
    ['a fraction', 1.5],
    ['text', '3'],
  ])('refuses %s as an epoch: a 503 that says why, never a pass', async (_, epoch) => {
    await write(epoch);
    const error = await read().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).cause).toMatchObject({ message: 'The session control item is unusable' });
  });

  it('refuses to report an end of every session that left an unusable epoch', async () => {
    await write(-3);
    await expect(endEverySession(tables.client, tables.sessionsTableName)).rejects.toThrow(
      'The session control item is unusable',
    );
  });
});
