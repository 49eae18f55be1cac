import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configuredPasswordChecker } from '#lib/users/password-policy.ts';
import { createPwnedPasswords } from '#lib/users/pwned-passwords.ts';

const sha1 = (password: string) => createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
const BREACHED = 'a quite unusual phrase indeed';

/**
 * A stand-in for api.pwnedpasswords.com: answers `/range/{prefix}` as the real one does (suffix:count
 * lines, CRLF), padded with count-0 lines when asked, and records what it was sent.
 */
let mode: 'normal' | 'error' | 'hang' = 'normal';
const requests: { url: string; headers: IncomingMessage['headers'] }[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', headers: request.headers });
    if (mode === 'hang') return; // never answers
    if (mode === 'error') {
      response.writeHead(503).end('Service Unavailable');
      return;
    }
    const prefix = /^\/range\/([0-9A-F]{5})(\?|$)/.exec(request.url ?? '')?.[1];
    if (!prefix) {
      response.writeHead(400).end('The hash prefix was not in a valid format');
      return;
    }
    const lines = [];
    const target = sha1(BREACHED);
    if (target.startsWith(prefix)) lines.push(`${target.slice(5)}:42`);
    lines.push(`${'0'.repeat(35)}:7`);
    if (request.headers['add-padding'] === 'true') {
      for (let i = 1; i <= 800; i += 1) lines.push(`${i.toString(16).toUpperCase().padStart(35, 'F')}:0`);
    }
    response.writeHead(200, { 'Content-Type': 'text/plain' }).end(lines.join('\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  mode = 'normal';
  requests.length = 0;
});

const unavailable: { reason: string }[] = [];
const client = (overrides: { baseUrl?: string; timeoutMs?: number } = {}) =>
  createPwnedPasswords({
    baseUrl,
    timeoutMs: 500,
    onUnavailable: (details) => unavailable.push(details),
    ...overrides,
  });

describe('createPwnedPasswords', () => {
  beforeEach(() => {
    unavailable.length = 0;
  });

  it('finds a breached password by its range, with its count', async () => {
    expect(await client().timesSeen(BREACHED)).toBe(42);
    expect(unavailable).toEqual([]);
  });

  it('says 0 for a password the range does not hold (and padding lines never match)', async () => {
    expect(await client().timesSeen('another phrase entirely, unseen')).toBe(0);
  });

  it('sends only the first 5 hex digits of the SHA-1, and asks for padding', async () => {
    await client().timesSeen(BREACHED);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.url).toMatch(new RegExp(`^/range/${sha1(BREACHED).slice(0, 5)}(\\?|$)`));
    expect(request?.url).not.toContain(sha1(BREACHED).slice(5, 10));
    expect(request?.url).not.toContain(encodeURIComponent(BREACHED).slice(0, 6));
    expect(request?.headers['add-padding']).toBe('true');
    expect(JSON.stringify(request?.headers)).not.toContain(BREACHED);
  });

  it('fails open, and reports it, when the service answers an error', async () => {
    mode = 'error';
    expect(await client().timesSeen(BREACHED)).toBe(0);
    expect(unavailable).toHaveLength(1);
  });

  it('fails open, and reports it, when the service does not answer in time', async () => {
    mode = 'hang';
    const started = Date.now();
    expect(await client({ timeoutMs: 200 }).timesSeen(BREACHED)).toBe(0);
    expect(unavailable).toEqual([{ reason: expect.stringMatching(/Timeout|Abort/) }]);
    // Bounded by the timeout, not by the stand-in (which never answers).
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails open, and reports it, when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await client({ baseUrl: `http://127.0.0.1:${port}` }).timesSeen(BREACHED)).toBe(0);
    expect(unavailable).toHaveLength(1);
  });
});

describe('the configured checker (PWNED_PASSWORDS_URL set)', () => {
  it('asks the configured service, refuses what it has seen, and fails open telling the metric', async () => {
    const unavailable: { reason: string }[] = [];
    const checker = configuredPasswordChecker({ minLength: 15, pwnedPasswordsUrl: baseUrl }, (details) =>
      unavailable.push(details),
    );
    expect(await checker.check(BREACHED, {})).toMatchObject({ ok: false, rule: 'breached' });
    expect(requests.at(-1)?.url).toBe(`/range/${sha1(BREACHED).slice(0, 5)}?mode=sha1`);
    mode = 'error';
    expect(await checker.check(BREACHED, {})).toEqual({ ok: true });
    expect(unavailable).toHaveLength(1);
  });

  it('asks nobody without a URL', async () => {
    const before = requests.length;
    const checker = configuredPasswordChecker({ minLength: 15 }, () => undefined);
    expect(await checker.check(BREACHED, {})).toEqual({ ok: true });
    expect(requests).toHaveLength(before);
  });
});
