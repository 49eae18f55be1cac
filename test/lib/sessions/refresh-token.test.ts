import { createHmac } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createRefreshTokens, parseRefreshToken, refreshKeyId } from '#lib/sessions/refresh-token.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent } from '#test/support/events.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest } from '#test/support/session-requests.ts';

const tokensUnder = (key: string) => createRefreshTokens(createSecretReader({ value: key }));
const KEY = 'refresh-key-for-unit-tests-0123456789abcdef';
const SESSION = { sessionId: 'AAAAAAAAAAAAAAAAAAAAAA', generation: 3 };
const SALT = 'B'.repeat(43);
const NEW = 'refresh-key-of-the-rotation-0123456789abcdefgh';

describe('refresh tokens', () => {
  it('are <session id>.<generation>.<8-character key id>.<43-character MAC>, and parse back', async () => {
    const token = await tokensUnder(KEY).issue(SESSION, SALT);
    expect(token).toMatch(/^AAAAAAAAAAAAAAAAAAAAAA\.3\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{43}$/);
    const [, , keyId, mac] = token.split('.');
    expect(keyId).toBe(refreshKeyId(Buffer.from(KEY)));
    expect(parseRefreshToken(token)).toEqual({ ...SESSION, keyId, mac });
  });

  it('verify under either of two keys live at once (a rotation), by key id; new ones are made under the first', async () => {
    const before = parseRefreshToken(await tokensUnder(KEY).issue(SESSION, SALT))!;
    const during = tokensUnder(`${NEW}\n${KEY}`);
    expect(await during.matches(before, SALT)).toBe(true);
    const made = parseRefreshToken(await during.issue(SESSION, SALT))!;
    expect(made.keyId).toBe(refreshKeyId(Buffer.from(NEW)));
    expect(await during.matches(made, SALT)).toBe(true);
    // The old key leaves the list: its tokens stop, the new key's go on.
    const after = tokensUnder(NEW);
    expect(await after.matches(before, SALT)).toBe(false);
    expect(await after.matches(made, SALT)).toBe(true);
    // A key id that names a listed key but a MAC of another key: no.
    expect(await during.matches({ ...made, keyId: before.keyId! }, SALT)).toBe(false);
  });

  it('still accept a token from before key ids (<session id>.<generation>.<MAC>) under any listed key', async () => {
    const legacyMac = createHmac('sha256', KEY)
      .update(`movie-knight-refresh-token/v1\n${SESSION.sessionId}\n${SESSION.generation}\n${SALT}`)
      .digest('base64url');
    const legacy = parseRefreshToken(`${SESSION.sessionId}.${SESSION.generation}.${legacyMac}`)!;
    expect(legacy).toEqual({ ...SESSION, mac: legacyMac });
    expect(await tokensUnder(KEY).matches(legacy, SALT)).toBe(true);
    expect(await tokensUnder(`refresh-key-of-the-rotation-0123456789abcdefgh ${KEY}`).matches(legacy, SALT)).toBe(true);
    expect(await tokensUnder('refresh-key-of-the-rotation-0123456789abcdefgh').matches(legacy, SALT)).toBe(false);
  });

  it('name their key by an id that is the same from release to release, so live tokens keep their key', () => {
    // Known answer: HMAC-SHA256 of "movie-knight-refresh-key-id/v1" under the key, 6 bytes, base64url.
    expect(refreshKeyId(Buffer.from(KEY))).toBe('opivT4HQ');
  });

  it('refuse a MAC of a listed key under a key id no listed key has', async () => {
    const tokens = tokensUnder(KEY);
    const parsed = parseRefreshToken(await tokens.issue(SESSION, SALT))!;
    expect(await tokens.matches({ ...parsed, keyId: refreshKeyId(Buffer.from('a key that is gone')) }, SALT)).toBe(
      false,
    );
  });

  it('read the secret as keys separated by whitespace: never an empty key, at most three', async () => {
    const underEmptyKey = (keyId: string | undefined) => ({
      ...SESSION,
      keyId,
      mac: createHmac('sha256', '')
        .update(`movie-knight-refresh-token/v1\n${SESSION.sessionId}\n${SESSION.generation}\n${SALT}`)
        .digest('base64url'),
    });
    // A trailing newline (echo), a leading one, two spaces: the keys are KEY and NEW, nothing empty.
    for (const secret of [`${KEY}\n`, `\n${KEY}`, `${KEY}  ${NEW}`, `${KEY}\n\n${NEW}`]) {
      const tokens = tokensUnder(secret);
      expect(parseRefreshToken(await tokens.issue(SESSION, SALT))!.keyId, secret).toBe(refreshKeyId(Buffer.from(KEY)));
      expect(await tokens.matches(underEmptyKey(refreshKeyId(Buffer.alloc(0))), SALT), secret).toBe(false);
      expect(await tokens.matches(underEmptyKey(undefined), SALT), secret).toBe(false);
    }
    // A fourth key is not read: its tokens are refused, with and without a key id.
    const four = tokensUnder(['k1', 'k2', 'k3', KEY].map((key) => `${key}-0123456789abcdef0123456789`).join(' '));
    const underFourth = parseRefreshToken(await tokensUnder(`${KEY}-0123456789abcdef0123456789`).issue(SESSION, SALT))!;
    expect(await four.matches(underFourth, SALT)).toBe(false);
    expect(await four.matches({ ...underFourth, keyId: undefined }, SALT)).toBe(false);
    const underThird = parseRefreshToken(await tokensUnder('k3-0123456789abcdef0123456789').issue(SESSION, SALT))!;
    expect(await four.matches(underThird, SALT)).toBe(true);
    expect(await four.matches({ ...underThird, keyId: undefined }, SALT)).toBe(true);
  });

  it('issue nothing from a secret that lists no key, and match nothing under it', async () => {
    const none = tokensUnder(' \n ');
    await expect(none.issue(SESSION, SALT)).rejects.toThrow('The refresh key secret lists no key');
    const parsed = parseRefreshToken(await tokensUnder(KEY).issue(SESSION, SALT))!;
    expect(await none.matches(parsed, SALT)).toBe(false);
    expect(await none.matches({ ...parsed, keyId: undefined }, SALT)).toBe(false);
  });

  it('match only under the same key, salt, session and generation', async () => {
    const tokens = tokensUnder(KEY);
    const parsed = parseRefreshToken(await tokens.issue(SESSION, SALT))!;
    expect(await tokens.matches(parsed, SALT)).toBe(true);
    expect(await tokens.matches(parsed, 'C'.repeat(43))).toBe(false);
    expect(await tokens.matches({ ...parsed, generation: 4 }, SALT)).toBe(false);
    expect(await tokensUnder(`${KEY}x`).matches(parsed, SALT)).toBe(false);
  });

  it.each([
    '',
    'AAAAAAAAAAAAAAAAAAAAAA.3',
    `AAAAAAAAAAAAAAAAAAAAAA.03.${'a'.repeat(43)}`,
    `AAAAAAAAAAAAAAAAAAAAAA.-1.${'a'.repeat(43)}`,
    `AAAAAAAAAAAAAAAAAAAAA.3.${'a'.repeat(43)}`,
    `AAAAAAAAAAAAAAAAAAAAAA.3.${'a'.repeat(44)}`,
    `AAAAAAAAAAAAAAAAAAAAAA.3.${'a'.repeat(42)}=`,
    `AAAAAAAAAAAAAAAAAAAAAA.1e3.${'a'.repeat(43)}`,
  ])('refuse the malformed %j before any lookup', (token) => {
    expect(parseRefreshToken(token)).toBeUndefined();
  });
});

describe('a reader of the sessions table', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers>;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('u', { id: 'u' });
  });

  // Built for each test: Stryker counts code run in beforeAll as no test's.
  beforeEach(() => {
    handlers = createSessionHandlers(tables.env);
  });

  afterAll(() => tables.drop());

  it('cannot make a refresh token from a session item alone', async () => {
    const login = await invoke(handlers.login, jsonLoginEvent({ emailOrUsername: 'u', password: 'secret123' }));
    const { refreshToken } = JSON.parse(login.body).data;
    const [sessionId] = refreshToken.split('.');
    const { Item } = await tables.client.send(
      new GetCommand({ TableName: tables.sessionsTableName, Key: { id: sessionId } }),
    );
    expect(Item).toBeDefined();
    const item = Item as Record<string, string | number>;
    // Everything the item holds, tried as the key, and the MAC without a key at all.
    const guesses = [...Object.values(item).map(String), ''].map((key) => {
      const next = Number(item.generation);
      const mac = createHmac('sha256', key)
        .update(`movie-knight-refresh-token/v1\n${sessionId}\n${next}\n${item.salt}`)
        .digest('base64url');
      return `${sessionId}.${next}.${mac}`;
    });
    for (const guess of guesses) {
      const response = await sessionRequest(handlers.refresh, {
        path: '/api/auth/refresh',
        body: { refreshToken: guess },
      });
      expect(response.statusCode).toBe(401);
    }
    // The session itself was not hurt by the guesses (they were not its tokens).
    const genuine = await sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } });
    expect(genuine.statusCode).toBe(200);
  });
});

describe('a refresh key rotation with two keys live, through the handlers (one container per key list)', () => {
  let tables: TestTables;
  const OLD = 'rotation-test-old-refresh-key-0123456789abcd';
  const NEW = 'rotation-test-new-refresh-key-0123456789abcd';
  /** The functions of a container started while the secret held `keys`. */
  const containerWith = (keys: string) => createSessionHandlers({ ...tables.env, REFRESH_KEY: keys });
  const refresh = async (handlers: ReturnType<typeof createSessionHandlers>, refreshToken: string) => {
    const response = await sessionRequest(handlers.refresh, { path: '/api/auth/refresh', body: { refreshToken } });
    return { status: response.statusCode, refreshToken: JSON.parse(response.body).data?.refreshToken as string };
  };

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('rot', { id: 'rot' });
  });

  afterAll(() => tables.drop());

  it('refreshes old tokens on new containers and new tokens on them too, until the old key leaves the list', async () => {
    const before = containerWith(OLD);
    const login = await invoke(before.login, jsonLoginEvent({ emailOrUsername: 'rot', password: 'secret123' }));
    const { refreshToken: oldToken } = JSON.parse(login.body).data;
    const second = await invoke(before.login, jsonLoginEvent({ emailOrUsername: 'rot', password: 'secret123' }));
    const { refreshToken: otherOld } = JSON.parse(second.body).data;
    expect(parseRefreshToken(oldToken)?.keyId).toBe(refreshKeyId(Buffer.from(OLD)));

    // The rotation: the secret lists the new key first and the old one after it.
    const during = containerWith(`${NEW} ${OLD}`);
    const rotated = await refresh(during, oldToken);
    expect(rotated.status).toBe(200);
    expect(parseRefreshToken(rotated.refreshToken)?.keyId).toBe(refreshKeyId(Buffer.from(NEW)));
    // A container that still has the old list only is refused the new key's token, not the old ones.
    expect((await refresh(before, rotated.refreshToken)).status).toBe(401);

    // The old key leaves: its tokens stop, the new key's carry on.
    const after = containerWith(NEW);
    expect((await refresh(after, otherOld)).status).toBe(401);
    expect((await refresh(after, rotated.refreshToken)).status).toBe(200);
  });
});
