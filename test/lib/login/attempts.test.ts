import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAttemptRecord } from '#lib/login/attempt-record.ts';
import {
  type AttemptClaim,
  type ClaimResult,
  createDynamoDbLoginAttempts,
  type LoginAttempts,
} from '#lib/login/attempts.ts';
import { lockSeconds, type ThrottlePolicy } from '#lib/login/throttle-policy.ts';
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

describe('parseAttemptRecord', () => {
  const counts = { attempts: 1, failures: 1, lockedUntil: 0, forgetAt: 1, lastClaimAt: 1 };

  it('reads the counts, and no claims from an item without them', () => {
    expect(parseAttemptRecord({ key: 'k', ...counts })).toEqual({ ...counts, claims: new Set() });
  });

  it.each(['attempts', 'failures', 'lockedUntil', 'forgetAt', 'lastClaimAt'])(
    'knows no item whose %s is not a number',
    (name) => {
      expect(parseAttemptRecord({ ...counts, [name]: '1' })).toBeUndefined();
    },
  );
});

describe('DynamoDB login attempts', () => {
  let tables: TestTables;
  let time: ReturnType<typeof manualClock>;
  /** Answers at once when the budget is taken: most tests here are not about waiting. */
  let attempts: LoginAttempts;
  /** With the production waits (about a second in all). */
  let waiting: LoginAttempts;

  const stored = async (key: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.attemptsTableName, Key: { key } }))).Item;
  const claimOf = (result: ClaimResult): AttemptClaim => {
    if (!result.granted) throw new Error(`not granted, Retry-After ${result.retryAfterSeconds}`);
    return result.claim;
  };
  const fail = async (key: string, times = 1) => {
    for (let i = 0; i < times; i += 1) await claimOf(await attempts.claim(key)).fail();
  };
  const retryAfter = async (key: string) => {
    const result = await attempts.claim(key);
    if (result.granted) {
      await result.claim.release();
      return undefined;
    }
    return result.retryAfterSeconds;
  };

  beforeAll(async () => {
    tables = await createTestTables();
    time = manualClock();
  });

  // Built for each test, not once: Stryker counts code run in beforeAll as no test's, and would
  // then try a mutant of it only against the tests that build their own.
  beforeEach(() => {
    attempts = createDynamoDbLoginAttempts(tables.client, tables.attemptsTableName, POLICY, time.clock, []);
    waiting = createDynamoDbLoginAttempts(tables.client, tables.attemptsTableName, POLICY, time.clock);
  });

  afterAll(() => tables.drop());

  it('grants 5 of 30 concurrent claims for a fresh identifier, and locks once those 5 fail', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => attempts.claim('burst')));
    const granted = results.flatMap((result) => (result.granted ? [result.claim] : []));
    expect(granted).toHaveLength(5);
    // Refused while the five are in flight: try again in a second.
    expect(results.filter((result) => !result.granted)).toEqual(
      Array.from({ length: 25 }, () => ({ granted: false, retryAfterSeconds: 1 })),
    );
    await Promise.all(granted.map((claim) => claim.fail()));
    expect(await stored('burst')).toMatchObject({
      attempts: 5,
      failures: 5,
      lockedUntil: time.clock().getTime() + 60_000,
    });
    expect(await retryAfter('burst')).toBe(60);
  });

  it('lets a waiting claim in when an earlier one is given back', async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => attempts.claim('busy').then(claimOf)));
    const late = waiting.claim('busy');
    await new Promise((resolve) => setTimeout(resolve, 120));
    await held[0]?.release();
    const result = await late;
    expect(result.granted).toBe(true);
    await Promise.all([...held.slice(1), claimOf(result)].map((claim) => claim.release()));
    expect(await stored('busy')).toMatchObject({ attempts: 0, failures: 0 });
  });

  it('answers a waiting claim 429 with the lock once the earlier claim fails', async () => {
    await fail('waiter', 4);
    const last = claimOf(await attempts.claim('waiter'));
    const late = waiting.claim('waiter');
    await new Promise((resolve) => setTimeout(resolve, 120));
    await last.fail();
    expect(await late).toEqual({ granted: false, retryAfterSeconds: 60 });
  });

  it('throttles after five failures, with Retry-After counting down, then lets one attempt at a time in', async () => {
    await fail('five', 4);
    expect(await retryAfter('five')).toBeUndefined();
    await fail('five');
    expect(await retryAfter('five')).toBe(60);
    time.advance(45);
    expect(await retryAfter('five')).toBe(15);
    time.advance(15);
    const [first, second] = await Promise.all([attempts.claim('five'), attempts.claim('five')]);
    expect([first.granted, second.granted].sort()).toEqual([false, true]);
    await claimOf(first.granted ? first : second).fail();
    expect(await retryAfter('five')).toBe(120);
  });

  it('doubles the lock for each further failure', async () => {
    await fail('doubling', 5);
    time.advance(60);
    await fail('doubling');
    expect(await retryAfter('doubling')).toBe(120);
    time.advance(120);
    await fail('doubling');
    expect(await retryAfter('doubling')).toBe(240);
  });

  it('keeps the failures counted before and around a claim that is given back (a success forgets nothing)', async () => {
    await fail('mixed', 2);
    const right = claimOf(await attempts.claim('mixed'));
    const wrong = await Promise.all([attempts.claim('mixed'), attempts.claim('mixed')]);
    await Promise.all(wrong.map((result) => claimOf(result).fail()));
    await right.release();
    expect(await stored('mixed')).toMatchObject({ attempts: 4, failures: 4 });
  });

  it('forgets failures when the last failure says, however many claims came and went since', async () => {
    await fail('window', 4);
    time.advance(450);
    // A right password, half way: its claim is given back, and the window stays where it was.
    await claimOf(await attempts.claim('window')).release();
    time.advance(451);
    await fail('window', 2);
    expect(await stored('window')).toMatchObject({ attempts: 2, failures: 2 });
  });

  it('keeps the counts of a claim in flight across the end of their window, so its failure still counts', async () => {
    await fail('edge', 4);
    time.advance(899);
    const inFlight = claimOf(await attempts.claim('edge'));
    time.advance(2);
    // Another attempt after the window: it must not start the item over under the claim in flight.
    expect(await attempts.claim('edge')).toEqual({ granted: false, retryAfterSeconds: 1 });
    await inFlight.fail();
    expect(await stored('edge')).toMatchObject({ attempts: 5, failures: 5 });
    expect(await retryAfter('edge')).toBe(60);
  });

  it('gives a claim back uncounted when no password was checked', async () => {
    await fail('released', 1);
    await claimOf(await attempts.claim('released')).release();
    expect(await stored('released')).toMatchObject({ attempts: 1, failures: 1 });
  });

  it('takes back claims whose attempts never settled, once no claim was made for 15 s', async () => {
    await fail('leaked', 2);
    await Promise.all(Array.from({ length: 3 }, () => attempts.claim('leaked').then(claimOf)));
    expect(await retryAfter('leaked')).toBe(1);
    time.advance(14);
    expect(await retryAfter('leaked')).toBe(1);
    time.advance(1);
    const claim = claimOf(await attempts.claim('leaked'));
    expect(await stored('leaked')).toMatchObject({ attempts: 3, failures: 2 });
    await claim.fail();
    expect(await stored('leaked')).toMatchObject({ attempts: 3, failures: 3 });
  });

  it('forgets everything a window after the last lock ends, though DynamoDB Local never deletes the item', async () => {
    await fail('quiet', 5);
    time.advance(60 + 900);
    await fail('quiet');
    expect(await stored('quiet')).toMatchObject({ attempts: 1, failures: 1, lockedUntil: 0 });
  });

  it('starts over from an item in the shape an earlier version wrote', async () => {
    const now = time.clock().getTime();
    await tables.client.send(
      new PutCommand({
        TableName: tables.attemptsTableName,
        Item: { key: 'legacy', failures: 9, lastFailureAt: now, expiresAt: Math.ceil(now / 1000) + 1800 },
      }),
    );
    await fail('legacy');
    expect(await stored('legacy')).toMatchObject({ attempts: 1, failures: 1 });
  });

  it('counts a failure whose item an operator deleted meanwhile', async () => {
    const claim = claimOf(await attempts.claim('cleared'));
    await tables.client.send(
      new DeleteCommand({
        TableName: tables.attemptsTableName,
        Key: { key: 'cleared' },
      }),
    );
    await claim.fail();
    expect(await stored('cleared')).toMatchObject({ attempts: 1, failures: 1 });
  });

  it('stores a TTL and nothing but counters under the keyed hash', async () => {
    await fail('ttl');
    const item = await stored('ttl');
    expect(Object.keys(item ?? {}).sort()).toEqual([
      'attempts',
      'expiresAt',
      'failures',
      'forgetAt',
      'key',
      'lastClaimAt',
      'lockedUntil',
    ]);
    const now = time.clock().getTime();
    expect(item).toMatchObject({ forgetAt: now + 900_000, expiresAt: Math.ceil(now / 1000) + 900 });
  });

  it("remembers a new item from its first claim, and a lock's failures for a window after the lock", async () => {
    const first = time.clock().getTime();
    await claimOf(await attempts.claim('remembered')).release();
    expect(await stored('remembered')).toMatchObject({
      forgetAt: first + 900_000,
      expiresAt: Math.ceil((first + 900_000) / 1000),
    });
    await fail('remembered', 5);
    const locked = time.clock().getTime();
    expect(await stored('remembered')).toMatchObject({
      lockedUntil: locked + 60_000,
      forgetAt: locked + 60_000 + 900_000,
      expiresAt: Math.ceil((locked + 960_000) / 1000),
    });
  });
});
