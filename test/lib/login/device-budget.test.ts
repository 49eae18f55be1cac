import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDynamoDbDeviceBudgets,
  type DeviceBudgets,
  type DeviceClaim,
  type DeviceClaimResult,
  deviceKey,
} from '#lib/login/device-budget.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { instrumentedClient } from '#test/support/instrumented-client.ts';

const POLICY = { maxFailures: 5, ttlSeconds: 365 * 86_400 };

describe('DynamoDB device budgets', () => {
  let tables: TestTables;
  let time: ReturnType<typeof manualClock>;
  let budgets: DeviceBudgets;

  const stored = async (deviceId: string) =>
    (
      await tables.client.send(
        new GetCommand({ TableName: tables.attemptsTableName, Key: { key: deviceKey(deviceId) } }),
      )
    ).Item;
  const claimOf = (result: DeviceClaimResult): DeviceClaim => {
    if (!result.granted) throw new Error('not granted');
    return result.claim;
  };
  const granted = (results: DeviceClaimResult[]) => results.filter((result) => result.granted).length;

  beforeAll(async () => {
    tables = await createTestTables();
    time = manualClock();
  });

  // Built for each test: Stryker counts code run in beforeAll as no test's.
  beforeEach(() => {
    budgets = createDynamoDbDeviceBudgets(tables.client, tables.attemptsTableName, POLICY, time.clock);
  });

  afterAll(() => tables.drop());

  it('grants 5 of 20 concurrent claims of one device, and none after those 5 fail', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => budgets.claim('burst-device')));
    expect(granted(results)).toBe(5);
    // A claim counts as a failure at once: the five failing needs no write, and the device is done.
    expect(await stored('burst-device')).toMatchObject({ failures: 5 });
    time.advance(30 * 86_400);
    expect(await Promise.all(Array.from({ length: 5 }, () => budgets.claim('burst-device')))).toEqual(
      Array.from({ length: 5 }, () => ({ granted: false })),
    );
  });

  it('keeps the item as long as a token of the device can live, under a hash of its id', async () => {
    await budgets.claim('kept-device');
    const item = await stored('kept-device');
    expect(item?.expiresAt).toBe(Math.ceil(time.clock().getTime() / 1000) + POLICY.ttlSeconds);
    expect(JSON.stringify(item)).not.toContain('kept-device');
    // SHA-256 of the id, base64url: distinct ids never share an item.
    expect(item?.key).toBe('device#V8SeYfQVV_BVc6JtGhD85tpzvKllhHRqG7GaYAu8mlU');
  });

  it('forgets the failures of a device when it succeeds, and only of that device', async () => {
    for (let i = 0; i < 4; i += 1) await budgets.claim('owner-device');
    await budgets.claim('other-device');
    await claimOf(await budgets.claim('owner-device')).succeed();
    expect(await stored('owner-device')).toMatchObject({ failures: 0 });
    expect(await stored('other-device')).toMatchObject({ failures: 1 });
  });

  it('starts a device over with one write when nobody claimed since', async () => {
    const { client, updates } = instrumentedClient(tables.endpoint);
    const recorded = createDynamoDbDeviceBudgets(client, tables.attemptsTableName, POLICY, time.clock);
    await recorded.claim('quiet-device');
    await claimOf(await recorded.claim('quiet-device')).succeed();
    expect(updates()).toHaveLength(3);
    expect(await stored('quiet-device')).toMatchObject({ failures: 0 });
  });

  it('undoes only its own claim when other claims came after it (a thief racing the owner)', async () => {
    const owner = claimOf(await budgets.claim('shared-device'));
    await Promise.all([budgets.claim('shared-device'), budgets.claim('shared-device')]);
    await owner.succeed();
    expect(await stored('shared-device')).toMatchObject({ failures: 2 });
  });

  it('gives a claim back when no password was checked', async () => {
    await claimOf(await budgets.claim('released-device')).release();
    expect(await stored('released-device')).toMatchObject({ failures: 0 });
  });

  it('makes the same call without a device, is refused, and writes nothing', async () => {
    const before = (await tables.client.send(new ScanCommand({ TableName: tables.attemptsTableName }))).Count;
    const results = await Promise.all(Array.from({ length: 10 }, () => budgets.claim(undefined)));
    expect(granted(results)).toBe(0);
    expect((await tables.client.send(new ScanCommand({ TableName: tables.attemptsTableName }))).Count).toBe(before);
  });
});
