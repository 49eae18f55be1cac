import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSessionAccess } from '#lib/sessions/access.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { endedByUser } from '#lib/sessions/session.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest, sidOf } from '#test/support/session-requests.ts';
import { startTestSession, testSessionStarter } from '#test/support/sessions.ts';

describe('endedByUser', () => {
  const at = { createdAt: 1_000 };

  it('ends a session exactly when its epoch is not the user’s', () => {
    expect(endedByUser({ ...at, epoch: 3 }, { sessionEpoch: 3 })).toBe(false);
    expect(endedByUser({ ...at, epoch: 2 }, { sessionEpoch: 3 })).toBe(true);
    // Only by epoch: the clock rule no longer applies to a session that has one.
    expect(endedByUser({ ...at, epoch: 0 }, { sessionEpoch: 0, sessionsValidAfter: 5_000 })).toBe(false);
  });

  it('treats a session from before epochs as epoch 0, still under the clock rule of its time', () => {
    expect(endedByUser(at, { sessionEpoch: 0 })).toBe(false);
    expect(endedByUser(at, { sessionEpoch: 1 })).toBe(true);
    expect(endedByUser(at, { sessionEpoch: 0, sessionsValidAfter: 1_000 })).toBe(true);
    expect(endedByUser(at, { sessionEpoch: 0, sessionsValidAfter: 999 })).toBe(false);
  });
});

describe('the session epoch, against DynamoDB Local', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;
  const PASSWORD = 'secret123';

  const login = async (user: string) => {
    const response = await invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: user, password: PASSWORD }), { 'Content-Type': 'application/json' }),
    );
    return { status: response.statusCode, data: JSON.parse(response.body).data };
  };
  const me = async (token: string) =>
    (await sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token })).statusCode;
  const user = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id } }))).Item;
  const session = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id } }))).Item;

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['ann', 'bob', 'cat', 'dan']) {
      await tables.createUser(id, { id, password: PASSWORD });
    }
  });

  // Built for each test: Stryker counts code run in beforeAll as no test's.
  beforeEach(() => {
    handlers = createSessionHandlers(tables.env);
  });
  afterAll(() => tables.drop());

  it('copies the user’s epoch (absent: 0) into each session, and logout everywhere adds one with one write', async () => {
    const first = await login('ann');
    expect(await user('ann')).not.toHaveProperty('sessionEpoch');
    expect(await session(sidOf(first.data.token))).toMatchObject({ epoch: 0 });

    const logoutAll = () =>
      sessionRequest(handlers.sessions, { path: '/api/auth/logout-all', token: first.data.token });
    expect((await logoutAll()).statusCode).toBe(200);
    expect(await user('ann')).toMatchObject({ sessionEpoch: 1 });
    expect(await user('ann')).not.toHaveProperty('sessionsValidAfter');
    expect(await me(first.data.token)).toBe(401);

    const second = await login('ann');
    expect(await session(sidOf(second.data.token))).toMatchObject({ epoch: 1 });
    expect(await me(second.data.token)).toBe(200);
  });

  it('counts two logouts everywhere at once as two (an atomic add, no read)', async () => {
    const users = createDynamoDbUserStore(tables.client, tables.usersTableName);
    await Promise.all([users.endAllSessions('bob'), users.endAllSessions('bob')]);
    expect(await user('bob')).toMatchObject({ sessionEpoch: 2 });
    await users.endAllSessions('nobody');
    expect(await user('nobody')).toBeUndefined();
  });

  it('starts no session from a user item that moved on since it was read, and writes nothing', async () => {
    const read = await user('cat');
    const start = testSessionStarter(tables);
    await createDynamoDbUserStore(tables.client, tables.usersTableName).endAllSessions('cat');
    const stale = { id: 'cat', passwordHash: read?.passwordHash as string, sessionEpoch: 0, globalEpoch: 0 };
    expect(await start(stale, 'test')).toEqual({ started: false, reason: 'user_changed' });
    expect(
      await start({ ...stale, passwordHash: `${stale.passwordHash.slice(0, -1)}x`, sessionEpoch: 1 }, 'test'),
    ).toEqual({
      started: false,
      reason: 'user_changed',
    });
    const listed = await createDynamoDbSessionStore(
      tables.client,
      tables.sessionsTableName,
      tables.usersTableName,
    ).listByUser('cat', 10, () => true);
    expect(listed).toEqual([]);
  });

  it('lets a login that met a logout everywhere (same hash, a new epoch) start in the new epoch', async () => {
    const users = createDynamoDbUserStore(tables.client, tables.usersTableName);
    const start = testSessionStarter(tables);
    const stale = await user('dan');
    await users.endAllSessions('dan');
    // What the login does when its start is refused: read again, consistently, and go on if the hash is the same.
    expect(
      (await start({ id: 'dan', passwordHash: stale?.passwordHash as string, sessionEpoch: 0, globalEpoch: 0 }, 't'))
        .started,
    ).toBe(false);
    const { status, data } = await login('dan');
    expect(status).toBe(200);
    expect(await me(data.token)).toBe(200);
  });

  it('hides sessions of an earlier epoch from the list, and will not end them again', async () => {
    const old = await startTestSession(tables, 'ann');
    await createDynamoDbUserStore(tables.client, tables.usersTableName).endAllSessions('ann');
    const current = await login('ann');
    const listed = await sessionRequest(handlers.sessions, {
      method: 'GET',
      path: '/api/auth/sessions',
      token: current.data.token,
    });
    expect(JSON.parse(listed.body).data.sessions.map((s: { id: string }) => s.id)).toEqual([sidOf(current.data.token)]);
    const remove = await sessionRequest(handlers.sessions, {
      method: 'DELETE',
      path: `/api/auth/sessions/${old.sessionId}`,
      resource: '/api/auth/sessions/{id}',
      pathParameters: { id: old.sessionId },
      token: current.data.token,
    });
    expect(remove.statusCode).toBe(404);
  });

  it('keeps honouring sessionsValidAfter for sessions from before epochs, and only for them', async () => {
    const now = Date.now();
    const legacy = (id: string, createdAt: number) => ({
      id,
      userId: 'legacy',
      salt: 's'.repeat(43),
      generation: 0,
      rotatedAt: createdAt,
      createdAt,
      lastUsedAt: createdAt,
      absoluteExpiresAt: now + 86_400_000,
    });
    await tables.createUser('legacy', { id: 'legacy', password: PASSWORD });
    await tables.client.send(
      new UpdateCommand({
        TableName: tables.usersTableName,
        Key: { id: 'legacy' },
        UpdateExpression: 'SET sessionsValidAfter = :at',
        ExpressionAttributeValues: { ':at': now - 1000 },
      }),
    );
    for (const item of [legacy('legacy-before', now - 2000), legacy('legacy-after', now - 500)]) {
      await tables.client.send(new PutCommand({ TableName: tables.sessionsTableName, Item: item }));
    }
    const access = createSessionAccess({
      sessions: createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName),
      control: createDynamoDbSessionControl(tables.client, tables.sessionsTableName),
      readUser: createDynamoDbUserStore(tables.client, tables.usersTableName).findSessionStateById,
      policy: DEFAULTS.sessions,
    });
    expect(await access({ sub: 'legacy', sid: 'legacy-before' })).toBeUndefined();
    expect(await access({ sub: 'legacy', sid: 'legacy-after' })).toMatchObject({ id: 'legacy' });
    await createDynamoDbUserStore(tables.client, tables.usersTableName).endAllSessions('legacy');
    expect(await access({ sub: 'legacy', sid: 'legacy-after' })).toBeUndefined();
  });
});
