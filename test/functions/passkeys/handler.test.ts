import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { COSEALG, cose, isoBase64URL } from '@simplewebauthn/server/helpers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INVALID_PASSKEY_MESSAGE, PASSKEY_REGISTRATION_FAILED_MESSAGE } from '#lib/errors.ts';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { createSoftwareAuthenticator, type SoftwareAuthenticator } from '#test/support/authenticator.ts';
import { createTestTables, TEST_ORIGIN, TEST_RP_ID, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent } from '#test/support/events.ts';
import { createPasskeyHandlers, createSessionHandlers, manualClock } from '#test/support/handler.ts';
import { sessionRequest, sidOf } from '#test/support/session-requests.ts';

const PATHS = {
  registrationOptions: '/api/auth/passkeys/registration/options',
  registration: '/api/auth/passkeys/registration',
  authenticationOptions: '/api/auth/passkeys/authentication/options',
  authentication: '/api/auth/passkeys/authentication',
  list: '/api/auth/passkeys',
};

/** The one answer of every failed passkey sign-in, in full. */
const REFUSED = {
  statusCode: 401,
  headers: API_RESPONSE_HEADERS,
  body: JSON.stringify({ ok: false, error: INVALID_PASSKEY_MESSAGE, code: 'invalid_passkey' }),
};

interface Grant {
  token: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; username: string };
}

describe('passkeys: registration, sign-in, list and delete, through the real handlers and DynamoDB Local', () => {
  let tables: TestTables;
  let time: ReturnType<typeof manualClock>;
  let handlers: ReturnType<typeof createSessionHandlers> & ReturnType<typeof createPasskeyHandlers>;

  const login = async (user: string): Promise<Grant> => {
    const response = await invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: user, password: 'secret123' }), {
        'Content-Type': 'application/json',
        'User-Agent': 'test-agent',
      }),
    );
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body).data;
  };
  const call = (path: string, options: { method?: string; body?: unknown; token?: string; id?: string } = {}) => {
    const handler = path.includes('/authentication') ? handlers.passkeySignIn : handlers.passkeys;
    return sessionRequest(handler, {
      path: options.id === undefined ? path : `${PATHS.list}/${options.id}`,
      ...(options.id !== undefined && { resource: `${PATHS.list}/{id}`, pathParameters: { id: options.id } }),
      ...options,
    });
  };
  const data = (response: { body: string }) => JSON.parse(response.body).data;

  /** Registration options, then the authenticator's answer to them; returns the passkey as listed. */
  const register = async (token: string, authenticator: SoftwareAuthenticator, extra: Record<string, unknown> = {}) => {
    const options = await call(PATHS.registrationOptions, { body: {}, token });
    expect(options.statusCode).toBe(200);
    const { challenge, user } = data(options);
    const response = authenticator.register({ challenge, origin: TEST_ORIGIN, rpId: TEST_RP_ID, userHandle: user.id });
    return call(PATHS.registration, { body: { ...response, ...extra }, token });
  };
  const challenge = async () => data(await call(PATHS.authenticationOptions)).challenge as string;
  const assertion = async (authenticator: SoftwareAuthenticator, overrides: Record<string, unknown> = {}) =>
    authenticator.authenticate({ challenge: await challenge(), origin: TEST_ORIGIN, rpId: TEST_RP_ID, ...overrides });
  const signIn = (body: unknown) =>
    call(PATHS.authentication, { body, headers: { 'User-Agent': 'passkey-agent' } } as never);

  beforeAll(async () => {
    tables = await createTestTables();
    for (const id of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal']) await tables.createUser(id, { id });
  });

  beforeEach(() => {
    time = manualClock(new Date());
    handlers = { ...createSessionHandlers(tables.env, time.clock), ...createPasskeyHandlers(tables.env, time.clock) };
  });

  afterAll(() => tables.drop());

  it('registers a passkey, signs in with it (the same grant as a login), lists it, and deletes it', async () => {
    const session = await login('ann');
    const authenticator = createSoftwareAuthenticator();
    const registered = await register(session.token, authenticator, { name: 'My laptop' });
    expect(registered.statusCode).toBe(200);
    expect(data(registered).passkey).toStrictEqual({
      id: authenticator.id,
      name: 'My laptop',
      createdAt: new Date(time.clock()).toISOString(),
      lastUsedAt: null,
      backedUp: false,
      deviceType: 'singleDevice',
      transports: ['internal'],
    });
    // Nothing secret or internal is stored beyond the public key and the counter.
    const item = (
      await tables.client.send(new GetCommand({ TableName: tables.passkeysTableName, Key: { id: authenticator.id } }))
    ).Item;
    expect(Object.keys(item ?? {}).sort()).toEqual(
      ['backedUp', 'counter', 'createdAt', 'deviceType', 'id', 'name', 'publicKey', 'transports', 'userId'].sort(),
    );

    time.advance(60);
    const signedIn = await signIn(await assertion(authenticator));
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.headers).toEqual(API_RESPONSE_HEADERS);
    const grant: Grant = data(signedIn);
    expect(Object.keys(grant).sort()).toEqual(Object.keys(session).sort());
    expect(grant.user).toStrictEqual(session.user);

    // A session like a password login's: /me, refresh, and the list says how each started.
    expect(
      (await sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token: grant.token })).statusCode,
    ).toBe(200);
    const sessions = data(
      await sessionRequest(handlers.sessions, { method: 'GET', path: '/api/auth/sessions', token: grant.token }),
    ).sessions;
    expect(sessions.map((s: { id: string; startedBy: string }) => [s.id, s.startedBy])).toEqual([
      [sidOf(grant.token), 'passkey'],
      [sidOf(session.token), 'password'],
    ]);
    expect(sessions[0].userAgent).toBe('passkey-agent');
    const refreshed = await sessionRequest(handlers.refresh, {
      path: '/api/auth/refresh',
      body: { refreshToken: grant.refreshToken },
    });
    expect(refreshed.statusCode).toBe(200);

    const listed = data(await call(PATHS.list, { method: 'GET', token: grant.token })).passkeys;
    expect(listed).toStrictEqual([{ ...data(registered).passkey, lastUsedAt: new Date(time.clock()).toISOString() }]);

    expect(await call(PATHS.list, { method: 'DELETE', token: grant.token, id: authenticator.id })).toStrictEqual({
      statusCode: 200,
      headers: API_RESPONSE_HEADERS,
      body: '{"ok":true,"data":{}}',
    });
    expect(data(await call(PATHS.list, { method: 'GET', token: grant.token })).passkeys).toEqual([]);
    // A deleted passkey signs nobody in.
    expect(await signIn(await assertion(authenticator))).toStrictEqual(REFUSED);
  });

  it('gives usernameless options, the same for everyone but the challenge, and never names a credential', async () => {
    const first = data(await call(PATHS.authenticationOptions));
    const second = data(await call(PATHS.authenticationOptions, { body: {} }));
    expect(first).toStrictEqual({
      rpId: TEST_RP_ID,
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      allowCredentials: [],
      timeout: 300_000,
      userVerification: 'required',
    });
    expect({ ...second, challenge: first.challenge }).toStrictEqual(first);
    expect(second.challenge).not.toBe(first.challenge);
  });

  it('pins the registration: user verification, a discoverable credential, attestation none, EdDSA/ES256/RS256 only, own passkeys excluded', async () => {
    const { token } = await login('bob');
    const existing = createSoftwareAuthenticator();
    expect((await register(token, existing)).statusCode).toBe(200);
    const options = data(await call(PATHS.registrationOptions, { token }));
    expect(options.pubKeyCredParams.map((p: { alg: number }) => p.alg)).toEqual([-8, -7, -257]);
    expect(options.attestation).toBe('none');
    expect(options.authenticatorSelection).toEqual({
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: 'required',
    });
    expect(options.excludeCredentials).toEqual([{ id: existing.id, type: 'public-key', transports: ['internal'] }]);
    // The user handle is the user id, not the email or username.
    expect(Buffer.from(isoBase64URL.toBuffer(options.user.id)).toString()).toBe('bob');
    for (const alg of ['EdDSA', 'RS256'] as const) {
      expect((await register(token, createSoftwareAuthenticator({ alg }))).statusCode).toBe(200);
    }
    const es384 = await register(token, createSoftwareAuthenticator({ alg: 'ES384' }));
    expect(es384.statusCode).toBe(400);
    expect(JSON.parse(es384.body).error).not.toMatch(/alg|expected/i);
  });

  it('refuses a key we do not pin at registration (another curve under ES256 or EdDSA, a point off its curve, a short RSA modulus), and a stored one at sign-in', async () => {
    const { token } = await login('eve');
    const { COSEKEYS, COSECRV } = cose;
    const misfits = {
      'an ES256 label on a P-384 key': createSoftwareAuthenticator({
        alg: 'ES384',
        coseOverrides: [[COSEKEYS.alg, COSEALG.ES256]],
        signHash: 'sha256',
      }),
      'an ES256 point off P-256': createSoftwareAuthenticator({
        coseOverrides: [
          [COSEKEYS.x, new Uint8Array(32).fill(1)],
          [COSEKEYS.y, new Uint8Array(32).fill(2)],
        ],
      }),
      'an ES256 label on an Ed25519 key': createSoftwareAuthenticator({
        alg: 'EdDSA',
        coseOverrides: [[COSEKEYS.alg, COSEALG.ES256]],
      }),
      'an EdDSA label on another curve (X25519)': createSoftwareAuthenticator({
        alg: 'EdDSA',
        coseOverrides: [[COSEKEYS.crv, 4]],
      }),
      'a P-256 point under crv 2 (P-384)': createSoftwareAuthenticator({
        coseOverrides: [[COSEKEYS.crv, COSECRV.P384]],
      }),
      'RS256 with a 1024-bit modulus': createSoftwareAuthenticator({ alg: 'RS256', rsaBits: 1024 }),
    };
    const unverified = {
      statusCode: 400,
      headers: API_RESPONSE_HEADERS,
      body: JSON.stringify({ ok: false, error: PASSKEY_REGISTRATION_FAILED_MESSAGE, code: 'passkey_not_verified' }),
    };
    for (const [kind, authenticator] of Object.entries(misfits)) {
      expect(await register(token, authenticator), kind).toStrictEqual(unverified);
    }
    // Such a key stored before the registration refused it signs nobody in.
    const mislabelled = misfits['an ES256 label on a P-384 key'];
    await tables.client.send(
      new PutCommand({
        TableName: tables.passkeysTableName,
        Item: {
          id: mislabelled.id,
          userId: 'eve',
          name: 'old',
          createdAt: 1,
          backedUp: false,
          deviceType: 'singleDevice',
          transports: [],
          publicKey: mislabelled.publicKey,
          counter: 0,
        },
      }),
    );
    expect(
      await signIn(await assertion(mislabelled, { userHandle: Buffer.from('eve').toString('base64url') })),
    ).toStrictEqual(REFUSED);
  });

  it('answers every failed sign-in with one byte-identical 401', async () => {
    const { token } = await login('cat');
    const authenticator = createSoftwareAuthenticator();
    expect((await register(token, authenticator)).statusCode).toBe(200);
    const stranger = createSoftwareAuthenticator();
    const fresh = await assertion(authenticator);
    expect((await signIn(fresh)).statusCode).toBe(200);

    const badSignature = await assertion(authenticator);
    badSignature.response.signature = (await assertion(authenticator)).response.signature;
    const failures: Record<string, unknown> = {
      'unknown credential': await assertion(stranger),
      'bad signature': badSignature,
      'wrong origin': await assertion(authenticator, { origin: 'https://evil.example' }),
      'wrong RP ID': await assertion(authenticator, { rpId: 'evil.example' }),
      'no user verification': await assertion(authenticator, { noUserVerification: true }),
      'wrong type': await assertion(authenticator, { type: 'webauthn.create' }),
      replay: fresh,
      'unknown challenge': authenticator.authenticate({
        challenge: 'A'.repeat(43),
        origin: TEST_ORIGIN,
        rpId: TEST_RP_ID,
      }),
      'another user handle': await assertion(authenticator, { userHandle: Buffer.from('dan').toString('base64url') }),
      'no user handle': await assertion(authenticator, { userHandle: null }),
    };
    for (const [reason, body] of Object.entries(failures)) {
      expect(await signIn(body), reason).toStrictEqual(REFUSED);
    }
    // Backup eligibility is fixed at registration: a device-bound passkey that says it may be
    // synced is refused, and a synced one that says it may not.
    authenticator.setBackupFlags({ eligible: true, backedUp: false });
    expect(await signIn(await assertion(authenticator)), 'device-bound, now BE=1').toStrictEqual(REFUSED);
    authenticator.setBackupFlags({ eligible: true, backedUp: true });
    expect(await signIn(await assertion(authenticator)), 'device-bound, now BE=1 BS=1').toStrictEqual(REFUSED);
    authenticator.setBackupFlags({ eligible: false, backedUp: false });
    const synced = createSoftwareAuthenticator({ synced: true });
    expect((await register(token, synced)).statusCode).toBe(200);
    synced.setBackupFlags({ eligible: false, backedUp: false });
    expect(await signIn(await assertion(synced)), 'synced, now BE=0').toStrictEqual(REFUSED);
    synced.setBackupFlags({ eligible: true, backedUp: false });
    expect((await signIn(await assertion(synced))).statusCode, 'synced, BE=1, not backed up now').toBe(200);
    // A user who is gone.
    await tables.client.send(new DeleteCommand({ TableName: tables.usersTableName, Key: { id: 'cat' } }));
    expect(await signIn(await assertion(authenticator))).toStrictEqual(REFUSED);
    // A user an operator disabled.
    await tables.createUser('cat', { id: 'cat' });
    const item = (await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id: 'cat' } })))
      .Item;
    await tables.put({ ...item, disabledAt: new Date().toISOString() });
    expect(await signIn(await assertion(authenticator))).toStrictEqual(REFUSED);
    await tables.put({ ...item });
    expect((await signIn(await assertion(authenticator))).statusCode).toBe(200);
  });

  it('refuses an expired challenge, a registration challenge at sign-in, and a sign-in challenge at registration', async () => {
    const { token } = await login('dan');
    const authenticator = createSoftwareAuthenticator();
    expect((await register(token, authenticator)).statusCode).toBe(200);

    const old = await assertion(authenticator);
    time.advance(301);
    expect(await signIn(old)).toStrictEqual(REFUSED);

    const session = await login('dan');
    const registrationChallenge = data(await call(PATHS.registrationOptions, { token: session.token })).challenge;
    expect(
      await signIn(
        authenticator.authenticate({ challenge: registrationChallenge, origin: TEST_ORIGIN, rpId: TEST_RP_ID }),
      ),
    ).toStrictEqual(REFUSED);

    const other = createSoftwareAuthenticator();
    const response = other.register({
      challenge: await challenge(),
      origin: TEST_ORIGIN,
      rpId: TEST_RP_ID,
      userHandle: 'ZGFu',
    });
    const refused = await call(PATHS.registration, { body: response, token: session.token });
    expect(refused.statusCode).toBe(400);
  });

  it("spends each challenge once, whatever the outcome, and refuses another user's registration challenge", async () => {
    const ann = await login('ann');
    const eve = await login('eve');
    const { challenge: annChallenge } = data(await call(PATHS.registrationOptions, { token: ann.token }));
    const authenticator = createSoftwareAuthenticator();
    const response = authenticator.register({
      challenge: annChallenge,
      origin: TEST_ORIGIN,
      rpId: TEST_RP_ID,
      userHandle: 'ZXZl',
    });
    expect((await call(PATHS.registration, { body: response, token: eve.token })).statusCode).toBe(400);
    // Refused for eve, so still ann's: but a failed verification spends it.
    const wrongOrigin = authenticator.register({
      challenge: annChallenge,
      origin: 'https://evil.example',
      rpId: TEST_RP_ID,
      userHandle: 'YW5u',
    });
    expect((await call(PATHS.registration, { body: wrongOrigin, token: ann.token })).statusCode).toBe(400);
    const item = await tables.client.send(
      new GetCommand({ TableName: tables.passkeyChallengesTableName, Key: { id: annChallenge } }),
    );
    expect(item.Item).toBeUndefined();
    expect((await call(PATHS.registration, { body: response, token: ann.token })).statusCode).toBe(400);
  });

  it('lets a sign-in challenge be spent by exactly one of 10 concurrent assertions', async () => {
    const { token } = await login('fay');
    const authenticator = createSoftwareAuthenticator({ synced: true });
    expect((await register(token, authenticator)).statusCode).toBe(200);
    const one = await assertion(authenticator);
    const answers = await Promise.all(Array.from({ length: 10 }, () => signIn(one)));
    expect(answers.filter((answer) => answer.statusCode === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.statusCode === 401)).toHaveLength(9);
  });

  it('refuses a device-bound counter that goes back (a possible clone) and never locks out a synced passkey', async () => {
    const { token } = await login('gus');
    const bound = createSoftwareAuthenticator();
    expect((await register(token, bound)).statusCode).toBe(200);
    bound.setCounter(10);
    expect((await signIn(await assertion(bound))).statusCode).toBe(200); // counter 11
    bound.setCounter(4);
    expect(await signIn(await assertion(bound))).toStrictEqual(REFUSED); // 5 < 11
    bound.setCounter(20);
    expect((await signIn(await assertion(bound))).statusCode).toBe(200);

    time.advance(1);
    const synced = createSoftwareAuthenticator({ synced: true });
    expect((await register(token, synced)).statusCode).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await signIn(await assertion(synced))).statusCode).toBe(200); // always 0
    synced.setCounter(50);
    expect((await signIn(await assertion(synced))).statusCode).toBe(200);
    synced.setCounter(3);
    expect((await signIn(await assertion(synced))).statusCode).toBe(200); // backwards: a signal only
    const listed = data(await call(PATHS.list, { method: 'GET', token })).passkeys;
    expect(listed.map((p: { backedUp: boolean; deviceType: string }) => [p.deviceType, p.backedUp])).toEqual([
      ['multiDevice', true],
      ['singleDevice', false],
    ]);
  });

  it('needs a fresh sign-in to add a passkey: a stale session gets a 401 saying so; the list and delete do not', async () => {
    const { token } = await login('hal');
    time.advance(301);
    for (const path of [PATHS.registrationOptions, PATHS.registration]) {
      const stale = await call(path, { body: {}, token });
      expect(stale.statusCode).toBe(401);
      expect(JSON.parse(stale.body).error).toMatch(/recent sign-in/);
      expect(stale.headers?.['WWW-Authenticate']).toBe(
        'Bearer realm="movie-knight", error="insufficient_user_authentication", error_description="A recent sign-in is needed", max_age=300',
      );
    }
    expect((await call(PATHS.list, { method: 'GET', token })).statusCode).toBe(200);
    // Without a token, or with an ended session's: the bearer 401.
    expect((await call(PATHS.registrationOptions, { body: {} })).statusCode).toBe(401);
    const fresh = await login('hal');
    await sessionRequest(handlers.refresh, { path: '/api/auth/logout', token: fresh.token });
    expect(JSON.parse((await call(PATHS.registrationOptions, { token: fresh.token })).body).error).toBe(
      'The token is invalid or has expired',
    );
  });

  it('refuses a credential registered already, for anyone, with the answer of any failed verification, and a passkey beyond the cap', async () => {
    const ann = await login('ann');
    const bob = await login('bob');
    const authenticator = createSoftwareAuthenticator();
    expect((await register(ann.token, authenticator)).statusCode).toBe(200);
    // The answer of a registration that does not verify (here: another origin), in full.
    const { challenge, user } = data(await call(PATHS.registrationOptions, { token: bob.token }));
    const unverified = await call(PATHS.registration, {
      token: bob.token,
      body: createSoftwareAuthenticator().register({
        challenge,
        origin: 'https://evil.example',
        rpId: TEST_RP_ID,
        userHandle: user.id,
      }),
    });
    expect(unverified).toStrictEqual({
      statusCode: 400,
      headers: API_RESPONSE_HEADERS,
      body: JSON.stringify({ ok: false, error: PASSKEY_REGISTRATION_FAILED_MESSAGE, code: 'passkey_not_verified' }),
    });
    // Another user's credential, and the owner's own again: the same answer, so it tells nobody the id exists.
    expect(await register(bob.token, authenticator)).toStrictEqual(unverified);
    expect(await register(ann.token, authenticator)).toStrictEqual(unverified);
    const item = (
      await tables.client.send(new GetCommand({ TableName: tables.passkeysTableName, Key: { id: authenticator.id } }))
    ).Item;
    expect(item?.userId).toBe('ann');
    expect(data(await call(PATHS.list, { method: 'GET', token: bob.token })).passkeys).not.toContainEqual(
      expect.objectContaining({ id: authenticator.id }),
    );

    // Fill eve up to the cap with stored items, then one more is refused at the options.
    for (let i = 0; i < 20; i += 1) {
      await tables.client.send(
        new PutCommand({
          TableName: tables.passkeysTableName,
          Item: {
            id: `cap${i}`,
            userId: 'eve',
            name: 'x',
            createdAt: i,
            backedUp: false,
            deviceType: 'singleDevice',
            transports: [],
            publicKey: 'AA',
            counter: 0,
          },
        }),
      );
    }
    const eve = await login('eve');
    const capped = await call(PATHS.registrationOptions, { token: eve.token });
    expect(capped.statusCode).toBe(409);
    expect(JSON.parse(capped.body).error).toMatch(/Too many passkeys/);
  });

  it("answers one 404 for a missing passkey and for another user's, and deletes nothing", async () => {
    const ann = await login('ann');
    const bob = await login('bob');
    const authenticator = createSoftwareAuthenticator();
    expect((await register(ann.token, authenticator)).statusCode).toBe(200);
    const notFound = {
      statusCode: 404,
      headers: API_RESPONSE_HEADERS,
      body: '{"ok":false,"error":"Passkey not found","code":"not_found"}',
    };
    expect(await call(PATHS.list, { method: 'DELETE', token: bob.token, id: authenticator.id })).toStrictEqual(
      notFound,
    );
    expect(await call(PATHS.list, { method: 'DELETE', token: bob.token, id: 'bm9uZQ' })).toStrictEqual(notFound);
    expect(await call(PATHS.list, { method: 'DELETE', token: bob.token, id: 'not base64url!' })).toStrictEqual(
      notFound,
    );
    expect(await call(PATHS.list, { method: 'DELETE', token: bob.token, id: 'A'.repeat(1365) })).toStrictEqual(
      notFound,
    );
    expect((await signIn(await assertion(authenticator))).statusCode).toBe(200);
  });

  it('ends passkey sessions with logout everywhere, and keeps passkeys through it', async () => {
    const { token } = await login('dan');
    const authenticator = createSoftwareAuthenticator();
    expect((await register(token, authenticator)).statusCode).toBe(200);
    time.advance(1);
    const grant: Grant = data(await signIn(await assertion(authenticator)));
    expect(
      (await sessionRequest(handlers.sessions, { path: '/api/auth/logout-all', token: grant.token })).statusCode,
    ).toBe(200);
    expect(
      (await sessionRequest(handlers.me, { method: 'GET', path: '/api/auth/me', token: grant.token })).statusCode,
    ).toBe(401);
    expect(
      (
        await sessionRequest(handlers.refresh, {
          path: '/api/auth/refresh',
          body: { refreshToken: grant.refreshToken },
        })
      ).statusCode,
    ).toBe(401);
    time.advance(1);
    expect((await signIn(await assertion(authenticator))).statusCode).toBe(200);
  });

  it("keeps only WebAuthn's transports, stored or listed, and refuses control, format and separator characters in a name", async () => {
    const { token } = await login('fay');
    const registerWith = async (authenticator: SoftwareAuthenticator, extra: Record<string, unknown>) => {
      const { challenge, user } = data(await call(PATHS.registrationOptions, { token }));
      const response = authenticator.register({
        challenge,
        origin: TEST_ORIGIN,
        rpId: TEST_RP_ID,
        userHandle: user.id,
      });
      const { transports, ...rest } = extra;
      return call(PATHS.registration, {
        token,
        body: { ...response, ...rest, response: { ...response.response, ...(transports ? { transports } : {}) } },
      });
    };
    const hinted = createSoftwareAuthenticator();
    const registered = await registerWith(hinted, {
      transports: ['usb', '<img src=x>', 'internal', 'usb', 'cable', 'x'.repeat(500)],
    });
    expect(registered.statusCode).toBe(200);
    expect(data(registered).passkey.transports).toEqual(['usb', 'internal']);
    const item = (
      await tables.client.send(new GetCommand({ TableName: tables.passkeysTableName, Key: { id: hinted.id } }))
    ).Item;
    expect(item?.transports).toEqual(['usb', 'internal']);
    // An item stored before: its unknown transports are not listed.
    await tables.client.send(
      new PutCommand({
        TableName: tables.passkeysTableName,
        Item: { ...item, id: 'b2xkZXI', createdAt: 1, transports: ['nfc', 'bogus', 'hybrid', 7] },
      }),
    );
    const listed = data(await call(PATHS.list, { method: 'GET', token })).passkeys;
    expect(listed.find((p: { id: string }) => p.id === 'b2xkZXI')?.transports).toEqual(['nfc', 'hybrid']);

    for (const [kind, name] of Object.entries({
      'a C1 control (NEL)': 'My\u0085laptop',
      'a line separator': 'My\u2028laptop',
      'a paragraph separator': 'My\u2029laptop',
      'a zero-width space': 'My\u200blaptop',
      'a right-to-left override': 'My\u202elaptop',
      'a bidi isolate': 'My\u2066laptop',
      'a C0 control': 'My\u0007laptop',
    })) {
      const refused = await registerWith(createSoftwareAuthenticator(), { name });
      expect(refused.statusCode, kind).toBe(400);
      expect(JSON.parse(refused.body).error, kind).toBe(
        'name must not contain control, format or separator characters',
      );
    }
    const named = await registerWith(createSoftwareAuthenticator(), { name: 'Écran de Zoë 💻' });
    expect(data(named).passkey.name).toBe('Écran de Zoë 💻');
  });

  it('answers a body of the wrong shape with a 400 naming the field, never a library message', async () => {
    const authenticator = createSoftwareAuthenticator();
    const good = await assertion(authenticator);
    const cases: [unknown, string][] = [
      ['{', 'Request body must be valid JSON'],
      [[], 'Request body must be a JSON object'],
      [{ ...good, id: 1 }, 'id must be a string'],
      [{ ...good, id: 'not base64url!' }, 'id must be base64url'],
      [{ ...good, id: 'A'.repeat(1365), rawId: 'A'.repeat(1365) }, 'id must be at most 1364 characters'],
      [{ ...good, type: 'password' }, 'type must be "public-key"'],
      [{ ...good, response: { ...good.response, signature: undefined } }, 'response.signature is required'],
      [
        { ...good, response: { ...good.response, clientDataJSON: 'bm90IGpzb24' } },
        'response.clientDataJSON must be base64url-encoded JSON',
      ],
    ];
    for (const [body, error] of cases) {
      const answer = await signIn(body);
      expect(answer.statusCode, error).toBe(400);
      expect(JSON.parse(answer.body).error).toBe(error);
    }
    const { token } = await login('ann');
    const options = data(await call(PATHS.registrationOptions, { token }));
    const registration = authenticator.register({
      challenge: options.challenge,
      origin: TEST_ORIGIN,
      rpId: TEST_RP_ID,
      userHandle: options.user.id,
    });
    for (const attestationObject of ['_w', 'AAAA', 'oA']) {
      const notCbor = { ...registration, response: { ...registration.response, attestationObject } };
      expect(JSON.parse((await call(PATHS.registration, { body: notCbor, token })).body).error).toBe(
        'response.attestationObject must be a CBOR attestation object',
      );
    }
    expect(
      JSON.parse((await call(PATHS.registration, { body: { ...registration, name: '  ' }, token })).body).error,
    ).toBe('name must not be blank');
    const huge = await signIn(JSON.stringify({ ...good, padding: 'x'.repeat(9000) }));
    expect(huge.statusCode).toBe(413);
  });
});
