import { once } from 'node:events';
import { request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_RESPONSE_HEADERS, SECURITY_HEADERS } from '#lib/http/headers.ts';
import { success } from '#lib/http/response.ts';
import { createLocalApi } from '#scripts/local/local-api.ts';

const APP = 'http://app.localhost:5173';

/** The headers a fetch response carries, by lower-case name, as a plain object. */
const headersOf = (response: Response): Record<string, string> => Object.fromEntries(response.headers.entries());

const lowerCased = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

/** A request sent exactly as written: fetch would resolve dot segments before sending. */
const rawPost = (port: number, path: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

describe('the local API (npm start) answers what API Gateway answers itself', () => {
  const server = createLocalApi(
    [
      {
        method: 'POST',
        path: '/api/auth/login',
        functionName: 'LoginFunction',
        handler: async (event) => success({ path: event.path }),
      },
      {
        method: 'POST',
        path: '/api/auth/passkeys/registration',
        functionName: 'PasskeysFunction',
        handler: async (event) => success({ resource: event.resource }),
      },
      {
        method: 'DELETE',
        path: '/api/auth/passkeys/{id}',
        functionName: 'PasskeysFunction',
        handler: async (event) => success({ resource: event.resource, id: event.pathParameters?.id }),
      },
    ],
    { corsAllowedOrigins: [APP] },
  );
  let url: string;

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => server.close());

  it('answers an unknown path and an unrouted method with the 404 envelope, security and CORS headers', async () => {
    for (const [path, method] of [
      ['/api/nothing', 'GET'],
      ['/api/auth/login', 'GET'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method, headers: { Origin: APP } });
      expect(response.status).toBe(404);
      expect(headersOf(response)).toMatchObject({
        ...lowerCased(API_RESPONSE_HEADERS),
        'access-control-allow-origin': APP,
        vary: 'Origin',
      });
      expect(await response.json()).toEqual({ ok: false, error: 'Not found', code: 'not_found' });
    }
  });

  it('picks the most specific resource before the method, as API Gateway does', async () => {
    const post = await fetch(`${url}/api/auth/passkeys/registration`, { method: 'POST' });
    expect(await post.json()).toEqual({ ok: true, data: { resource: '/api/auth/passkeys/registration' } });
    const other = await fetch(`${url}/api/auth/passkeys/abc`, { method: 'DELETE' });
    expect(await other.json()).toEqual({ ok: true, data: { resource: '/api/auth/passkeys/{id}', id: 'abc' } });
    // The literal resource has no DELETE: no route, not a delete of the passkey "registration".
    const literal = await fetch(`${url}/api/auth/passkeys/registration`, { method: 'DELETE' });
    expect(literal.status).toBe(404);
    expect(await literal.json()).toEqual({ ok: false, error: 'Not found', code: 'not_found' });
  });

  it('does not resolve dot segments, as API Gateway does not', async () => {
    expect(await rawPost(Number(new URL(url).port), '/api/auth/x/../login')).toEqual({
      status: 404,
      body: '{"ok":false,"error":"Not found","code":"not_found"}',
    });
    expect((await rawPost(Number(new URL(url).port), '/api/auth/%2E%2E/auth/login')).status).toBe(404);
  });

  it('answers a body over 10 MB with the 413 envelope', async () => {
    const response = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: APP },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(headersOf(response)).toMatchObject({
      ...lowerCased(API_RESPONSE_HEADERS),
      'access-control-allow-origin': APP,
    });
    expect(await response.json()).toEqual({ ok: false, error: 'Request body too large', code: 'payload_too_large' });
  });

  it('answers a declared length over 10 MB at once, without waiting for a body that never comes', async () => {
    const port = Number(new URL(url).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        // The head alone, and one byte of the 20 MB it announces.
        socket.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n');
        socket.write(`Content-Length: ${20 * 1024 * 1024}\r\n\r\n{`);
      });
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk;
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('{"ok":false,"error":"Request body too large","code":"payload_too_large"}');
  });

  it('answers oversized headers with the 431 envelope instead of a bare status', async () => {
    const response = await fetch(`${url}/api/auth/login`, { headers: { 'X-Big': 'x'.repeat(20_000) } });
    expect(response.status).toBe(431);
    expect(headersOf(response)).toMatchObject(lowerCased(API_RESPONSE_HEADERS));
    expect(await response.json()).toEqual({ ok: false, error: 'Request headers too large', code: 'headers_too_large' });
  });

  it('answers a preflight from an allowed origin like the stack does, and no other', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/api/auth/login`, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type,authorization',
        },
      });
    const allowed = await preflight(APP);
    expect(allowed.status).toBe(204);
    expect(headersOf(allowed)).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'POST,DELETE',
      'access-control-allow-headers': 'Authorization,Content-Type',
      'access-control-max-age': '3600',
      vary: 'Origin',
    });
    expect(headersOf(allowed)).not.toHaveProperty('access-control-allow-credentials');
    const other = await preflight('http://evil.localhost:6666');
    expect(Object.keys(headersOf(other)).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    // The security headers of every other answer, on both.
    for (const answer of [allowed, other]) expect(headersOf(answer)).toMatchObject(lowerCased(SECURITY_HEADERS));
  });
});
