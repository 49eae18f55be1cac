import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HTTP_PATHS } from '#lib/http/routes.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { PROFILE_ATTRIBUTES, SESSION_STATE_ATTRIBUTES } from '#lib/users/table.ts';
import { parseUserItem, toSafeUser } from '#lib/users/user.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest } from '#test/support/session-requests.ts';

/**
 * The other half of the attribute-level grants (test/infra/auth-stack.test.ts proves the policy):
 * DynamoDB Local does not enforce IAM, so this proves that what the public-facing verifiers send
 * asks for no attribute their role may not read, and that the projected reads still work.
 */
describe('user reads of /me, refresh and the session routes, to the attribute, against DynamoDB Local', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;
  let stored: Record<string, unknown>;

  /**
   * Every read of the users table while `run` runs (each must be a GetItem): the attribute names it
   * asked for. Writes (logout everywhere's epoch) are other grants', tested with them.
   */
  const userReadsOf = async (run: () => Promise<unknown>) => {
    const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
    try {
      await run();
      return send.mock.calls
        .map(([command]) => command)
        .filter((command) => (command.input as { TableName?: string }).TableName === tables.usersTableName)
        .filter((command) => !(command instanceof UpdateCommand))
        .map((command) => {
          expect(command).toBeInstanceOf(GetCommand);
          const input = (command as GetCommand).input;
          expect(input.ConsistentRead).toBe(true);
          // No projection means the whole item: never, here.
          expect(input.ProjectionExpression).toEqual(expect.any(String));
          const names = input.ExpressionAttributeNames ?? {};
          return (input.ProjectionExpression ?? '').split(',').map((part) => names[part.trim()] ?? part.trim());
        });
    } finally {
      send.mockRestore();
    }
  };

  const login = async () => {
    const response = await invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: 'reader', password: 'secret123' }), {
        'Content-Type': 'application/json',
      }),
    );
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).data as { token: string; refreshToken: string };
  };

  beforeAll(async () => {
    tables = await createTestTables();
    stored = await tables.createUser('reader', { id: 'reader' });
    // An attribute another service wrote, which no verifier needs.
    await tables.put({ ...stored, sessionEpoch: 2, internalNote: 'not for the verifiers' });
    handlers = createSessionHandlers(tables.env);
  });

  afterAll(() => tables.drop());

  it('reads the profile for /api/auth/me and answers the same safe user as before', async () => {
    const { token } = await login();
    let body: unknown;
    const reads = await userReadsOf(async () => {
      const response = await sessionRequest(handlers.me, { method: 'GET', path: HTTP_PATHS.me, token });
      expect(response.statusCode).toBe(200);
      body = JSON.parse(response.body);
    });
    expect(reads).toEqual([[...PROFILE_ATTRIBUTES]]);
    const full = parseUserItem({ ...stored, sessionEpoch: 2 });
    expect(body).toEqual({ ok: true, data: { user: toSafeUser(full!) } });
  });

  it('reads the profile for a refresh, which still rotates and answers the safe user', async () => {
    const { refreshToken } = await login();
    const reads = await userReadsOf(async () => {
      const response = await sessionRequest(handlers.refresh, { path: HTTP_PATHS.refresh, body: { refreshToken } });
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body).data.user).toMatchObject({ id: 'reader', username: 'reader' });
    });
    expect(reads).toEqual([[...PROFILE_ATTRIBUTES]]);
  });

  it('reads the session state alone for the session routes, which still judge epochs', async () => {
    const { token } = await login();
    const reads = await userReadsOf(async () => {
      const list = await sessionRequest(handlers.sessions, { method: 'GET', path: HTTP_PATHS.sessions, token });
      expect(list.statusCode).toBe(200);
      expect(JSON.parse(list.body).data.sessions.length).toBeGreaterThan(0);
      const all = await sessionRequest(handlers.sessions, { path: HTTP_PATHS.logoutAll, token });
      expect(all.statusCode).toBe(200);
      // The epoch moved on: the caller's session is over for the session routes.
      const after = await sessionRequest(handlers.sessions, { method: 'GET', path: HTTP_PATHS.sessions, token });
      expect(after.statusCode).toBe(401);
    });
    expect(reads.length).toBeGreaterThanOrEqual(3);
    for (const read of reads) expect(read).toEqual([...SESSION_STATE_ATTRIBUTES]);
  });

  it('gets no password hash, and no attribute beyond the list, from the projected reads', async () => {
    const users = createDynamoDbUserStore(tables.client, tables.usersTableName);
    const profile = await users.findProfileById('reader');
    expect(profile).toMatchObject({ id: 'reader', email: 'reader@example.com', sessionEpoch: 3 });
    expect(Object.keys(profile ?? {}).every((name) => (PROFILE_ATTRIBUTES as readonly string[]).includes(name))).toBe(
      true,
    );
    expect(profile).not.toHaveProperty('passwordHash');
    expect(profile).not.toHaveProperty('internalNote');
    expect(await users.findSessionStateById('reader')).toStrictEqual({ id: 'reader', sessionEpoch: 3 });
    expect(await users.findProfileById('nobody')).toBeUndefined();
    expect(await users.findSessionStateById('nobody')).toBeUndefined();
  });
});
