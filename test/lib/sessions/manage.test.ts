import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { SessionNotFoundError } from '#lib/errors.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createSessionManagement } from '#lib/sessions/manage.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { createSessionTelemetry } from '#lib/sessions/telemetry.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { createTestTables, TEST_REFRESH_KEY, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';

const POLICY = { ...DEFAULTS.sessions, maxPerUser: 2 };

describe('managing sessions (the list, a logout by id, a logout everywhere), against DynamoDB Local', () => {
  let tables: TestTables;
  const time = manualClock();
  const logger = recordingLogger();

  const store = () => createDynamoDbSessionStore(tables.client, tables.sessionsTableName, tables.usersTableName);
  const manage = () =>
    createSessionManagement({
      sessions: store(),
      control: createDynamoDbSessionControl(tables.client, tables.sessionsTableName),
      users: createDynamoDbUserStore(tables.client, tables.usersTableName),
      policy: POLICY,
      telemetry: createSessionTelemetry(logger),
      clock: time.clock,
    });
  const start = async (userId: string, startedBy: 'password' | 'passkey' = 'password') => {
    const { Item } = await tables.client.send(
      new GetCommand({ TableName: tables.usersTableName, Key: { id: userId } }),
    );
    const started = await createSessionStarter({
      sessions: store(),
      refreshTokens: createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY })),
      policy: POLICY,
      clock: time.clock,
    })({ id: userId, passwordHash: String(Item?.passwordHash), sessionEpoch: 0, globalEpoch: 0 }, undefined, {
      startedBy,
    });
    if (!started.started) throw new Error(`not started: ${started.reason}`);
    time.advance(1);
    return started.sessionId;
  };

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['lister', 'paged', 'leaver', 'gone']) await tables.createUser(id, { id });
  });

  afterAll(() => tables.drop());

  it('lists each live session with how it started, the caller’s marked', async () => {
    const byPassword = await start('lister');
    const byPasskey = await start('lister', 'passkey');
    const listed = await manage().list('lister', byPasskey);
    expect(listed.map(({ id, startedBy, current }) => ({ id, startedBy, current }))).toEqual([
      { id: byPasskey, startedBy: 'passkey', current: true },
      { id: byPassword, startedBy: 'password', current: false },
    ]);
  });

  it('fills its page with live sessions, passing over the newest ended ones', async () => {
    const live = await start('paged');
    // Two newer sessions, each ended before the next starts (so the cap of two ends none).
    for (let i = 0; i < 2; i += 1) await store().end(await start('paged'), time.clock().getTime());
    expect((await manage().list('paged', live)).map((session) => session.id)).toEqual([live]);
  });

  it('lists nothing for a user who is gone, whatever sessions remain', async () => {
    await start('gone');
    await tables.client.send(new DeleteCommand({ TableName: tables.usersTableName, Key: { id: 'gone' } }));
    expect(await manage().list('gone', 'none')).toEqual([]);
  });

  it('logs each logout, by id and everywhere, with the user and the session', async () => {
    const id = await start('leaver');
    await manage().logoutById('leaver', id);
    expect(logger.lines.at(-1)).toMatchObject({
      level: 'info',
      message: 'Session ended',
      details: { reason: 'logout', sessionId: id, userId: 'leaver', by: 'session_id' },
    });
    await expect(manage().logoutById('leaver', id)).rejects.toBeInstanceOf(SessionNotFoundError);
    await manage().logoutAll('leaver');
    expect(logger.lines.at(-1)).toMatchObject({
      message: 'Session ended',
      details: { reason: 'logout_all', userId: 'leaver' },
    });
  });
});
