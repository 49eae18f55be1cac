import type { APIGatewayProxyResult } from 'aws-lambda';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent, type ProxyHandler } from '#test/support/events.ts';
import { createTestHandler, manualClock } from '#test/support/handler.ts';

const PASSWORD = 'secret123';
const seen = ({ statusCode, headers, body }: APIGatewayProxyResult) => ({ statusCode, headers, body });

describe('no success oracle', () => {
  let tables: TestTables;
  let handler: ProxyHandler;
  const time = manualClock();

  const login = (emailOrUsername: string, password: string, deviceToken?: string) =>
    invoke(handler, jsonLoginEvent({ emailOrUsername, password, ...(deviceToken && { deviceToken }) }));
  /** Four wrong guesses, whatever happens in between, then two more: what the attacker sees. */
  const probe = async (emailOrUsername: string, between: () => Promise<unknown>) => {
    const answers: APIGatewayProxyResult[] = [];
    for (let i = 0; i < 4; i += 1) answers.push(await login(emailOrUsername, `guess-${i}`));
    await between();
    for (let i = 4; i < 6; i += 1) answers.push(await login(emailOrUsername, `guess-${i}`));
    return answers.map(seen);
  };

  beforeAll(async () => {
    tables = await createTestTables();
    for (const username of ['live', 'trusting', 'idle', 'late', 'late-trusting', 'late-idle']) {
      await tables.createUser(username);
    }
    handler = createTestHandler({ ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT' }, time.clock);
  });

  afterAll(() => tables.drop());

  it('shows an untrusted client the same answers whether or not the owner signed in meanwhile', async () => {
    const device = JSON.parse((await login('trusting@example.com', PASSWORD)).body).data.deviceToken;
    const live = await probe('live', async () => expect((await login('live', PASSWORD)).statusCode).toBe(200));
    const trusting = await probe('trusting', async () =>
      expect((await login('trusting', PASSWORD, device)).statusCode).toBe(200),
    );
    const idle = await probe('idle', async () => undefined);
    const unknown = await probe('nobody', async () => undefined);
    expect(idle.map(({ statusCode }) => statusCode)).toEqual([401, 401, 401, 401, 401, 429]);
    expect(live).toEqual(idle);
    expect(trusting).toEqual(idle);
    expect(unknown).toEqual(idle);
  });

  it("does not move the failures' forget window when the owner signs in: they are forgotten when they would have been", async () => {
    const device = JSON.parse((await login('late-trusting', PASSWORD)).body).data.deviceToken;
    // The owner signs in halfway through the 15 minutes the failures are remembered; the attacker
    // comes back just after them.
    const meanwhile = (signIn: () => Promise<unknown>) => async () => {
      time.advance(450);
      await signIn();
      time.advance(455);
    };
    const live = await probe(
      'late',
      meanwhile(() => login('late', PASSWORD)),
    );
    const trusting = await probe(
      'late-trusting',
      meanwhile(() => login('late-trusting', PASSWORD, device)),
    );
    const idle = await probe(
      'late-idle',
      meanwhile(async () => undefined),
    );
    expect(idle.map(({ statusCode }) => statusCode)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(live).toEqual(idle);
    expect(trusting).toEqual(idle);
  });
});

describe('the account cap', () => {
  let tables: TestTables;
  let handler: ProxyHandler;
  const compare = vi.spyOn(bcrypt, 'compare');

  const login = (emailOrUsername: string, password: string, deviceToken?: string) =>
    invoke(handler, jsonLoginEvent({ emailOrUsername, password, ...(deviceToken && { deviceToken }) }));
  const deviceOf = async (emailOrUsername: string): Promise<string> =>
    JSON.parse((await login(emailOrUsername, PASSWORD)).body).data.deviceToken;
  const statuses = (responses: APIGatewayProxyResult[]) => responses.map((response) => response.statusCode);

  beforeAll(async () => {
    tables = await createTestTables();
    for (const username of ['anna', 'ben', 'cleo', 'dora']) {
      await tables.createUser(username);
    }
    // The smallest cap, and an identifier throttle that never bites, so the cap is what is seen.
    handler = createTestHandler(
      { ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT', ACCOUNT_MAX_FAILURES: '10', THROTTLE_MAX_FAILURES: '100' },
      manualClock().clock,
    );
  });

  afterAll(async () => {
    compare.mockRestore();
    await tables.drop();
  });

  it("refuses untrusted clients after 10 failures across the account's email and username, before bcrypt", async () => {
    const failures = [];
    for (let i = 0; i < 10; i += 1) failures.push(await login(i % 2 ? 'anna' : 'Anna@Example.com', `guess-${i}`));
    expect(statuses(failures)).toEqual(Array(10).fill(401));
    const comparesBefore = compare.mock.calls.length;
    for (const identifier of ['anna', 'anna@example.com']) {
      const refused = await login(identifier, PASSWORD);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers?.['Retry-After']).toBe('900');
    }
    expect(compare.mock.calls.length).toBe(comparesBefore);
  });

  it('answers a locked identifier of a capped account with the Retry-After of the cap', async () => {
    await tables.createUser('eli');
    // The default identifier throttle (5) as well as the cap (10): both identifiers locked, the account capped.
    const strict = createTestHandler(
      { ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT', ACCOUNT_MAX_FAILURES: '10' },
      manualClock().clock,
    );
    const attempt = (emailOrUsername: string, password: string) =>
      invoke(strict, jsonLoginEvent({ emailOrUsername, password }));
    for (const identifier of ['eli', 'eli@example.com']) {
      for (let i = 0; i < 5; i += 1) expect((await attempt(identifier, `guess-${i}`)).statusCode).toBe(401);
    }
    for (const identifier of ['eli', 'eli@example.com']) {
      const refused = await attempt(identifier, PASSWORD);
      expect(refused.statusCode).toBe(429);
      expect(refused.headers?.['Retry-After']).toBe('900');
    }
  });

  it('lets trusted devices in, and a success from one starts the account over', async () => {
    const device = await deviceOf('ben');
    for (let i = 0; i < 10; i += 1) await login('ben', `guess-${i}`);
    expect((await login('ben@example.com', PASSWORD)).statusCode).toBe(429);
    expect((await login('ben', PASSWORD, device)).statusCode).toBe(200);
    expect((await login('ben@example.com', PASSWORD)).statusCode).toBe(200);
  });

  it('caps an unknown identifier after as many failures: the cap does not tell who exists', async () => {
    const known = [];
    const unknown = [];
    for (let i = 0; i < 11; i += 1) {
      known.push(seen(await login('cleo', `guess-${i}`)));
      unknown.push(seen(await login('nobody@example.com', `guess-${i}`)));
    }
    expect(unknown).toEqual(known);
    expect(known.at(-1)?.statusCode).toBe(429);
    // Another identifier is another account.
    expect((await login('nobody-else@example.com', 'guess')).statusCode).toBe(401);
  });

  it('answers at most 10 of 20 parallel wrong passwords on both identifiers as failures', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(i % 2 ? 'dora' : 'dora@example.com', `burst-${i}`)),
    );
    const count = (status: number) => statuses(responses).filter((s) => s === status).length;
    expect(count(401)).toBeLessThanOrEqual(10);
    // 20 requests and their bcrypt runs share one Node thread here: on a loaded machine a DynamoDB
    // call can time out behind them, a 503 and never a 401; and a count the SDK sent again after a
    // timeout counts twice (the cap errs towards refusing), so fewer than 10 may be answered 401.
    expect(count(401) + count(429) + count(503), statuses(responses).join(' ')).toBe(20);
    if (count(503) === 0) {
      // Every failure was answered: at least one as a failure, and the account is capped after.
      expect(count(401), statuses(responses).join(' ')).toBeGreaterThan(0);
      expect((await login('dora', PASSWORD)).statusCode).toBe(429);
    }
  });
});
