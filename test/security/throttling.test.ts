import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent, type ProxyHandler } from '#test/support/events.ts';
import { createTestHandler, manualClock } from '#test/support/handler.ts';

const THROTTLED_BODY = '{"ok":false,"error":"Too many failed attempts, try again later","code":"too_many_attempts"}';

describe('per-identifier throttling', () => {
  let tables: TestTables;
  let time: ReturnType<typeof manualClock>;
  let handler: ProxyHandler;
  // A spy that calls through: the real bcrypt runs, and we count how often.
  const compare = vi.spyOn(bcrypt, 'compare');

  const attempt = (emailOrUsername: string, password: string) =>
    invoke(handler, jsonLoginEvent({ emailOrUsername, password }));
  const failTimes = async (emailOrUsername: string, times: number) => {
    for (let i = 0; i < times; i += 1) expect((await attempt(emailOrUsername, 'wrong')).statusCode).toBe(401);
  };

  beforeAll(async () => {
    tables = await createTestTables();
    for (const username of ['alice', 'bob', 'carol', 'dave', 'frank', 'grace', 'heidi']) {
      await tables.createUser(username);
    }
    time = manualClock();
    handler = createTestHandler({ ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT' }, time.clock);
  });

  afterAll(async () => {
    compare.mockRestore();
    await tables.drop();
  });

  it('answers 429 with Retry-After after five failures, even to the right password, with no bcrypt work', async () => {
    await failTimes('alice', 5);
    const comparesBefore = compare.mock.calls.length;
    const response = await attempt('alice', 'secret123');
    expect(response).toStrictEqual({
      statusCode: 429,
      headers: { ...API_RESPONSE_HEADERS, 'Retry-After': '60' },
      body: THROTTLED_BODY,
    });
    expect(compare.mock.calls.length).toBe(comparesBefore);
  });

  it('counts an email in any case as one identifier', async () => {
    await failTimes('BOB@example.com', 2);
    await failTimes('bob@EXAMPLE.com', 3);
    expect((await attempt('bob@example.com', 'secret123')).statusCode).toBe(429);
  });

  it('lets the identifier in once the lock has passed; a success forgets nothing (no success oracle)', async () => {
    await failTimes('carol', 5);
    time.advance(60);
    expect((await attempt('carol', 'secret123')).statusCode).toBe(200);
    // The five failures still count: the next one doubles the lock, as if nobody had signed in.
    expect((await attempt('carol', 'wrong')).statusCode).toBe(401);
    const locked = await attempt('carol', 'secret123');
    expect(locked.statusCode).toBe(429);
    expect(locked.headers?.['Retry-After']).toBe('120');
  });

  it('doubles the lock for each failure after it, and every lock expires by itself', async () => {
    await failTimes('dave', 5);
    const retryAfter: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const locked = await attempt('dave', 'wrong');
      retryAfter.push(locked.headers?.['Retry-After'] as string);
      time.advance(Number(locked.headers?.['Retry-After']));
      expect((await attempt('dave', 'wrong')).statusCode).toBe(401);
    }
    expect(retryAfter).toEqual(['60', '120', '240', '480', '900', '900']);
    time.advance(900);
    expect((await attempt('dave', 'secret123')).statusCode).toBe(200);
  });

  it('forgets failures after a quiet window', async () => {
    await failTimes('eve@example.com', 4);
    time.advance(15 * 60);
    await failTimes('eve@example.com', 4);
    expect((await attempt('eve@example.com', 'x')).statusCode).toBe(401);
  });

  it('checks at most five of 30 parallel wrong passwords for a fresh identifier; the rest get 429 without bcrypt', async () => {
    const comparesBefore = compare.mock.calls.length;
    const responses = await Promise.all(Array.from({ length: 30 }, () => attempt('frank', 'wrong')));
    const count = (status: number) => responses.filter(({ statusCode }) => statusCode === status).length;
    expect(compare.mock.calls.length - comparesBefore).toBeLessThanOrEqual(5);
    expect(compare.mock.calls.length - comparesBefore).toBe(count(401));
    // 30 requests and five bcrypt runs share one Node thread here (in Lambda each has its own):
    // on a loaded machine a DynamoDB call can time out behind them, a 503 and never a check.
    expect(count(401) + count(429) + count(503)).toBe(30);
    if (count(503) === 0) expect([count(401), count(429)]).toEqual([5, 25]);
    // The waiting attempts saw the lock the five failures set.
    for (const response of responses.filter(({ statusCode }) => statusCode === 429)) {
      expect(response).toStrictEqual({
        statusCode: 429,
        headers: { ...API_RESPONSE_HEADERS, 'Retry-After': expect.stringMatching(/^(60|1)$/) },
        body: THROTTLED_BODY,
      });
    }
    // Once they are done, the right password is refused too, with no compare.
    const comparesAfter = compare.mock.calls.length;
    if (count(401) === 5) expect((await attempt('frank', 'secret123')).statusCode).toBe(429);
    expect(compare.mock.calls.length).toBe(comparesAfter);
  });

  it('logs in eight parallel correct logins of one user, twice over', async () => {
    for (let round = 0; round < 2; round += 1) {
      const responses = await Promise.all(Array.from({ length: 8 }, () => attempt('grace', 'secret123')));
      expect(responses.map((response) => response.statusCode)).toEqual(Array(8).fill(200));
    }
  });

  it('keeps every failure of a burst that a correct login was part of, and those before it', async () => {
    // Two failures, then the right password alongside two wrong ones: all four failures count.
    await failTimes('heidi', 2);
    const responses = await Promise.all([
      attempt('heidi', 'secret123'),
      attempt('heidi', 'wrong'),
      attempt('heidi', 'wrong'),
    ]);
    expect(responses.map((response) => response.statusCode)).toEqual([200, 401, 401]);
    await failTimes('heidi', 1);
    expect((await attempt('heidi', 'secret123')).statusCode).toBe(429);
  });
});
