import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPasskeyChallengesTableInput,
  createPasskeysTableInput,
  PASSKEYS_TABLE,
  passkeyCountKey,
} from '#lib/passkeys/table.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';

describe('the passkey tables, as DynamoDB Local builds them from their definitions', () => {
  let tables: TestTables;
  const made: string[] = [];

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(async () => {
    for (const name of made) await tables.client.send(new DeleteTableCommand({ TableName: name }));
    await tables.drop();
  });

  it('keeps a passkey by its id, and gives a user’s passkeys newest first from an index without key or counter', async () => {
    const name = `passkeys-${randomUUID()}`;
    await tables.client.send(new CreateTableCommand(createPasskeysTableInput(name)));
    made.push(name);
    const passkey = (id: string, createdAt: number) => ({
      id,
      userId: 'ann',
      name: id,
      createdAt,
      lastUsedAt: 5,
      backedUp: true,
      deviceType: 'multiDevice',
      transports: ['usb'],
      publicKey: 'AA',
      counter: 3,
    });
    for (const item of [passkey('old', 1), passkey('new', 2), { id: passkeyCountKey('ann'), count: 2 }]) {
      await tables.client.send(new PutCommand({ TableName: name, Item: item }));
    }
    const { Items } = await tables.client.send(
      new QueryCommand({
        TableName: name,
        IndexName: PASSKEYS_TABLE.indexes.user.indexName,
        KeyConditionExpression: 'userId = :user',
        ExpressionAttributeValues: { ':user': 'ann' },
        ScanIndexForward: false,
      }),
    );
    // What the list shows, never the public key or the counter (and no count item: it has no userId).
    const listed = ({ publicKey: _, counter: __, ...shown }: ReturnType<typeof passkey>) => shown;
    expect(Items).toStrictEqual([listed(passkey('new', 2)), listed(passkey('old', 1))]);
    expect(passkeyCountKey('ann')).toBe('~count#ann');
  });

  it('keeps a challenge by itself', async () => {
    const name = `challenges-${randomUUID()}`;
    expect(createPasskeyChallengesTableInput(name)).toStrictEqual({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    });
    await tables.client.send(new CreateTableCommand(createPasskeyChallengesTableInput(name)));
    made.push(name);
    await tables.client.send(new PutCommand({ TableName: name, Item: { id: 'c', purpose: 'authentication' } }));
  });
});
