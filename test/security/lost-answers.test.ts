import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SESSIONS_TABLE } from '#lib/sessions/table.ts';
import { startDroppingProxy } from '#test/support/dropping-proxy.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest } from '#test/support/session-requests.ts';

const OLD = 'my old and trusty passphrase';
const NEW = 'a fresh passphrase for the new year';

/**
 * A session start (and a password change, which is one with it) is one transaction. When
 * DynamoDB applies it but its answer is lost on the way back, the SDK sends it again: that retry
 * must meet the first write's result, not its own conditions (the session exists already, the
 * hash changed already), so the client gets its 200 and there is exactly one new session.
 */
describe('a session write whose answer is lost', () => {
  let tables: TestTables;
  let proxy: Awaited<ReturnType<typeof startDroppingProxy>>;

  const handlersBehind = async () => {
    proxy = await startDroppingProxy(tables.endpoint, 'TransactWriteItems');
    return createSessionHandlers({ ...tables.env, DYNAMODB_ENDPOINT: proxy.endpoint });
  };
  const login = (handlers: ReturnType<typeof createSessionHandlers>, user: string, password: string) =>
    invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: user, password }), { 'Content-Type': 'application/json' }),
    );
  const sessionsOf = async (userId: string) =>
    (
      await tables.client.send(
        new QueryCommand({
          TableName: tables.sessionsTableName,
          IndexName: SESSIONS_TABLE.indexes.user.indexName,
          KeyConditionExpression: 'userId = :user',
          ExpressionAttributeValues: { ':user': userId },
        }),
      )
    ).Items ?? [];

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['ann', 'bob']) await tables.createUser(id, { id, password: OLD });
  });
  afterEach(() => proxy.close());
  afterAll(() => tables.drop());

  it('signs in once: the retried start meets the session it wrote', async () => {
    const handlers = await handlersBehind();
    const response = await login(handlers, 'ann', OLD);
    expect(proxy.dropped()).toBe(1);
    expect(proxy.seen().filter((operation) => operation === 'TransactWriteItems')).toHaveLength(2);
    expect(response.statusCode).toBe(200);
    const { token } = JSON.parse(response.body).data;
    expect((await sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token })).statusCode).toBe(200);
    expect(await sessionsOf('ann')).toHaveLength(1);
  });

  it('changes the password once: the retried change meets the hash it wrote', async () => {
    const handlers = createSessionHandlers(tables.env);
    const { token } = JSON.parse((await login(handlers, 'bob', OLD)).body).data;
    const behind = await handlersBehind();
    const response = await sessionRequest(behind.password, {
      path: '/api/auth/password',
      token,
      body: { currentPassword: OLD, newPassword: NEW },
    });
    expect(proxy.dropped()).toBe(1);
    expect(response.statusCode).toBe(200);
    expect((await login(handlers, 'bob', NEW)).statusCode).toBe(200);
  });
});
