import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent, loginEvent, type ProxyHandler } from '#test/support/events.ts';
import { closedPortEndpoint } from '#test/support/fake-dynamodb.ts';
import { createTestHandler, manualClock } from '#test/support/handler.ts';
import { testKeySet } from '#test/support/keys.ts';

const EMAIL = 'Zelda.Unique@Example.com';
const USERNAME = 'zelda-unique-7731';
const PASSWORD = 'Tr1forceOfWisdom!';
const WRONG_PASSWORD = 'Ganon-Guess-42';

/**
 * Every path a request can take, with the log output (Powertools Logger and Metrics both write
 * to stdout) captured: none of the secrets that went in may come out.
 */
describe('log hygiene', () => {
  let tables: TestTables;
  let output = '';
  const secrets: string[] = [EMAIL, EMAIL.toLowerCase(), USERNAME, PASSWORD, WRONG_PASSWORD];

  const capture = async (run: () => Promise<unknown>) => {
    const write = (chunk: string | Uint8Array) => {
      output += chunk.toString();
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(write);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(write);
    try {
      return await run();
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  };

  beforeAll(async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    tables = await createTestTables();
    const item = await tables.createUser(USERNAME, { email: EMAIL, password: PASSWORD });
    const privateMembers = (await testKeySet()).keys
      .flatMap((key) => [key.d, key.p, key.q, key.dp, key.dq, key.qi])
      .filter((member) => member !== undefined);
    secrets.push(item.passwordHash as string, tables.env.IDENTIFIER_KEY!, ...privateMembers);

    const env = { ...tables.env, POWERTOOLS_LOG_LEVEL: 'DEBUG' };
    const handler: ProxyHandler = createTestHandler(env, manualClock().clock);
    const send = (body: unknown) => invoke(handler, jsonLoginEvent(body));

    await capture(async () => {
      const success = await send({ emailOrUsername: EMAIL, password: PASSWORD });
      secrets.push(JSON.parse(success.body).data.token);
      await send({ emailOrUsername: USERNAME, password: WRONG_PASSWORD });
      await send({ emailOrUsername: `nobody-${USERNAME}`, password: WRONG_PASSWORD });
      for (let i = 0; i < 5; i += 1) await send({ emailOrUsername: EMAIL, password: WRONG_PASSWORD });
      await send({ emailOrUsername: EMAIL, password: PASSWORD }); // throttled
      await send({ emailOrUsername: USERNAME }); // bad input
      await invoke(handler, loginEvent(`{"emailOrUsername":"${USERNAME}","password":"${PASSWORD}`)); // not JSON
      await invoke(
        handler,
        loginEvent(`emailOrUsername=${USERNAME}&password=${PASSWORD}`, { 'Content-Type': 'text/plain' }),
      );
      const missingTable = createTestHandler({ ...env, USERS_TABLE_NAME: 'no-such-table' });
      await invoke(missingTable, jsonLoginEvent({ emailOrUsername: EMAIL, password: PASSWORD })); // 500
      const unreachable = createTestHandler({ ...env, DYNAMODB_ENDPOINT: await closedPortEndpoint() });
      await invoke(unreachable, jsonLoginEvent({ emailOrUsername: USERNAME, password: PASSWORD })); // 503
    });
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await tables.drop();
  });

  it('logs an outcome for every kind of attempt', () => {
    for (const outcome of ['success', 'bad_password', 'unknown_identifier', 'throttled', 'bad_input', 'error']) {
      expect(output).toContain(`"outcome":"${outcome}"`);
    }
    expect(output).toContain('"message":"Request failed"');
    expect(output).toContain('"LoginFailed"');
  });

  it('logs the keyed hash of the identifier, never the identifier', () => {
    expect(output).toMatch(/"identifierHash":"[\w-]{43}"/);
  });

  it('never logs a password, an identifier, a hash, a token or a key', () => {
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});
