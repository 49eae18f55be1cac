import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThrottlePolicy } from '#lib/config.ts';
import { assess, createDynamoDbLoginAttempts, type LoginAttempts, lockSeconds } from '#lib/login/attempts.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';

const POLICY: ThrottlePolicy = { maxFailures: 5, windowSeconds: 900, baseLockSeconds: 60, maxLockSeconds: 900 };

describe('lockSeconds', () => {
  it('locks from the fifth failure, doubling, capped at 15 minutes', () => {
    expect([1, 4, 5, 6, 7, 8, 9, 10, 50].map((failures) => lockSeconds(POLICY, failures))).toEqual([
      0, 0, 60, 120, 240, 480, 900, 900, 900,
    ]);
  });
});

describe('assess', () => {
  const at = Date.parse('2026-11-26T12:00:00Z');

  it('throttles until the lock ends, then remembers the failures for the window', () => {
    const record = { failures: 5, lastFailureAt: at };
    expect(assess(POLICY, record, at + 1_000)).toEqual({ expired: false, retryAfterSeconds: 59 });
    expect(assess(POLICY, record, at + 60_000)).toEqual({ expired: false, retryAfterSeconds: undefined });
    expect(assess(POLICY, record, at + (60 + 900) * 1000)).toEqual({ expired: true, retryAfterSeconds: undefined });
  });

  it('never throttles below the threshold', () => {
    expect(assess(POLICY, { failures: 4, lastFailureAt: at }, at)).toEqual({
      expired: false,
      retryAfterSeconds: undefined,
    });
  });
});

describe('DynamoDB login attempts', () => {
  let tables: TestTables;
  let time: ReturnType<typeof manualClock>;
  let attempts: LoginAttempts;

  const stored = async (key: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.attemptsTableName, Key: { key } }))).Item;
  const fail = async (key: string, times = 1) => {
    for (let i = 0; i < times; i += 1) await attempts.recordFailure(key, await attempts.check(key));
  };

  beforeAll(async () => {
    tables = await createTestTables();
    time = manualClock();
    attempts = createDynamoDbLoginAttempts(tables.client, tables.attemptsTableName, POLICY, time.clock);
  });

  afterAll(() => tables.drop());

  it('counts 20 concurrent failures as 20', async () => {
    const state = await attempts.check('concurrent');
    await Promise.all(Array.from({ length: 20 }, () => attempts.recordFailure('concurrent', state)));
    expect(await stored('concurrent')).toMatchObject({ failures: 20 });
  });

  it('counts 20 concurrent failures as 20 when they restart an expired record', async () => {
    await fail('restart', 7);
    time.advance(POLICY.maxLockSeconds + POLICY.windowSeconds);
    const state = await attempts.check('restart');
    expect(state.record?.expired).toBe(true);
    await Promise.all(Array.from({ length: 20 }, () => attempts.recordFailure('restart', state)));
    expect(await stored('restart')).toMatchObject({ failures: 20 });
  });

  it('throttles after five failures, with Retry-After counting down, then lets the identifier try again', async () => {
    await fail('five', 4);
    expect((await attempts.check('five')).retryAfterSeconds).toBeUndefined();
    await fail('five');
    expect((await attempts.check('five')).retryAfterSeconds).toBe(60);
    time.advance(45);
    expect((await attempts.check('five')).retryAfterSeconds).toBe(15);
    time.advance(15);
    expect((await attempts.check('five')).retryAfterSeconds).toBeUndefined();
  });

  it('doubles the lock for each further failure', async () => {
    await fail('doubling', 5);
    time.advance(60);
    await fail('doubling');
    expect((await attempts.check('doubling')).retryAfterSeconds).toBe(120);
    time.advance(120);
    await fail('doubling');
    expect((await attempts.check('doubling')).retryAfterSeconds).toBe(240);
  });

  it('treats a record as gone once its window has passed, though DynamoDB Local never deletes it', async () => {
    await fail('quiet', 5);
    time.advance(60 + 900);
    expect(await attempts.check('quiet')).toEqual({
      retryAfterSeconds: undefined,
      record: expect.objectContaining({ failures: 5, expired: true }),
    });
    await fail('quiet');
    expect(await stored('quiet')).toMatchObject({ failures: 1 });
  });

  it('stores a TTL and nothing but counters under the keyed hash', async () => {
    await fail('ttl');
    const item = await stored('ttl');
    expect(Object.keys(item ?? {}).sort()).toEqual(['expiresAt', 'failures', 'key', 'lastFailureAt']);
    const now = time.clock().getTime() / 1000;
    expect(item?.expiresAt).toBe(Math.ceil(now) + POLICY.windowSeconds + POLICY.maxLockSeconds);
  });

  it('forgets everything on reset', async () => {
    await fail('reset', 5);
    await attempts.reset('reset');
    expect(await attempts.check('reset')).toEqual({ retryAfterSeconds: undefined, record: undefined });
  });
});
