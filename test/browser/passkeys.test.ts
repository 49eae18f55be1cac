import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type CDPSession, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HTTP_FUNCTIONS, HTTP_ROUTES } from '#lib/http/routes.ts';
import { createLocalApi, type ProxyHandler } from '#scripts/local/local-api.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';

/** Debian's chromium package; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);

if (!HAS_CHROMIUM) {
  if (process.env.CI === 'true') throw new Error(`CI needs Chromium at ${CHROMIUM}; .ci/run installs it`);
  console.warn(`\n!!! SKIPPING the browser passkey test: no Chromium at ${CHROMIUM}.\n`);
}

/** The page's WebAuthn API, as much of it as the test uses (the project's types have no DOM). */
interface PageWebAuthn {
  navigator: { credentials: { create(options: unknown): Promise<unknown>; get(options: unknown): Promise<unknown> } };
  PublicKeyCredential: {
    parseCreationOptionsFromJSON(json: unknown): unknown;
    parseRequestOptionsFromJSON(json: unknown): unknown;
  };
}

interface Answer {
  status: number;
  body: { ok: boolean; error?: string; data?: Record<string, unknown> };
}

/**
 * What a web app does, run in the page: the API's JSON options through the browser's own WebAuthn
 * JSON parsers (the form @simplewebauthn/browser takes), the ceremony, and the credential's JSON
 * back to the API.
 */
const ceremony = (page: Page, kind: 'create' | 'get', apiUrl: string, token?: string, name?: string) =>
  page.evaluate(
    async (kind, apiUrl, token, name): Promise<Answer> => {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (token) headers.Authorization = `Bearer ${token}`;
      const step = kind === 'create' ? 'registration' : 'authentication';
      const post = async (path: string, body: unknown): Promise<Answer> => {
        const response = await fetch(`${apiUrl}/api/auth/passkeys/${path}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as Answer['body'] };
      };
      const options = await post(`${step}/options`, {});
      if (options.status !== 200) return options;
      const json = options.body.data;
      const { navigator, PublicKeyCredential } = globalThis as unknown as PageWebAuthn;
      const credential = (
        kind === 'create'
          ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) })
          : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) })
      ) as { toJSON(): object };
      return post(step, { ...credential.toJSON(), ...(name && { name }) });
    },
    kind,
    apiUrl,
    token,
    name,
  );

describe.skipIf(!HAS_CHROMIUM)('passkeys in a real browser (headless Chromium, DevTools virtual authenticator)', () => {
  let tables: TestTables;
  let api: Server;
  let apiUrl: string;
  let app: Server;
  let appOrigin: string;
  let browser: Browser;
  let userDataDir: string;
  let page: Page;
  let devtools: CDPSession;
  let authenticatorId: string;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('fan');
    // The app's page, on localhost: WebAuthn needs a secure context, and http://localhost is one.
    app = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<!doctype html><title>app</title>');
    });
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    appOrigin = `http://localhost:${(app.address() as AddressInfo).port}`;
    // The real handler modules, as npm start loads them: passkeys bound to localhost, from the app's origin.
    vi.resetModules();
    for (const [name, value] of Object.entries(tables.env)) vi.stubEnv(name, value);
    vi.stubEnv('CORS_ALLOWED_ORIGINS', appOrigin);
    vi.stubEnv('WEBAUTHN_RP_ID', 'localhost');
    vi.stubEnv('WEBAUTHN_ORIGINS', appOrigin);
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const routes = await Promise.all(
      HTTP_ROUTES.map(async (route) => {
        const { folder, constructId } = HTTP_FUNCTIONS[route.function];
        const { handler } = (await import(`#functions/${folder}/handler.ts`)) as { handler: ProxyHandler };
        return { method: route.method, path: route.path, functionName: constructId, handler };
      }),
    );
    api = createLocalApi(routes, { corsAllowedOrigins: [appOrigin] });
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
    page = await browser.newPage();
    await page.goto(appOrigin);
    devtools = await page.createCDPSession();
    await devtools.send('WebAuthn.enable');
    ({ authenticatorId } = await devtools.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    for (const server of [api, app]) server?.close();
    vi.unstubAllEnvs();
    await tables?.drop();
  });

  const browserFetch = (path: string, init: { method?: string; token?: string; body?: unknown } = {}) =>
    page.evaluate(
      async (url, method, token, body): Promise<Answer> => {
        const headers: Record<string, string> = {};
        if (token) headers.Authorization = `Bearer ${token}`;
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        const response = await fetch(url, {
          method,
          headers,
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        return { status: response.status, body: (await response.json()) as Answer['body'] };
      },
      `${apiUrl}${path}`,
      init.method ?? 'GET',
      init.token,
      init.body,
    );

  it('registers a passkey, signs in with it usernameless, lists it and deletes it', async () => {
    const login = await browserFetch('/api/auth/login', {
      method: 'POST',
      body: { emailOrUsername: 'fan', password: 'secret123' },
    });
    expect(login.status).toBe(200);
    const token = login.body.data?.token as string;

    const registered = await ceremony(page, 'create', apiUrl, token, 'Chromium');
    expect(registered.status).toBe(200);
    const passkey = registered.body.data?.passkey as { id: string; name: string; deviceType: string };
    expect(passkey).toMatchObject({ name: 'Chromium', deviceType: 'singleDevice', lastUsedAt: null });
    // A discoverable credential on the authenticator, with our RP ID.
    const { credentials } = await devtools.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(credentials[0]?.credentialId ?? '', 'base64').toString('base64url')).toBe(passkey.id);

    // No token, no username: the browser picks the credential.
    const signedIn = await ceremony(page, 'get', apiUrl);
    expect(signedIn.status).toBe(200);
    const grant = signedIn.body.data as {
      token: string;
      refreshToken: string;
      deviceToken: string;
      user: { username: string };
    };
    expect(Object.keys(grant).sort()).toEqual(Object.keys(login.body.data ?? {}).sort());
    expect(grant.user.username).toBe('fan');

    const me = await browserFetch('/api/auth/me', { token: grant.token });
    expect(me).toMatchObject({ status: 200, body: { data: { user: { username: 'fan' } } } });
    const sessions = await browserFetch('/api/auth/sessions', { token: grant.token });
    const listedSessions = (sessions.body.data?.sessions ?? []) as { current: boolean; startedBy: string }[];
    const current = listedSessions.find((s) => s.current);
    expect(current?.startedBy).toBe('passkey');

    const listed = await browserFetch('/api/auth/passkeys', { token: grant.token });
    expect(listed.body.data?.passkeys).toEqual([
      expect.objectContaining({ id: passkey.id, lastUsedAt: expect.any(String) }),
    ]);
    const deleted = await browserFetch(`/api/auth/passkeys/${passkey.id}`, { method: 'DELETE', token: grant.token });
    expect(deleted).toEqual({ status: 200, body: { ok: true, data: {} } });
    expect((await browserFetch('/api/auth/passkeys', { token: grant.token })).body.data?.passkeys).toEqual([]);

    // The authenticator still has it; the service does not: the one 401.
    const refused = await ceremony(page, 'get', apiUrl);
    expect(refused).toEqual({
      status: 401,
      body: { ok: false, error: 'Passkey sign-in failed', code: 'invalid_passkey' },
    });
  });
});
