import {
  CreateTableCommand,
  type CreateTableCommandInput,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLoginAttemptsTableInput } from '#lib/login/attempts-table.ts';
import { createPasskeyChallengesTableInput, createPasskeysTableInput } from '#lib/passkeys/table.ts';
import { createSessionsTableInput } from '#lib/sessions/table.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { hashPassword } from '#lib/users/passwords.ts';
import { createUsersTableInput, guardItems } from '#lib/users/table.ts';
import { newUserItem } from '#lib/users/user.ts';

export interface TableNames {
  users: string;
  attempts: string;
  sessions: string;
  passkeys: string;
  passkeyChallenges: string;
}

/** The tables `npm start` and `npm run db:local` create (and events/env.local.json names). */
export const LOCAL_TABLES: TableNames = {
  users: 'movie-knight-users-local',
  attempts: 'movie-knight-login-attempts-local',
  sessions: 'movie-knight-sessions-local',
  passkeys: 'movie-knight-passkeys-local',
  passkeyChallenges: 'movie-knight-passkey-challenges-local',
};

const ensureTable = async (client: DynamoDBDocumentClient, input: CreateTableCommandInput): Promise<void> => {
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: input.TableName });
};

/** Creates the service's tables from their shared definitions, leaving any that exist as they are. */
export const ensureTables = async (client: DynamoDBDocumentClient, names: TableNames): Promise<void> => {
  await ensureTable(client, createUsersTableInput(names.users));
  await ensureTable(client, createLoginAttemptsTableInput(names.attempts));
  await ensureTable(client, createSessionsTableInput(names.sessions));
  await ensureTable(client, createPasskeysTableInput(names.passkeys));
  await ensureTable(client, createPasskeyChallengesTableInput(names.passkeyChallenges));
};

/** The demo user of the published contract's example; its password is public on purpose. */
export const DEMO_USER = {
  id: '66a1f2c4e5b3a1234567890a',
  name: 'Movie Fan',
  username: 'moviefan',
  email: 'moviefan@example.com',
  password: 'secret123',
  dateOfBirth: '1999-05-20',
} as const;

/**
 * Writes the demo user with its password hashed at `cost`, and the guard items that reserve its
 * email and username; an earlier copy (a persisted database) is overwritten.
 */
export const seedDemoUser = async (client: DynamoDBDocumentClient, tableName: string, cost: number): Promise<void> => {
  const { password, ...profile } = DEMO_USER;
  const item = newUserItem({ ...profile, passwordHash: await hashPassword(password, cost) });
  for (const entry of [item, ...guardItems(item)]) {
    await client.send(new PutCommand({ TableName: tableName, Item: entry }));
  }
};

/**
 * A session of the demo user with a fixed id and salt, so that `events/refresh.json` (made with
 * the REFRESH_KEY of events/env.local.json) refreshes it under `sam local invoke RefreshFunction`.
 * Written at generation 0 each time: its token works once per seeding, then it is the previous
 * token (a retry for 30 s, reuse after that), as with any refresh token.
 */
export const DEMO_SESSION = {
  id: 'demo-session-sam-local',
  salt: 'demo-salt-public-on-purpose-for-sam-local-0',
} as const;

/** Writes the demo session (see DEMO_SESSION), starting now. */
export const seedDemoSession = async (client: DynamoDBDocumentClient, tableName: string): Promise<void> => {
  const now = Date.now();
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...DEMO_SESSION,
        userId: DEMO_USER.id,
        generation: 0,
        rotatedAt: now,
        createdAt: now,
        lastUsedAt: now,
        absoluteExpiresAt: now + DEFAULTS.sessions.ttlSeconds * 1000,
        userAgent: 'sam local',
        expiresAt: Math.ceil(now / 1000) + DEFAULTS.sessions.idleSeconds,
      },
    }),
  );
};
