import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { ensureUsersTable } from '../../infra/local/users-table.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { hashPassword } from '../../lib/passwords.ts';
import { type NewUser, newUserItem } from '../../lib/user.ts';

/** bcrypt cost for test users: the service's minimum, so timings match production's floor. */
export const TEST_BCRYPT_COST = 10;

export interface TestTable {
  endpoint: string;
  tableName: string;
  client: DynamoDBDocumentClient;
  /** Writes an item as is. */
  put(item: Record<string, unknown>): Promise<void>;
  /** Creates a user with `password` hashed, returning the stored item. */
  createUser(user: Omit<NewUser, 'passwordHash'> & { password: string }): Promise<Record<string, unknown>>;
  drop(): Promise<void>;
}

/** A fresh users table in the run's DynamoDB Local, built from the shared definition. */
export const createTestTable = async (): Promise<TestTable> => {
  const endpoint = inject('dynamoDbEndpoint');
  const tableName = `users-test-${randomUUID()}`;
  const client = createDocumentClient({ endpoint });
  await ensureUsersTable(client, tableName);
  const put = async (item: Record<string, unknown>): Promise<void> => {
    await client.send(new PutCommand({ TableName: tableName, Item: item }));
  };
  return {
    endpoint,
    tableName,
    client,
    put,
    async createUser({ password, ...user }) {
      const item = newUserItem({ ...user, passwordHash: await hashPassword(password, TEST_BCRYPT_COST) });
      await put(item);
      return item;
    },
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
};
