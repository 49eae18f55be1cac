import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PASSKEYS_PER_USER } from '#lib/function-config.ts';
import { passkeyCountKey } from '#lib/passkeys/table.ts';
import { createSoftwareAuthenticator } from '#test/support/authenticator.ts';
import { createTestTables, TEST_ORIGIN, TEST_RP_ID, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent } from '#test/support/events.ts';
import { createPasskeyHandlers, createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest } from '#test/support/session-requests.ts';

const PATHS = {
  registrationOptions: '/api/auth/passkeys/registration/options',
  registration: '/api/auth/passkeys/registration',
  list: '/api/auth/passkeys',
};

/**
 * The per-user cap is one conditional write (the count item beside the passkey's Put, in one
 * transaction), so registrations racing at the cap cannot pass it; and the list shows every
 * passkey a user has, even those stored past the cap before the count existed.
 */
describe('passkeys: the cap holds under concurrent registrations, and the list hides nothing', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers> & ReturnType<typeof createPasskeyHandlers>;

  const login = async (user: string): Promise<string> => {
    const response = await invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: user, password: 'secret123' })),
    );
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).data.token;
  };
  const data = (response: { body: string }) => JSON.parse(response.body).data;
  const options = (token: string) => sessionRequest(handlers.passkeys, { path: PATHS.registrationOptions, token });
  /** A valid registration answering `challenge` (a new credential each time). */
  const registration = (token: string, { challenge, user }: { challenge: string; user: { id: string } }) =>
    sessionRequest(handlers.passkeys, {
      path: PATHS.registration,
      token,
      body: createSoftwareAuthenticator().register({
        challenge,
        origin: TEST_ORIGIN,
        rpId: TEST_RP_ID,
        userHandle: user.id,
      }),
    });
  const register = async (token: string) => registration(token, data(await options(token)));
  const list = async (token: string): Promise<{ id: string }[]> =>
    data(await sessionRequest(handlers.passkeys, { method: 'GET', path: PATHS.list, token })).passkeys;
  const remove = (token: string, id: string) =>
    sessionRequest(handlers.passkeys, {
      method: 'DELETE',
      path: `${PATHS.list}/${id}`,
      resource: `${PATHS.list}/{id}`,
      pathParameters: { id },
      token,
    });
  const storedCount = async (userId: string) =>
    (
      await tables.client.send(
        new GetCommand({ TableName: tables.passkeysTableName, Key: { id: passkeyCountKey(userId) } }),
      )
    ).Item?.count;
  /** Passkey items written as the code before the count wrote them: no count item. */
  const storeWithoutCount = async (userId: string, n: number) => {
    for (let i = 0; i < n; i += 1) {
      await tables.client.send(
        new PutCommand({
          TableName: tables.passkeysTableName,
          Item: {
            id: `${userId}-old-${i}`,
            userId,
            name: `old ${i}`,
            createdAt: 1_700_000_000_000 + i,
            backedUp: false,
            deviceType: 'singleDevice',
            transports: ['usb'],
            publicKey: createSoftwareAuthenticator().publicKey,
            counter: 0,
          },
        }),
      );
    }
  };
  /** Registrations of as many fresh options at once; the status codes, sorted. */
  const race = async (token: string, n: number) => {
    const all = await Promise.all(Array.from({ length: n }, async () => data(await options(token))));
    const answers = await Promise.all(all.map((issued) => registration(token, issued)));
    return answers.map(({ statusCode }) => statusCode).sort();
  };
  const oneWins = (n: number) => [200, ...Array.from({ length: n - 1 }, () => 409)];

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['ivy', 'jon', 'kim']) await tables.createUser(id, { id });
    handlers = { ...createSessionHandlers(tables.env), ...createPasskeyHandlers(tables.env) };
  });

  afterAll(() => tables.drop());

  it('lets exactly one of 12 concurrent registrations at the cap minus one pass, and counts deletes', async () => {
    const token = await login('ivy');
    for (let i = 0; i < MAX_PASSKEYS_PER_USER - 1; i += 1) expect((await register(token)).statusCode).toBe(200);

    expect(await race(token, 12)).toEqual(oneWins(12));
    const listed = await list(token);
    expect(listed).toHaveLength(MAX_PASSKEYS_PER_USER);
    expect(await storedCount('ivy')).toBe(MAX_PASSKEYS_PER_USER);
    expect((await options(token)).statusCode).toBe(409);

    // A delete gives its place back, in the same transaction; another user's delete takes nothing.
    const [first] = listed;
    expect((await remove(await login('jon'), first?.id ?? '')).statusCode).toBe(404);
    expect(await storedCount('ivy')).toBe(MAX_PASSKEYS_PER_USER);
    expect((await remove(token, first?.id ?? '')).statusCode).toBe(200);
    expect((await remove(token, first?.id ?? '')).statusCode).toBe(404);
    expect(await storedCount('ivy')).toBe(MAX_PASSKEYS_PER_USER - 1);
    expect(await race(token, 10)).toEqual(oneWins(10));
    expect(await list(token)).toHaveLength(MAX_PASSKEYS_PER_USER);
  });

  it('counts passkeys stored before the count once, when the first write needs it, racing or not', async () => {
    await storeWithoutCount('jon', MAX_PASSKEYS_PER_USER - 1);
    const token = await login('jon');
    expect(await race(token, 12)).toEqual(oneWins(12));
    expect(await list(token)).toHaveLength(MAX_PASSKEYS_PER_USER);
    expect(await storedCount('jon')).toBe(MAX_PASSKEYS_PER_USER);
  });

  it('lists every passkey of a user past the cap (stored before the fix), newest first, and lets them be deleted down', async () => {
    const over = MAX_PASSKEYS_PER_USER + 12;
    await storeWithoutCount('kim', over);
    const token = await login('kim');
    const listed = await list(token);
    expect(listed.map(({ id }) => id)).toEqual(Array.from({ length: over }, (_, i) => `kim-old-${over - 1 - i}`));
    expect((await options(token)).statusCode).toBe(409);

    // The first delete counts them (all 32), then takes one; the cap frees only below 20.
    for (const { id } of listed.slice(0, 13)) expect((await remove(token, id)).statusCode).toBe(200);
    expect(await storedCount('kim')).toBe(over - 13);
    expect((await register(token)).statusCode).toBe(200);
    expect((await options(token)).statusCode).toBe(409);
    expect(await list(token)).toHaveLength(MAX_PASSKEYS_PER_USER);
  });
});
