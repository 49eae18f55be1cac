import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { networkInterfaces } from 'node:os';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertErrorEnvelope, fetchChecked } from '#test/support/contract.ts';

const isListening = (port: number, host = '127.0.0.1'): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => resolve(!!socket.end()));
    socket.once('error', () => resolve(false));
  });

/** `npm start` as a newcomer runs it: its own DynamoDB Local, the demo user, the real handler. */
describe('npm start', () => {
  let server: ChildProcess;
  let url: string;
  let dynamoDbPort: number;
  let output = '';

  beforeAll(async () => {
    const { DYNAMODB_ENDPOINT, USERS_TABLE_NAME, SIGNING_KEYS, PUBLIC_KEYS, ...env } = process.env;
    // What `npm start` runs, on this same Node, without the tsx wrapper process in between.
    server = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], {
      env: { ...env, PORT: '0', POWERTOOLS_LOG_LEVEL: 'SILENT' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const deadline = Date.now() + 180_000;
    while (!output.includes('Ctrl-C stops it.')) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    url = /listening on (http:\/\/\S+)/.exec(output)![1]!;
    dynamoDbPort = Number(/DynamoDB: http:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]);
  });

  afterAll(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  it('prints a curl line that logs the demo user in', async () => {
    expect(output).toContain(`curl -s -X POST ${url}/api/auth/login`);
    const { response, body: text } = await fetchChecked(url, '/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ emailOrUsername: 'moviefan@example.com', password: 'secret123' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = JSON.parse(text) as { data: { user: unknown } };
    expect(body.data.user).toMatchObject({
      name: 'Movie Fan',
      username: 'moviefan',
      dateOfBirth: '1999-05-20T00:00:00.000Z',
    });
  });

  it('serves /api/auth/me and the keys that verify its tokens', async () => {
    const login = await fetchChecked(url, '/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ emailOrUsername: 'moviefan', password: 'secret123' }),
    });
    const { data } = JSON.parse(login.body) as { data: { token: string } };
    const me = await fetchChecked(url, '/api/auth/me', { headers: { Authorization: `Bearer ${data.token}` } });
    expect(me.response.status).toBe(200);
    expect((JSON.parse(me.body) as { data: { user: { username: string } } }).data.user.username).toBe('moviefan');
    // A verifier that knows only the issuer's URL finds the keys and accepts the token.
    const discovery = JSON.parse((await fetchChecked(url, '/.well-known/openid-configuration')).body) as {
      issuer: string;
      jwks_uri: string;
    };
    await fetchChecked(url, '/.well-known/jwks.json');
    expect(discovery.issuer).toBe(url);
    const { payload } = await jwtVerify(data.token, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: url });
    expect(payload.sub).toBe('66a1f2c4e5b3a1234567890a');
  });

  it('prints curl lines for refresh, logout, logout-all and the session list, and serves them', async () => {
    for (const path of ['refresh', 'logout', 'logout-all', 'sessions'])
      expect(output).toContain(`${url}/api/auth/${path}`);
    const post = (path: string, body?: unknown, token?: string) =>
      fetchChecked(url, path, {
        method: 'POST',
        headers: {
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
          ...(token && { Authorization: `Bearer ${token}` }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    const login = async () =>
      (
        JSON.parse((await post('/api/auth/login', { emailOrUsername: 'moviefan', password: 'secret123' })).body) as {
          data: { token: string; refreshToken: string };
        }
      ).data;
    const first = await login();
    const second = await login();
    const refreshed = await post('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(refreshed.response.status).toBe(200);
    const auth = { Authorization: `Bearer ${first.token}` };
    const { data } = JSON.parse((await fetchChecked(url, '/api/auth/sessions', { headers: auth })).body) as {
      data: { sessions: { id: string; current: boolean }[] };
    };
    const other = data.sessions.find((session) => !session.current && second.refreshToken.startsWith(session.id));
    expect(other).toBeDefined();
    const remove = (id: string) =>
      fetchChecked(url, `/api/auth/sessions/${id}`, { method: 'DELETE', headers: auth }, '/api/auth/sessions/{id}');
    // The {id} path parameter reaches the function, as API Gateway passes it.
    expect((await remove(other!.id)).response.status).toBe(200);
    expect((await post('/api/auth/refresh', { refreshToken: second.refreshToken })).response.status).toBe(401);
    expect((await remove('nope')).response.status).toBe(404);
    expect((await post('/api/auth/logout', undefined, first.token)).response.status).toBe(200);
    expect((await fetchChecked(url, '/api/auth/me', { headers: auth })).response.status).toBe(401);
  });

  it('answers every error status of the contract it can be driven to, in the contract', async () => {
    const post = (body: string, contentType = 'application/json') =>
      fetchChecked(url, '/api/auth/login', { method: 'POST', headers: { 'Content-Type': contentType }, body });
    expect((await post('{"emailOrUsername":"moviefan"}')).response.status).toBe(400);
    expect((await post('{"emailOrUsername":"nobody","password":"x"}')).response.status).toBe(401);
    expect((await post('x'.repeat(9000))).response.status).toBe(413);
    expect((await post('{}', 'text/plain')).response.status).toBe(415);
    const me = await fetchChecked(url, '/api/auth/me', { headers: { Authorization: 'Bearer nope' } });
    expect(me.response.status).toBe(401);
    const document = await fetchChecked(url, '/api/auth/openapi.json');
    expect(document.response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(JSON.parse(document.body).openapi).toBe('3.1.0');
    // It names where it is served from, so a client generated from it aims at this server.
    expect(JSON.parse(document.body).servers).toEqual([{ url, description: 'This API' }]);
  });

  it("lets openid-client discover it from its URL and refresh the demo user's session (RFC 6749)", async () => {
    const login = await fetchChecked(url, '/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ emailOrUsername: 'moviefan', password: 'secret123' }),
    });
    const { refreshToken } = (JSON.parse(login.body) as { data: { refreshToken: string } }).data;
    expect(output).toContain(`curl -s -X POST ${url}/api/auth/token`);
    const config = await client.discovery(new URL(url), 'movie-knight-app', undefined, client.None(), {
      execute: [client.allowInsecureRequests],
    });
    const tokens = await client.refreshTokenGrant(config, refreshToken);
    expect(tokens.token_type).toBe('bearer');
    await client.tokenRevocation(config, tokens.refresh_token as string);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('answers an unknown path and a method it does not route with a 404 envelope, as API Gateway does', async () => {
    for (const missing of [await fetch(`${url}/api/nothing`), await fetch(`${url}/api/auth/login`)]) {
      expect(missing.status).toBe(404);
      expect(missing.headers.get('content-type')).toBe('application/json');
      expect(missing.headers.get('x-frame-options')).toBe('DENY');
      const body = await missing.text();
      assertErrorEnvelope(body);
      expect(JSON.parse(body)).toEqual({ ok: false, error: 'Not found', code: 'not_found' });
    }
  });

  it("runs DynamoDB Local on 127.0.0.1 only: not reachable on the machine's other addresses", async () => {
    const other = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    expect(await isListening(dynamoDbPort)).toBe(true);
    if (other) expect(await isListening(dynamoDbPort, other.address)).toBe(false);
    expect(output).toContain(`Starting DynamoDB Local on 127.0.0.1:${dynamoDbPort}`);
  });

  it('stops DynamoDB Local too on SIGTERM', async () => {
    expect(await isListening(dynamoDbPort)).toBe(true);
    const exited = once(server, 'exit');
    server.kill('SIGTERM');
    await exited;
    expect(await isListening(dynamoDbPort)).toBe(false);
  });
});

describe('npm start with a bad setting', () => {
  it.each([
    ['PORT', 'abc'],
    ['POWERTOOLS_LOG_LEVEL', 'LOUD'],
    ['TOKEN_TTL_SECONDS', 'abc'],
  ])('refuses %s=%s, naming it, before it starts anything', async (name, value) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], {
      env: { ...process.env, DYNAMODB_ENDPOINT: '', [name]: value },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(output).toContain(`Environment variable ${name} must be`);
    expect(output).not.toContain('Starting DynamoDB Local');
  });
});
