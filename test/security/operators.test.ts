import { spawn } from 'node:child_process';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest } from '#test/support/session-requests.ts';

const PASSWORD = 'secret123';
const seen = ({ statusCode, headers, body }: APIGatewayProxyResult) => ({ statusCode, headers, body });

/** Runs `npm run users -- ...args` as an operator would, against the test tables. */
const users = (tables: TestTables, args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/users.ts', ...args], {
      env: {
        ...process.env,
        USERS_TABLE_NAME: tables.usersTableName,
        ATTEMPTS_TABLE_NAME: tables.attemptsTableName,
        IDENTIFIER_KEY: tables.env.IDENTIFIER_KEY,
        DYNAMODB_ENDPOINT: tables.endpoint,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });

describe('operators acting on an account (npm run users)', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;

  const login = (emailOrUsername: string, password: string, deviceToken?: string) =>
    invoke(handlers.login, jsonLoginEvent({ emailOrUsername, password, ...(deviceToken && { deviceToken }) }));
  const signIn = async (emailOrUsername: string) => {
    const response = await login(emailOrUsername, PASSWORD);
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).data as { token: string; refreshToken: string; deviceToken: string };
  };
  const me = (token: string) => sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token });
  const refresh = (refreshToken: string) =>
    sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } });

  beforeAll(async () => {
    tables = await createTestTables();
    for (const username of ['locked', 'capped', 'gone', 'quitter']) {
      await tables.createUser(username);
    }
    handlers = createSessionHandlers({ ...tables.env, THROTTLE_MAX_FAILURES: '5', ACCOUNT_MAX_FAILURES: '10' });
  });

  afterAll(() => tables.drop());

  it("unlocks an identifier, and only that identifier's failures", async () => {
    for (let i = 0; i < 5; i += 1) await login('locked', `guess-${i}`);
    expect((await login('locked', PASSWORD)).statusCode).toBe(429);
    const { code, stdout } = await users(tables, ['unlock', '--user', 'locked']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('Unlocked locked');
    expect((await login('locked', PASSWORD)).statusCode).toBe(200);
  });

  it('unlocks an account: its email, its username and its cap', async () => {
    for (let i = 0; i < 10; i += 1) await login(i < 5 ? 'capped' : 'capped@example.com', `guess-${i}`);
    expect((await login('capped@example.com', PASSWORD)).statusCode).toBe(429);
    expect((await users(tables, ['unlock-account', '--user', 'capped'])).code).toBe(0);
    expect((await login('capped', PASSWORD)).statusCode).toBe(200);
    expect((await login('capped@example.com', PASSWORD)).statusCode).toBe(200);
  });

  it('disables a user: sign-ins fail exactly like a wrong password, and every session and device token ends', async () => {
    const { token, refreshToken, deviceToken } = await signIn('quitter');
    expect((await me(token)).statusCode).toBe(200);
    expect((await users(tables, ['disable', '--user', 'quitter@example.com'])).code).toBe(0);
    expect((await me(token)).statusCode).toBe(401);
    expect((await refresh(refreshToken)).statusCode).toBe(401);
    const right = seen(await login('quitter', PASSWORD));
    const wrong = seen(await login('quitter', 'wrong'));
    expect(right).toEqual(wrong);
    expect(right.statusCode).toBe(401);
    // The device token ended with the sessions: it is judged as untrusted, and the right password
    // still fails like a wrong one.
    expect(seen(await login('quitter', PASSWORD, deviceToken))).toEqual(wrong);
    expect((await users(tables, ['enable', '--user', 'quitter'])).code).toBe(0);
    const again = await signIn('quitter');
    expect((await login('quitter', PASSWORD, deviceToken)).statusCode).toBe(200);
    expect(again.deviceToken.split('.')[0]).not.toBe(deviceToken.split('.')[0]);
  });

  it('deletes a user: sign-ins fail like an unknown identifier, and every session ends', async () => {
    const { token, refreshToken, deviceToken } = await signIn('gone');
    expect((await users(tables, ['delete', '--user', 'gone'])).code).toBe(2);
    expect((await users(tables, ['delete', '--user', 'gone', '--yes'])).code).toBe(0);
    expect((await me(token)).statusCode).toBe(401);
    expect((await refresh(refreshToken)).statusCode).toBe(401);
    expect(seen(await login('gone', PASSWORD, deviceToken))).toEqual(seen(await login('nobody-ever', PASSWORD)));
  });
});
