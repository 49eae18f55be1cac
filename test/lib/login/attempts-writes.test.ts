import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { type AttemptClaim, type ClaimResult, createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import type { ThrottlePolicy } from '#lib/login/throttle-policy.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { expectStoreFailure, instrumentedClient } from '#test/support/instrumented-client.ts';

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

  it('makes one write per claim and one per failure, however many failures came before', async () => {
    const { attempts, updates } = instrumented();
    for (let i = 0; i < 3; i += 1) await claimOf(await attempts.claim('counted')).fail();
    await claimOf(await attempts.claim('counted')).release();
    expect(updates().map((expression) => expression.split(' ')[1])).toEqual([
      'attempts',
      'failures',
      'attempts',
      'failures',
      'attempts',
      'failures',
      'attempts',
      'attempts',
    ]);
    expect(await stored('counted')).toMatchObject({ attempts: 3, failures: 3 });
    expect((await stored('counted'))?.claims).toBeUndefined();
  });

  it('keeps a claim the SDK applied twice (its first reply lost), and counts its failure once', async () => {
    const { attempts, updates } = instrumented({ resentUpdate: 1 });
    const claim = claimOf(await attempts.claim('resent'));
    expect(await stored('resent')).toMatchObject({ attempts: 1, failures: 0 });
    await claim.fail();
    expect(updates()).toHaveLength(2);
    expect(await stored('resent')).toMatchObject({ attempts: 1, failures: 1 });
  });

  it('counts nothing for a claim taken back as stale, and ends at once', async () => {
    const late = claimOf(await plain().claim('taken-back'));
    time.advance(16);
    const next = claimOf(await plain().claim('taken-back'));
    await expect(late.fail()).resolves.toBeUndefined();
    expect(await stored('taken-back')).toMatchObject({ attempts: 1, failures: 0 });
    await next.fail();
    expect(await stored('taken-back')).toMatchObject({ attempts: 1, failures: 1 });
  });

  it('refuses a claim at once, with one write, while fresh claims hold the budget', async () => {
    const holders = plain();
    await Promise.all(Array.from({ length: 5 }, () => holders.claim('held').then(claimOf)));
    const { attempts, updates } = instrumented();
    expect(await attempts.claim('held')).toEqual({ granted: false, retryAfterSeconds: 1 });
    expect(updates()).toHaveLength(1);
    const item = await stored('held');
    expect(item).toMatchObject({ attempts: 5, failures: 0 });
    expect(item?.claims.size).toBe(5);
  });

  it('asks again after each pause while fresh claims hold the budget, then answers Retry-After 1', async () => {
    const holders = plain();
    await Promise.all(Array.from({ length: 5 }, () => holders.claim('paused').then(claimOf)));
    const { attempts, updates } = instrumented({}, [1, 1, 1]);
    expect(await attempts.claim('paused')).toEqual({ granted: false, retryAfterSeconds: 1 });
    expect(updates()).toHaveLength(4);
  });

  it('refuses with one write, never starting over, a forgotten item that a fresh claim still holds', async () => {
    await fail('held-past-window', 4);
    time.advance(895);
    const inFlight = claimOf(await plain().claim('held-past-window'));
    time.advance(5); // the window ends; the claim is 5 s old
    const { attempts, updates } = instrumented();
    expect(await attempts.claim('held-past-window')).toEqual({ granted: false, retryAfterSeconds: 1 });
    expect(updates()).toHaveLength(1);
    await inFlight.fail();
    expect(await stored('held-past-window')).toMatchObject({ attempts: 5, failures: 5 });
  });

  it('starts a forgotten item over in two writes, though its last claim was a moment ago', async () => {
    await fail('recent-release');
    time.advance(890);
    await claimOf(await plain().claim('recent-release')).release();
    time.advance(10); // the window ends 10 s after that claim, with nothing in flight
    const { attempts, updates } = instrumented();
    const claim = claimOf(await attempts.claim('recent-release'));
    expect(updates()).toHaveLength(2);
    expect(await stored('recent-release')).toMatchObject({ attempts: 1, failures: 0, lockedUntil: 0 });
    await claim.fail();
    expect(await stored('recent-release')).toMatchObject({ attempts: 1, failures: 1 });
  });

  it('starts a forgotten item over when its claim in flight turned stale that very moment (15 s)', async () => {
    await fail('stale-at-window');
    time.advance(885);
    claimOf(await plain().claim('stale-at-window')); // never settled
    time.advance(15);
    const { attempts, updates } = instrumented();
    claimOf(await attempts.claim('stale-at-window'));
    expect(updates()).toHaveLength(2);
    expect(await stored('stale-at-window')).toMatchObject({ attempts: 1, failures: 0 });
  });

  it('takes a stale claim back in two writes, and counts the failure of the claim that took it', async () => {
    await fail('reclaimed', 2);
    claimOf(await plain().claim('reclaimed')); // never settled
    time.advance(15);
    const { attempts, updates } = instrumented();
    const claim = claimOf(await attempts.claim('reclaimed'));
    expect(updates()).toHaveLength(2);
    await claim.fail();
    expect(await stored('reclaimed')).toMatchObject({ attempts: 3, failures: 3 });
  });

  it('answers Retry-After 1, never 0, to a claim at the very moment a lock ends', async () => {
    await fail('lock-edge', 5);
    time.advance(60);
    const first = claimOf(await plain().claim('lock-edge'));
    expect(await plain().claim('lock-edge')).toEqual({ granted: false, retryAfterSeconds: 1 });
    await first.release();
  });

  it.each([
    ['the claim', 1, async () => undefined],
    [
      'the start over of a forgotten item',
      2,
      async (key: string) => {
        await fail(key);
        time.advance(900);
      },
    ],
    [
      'the take-back of a stale claim',
      2,
      async (key: string) => {
        claimOf(await plain().claim(key));
        time.advance(15);
      },
    ],
  ])('fails with a 500 naming the claim when %s fails in the store', async (name, write, given) => {
    const key = `store-failure-${name}`;
    await given(key);
    const { attempts } = instrumented({ missingTableUpdate: write });
    await expectStoreFailure(() => attempts.claim(key), 'Attempt claim failed');
  });

  it.each([
    ['release', 'Attempt release failed', false, 2],
    ['fail', 'Attempt update failed', false, 2],
    // The item gone, the failure's first write is refused and its second starts a new item.
    ['fail', 'Attempt update failed', true, 3],
  ] as const)(
    'fails with a 500 naming the write when %s fails in the store (item deleted first: %s)',
    async (settle, message, deleted, write) => {
      const key = `settle-failure-${settle}-${deleted}`;
      const { attempts } = instrumented({ missingTableUpdate: write });
      const claim = claimOf(await attempts.claim(key));
      if (deleted) await tables.client.send(new DeleteCommand({ TableName: tables.attemptsTableName, Key: { key } }));
      await expectStoreFailure(() => claim[settle](), message);
    },
  );

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
      const error = await claim.fail().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      // The log says why: the cause is logged with the 503.
      expect((error as Error).cause).toMatchObject({ message: 'Too much contention counting a failure' });
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
