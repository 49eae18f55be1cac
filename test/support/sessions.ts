import { createSecretReader } from '#lib/aws/secrets.ts';
import type { Clock } from '#lib/clock.ts';
import { DEFAULTS } from '#lib/config.ts';
import { createRefreshTokens } from '#lib/sessions/refresh-token.ts';
import type { SessionPolicy } from '#lib/sessions/session.ts';
import { createSessionStarter } from '#lib/sessions/start.ts';
import { createDynamoDbSessionStore } from '#lib/sessions/store.ts';
import { TEST_REFRESH_KEY, type TestTables } from './dynamodb.ts';

/** The real session starter on the test tables, with the default policy unless told otherwise. */
export const testSessionStarter = (tables: TestTables, clock?: Clock, policy: SessionPolicy = DEFAULTS.sessions) =>
  createSessionStarter({
    sessions: createDynamoDbSessionStore(tables.client, tables.sessionsTableName),
    refreshTokens: createRefreshTokens(createSecretReader({ value: TEST_REFRESH_KEY })),
    policy,
    ...(clock && { clock }),
  });
