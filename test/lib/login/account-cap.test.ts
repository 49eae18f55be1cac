import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AccountCap, accountKey, createDynamoDbAccountCap } from '#lib/login/account-cap.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { instrumentedClient } from '#test/support/instrumented-client.ts';

const POLICY = { maxFailures: 100, memorySeconds: 365 * 86_400 };

describe('DynamoDB account cap', () => {
  let tables: TestTables;
  let time: ReturnType<typeof manualClock>;
  let cap: AccountCap;

  const failures = async (identifierKey: string) =>
    (
      await tables.client.send(
        new GetCommand({ TableName: tables.attemptsTableName, Key: { key: accountKey(identifierKey) } }),
      )
    ).Item?.failures;

  beforeAll(async () => {
    tables = await createTestTables();
    time = manualClock();
  });

  // Built for each test: Stryker counts code run in beforeAll as no test's.
  beforeEach(() => {
    cap = createDynamoDbAccountCap(tables.client, tables.attemptsTableName, POLICY, time.clock);
  });

  /** The cap through a client that records its calls. */
  const recorded = () => {
    const { client, calls, updates } = instrumentedClient(tables.endpoint);
    return { cap: createDynamoDbAccountCap(client, tables.attemptsTableName, POLICY, time.clock), calls, updates };
  };

  afterAll(() => tables.drop());

  const put = (identifierKey: string, count: number) =>
    tables.client.send(
      new PutCommand({
        TableName: tables.attemptsTableName,
        Item: { key: accountKey(identifierKey), failures: count },
      }),
    );

  it('shares the count between the identifiers of one account, and not with another account', async () => {
    await Promise.all([put('email-b', 98), put('user-b', 98)]);
    expect(await cap.count('email-b', 'user-b')).toBe(true);
    expect((await cap.standing('user-b')).reached).toBe(false);
    expect(await cap.count('user-b', 'email-b')).toBe(true);
    expect((await cap.standing('email-b')).reached).toBe(true);
    expect((await cap.standing('email-c')).reached).toBe(false);
  });

  it('counts an unknown identifier as its own account, with the same two writes', async () => {
    const before = (await tables.client.send(new ScanCommand({ TableName: tables.attemptsTableName }))).Count ?? 0;
    expect(await cap.count('nobody', undefined)).toBe(true);
    expect(await failures('nobody')).toBe(1);
    await put('nobody', 99);
    expect(await cap.count('nobody', undefined)).toBe(true);
    expect(await cap.count('nobody', undefined)).toBe(false);
    expect((await cap.standing('nobody')).reached).toBe(true);
    expect((await tables.client.send(new ScanCommand({ TableName: tables.attemptsTableName }))).Count).toBe(before + 2);
  });

  it('brings an identifier that missed failures up to its account (an email changed by another service)', async () => {
    await put('user-d', 100);
    expect(await cap.count('new-email-d', 'user-d')).toBe(false);
    expect(await failures('new-email-d')).toBe(101);
    expect((await cap.standing('new-email-d')).reached).toBe(true);
  });

  it('starts the account over on a reset, and remembers failures for a year after the last', async () => {
    await cap.count('email-e', 'user-e');
    const item = (
      await tables.client.send(
        new GetCommand({ TableName: tables.attemptsTableName, Key: { key: accountKey('email-e') } }),
      )
    ).Item;
    expect(item?.expiresAt).toBe(Math.ceil(time.clock().getTime() / 1000) + POLICY.memorySeconds);
    await Promise.all([put('email-f', 120), put('user-f', 120)]);
    await cap.reset(['email-f', 'user-f']);
    expect([await failures('email-f'), await failures('user-f')]).toEqual([0, 0]);
    expect((await cap.standing('email-f')).reached).toBe(false);
    // Nothing to reset: nothing is written.
    await cap.reset(['never-failed']);
    expect(await failures('never-failed')).toBeUndefined();
  });

  it('answers at most 100 failures in a row as failures, of 8 at once on both identifiers from 97', async () => {
    await Promise.all([put('email-a', 97), put('user-a', 97)]);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0 ? cap.count('email-a', 'user-a') : cap.count('user-a', 'email-a'),
      ),
    );
    // Three of the eight fit under the cap (a write the SDK retries after a timeout counts twice:
    // never more).
    expect(answers.filter(Boolean).length).toBeLessThanOrEqual(3);
    expect(await failures('email-a')).toBe(await failures('user-a'));
    expect(await failures('email-a')).toBeGreaterThanOrEqual(105);
    expect((await cap.standing('email-a')).reached).toBe(true);
    expect((await cap.standing('user-a')).reached).toBe(true);
  });

  it('reads the standing strongly consistent, so a failure just counted is never missed', async () => {
    const { cap: reading, calls } = recorded();
    await reading.standing('email-g');
    expect(calls.map((call) => [call.command, call.input.ConsistentRead])).toEqual([['GetItemCommand', true]]);
  });

  it('counts with one write per identifier, and one more for an identifier that lags', async () => {
    const { cap: counting, updates } = recorded();
    await Promise.all([put('email-h', 3), put('user-h', 3)]);
    expect(await counting.count('email-h', 'user-h')).toBe(true);
    expect(updates()).toHaveLength(2);
    await put('user-h', 10);
    expect(await counting.count('email-h', 'user-h')).toBe(true);
    expect(updates().slice(2)).toEqual([
      'ADD failures :one SET #ttl = :ttl',
      'ADD failures :one SET #ttl = :ttl',
      'SET failures = :highest',
    ]);
    expect([await failures('email-h'), await failures('user-h')]).toEqual([11, 11]);
  });

  it('gives every unknown identifier a second item of its own', async () => {
    await cap.count('ghost-1', undefined);
    await cap.count('ghost-2', undefined);
    const keys = (await tables.client.send(new ScanCommand({ TableName: tables.attemptsTableName }))).Items?.map(
      (item) => item.key,
    );
    expect(keys).toEqual(
      expect.arrayContaining([
        accountKey('ghost-1'),
        `${accountKey('ghost-1')}#alone`,
        accountKey('ghost-2'),
        `${accountKey('ghost-2')}#alone`,
      ]),
    );
  });
});
