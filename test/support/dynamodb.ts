import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { hashPassword } from '#lib/users/passwords.ts';
import { type NewUser, newUserItem } from '#lib/users/user.ts';
import { SETUP_REQUEST_TIMEOUT_MS } from '#scripts/local/dynamodb-local.ts';
import { ensureTables } from '#scripts/local/tables.ts';
import { testKeyEnvironment } from './keys.ts';

/** The refresh key the tests' handlers use (a local value, as `npm start` makes one). */
export const TEST_REFRESH_KEY = 'test-refresh-key-0123456789abcdefghijklmnop';

/** bcrypt cost for test users: the service's minimum, so timings match production's floor. */
export const TEST_BCRYPT_COST = 10;

/** The password of every user `createUser` makes, unless the test gives another. */
export const TEST_PASSWORD = 'secret123';

/** What a test may say about a user it creates, besides the username. */
export type TestUser = Partial<Omit<NewUser, 'username' | 'passwordHash'>> & { password?: string };

/** The `iss` of tokens the test handlers sign; a URL, as the configuration requires. */
export const TEST_TOKEN_ISSUER = 'https://auth.example.test';

/** The relying party of the tests' passkeys (WEBAUTHN_RP_ID) and the one origin accepted (WEBAUTHN_ORIGINS). */
export const TEST_RP_ID = 'auth.example.test';
export const TEST_ORIGIN = 'https://auth.example.test';

export interface TestTables {
  endpoint: string;
  usersTableName: string;
  attemptsTableName: string;
  sessionsTableName: string;
  passkeysTableName: string;
  passkeyChallengesTableName: string;
  client: DynamoDBDocumentClient;
  /** The environment the handler needs to use these tables (keys included). */
  env: Record<string, string>;
  /** Writes a users-table item as is. */
  put(item: Record<string, unknown>): Promise<void>;
  /**
   * Creates the user `username`, by default `${username}@example.com` named `username` with the
   * password TEST_PASSWORD (hashed at TEST_BCRYPT_COST) and a random id, unless `user` says
   * otherwise; returns the stored item.
   */
  createUser(username: string, user?: TestUser): Promise<Record<string, unknown>>;
  drop(): Promise<void>;
}

/** Fresh tables in the run's DynamoDB Local, built from the shared definitions. */
export const createTestTables = async (): Promise<TestTables> => {
  const endpoint = inject('dynamoDbEndpoint');
  const suffix = randomUUID();
  const usersTableName = `users-test-${suffix}`;
  const attemptsTableName = `attempts-test-${suffix}`;
  const sessionsTableName = `sessions-test-${suffix}`;
  const passkeysTableName = `passkeys-test-${suffix}`;
  const passkeyChallengesTableName = `passkey-challenges-test-${suffix}`;
  const client = createDocumentClient({ endpoint, setupRequestTimeoutMs: SETUP_REQUEST_TIMEOUT_MS });
  await ensureTables(client, {
    users: usersTableName,
    attempts: attemptsTableName,
    sessions: sessionsTableName,
    passkeys: passkeysTableName,
    passkeyChallenges: passkeyChallengesTableName,
  });
  const put = async (item: Record<string, unknown>): Promise<void> => {
    await client.send(new PutCommand({ TableName: usersTableName, Item: item }));
  };
  return {
    endpoint,
    usersTableName,
    attemptsTableName,
    sessionsTableName,
    passkeysTableName,
    passkeyChallengesTableName,
    client,
    env: {
      USERS_TABLE_NAME: usersTableName,
      ATTEMPTS_TABLE_NAME: attemptsTableName,
      SESSIONS_TABLE_NAME: sessionsTableName,
      PASSKEYS_TABLE_NAME: passkeysTableName,
      PASSKEY_CHALLENGES_TABLE_NAME: passkeyChallengesTableName,
      WEBAUTHN_RP_ID: TEST_RP_ID,
      WEBAUTHN_ORIGINS: TEST_ORIGIN,
      REFRESH_KEY: TEST_REFRESH_KEY,
      DYNAMODB_ENDPOINT: endpoint,
      ...(await testKeyEnvironment()),
      IDENTIFIER_KEY: 'test-identifier-key-0123456789abcdefghijklm',
      TOKEN_ISSUER: TEST_TOKEN_ISSUER,
    },
    put,
    async createUser(username, { password = TEST_PASSWORD, ...user } = {}) {
      const item = newUserItem({
        email: `${username}@example.com`,
        name: username,
        ...user,
        username,
        passwordHash: await hashPassword(password, TEST_BCRYPT_COST),
      });
      await put(item);
      return item;
    },
    async drop() {
      for (const name of [
        usersTableName,
        attemptsTableName,
        sessionsTableName,
        passkeysTableName,
        passkeyChallengesTableName,
      ])
        await client.send(new DeleteTableCommand({ TableName: name }));
      client.destroy();
    },
  };
};
