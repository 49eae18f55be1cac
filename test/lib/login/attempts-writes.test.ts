import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { type AttemptClaim, type ClaimResult, createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import type { ThrottlePolicy } from '#lib/login/throttle-policy.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { instrumentedClient } from '#test/support/instrumented-client.ts';

const POLICY: ThrottlePolicy = { maxFailures: 5, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 };

/**
 * The login attempts' writes, one by one, through a client that records them: how many each claim
 * and settlement makes, and what a lost, repeated or failed write does to the answer. Each is a real
 * conditional write in DynamoDB Local, losing (where it does) to a real change.
 */
describe('DynamoDB login attempts, write by write', () => {
  let tables: TestTables;
  let time: ReturnType<typeof manualClock>;

  const claimOf = (result: ClaimResult): AttemptClaim => {
    if (!result.granted) throw new Error(`not granted, Retry-After ${result.retryAfterSeconds}`);
    return result.claim;
  };
  /** Login attempts through an instrumented client (test/support/instrumented-client.ts). */
  const instrumented = (options?: Parameters<typeof instrumentedClient>[1], waits: readonly number[] = []) => {
    const { client, updates } = instrumentedClient(tables.endpoint, options);
    return {
      attempts: createDynamoDbLoginAttempts(client, tables.attemptsTableName, POLICY, time.clock, waits),
      updates,
    };
  };
  /** Another writer's change to the item, through its own client. */
  const update = (key: string, expression: string, values: Record<string, unknown>) =>
    tables.client.send(
      new UpdateCommand({
        TableName: tables.attemptsTableName,
        Key: { key },
        UpdateExpression: expression,
        ExpressionAttributeValues: values,
      }),
    );

  /** Through the test's own client, which records nothing. */
  const plain = () => createDynamoDbLoginAttempts(tables.client, tables.attemptsTableName, POLICY, time.clock, []);
  const fail = async (key: string, times = 1) => {
    const attempts = plain();
    for (let i = 0; i < times; i += 1) await claimOf(await attempts.claim(key)).fail();
  };
  const stored = async (key: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.attemptsTableName, Key: { key } }))).Item;

  beforeAll(async () => {
    tables = await createTestTables();
    time = manualClock();
  });

  afterAll(() => tables.drop());

  // A rival writes to the item before each of our writes (the first 100), so a loop that would not
  // end still ends, and fails.
  describe('under contention that never ends', () => {
    it('gives up counting a failure after 20 lost rounds, with a 503', async () => {
      const key = 'contended-failure';
      const { attempts: racing, updates } = instrumented({
        before: async ({ UpdateExpression }) => {
          // Another attempt's failure lands just before each of ours: the count we expect is gone.
          if (UpdateExpression?.startsWith('SET failures'))
            await update(key, 'SET failures = failures + :one', { ':one': 1 });
        },
      });
      const claim = claimOf(await racing.claim(key));
      await expect(claim.fail()).rejects.toBeInstanceOf(ServiceUnavailableError);
      expect(updates().filter((expression) => expression.startsWith('SET failures'))).toHaveLength(20);
      // The claim is still in: nothing was counted for it.
      expect((await stored(key))?.claims).toBeInstanceOf(Set);
    });

    it('gives up claiming after 20 lost rounds of taking back a stale claim, with Retry-After 1', async () => {
      const key = 'contended-claim';
      await fail(key, 1);
      claimOf(await plain().claim(key)); // never settled: stale 15 s later
      time.advance(16);
      let stale = time.clock().getTime() - 16_000;
      const { attempts: racing, updates } = instrumented({
        before: async ({ UpdateExpression }) => {
          // Someone else's stale claim time changes just before each take-back: it finds another.
          if (UpdateExpression?.startsWith('SET attempts = failures')) {
            stale -= 1;
            await update(key, 'SET lastClaimAt = :stale', { ':stale': stale });
          }
        },
      });
      expect(await racing.claim(key)).toEqual({ granted: false, retryAfterSeconds: 1 });
      // Each round: the usual claim (refused: a stale claim is in flight), then the take-back.
      expect(updates()).toHaveLength(40);
      expect(updates().filter((expression) => expression.startsWith('SET attempts = failures'))).toHaveLength(20);
    });

    it('gives up claiming after 20 lost rounds of starting a forgotten item over', async () => {
      const key = 'contended-restart';
      await fail(key, 1);
      time.advance(901);
      const { attempts: racing, updates } = instrumented({
        before: async ({ UpdateExpression }) => {
          // The window moves each time we look: forgotten for the claim, remembered for the restart.
          const now = time.clock().getTime();
          const forgetAt = UpdateExpression?.startsWith('SET attempts = :one, failures = :zero') ? now + 1 : now;
          await update(key, 'SET forgetAt = :forgetAt', { ':forgetAt': forgetAt });
        },
      });
      expect(await racing.claim(key)).toEqual({ granted: false, retryAfterSeconds: 1 });
      expect(updates()).toHaveLength(40);
    });
  });
});
