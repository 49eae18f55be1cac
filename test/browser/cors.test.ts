import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HTTP_FUNCTIONS, HTTP_ROUTES } from '#lib/http/routes.ts';
import { createLocalApi, type ProxyHandler } from '#scripts/local/local-api.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';

/** Debian's chromium package; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);

if (!HAS_CHROMIUM) {
  if (process.env.CI === 'true') throw new Error(`CI needs Chromium at ${CHROMIUM}; .ci/run installs it`);
  console.warn(
    `\n!!! SKIPPING the browser CORS test: no Chromium at ${CHROMIUM}. Install it: apt-get update && apt-get install -y --no-install-recommends chromium\n`,
  );
}

/** A server for the page's own origin: an empty HTML page, so scripts run with that origin. */
const pageServer = async (): Promise<{ server: Server; origin: string }> => {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.end('<!doctype html><title>app</title>');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

interface BrowserAnswer {
  status?: number;
  body?: {
    ok: boolean;
    error?: string;
    data?: {
      token?: string;
      refreshToken?: string;
      user?: { username: string };
      sessions?: { id: string; current: boolean }[];
    };
  };
  retryAfter?: string | null;
  wwwAuthenticate?: string | null;
  failed?: string;
}

/** A fetch made by the page's script, as a browser app makes it: what the script can read of the answer. */
const browserFetch = (
  page: Page,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
) =>
  page.evaluate(
    async (url, init): Promise<BrowserAnswer> => {
      try {
        const response = await fetch(url, init);
        return {
          status: response.status,
          body: (await response.json()) as BrowserAnswer['body'],
          retryAfter: response.headers.get('Retry-After'),
          wwwAuthenticate: response.headers.get('WWW-Authenticate'),
        };
      } catch (error) {
        return { failed: String(error) };
      }
    },
    url,
    init,
  );

describe.skipIf(!HAS_CHROMIUM)('CORS in a real browser (headless Chromium)', () => {
  let tables: TestTables;
  let api: Server;
  let apiUrl: string;
  let app: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };
  let browser: Browser;
  let userDataDir: string;
  let appPage: Page;
  let strangerPage: Page;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('fan');
    await tables.createUser('changer', { password: 'an old passphrase of mine' });
    app = await pageServer();
    stranger = await pageServer();
    // The real handler modules, as npm start loads them, allowing the app's origin only.
    vi.resetModules();
    for (const [name, value] of Object.entries(tables.env)) vi.stubEnv(name, value);
    vi.stubEnv('CORS_ALLOWED_ORIGINS', app.origin);
    vi.stubEnv('THROTTLE_MAX_FAILURES', '2');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const routes = await Promise.all(
      HTTP_ROUTES.map(async (route) => {
        const { folder, constructId } = HTTP_FUNCTIONS[route.function];
        const { handler } = (await import(`#functions/${folder}/handler.ts`)) as { handler: ProxyHandler };
        return { method: route.method, path: route.path, functionName: constructId, handler };
      }),
    );
    api = createLocalApi(routes, { corsAllowedOrigins: [app.origin] });
    api.listen(0, '127.0.0.1');
    await once(api, 'listening');
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;

    userDataDir = mkdtempSync(join(tmpdir(), 'mk-auth-chromium-'));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      userDataDir,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    appPage = await browser.newPage();
    await appPage.goto(app.origin);
    strangerPage = await browser.newPage();
    await strangerPage.goto(stranger.origin);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    for (const server of [api, app?.server, stranger?.server]) server?.close();
    vi.unstubAllEnvs();
    await tables?.drop();
  });

  const login = (page: Page, emailOrUsername: string, password: string) =>
    browserFetch(page, `${apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ emailOrUsername, password }),
    });

  it('lets the allowed origin log in (a preflighted JSON POST) and call /me with the bearer token', async () => {
    const ok = await login(appPage, 'fan', 'secret123');
    expect(ok.status).toBe(200);
    expect(ok.body?.data?.user?.username).toBe('fan');
    const me = await browserFetch(appPage, `${apiUrl}/api/auth/me`, {
      headers: { Authorization: `Bearer ${ok.body?.data?.token}` },
    });
    expect(me).toMatchObject({ status: 200, body: { ok: true, data: { user: { username: 'fan' } } } });
  });

  const refresh = (page: Page, refreshToken: string | undefined) =>
    browserFetch(page, `${apiUrl}/api/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });

  it('lets the allowed origin refresh, list its sessions, end another (a preflighted DELETE) and log out', async () => {
    const first = await login(appPage, 'fan', 'secret123');
    const second = await login(appPage, 'fan', 'secret123');
    const refreshed = await refresh(appPage, first.body?.data?.refreshToken);
    expect(refreshed.status).toBe(200);
    const auth = { Authorization: `Bearer ${refreshed.body?.data?.token}` };
    const list = await browserFetch(appPage, `${apiUrl}/api/auth/sessions`, { headers: auth });
    expect(list.status).toBe(200);
    const other = list.body?.data?.sessions?.find(
      (session) => !session.current && second.body?.data?.refreshToken?.startsWith(`${session.id}.`),
    );
    expect(other).toBeDefined();
    const deleted = await browserFetch(appPage, `${apiUrl}/api/auth/sessions/${other?.id}`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(deleted).toEqual(expect.objectContaining({ status: 200, body: { ok: true, data: {} } }));
    const logout = await browserFetch(appPage, `${apiUrl}/api/auth/logout`, { method: 'POST', headers: auth });
    expect(logout).toEqual(expect.objectContaining({ status: 200, body: { ok: true, data: {} } }));
    // The 401 of an ended session, and its exposed RFC 6750 challenge, are readable too.
    const me = await browserFetch(appPage, `${apiUrl}/api/auth/me`, { headers: auth });
    expect(me).toMatchObject({
      status: 401,
      body: { ok: false, error: 'The token is invalid or has expired', code: 'invalid_token' },
    });
    expect(me.wwwAuthenticate).toContain('error="invalid_token"');
    const spent = await refresh(appPage, second.body?.data?.refreshToken);
    expect(spent).toMatchObject({
      status: 401,
      body: { ok: false, error: 'Invalid or expired refresh token', code: 'invalid_refresh_token' },
    });
  });

  it('lets the allowed origin read the 400, 401 and 429 bodies, and Retry-After', async () => {
    const bad = await login(appPage, '', 'x');
    expect(bad).toMatchObject({ status: 400, body: { ok: false, error: 'emailOrUsername must not be empty' } });
    const wrong = await login(appPage, 'someone', 'wrong');
    expect(wrong).toMatchObject({
      status: 401,
      body: { ok: false, error: 'Invalid email, username or password', code: 'invalid_credentials' },
    });
    await login(appPage, 'someone', 'wrong');
    const throttled = await login(appPage, 'someone', 'wrong');
    expect(throttled).toMatchObject({
      status: 429,
      body: { ok: false, error: 'Too many failed attempts, try again later', code: 'too_many_attempts' },
    });
    expect(Number(throttled.retryAfter)).toBeGreaterThan(0);
  });

  it("lets the allowed origin read the local API's own answers (404, 413)", async () => {
    const missing = await browserFetch(appPage, `${apiUrl}/api/auth/nothing`, {});
    expect(missing).toMatchObject({ status: 404, body: { ok: false, error: 'Not found', code: 'not_found' } });
    const large = await browserFetch(appPage, `${apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: 'x'.repeat(9000),
    });
    expect(large).toMatchObject({
      status: 413,
      body: { ok: false, error: 'Request body too large', code: 'payload_too_large' },
    });
  });

  const changePassword = (page: Page, token: string | undefined, currentPassword: string, newPassword: string) =>
    browserFetch(page, `${apiUrl}/api/auth/password`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ currentPassword, newPassword }),
    });

  it('lets the allowed origin change a password (a preflighted POST): the other session ends, the new one works', async () => {
    const other = await login(appPage, 'changer', 'an old passphrase of mine');
    const mine = await login(appPage, 'changer', 'an old passphrase of mine');
    const refused = await changePassword(appPage, mine.body?.data?.token, 'an old passphrase of mine', 'short');
    expect(refused).toMatchObject({
      status: 400,
      body: { ok: false, error: 'newPassword must be at least 15 characters' },
    });
    const changed = await changePassword(
      appPage,
      mine.body?.data?.token,
      'an old passphrase of mine',
      'a new passphrase from the browser',
    );
    expect(changed.status).toBe(200);
    expect(changed.body?.data?.user?.username).toBe('changer');
    const meOf = (token: string | undefined) =>
      browserFetch(appPage, `${apiUrl}/api/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect((await meOf(other.body?.data?.token)).status).toBe(401);
    expect((await meOf(mine.body?.data?.token)).status).toBe(401);
    expect((await meOf(changed.body?.data?.token)).status).toBe(200);
    expect((await login(appPage, 'changer', 'a new passphrase from the browser')).status).toBe(200);
  });

  it('blocks every answer to a disallowed origin', async () => {
    const answers = [
      await login(strangerPage, 'fan', 'secret123'),
      await login(strangerPage, 'fan', 'wrong'),
      await browserFetch(strangerPage, `${apiUrl}/api/auth/me`, { headers: { Authorization: 'Bearer x' } }),
      await refresh(strangerPage, 'x'),
      await browserFetch(strangerPage, `${apiUrl}/api/auth/sessions`, { headers: { Authorization: 'Bearer x' } }),
      await browserFetch(strangerPage, `${apiUrl}/api/auth/sessions/x`, {
        method: 'DELETE',
        headers: { Authorization: 'Bearer x' },
      }),
      await changePassword(strangerPage, 'x', 'an old passphrase of mine', 'a new passphrase from elsewhere'),
      await browserFetch(strangerPage, `${apiUrl}/api/auth/nothing`, {}),
    ];
    for (const answer of answers) expect(answer).toEqual({ failed: 'TypeError: Failed to fetch' });
  });
});
