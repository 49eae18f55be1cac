import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchChecked } from '#test/support/contract.ts';
import { createTestTables, TEST_PASSWORD, type TestTables } from '#test/support/dynamodb.ts';

type Grant = { token: string; refreshToken: string };

/** `npm start` on this Node, without the tsx wrapper process, against the shared DynamoDB Local. */
const startServer = async (env: Record<string, string>) => {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], {
    env: { ...process.env, ...env, PORT: '0', LOG_FORMAT: 'json', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk));
  const deadline = Date.now() + 240_000;
  while (!output.includes('Ctrl-C stops it.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, url: /listening on (http:\/\/\S+)/.exec(output)?.[1] as string };
};

/**
 * Lambda runs each function in many containers that share nothing but DynamoDB. Ending every
 * session must reach all of them on their very next request, not when a cache expires: here two
 * separate Node processes serve the service (each `npm start`, every route, warm), one DynamoDB
 * Local behind both, and the operator's command runs in a third.
 */
// Two servers starting at once on two cores, each importing every function, take a while.
describe('ending every session across separate processes', { timeout: 300_000 }, () => {
  let tables: TestTables;
  let servers: Awaited<ReturnType<typeof startServer>>[];

  const post = (url: string, path: string, body: unknown) =>
    fetchChecked(url, path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const login = async (url: string) => {
    const { response, body } = await post(url, '/api/auth/login', { emailOrUsername: 'pat', password: TEST_PASSWORD });
    expect(response.status).toBe(200);
    return JSON.parse(body).data as Grant;
  };
  const refresh = async (url: string, refreshToken: string) => {
    const { response, body } = await post(url, '/api/auth/refresh', { refreshToken });
    return { status: response.status, data: JSON.parse(body).data as Grant | undefined };
  };
  const bearer = (url: string, path: string, token: string) =>
    fetchChecked(url, path, { headers: { Authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('pat', { id: 'pat' });
    // The same keys and tables in both, as two containers of one deployment have.
    servers = await Promise.all([startServer(tables.env), startServer(tables.env)]);
  });

  afterAll(async () => {
    for (const { child } of servers ?? []) if (child.exitCode === null) child.kill('SIGTERM');
    await tables?.drop();
  });

  it("refuses every earlier session on each process's very next request once the switch is flipped from a third", async () => {
    const [a, b] = servers.map(({ url }) => url) as [string, string];
    // Sessions started on one process refresh on the other: one deployment, two containers.
    const onA = await login(a);
    const onB = await login(b);
    const sessions: Record<'a' | 'b', Grant> = { a: onA, b: onB };
    for (const [name, url, other] of [
      ['a', a, b],
      ['b', b, a],
    ] as const) {
      for (const via of [url, other, url]) {
        const next = await refresh(via, sessions[name].refreshToken);
        expect(next.status).toBe(200);
        sessions[name] = next.data as Grant;
      }
      expect((await bearer(url, '/api/auth/me', sessions[name].token)).response.status).toBe(200);
      expect((await bearer(other, '/api/auth/sessions', sessions[name].token)).response.status).toBe(200);
    }

    // The operator, from a process of its own, against the same DynamoDB.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/users.ts', 'end-all-sessions', '--yes'],
      {
        env: {
          ...process.env,
          DYNAMODB_ENDPOINT: tables.endpoint,
          SESSIONS_TABLE_NAME: tables.sessionsTableName,
          USERS_TABLE_NAME: '',
        },
      },
    );
    expect(stdout).toContain('the global session epoch is now 1 (was 0)');

    // At once, no wait: the next request on each process is refused, with the usual answers.
    for (const [name, url] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const refused = await refresh(url, sessions[name].refreshToken);
      expect({ name, status: refused.status }).toEqual({ name, status: 401 });
      for (const path of ['/api/auth/me', '/api/auth/sessions']) {
        const { response, body } = await bearer(url, path, sessions[name].token);
        expect({ name, path, status: response.status, code: JSON.parse(body).code }).toEqual({
          name,
          path,
          status: 401,
          code: 'invalid_token',
        });
      }
    }
    // A new sign-in on either process lives, and refreshes on the other.
    for (const [url, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const fresh = await login(url);
      expect((await refresh(other, fresh.refreshToken)).status).toBe(200);
      expect((await bearer(other, '/api/auth/me', fresh.token)).response.status).toBe(200);
    }
  });
});
