import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent } from '#test/support/events.ts';
import { createTestHandler, manualClock } from '#test/support/handler.ts';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Median time of each of two attempts, measured alternately so drift affects both alike. */
const medianRatio = async (a: () => Promise<unknown>, b: () => Promise<unknown>, rounds: number) => {
  const times: [number[], number[]] = [[], []];
  await a();
  await b(); // warm-up, not measured
  for (let i = 0; i < rounds; i += 1) {
    for (const [index, attempt] of [a, b].entries()) {
      const started = performance.now();
      await attempt();
      times[index]!.push(performance.now() - started);
    }
  }
  return median(times[0]) / median(times[1]);
};

/**
 * A known and an unknown identifier must be indistinguishable: same status, body and headers on
 * every attempt, throttled or not, and the same time.
 */
describe('user enumeration', () => {
  let tables: TestTables;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser({ email: 'fan@example.com', username: 'moviefan', name: 'Fan', password: 'secret123' });
  });

  afterAll(() => tables.drop());

  it('answers a known and an unknown identifier identically, attempt by attempt, through throttling', async () => {
    const time = manualClock();
    const handler = createTestHandler({ ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT' }, time.clock);
    const attempt = (emailOrUsername: string, password: string) =>
      invoke(handler, jsonLoginEvent({ emailOrUsername, password }));

    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const known = await attempt('Fan@Example.com', 'wrong-password');
      const unknown = await attempt('nobody@example.com', 'wrong-password');
      expect(unknown).toStrictEqual(known);
      statuses.push(known.statusCode);
      time.advance(5);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);

    // Even the right password is throttled, exactly like a guess at an unknown identifier.
    const right = await attempt('fan@example.com', 'secret123');
    const unknown = await attempt('nobody@example.com', 'secret123');
    expect(right.statusCode).toBe(429);
    // Locked by the fifth failure at 20 s for 60 s; it is now 35 s.
    expect(right.headers?.['Retry-After']).toBe('45');
    expect(unknown).toStrictEqual(right);
  });

  it('takes the same time for an unknown identifier as for a wrong password (ratio of medians)', async () => {
    const handler = createTestHandler({ ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT', THROTTLE_MAX_FAILURES: '100' });
    const ratio = await medianRatio(
      () => invoke(handler, jsonLoginEvent({ emailOrUsername: 'moviefan', password: 'wrong-password' })),
      () => invoke(handler, jsonLoginEvent({ emailOrUsername: 'nobody-here', password: 'wrong-password' })),
      15,
    );
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });

  it('takes the same time for a known and an unknown identifier while throttled (ratio of medians)', async () => {
    const handler = createTestHandler({ ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT', THROTTLE_MAX_FAILURES: '1' });
    const attempt = (emailOrUsername: string) => () =>
      invoke(handler, jsonLoginEvent({ emailOrUsername, password: 'wrong-password' }));
    const ratio = await medianRatio(attempt('fan@example.com'), attempt('throttled-nobody'), 21);
    expect(ratio).toBeGreaterThan(0.67);
    expect(ratio).toBeLessThan(1.5);
  });
});
