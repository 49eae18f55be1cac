import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createDeviceTokens } from '#lib/sessions/device-token.ts';
import { createTestTables, TEST_REFRESH_KEY, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent, type ProxyHandler } from '#test/support/events.ts';
import { createTestHandler, manualClock } from '#test/support/handler.ts';

const PASSWORD = 'secret123';

/** The parts of an answer a client can see besides timing. */
const seen = ({ statusCode, headers, body }: APIGatewayProxyResult) => ({ statusCode, headers, body });

describe('trusted devices', () => {
  let tables: TestTables;
  let time: ReturnType<typeof manualClock>;
  let handler: ProxyHandler;
  const ids: Record<string, string> = {};
  // Spies that call through: the real bcrypt and DynamoDB run, and we see what was called.
  const compare = vi.spyOn(bcrypt, 'compare');
  const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');

  const login = (emailOrUsername: string, password: string, deviceToken?: string) =>
    invoke(handler, jsonLoginEvent({ emailOrUsername, password, ...(deviceToken !== undefined && { deviceToken }) }));
  const deviceOf = async (emailOrUsername: string): Promise<string> => {
    const response = await login(emailOrUsername, PASSWORD);
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).data.deviceToken;
  };
  const statuses = (responses: APIGatewayProxyResult[]) => responses.map((response) => response.statusCode);
  /** Locks an identifier: five wrong passwords from a client with no device token. */
  const lock = async (emailOrUsername: string) => {
    for (let i = 0; i < 5; i += 1) expect((await login(emailOrUsername, `wrong-${i}`)).statusCode).toBe(401);
    expect((await login(emailOrUsername, PASSWORD)).statusCode).toBe(429);
  };
  /** The DynamoDB calls (command and table) of one login, in a stable order: they run in parallel. */
  const callsOf = async (run: () => Promise<unknown>) => {
    const before = send.mock.calls.length;
    await run();
    return send.mock.calls
      .slice(before)
      .map(([command]) => `${command.constructor.name} ${(command.input as { TableName?: string }).TableName}`)
      .sort();
  };

  beforeAll(async () => {
    tables = await createTestTables();
    for (const username of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'ivan']) {
      const user = await tables.createUser(username);
      ids[username] = user.id as string;
    }
    time = manualClock();
    handler = createTestHandler({ ...tables.env, POWERTOOLS_LOG_LEVEL: 'SILENT' }, time.clock);
  });

  afterAll(async () => {
    compare.mockRestore();
    send.mockRestore();
    await tables.drop();
  });

  it('lets the owner sign in from a known device while an attacker loop keeps the identifier locked', async () => {
    const device = await deviceOf('alice');
    let stop = false;
    const attacker = async () => {
      const answers: APIGatewayProxyResult[] = [];
      for (let i = 0; !stop; i += 1) answers.push(await login('alice', `guess-${i}`));
      return answers;
    };
    // Two attacker loops and the owner's device, racing.
    const loops = [attacker(), attacker()];
    const owner: APIGatewayProxyResult[] = [];
    let token = device;
    for (let i = 0; i < 6; i += 1) {
      const response = await login('alice', PASSWORD, token);
      owner.push(response);
      if (response.statusCode === 200) token = JSON.parse(response.body).data.deviceToken;
    }
    stop = true;
    const attacks = (await Promise.all(loops)).flat();
    expect(statuses(owner)).toEqual(Array(6).fill(200));
    // The attacker got five checked guesses (401), then 429 for everyone without the device.
    expect(attacks.filter(({ statusCode }) => statusCode === 401).length).toBeLessThanOrEqual(5);
    expect(attacks.filter(({ statusCode }) => statusCode === 429).length).toBeGreaterThan(0);
    expect((await login('alice', PASSWORD)).statusCode).toBe(429);
    // The device kept its id: each sign-in from it renewed the same device's token.
    expect(token.split('.')[0]).toBe(device.split('.')[0]);
  });

  it('keeps the owner in while the attacker fails once each time Retry-After runs out', async () => {
    const device = await deviceOf('bob');
    await lock('bob');
    for (let round = 0; round < 5; round += 1) {
      const locked = await login('bob', `probe-${round}`);
      expect(locked.statusCode).toBe(429);
      time.advance(Number(locked.headers?.['Retry-After']));
      expect((await login('bob', `again-${round}`)).statusCode).toBe(401);
      expect((await login('bob', PASSWORD)).statusCode).toBe(429);
      expect((await login('bob', PASSWORD, device)).statusCode).toBe(200);
    }
  });

  it("judges a device on its own budget: five wrong passwords from it end it, and it is no one's key", async () => {
    const device = await deviceOf('carol');
    await lock('carol');
    for (let i = 0; i < 5; i += 1) expect((await login('carol', `typo-${i}`, device)).statusCode).toBe(401);
    // Ended: the device is judged like any client, on the identifier the attacker keeps locked.
    const comparesBefore = compare.mock.calls.length;
    expect((await login('carol', PASSWORD, device)).statusCode).toBe(429);
    expect(compare.mock.calls.length).toBe(comparesBefore);
  });

  it('checks at most five of 20 parallel wrong passwords from one device on its budget', async () => {
    const device = await deviceOf('dave');
    await lock('dave');
    const comparesBefore = compare.mock.calls.length;
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => login('dave', `burst-${i}`, device)));
    // Once the device's five are used, the rest are judged on the identifier, which is locked.
    expect(compare.mock.calls.length - comparesBefore).toBeLessThanOrEqual(5);
    expect(statuses(responses).filter((status) => status === 401).length).toBe(
      compare.mock.calls.length - comparesBefore,
    );
    expect(statuses(responses).every((status) => [401, 429, 503].includes(status))).toBe(true);
  });

  it('forgets the failures of the device a success came from', async () => {
    const device = await deviceOf('erin');
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 4; i += 1) expect((await login('erin', `typo-${i}`, device)).statusCode).toBe(401);
      expect((await login('erin', PASSWORD, device)).statusCode).toBe(200);
    }
  });

  it("treats a token that is another account's, ended, expired, forged or malformed exactly like none", async () => {
    // A handler whose identifier throttle never bites here, so every state meets the same budget.
    const lenient = createTestHandler({ ...tables.env, THROTTLE_MAX_FAILURES: '100' }, time.clock);
    const attempt = (emailOrUsername: string, password: string, deviceToken: string | undefined) =>
      invoke(lenient, jsonLoginEvent({ emailOrUsername, password, ...(deviceToken !== undefined && { deviceToken }) }));
    const own = await deviceOf('frank');
    const ended = await deviceOf('frank');
    // Every session of frank ends (logout everywhere, a password change): the epoch moves on.
    await tables.client.send(
      new UpdateCommand({
        TableName: tables.usersTableName,
        Key: { id: ids.frank },
        UpdateExpression: 'ADD sessionEpoch :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    const expired = (
      await createDeviceTokens(createSecretReader({ value: TEST_REFRESH_KEY }), {
        ttlSeconds: 86_400,
        clock: () => new Date(time.clock().getTime() - 2 * 86_400_000),
      }).issue({ id: ids.frank as string, sessionEpoch: 1, globalEpoch: 0 })
    ).token;
    const tokens = {
      none: undefined,
      "another account's": await deviceOf('gina'),
      ended,
      expired,
      forged: `${own.slice(0, -2)}${own.endsWith('AA') ? 'BB' : 'AA'}`,
      malformed: 'not-a-device-token',
    };
    for (const [state, token] of Object.entries(tokens)) {
      // A wrong password: the same answer, and the same DynamoDB calls as with no token.
      let withToken: unknown;
      let without: unknown;
      const calls = await callsOf(async () => {
        withToken = seen(await attempt('frank', 'wrong', token));
      });
      const baseline = await callsOf(async () => {
        without = seen(await attempt('frank', 'wrong', undefined));
      });
      expect(withToken, state).toEqual(without);
      expect(calls, state).toEqual(baseline);
    }
    // On an identifier an attacker keeps locked: the same 429 and Retry-After as with no token.
    await lock('gina');
    const none = seen(await login('gina', PASSWORD));
    for (const [state, token] of Object.entries({ ...tokens, "another account's": own })) {
      expect(seen(await login('gina', PASSWORD, token)), state).toEqual(none);
    }
  });

  it('answers 400, like any bad field, for a deviceToken that is not a string, empty or too long', async () => {
    for (const deviceToken of [42, null, {}, [], '', 'x'.repeat(119)]) {
      const response = await invoke(
        handler,
        jsonLoginEvent({ emailOrUsername: 'ivan', password: PASSWORD, deviceToken }),
      );
      expect(response.statusCode, JSON.stringify(deviceToken)).toBe(400);
      expect(JSON.parse(response.body)).toEqual({
        ok: false,
        error: expect.stringMatching(/^deviceToken must/),
        code: 'invalid_request',
      });
    }
    // The right shape that fails every check is ignored: the login goes on, untrusted.
    expect((await login('ivan', PASSWORD, 'x'.repeat(118))).statusCode).toBe(200);
  });
});
