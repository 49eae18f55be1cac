import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestTables, TEST_BCRYPT_COST, TEST_PASSWORD, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent } from '#test/support/events.ts';
import { createTestHandler, manualClock } from '#test/support/handler.ts';

/**
 * A known and an unknown identifier must be indistinguishable: same status, body and headers on
 * every attempt, throttled or not, and the same work (the times themselves are measured by
 * `npm run bench`, not asserted here).
 */
describe('user enumeration', () => {
  let tables: TestTables;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('moviefan', { email: 'fan@example.com' });
    await tables.createUser('long', { password: 'p'.repeat(72) });
    for (const email of ['twin1@example.com', 'twin2@example.com']) {
      await tables.createUser('twin', { email });
    }
    const broken = await tables.createUser('broken', { email: 'b@example.com', password: 'x' });
    await tables.put({ ...broken, passwordHash: 'secret123' });
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

  it('does one bcrypt compare at the configured cost and the same DynamoDB calls, in order, for every failure kind', async () => {
    const handler = createTestHandler({ ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT' });
    // Spies that call through: the real bcrypt and the real document client run; we only watch.
    const compare = vi.spyOn(bcrypt, 'compare');
    const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
    const traceOf = async (emailOrUsername: string, password: string) => {
      compare.mockClear();
      send.mockClear();
      const response = await invoke(handler, jsonLoginEvent({ emailOrUsername, password }));
      const calls = send.mock.calls.map(([command]) => {
        const { TableName, IndexName, UpdateExpression, ConditionExpression } = command.input as Record<
          string,
          unknown
        >;
        const table =
          TableName === tables.usersTableName
            ? 'users'
            : TableName === tables.attemptsTableName
              ? 'attempts'
              : TableName === tables.sessionsTableName
                ? 'sessions'
                : TableName;
        return { command: command.constructor.name, table, IndexName, UpdateExpression, ConditionExpression };
      });
      const rounds = compare.mock.calls.map(([, hash]) => bcrypt.getRounds(hash as string));
      return { response, calls, rounds };
    };
    try {
      const kinds = {
        'wrong password': await traceOf('moviefan', 'wrong-password'),
        'unknown identifier': await traceOf('nobody-here', 'wrong-password'),
        'two users with the username': await traceOf('twin', 'secret123'),
        'an item without a usable hash': await traceOf('broken', 'secret123'),
        'a password over 72 bytes whose first 72 match': await traceOf('long', `${'p'.repeat(72)}x`),
      };
      const reference = kinds['wrong password'];
      expect(reference.rounds).toEqual([TEST_BCRYPT_COST]);
      // The lookup and the global session epoch's read; the identifier's claim, the device's (none
      // here: refused where no item is) and the account cap's read; after bcrypt, the failure and
      // the cap's count on two items.
      expect(reference.calls.map(({ command, table }) => `${command} ${table}`)).toEqual([
        'QueryCommand users',
        'GetCommand sessions',
        'UpdateCommand attempts',
        'UpdateCommand attempts',
        'GetCommand attempts',
        'UpdateCommand attempts',
        'UpdateCommand attempts',
        'UpdateCommand attempts',
      ]);
      for (const [kind, trace] of Object.entries(kinds)) {
        expect({ kind, ...trace }).toStrictEqual({ kind, ...reference });
      }
    } finally {
      compare.mockRestore();
      send.mockRestore();
    }
  });
});

/**
 * The time of a check must not tell an old hash from a new one: right after BCRYPT_COST is raised
 * every stored hash is at a lower cost than the dummy, and dormant accounts would stand out from
 * unknown identifiers (and from accounts already rehashed) by being faster. Every failure does the
 * work of one compare at the configured cost (lib/users/passwords.ts); this asserts the compares,
 * `npm run bench` the times.
 */
describe('user enumeration right after BCRYPT_COST was raised', () => {
  const RAISED = TEST_BCRYPT_COST + 1;
  let tables: TestTables;

  beforeAll(async () => {
    tables = await createTestTables();
    // Hashed before the raise (at the old cost), after it, and at a cost above it (it was lowered since).
    await tables.createUser('old');
    for (const [username, cost] of [
      ['new', RAISED],
      ['dearer', RAISED + 1],
    ] as const) {
      const user = await tables.createUser(username);
      await tables.put({ ...user, passwordHash: await bcrypt.hash(TEST_PASSWORD, cost) });
    }
  });

  afterAll(() => tables.drop());

  it('does the work of one compare at the configured cost for every identifier, with the same answer and calls', async () => {
    const handler = createTestHandler({ ...tables.env, BCRYPT_COST: String(RAISED), POWERTOOLS_LOG_LEVEL: 'SILENT' });
    const compare = vi.spyOn(bcrypt, 'compare');
    const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
    const traceOf = async (emailOrUsername: string, password: string) => {
      compare.mockClear();
      send.mockClear();
      const response = await invoke(handler, jsonLoginEvent({ emailOrUsername, password }));
      const rounds = compare.mock.calls.map(([, hash]) => bcrypt.getRounds(hash as string));
      const calls = send.mock.calls.map(([command]) => command.constructor.name);
      return { response, calls, work: rounds.reduce((sum, cost) => sum + 2 ** cost, 0), rounds };
    };
    try {
      const kinds = {
        'unknown identifier': await traceOf('nobody', 'wrong-password'),
        'hashed at the configured cost': await traceOf('new', 'wrong-password'),
        'hashed before the raise': await traceOf('old', 'wrong-password'),
        'hashed above the configured cost, even with the right password': await traceOf('dearer', TEST_PASSWORD),
      };
      expect(kinds['unknown identifier'].rounds).toEqual([RAISED]);
      expect(kinds['hashed at the configured cost'].rounds).toEqual([RAISED]);
      // Its own cost, then a dummy making up the difference.
      expect(kinds['hashed before the raise'].rounds).toEqual([TEST_BCRYPT_COST, TEST_BCRYPT_COST]);
      expect(kinds['hashed above the configured cost, even with the right password'].rounds).toEqual([RAISED]);
      const reference = kinds['unknown identifier'];
      expect(reference.work).toBe(2 ** RAISED);
      expect(reference.response.statusCode).toBe(401);
      for (const [kind, { response, calls, work }] of Object.entries(kinds)) {
        expect({ kind, response, calls, work }).toStrictEqual({
          kind,
          response: reference.response,
          calls: reference.calls,
          work: reference.work,
        });
      }
      // The right password still works for the hash made before the raise (and upgrades it).
      expect((await traceOf('old', TEST_PASSWORD)).response.statusCode).toBe(200);
    } finally {
      compare.mockRestore();
      send.mockRestore();
    }
  });
});
