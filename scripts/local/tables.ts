import {
  CreateTableCommand,
  type CreateTableCommandInput,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLoginAttemptsTableInput } from '#lib/login/attempts-table.ts';
import { hashPassword } from '#lib/users/passwords.ts';
import { createUsersTableInput, guardItems } from '#lib/users/table.ts';
import { newUserItem } from '#lib/users/user.ts';

export interface TableNames {
  users: string;
  attempts: string;
}

/** The tables `npm start` and `npm run db:local` create (and events/env.local.json names). */
export const LOCAL_TABLES: TableNames = {
  users: 'movie-knight-users-local',
  attempts: 'movie-knight-login-attempts-local',
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
