import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { accountKey } from '#lib/login/account-cap.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createUnlocker } from '#lib/login/unlock.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';

const identifierHash = createIdentifierHash(createSecretReader({ value: 'unlock-test-identifier-key-0123456789abc' }));
const EMAIL = { kind: 'email', email: 'fan@example.com' } as const;
const USERNAME = { kind: 'username', username: 'fan' } as const;

describe('unlocking identifiers and accounts', () => {
  let tables: TestTables;
  const put = (key: string) =>
    tables.client.send(new PutCommand({ TableName: tables.attemptsTableName, Item: { key, failures: 9 } }));
  const exists = async (key: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.attemptsTableName, Key: { key } }))).Item !==
    undefined;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(() => tables.drop());

  it("forgets one identifier's failures and lock, and nothing else", async () => {
    const [email, username] = await Promise.all([identifierHash(EMAIL), identifierHash(USERNAME)]);
    await Promise.all([put(email), put(username), put(accountKey(email))]);
    await createUnlocker(tables.client, tables.attemptsTableName, identifierHash).identifier(EMAIL);
    expect(await Promise.all([exists(email), exists(username), exists(accountKey(email))])).toEqual([
      false,
      true,
      true,
    ]);
  });

  it("forgets every identifier's failures and the account cap", async () => {
    const [email, username] = await Promise.all([identifierHash(EMAIL), identifierHash(USERNAME)]);
    await Promise.all([email, username, accountKey(email), accountKey(username)].map(put));
    await createUnlocker(tables.client, tables.attemptsTableName, identifierHash).account([EMAIL, USERNAME]);
    const left = await Promise.all([email, username, accountKey(email), accountKey(username)].map(exists));
    expect(left).toEqual([false, false, false, false]);
  });
});
