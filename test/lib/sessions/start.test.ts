import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { MAX_USER_AGENT_LENGTH, type SessionItem, sessionExpiresAt } from '#lib/sessions/session.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createTestTables, TEST_REFRESH_KEY, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';

const POLICY = { ...DEFAULTS.sessions, maxPerUser: 2 };

describe('starting a session, against DynamoDB Local', () => {
  let tables: TestTables;
  const time = manualClock();

  const starter = (onCapped?: (details: { sessionId: string; userId: string }) => void) =>
    createSessionStarter({
      sessions: createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName),
      refreshTokens: createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY })),
      policy: POLICY,
      clock: time.clock,
      ...(onCapped && { onCapped }),
    });
  const checked = async (id: string) => {
    const { Item } = await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id } }));
    return { id, passwordHash: String(Item?.passwordHash), sessionEpoch: 0, globalEpoch: 0 };
  };
  const stored = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id } }))).Item as
      | (SessionItem & { expiresAt: number; endedAt?: number })
      | undefined;
  const start = async (userId: string, userAgent?: string, clientId?: string) => {
    const started = await starter()(await checked(userId), userAgent, { clientId });
    if (!started.started) throw new Error(`not started: ${started.reason}`);
    time.advance(1);
    return started.sessionId;
  };

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['agent', 'capped', 'ended']) await tables.createUser(id, { id });
  });

  afterAll(() => tables.drop());

  it('keeps the user agent (cut short) and the client with the session, and leaves them out when absent', async () => {
    const long = `Mozilla/5.0 ${'x'.repeat(MAX_USER_AGENT_LENGTH)}`;
    const item = await stored(await start('agent', long, 'tv-app'));
    expect(item).toMatchObject({
      userAgent: long.slice(0, MAX_USER_AGENT_LENGTH),
      clientId: 'tv-app',
      startedBy: 'password',
    });
    const bare = await stored(await start('agent'));
    expect(bare).not.toHaveProperty('userAgent');
    expect(bare).not.toHaveProperty('clientId');
    // DynamoDB may tidy the item away once the session can no longer be used.
    expect(bare?.expiresAt).toBe(Math.ceil(sessionExpiresAt(bare as SessionItem, POLICY) / 1000));
  });

  it('ends the oldest live sessions past the cap, and says which', async () => {
    const capped: { sessionId: string; userId: string }[] = [];
    const first = await start('capped');
    const second = await start('capped');
    const third = await starter((details) => capped.push(details))(await checked('capped'), undefined);
    expect(third.started).toBe(true);
    expect(capped).toEqual([{ sessionId: first, userId: 'capped' }]);
    expect((await stored(first))?.endedAt).toBeDefined();
    expect((await stored(second))?.endedAt).toBeUndefined();
    // Without anyone to tell, the cap still ends the oldest.
    await start('capped');
    expect((await stored(second))?.endedAt).toBeDefined();
  });

  it('counts only live sessions towards the cap', async () => {
    const older = await start('ended');
    const logged = await start('ended');
    await createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName).end(
      logged,
      time.clock().getTime(),
    );
    await start('ended');
    // One live session besides the new one: under the cap of two, so nothing more ends.
    expect((await stored(older))?.endedAt).toBeUndefined();
  });
});
