import { afterAll, beforeAll, describe, it } from 'vitest';
import { createDynamoDbAccountCap } from '#lib/login/account-cap.ts';
import { createDynamoDbDeviceBudgets } from '#lib/login/device-budget.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createUnlocker } from '#lib/login/unlock.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { expectStoreFailure, MISSING_TABLE } from '#test/support/instrumented-client.ts';

/**
 * A store failure in a login counter (here a real one: the table does not exist) is a 500 that
 * names what failed, for the log; never an answer. A counter that could not count must not let the
 * login go on as if it had (a cap that failed to count answering "within the cap").
 */
describe('login counters when the store fails', () => {
  let tables: TestTables;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(() => tables.drop());

  const cap = () => createDynamoDbAccountCap(tables.client, MISSING_TABLE, { maxFailures: 100, memorySeconds: 60 });
  const hash = createIdentifierHash(async () => 'store-failures-test-key-0123456789abcdef');

  it.each([
    ['reading the account cap', 'Account cap read failed', () => cap().standing('key')],
    ['counting on the account cap', 'Account cap update failed', () => cap().count('key', undefined)],
    ['resetting the account cap', 'Account cap update failed', () => cap().reset(['key'])],
    [
      'claiming a device budget',
      'Device budget update failed',
      () => createDynamoDbDeviceBudgets(tables.client, MISSING_TABLE, { maxFailures: 5, ttlSeconds: 60 }).claim('d'),
    ],
    [
      'unlocking an identifier',
      'Unlock failed',
      () => createUnlocker(tables.client, MISSING_TABLE, hash).identifier({ kind: 'username', username: 'fan' }),
    ],
  ])('fails %s with a 500 saying so', (_, message, call) => expectStoreFailure(call, message));
});
