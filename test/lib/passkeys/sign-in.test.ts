import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { InvalidPasskeyError } from '#lib/errors.ts';
import { createDynamoDbChallengeStore } from '#lib/passkeys/challenges.ts';
import type { PasskeyItem } from '#lib/passkeys/passkey.ts';
import { createPasskeySignIn } from '#lib/passkeys/sign-in.ts';
import { createDynamoDbPasskeyStore } from '#lib/passkeys/store.ts';
import { createPasskeyTelemetry, credentialRef } from '#lib/passkeys/telemetry.ts';
import { CHALLENGE_TTL_SECONDS, createWebAuthn } from '#lib/passkeys/webauthn.ts';
import { createDynamoDbSessionControl } from '#lib/sessions/control.ts';
import { createDeviceTokens } from '#lib/sessions/device-token.ts';
import { createGrantAnswer } from '#lib/sessions/grant.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createDynamoDbUserStore, type UserStore } from '#lib/users/store.ts';
import { createSoftwareAuthenticator, type SoftwareAuthenticatorOptions } from '#test/support/authenticator.ts';
import {
  createTestTables,
  TEST_ORIGIN,
  TEST_REFRESH_KEY,
  TEST_RP_ID,
  TEST_TOKEN_ISSUER,
  type TestTables,
} from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';
import { testSessionStarter } from '#test/support/sessions.ts';

/**
 * The passkey sign-in through its real parts (the stores on DynamoDB Local, the WebAuthn
 * library, the login's session start): what each attempt tells the operator (outcome, log level,
 * metric), and what it leaves stored.
 */
describe('passkey sign-in: each outcome, its log line and metric, and what it stores', () => {
  let tables: TestTables;
  let serial = 0;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(() => tables.drop());

  const storedPasskey = async (id: string) =>
    (await tables.client.send(new GetCommand({ TableName: tables.passkeysTableName, Key: { id } }))).Item;

  /**
   * A user with a passkey (stored as a registration stores it), and a sign-in built on the test
   * tables; `passkeys` and `users` may wrap the real stores.
   */
  const setup = async (
    options: SoftwareAuthenticatorOptions & {
      counter?: number;
      noUser?: boolean;
      wrap?: {
        passkeys?: (
          store: ReturnType<typeof createDynamoDbPasskeyStore>,
        ) => ReturnType<typeof createDynamoDbPasskeyStore>;
        users?: (store: UserStore) => UserStore;
      };
    } = {},
  ) => {
    serial += 1;
    const userId = `user${serial}x${Math.random().toString(36).slice(2, 8)}`;
    if (!options.noUser) await tables.createUser(userId, { id: userId });
    const authenticator = createSoftwareAuthenticator(options);
    const passkey: PasskeyItem = {
      id: authenticator.id,
      userId,
      name: 'laptop',
      createdAt: 1,
      backedUp: options.synced ?? false,
      deviceType: options.synced ? 'multiDevice' : 'singleDevice',
      transports: ['internal'],
      publicKey: authenticator.publicKey,
      counter: options.counter ?? 0,
    };
    await tables.client.send(new PutCommand({ TableName: tables.passkeysTableName, Item: passkey }));
    const time = manualClock(new Date());
    const logger = recordingLogger();
    const metrics: string[] = [];
    const tokens = createTokenSigner(
      createSigningKeyProvider({ value: tables.env.SIGNING_KEYS ?? '' }),
      { issuer: TEST_TOKEN_ISSUER, audience: DEFAULTS.audience, ttlSeconds: DEFAULTS.ttlSeconds },
      time.clock,
    );
    const challenges = createDynamoDbChallengeStore(
      tables.client,
      tables.passkeyChallengesTableName,
      CHALLENGE_TTL_SECONDS,
      time.clock,
    );
    const passkeys = createDynamoDbPasskeyStore(tables.client, tables.passkeysTableName);
    const users = createDynamoDbUserStore(tables.client, tables.usersTableName);
    const signIn = createPasskeySignIn({
      passkeys: options.wrap?.passkeys?.(passkeys) ?? passkeys,
      challenges,
      users: options.wrap?.users?.(users) ?? users,
      webauthn: createWebAuthn({ id: TEST_RP_ID, name: 'Movie Knight', origins: [TEST_ORIGIN] }),
      startSession: testSessionStarter(tables, time.clock),
      control: createDynamoDbSessionControl(tables.client, tables.sessionsTableName),
      answerGrant: createGrantAnswer({
        tokens,
        deviceTokens: createDeviceTokens(createSecretReader({ value: TEST_REFRESH_KEY }), {
          ttlSeconds: DEFAULTS.devices.ttlSeconds,
          clock: time.clock,
        }),
      }),
      tokens,
      telemetry: createPasskeyTelemetry(logger, { addMetric: (name: string) => metrics.push(name) }),
      clock: time.clock,
    });
    /** An assertion of `from` (by default the user's authenticator) answering fresh options. */
    const assertion = async (overrides: Record<string, unknown> = {}, from = authenticator) => {
      const { challenge } = await signIn.options();
      return from.authenticate({
        challenge,
        origin: TEST_ORIGIN,
        rpId: TEST_RP_ID,
        userHandle: Buffer.from(userId).toString('base64url'),
        ...overrides,
      });
    };
    /** Signs in with `response` (as the request parser gives it); the outcome's log line and metric. */
    const attempt = async (response: Awaited<ReturnType<typeof assertion>>) => {
      const challenge = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString()).challenge;
      const lines = logger.lines.length;
      const result = await signIn
        .signIn({ response, challenge }, { userAgent: 'agent' })
        .catch((error: unknown) => error);
      return { result, lines: logger.lines.slice(lines), metric: metrics.at(-1) };
    };
    /** A refused attempt: its outcome, and the passkey left as it was. */
    const refused = async (response: Awaited<ReturnType<typeof assertion>>) => {
      const before = await storedPasskey(passkey.id);
      const { result, lines, metric } = await attempt(response);
      expect(result).toBeInstanceOf(InvalidPasskeyError);
      expect(await storedPasskey(passkey.id)).toStrictEqual(before);
      expect(lines).toHaveLength(1);
      const [line] = lines;
      return { level: line?.level, message: line?.message, details: line?.details, metric };
    };
    return { userId, authenticator, passkey, time, signIn, assertion, attempt, refused, metrics, logger };
  };

  it('signs in: a grant for the user, the passkey’s use stored, one success line and metric', async () => {
    const { userId, passkey, time, assertion, attempt } = await setup();
    time.advance(5);
    const { result, lines, metric } = await attempt(await assertion());
    expect(result).toMatchObject({ user: { id: userId }, refreshToken: expect.any(String), token: expect.any(String) });
    expect(lines).toStrictEqual([
      {
        level: 'info',
        message: 'Passkey sign-in',
        details: {
          outcome: 'success',
          credentialRef: credentialRef(passkey.id),
          userId,
          sessionId: expect.any(String),
        },
      },
    ]);
    expect(metric).toBe('PasskeySignInSucceeded');
    expect(await storedPasskey(passkey.id)).toStrictEqual({
      ...passkey,
      counter: 1,
      lastUsedAt: time.clock().getTime(),
    });
    // The session, as a login's, says it was started by a passkey, on this user agent.
    const { sessionId } = (lines[0]?.details ?? {}) as { sessionId: string };
    const session = (
      await tables.client.send(new GetCommand({ TableName: tables.sessionsTableName, Key: { id: sessionId } }))
    ).Item;
    expect(session).toMatchObject({ userId, startedBy: 'passkey', userAgent: 'agent' });
  });

  it('says which failure it was, warns of the suspicious ones, and leaves the passkey as it was', async () => {
    const { userId, passkey, authenticator, assertion, refused } = await setup();
    const ref = credentialRef(passkey.id);
    const failed = (outcome: string, level = 'info', metric = 'PasskeySignInFailed', extra = {}) => ({
      level,
      message: 'Passkey sign-in',
      details: { outcome, credentialRef: ref, userId, ...extra },
      metric,
    });
    const challengeless = authenticator.authenticate({
      challenge: 'A'.repeat(43),
      origin: TEST_ORIGIN,
      rpId: TEST_RP_ID,
      userHandle: Buffer.from(userId).toString('base64url'),
    });
    expect(await refused(challengeless)).toStrictEqual(failed('challenge_refused'));
    expect(await refused(await assertion({ origin: 'https://evil.example' }))).toStrictEqual(failed('bad_assertion'));
    expect(await refused(await assertion({ userHandle: null }))).toStrictEqual(failed('user_handle_missing'));
    expect(await refused(await assertion({ userHandle: 'ZGFu' }))).toStrictEqual(
      failed('user_handle_mismatch', 'warn'),
    );
    authenticator.setBackupFlags({ eligible: true, backedUp: true });
    expect(await refused(await assertion())).toStrictEqual(failed('backup_eligibility_changed', 'warn'));
    authenticator.setBackupFlags({ eligible: false, backedUp: false });

    // Another credential id, or a raw id that is not the id: no passkey.
    const stranger = createSoftwareAuthenticator();
    const unknown = await refused(await assertion({}, stranger));
    expect(unknown).toStrictEqual({
      ...failed('unknown_credential'),
      details: { outcome: 'unknown_credential', credentialRef: credentialRef(stranger.id) },
    });
    const mismatched = await assertion();
    mismatched.rawId = stranger.id;
    expect(await refused(mismatched)).toStrictEqual({
      ...failed('unknown_credential'),
      details: { outcome: 'unknown_credential', credentialRef: ref },
    });

    // The user gone, or disabled.
    const item = (await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id: userId } })))
      .Item;
    await tables.client.send(
      new PutCommand({ TableName: tables.usersTableName, Item: { ...item, disabledAt: new Date().toISOString() } }),
    );
    expect(await refused(await assertion())).toStrictEqual(failed('user_disabled'));
    await tables.client.send(new DeleteCommand({ TableName: tables.usersTableName, Key: { id: userId } }));
    expect(await refused(await assertion())).toStrictEqual(failed('user_gone'));
  });

  it('refuses a device-bound counter that does not rise as a possible clone, and takes one that counts nothing', async () => {
    const bound = await setup({ counter: 10 });
    bound.authenticator.setCounter(9); // presents 10
    expect(await bound.refused(await bound.assertion())).toStrictEqual({
      level: 'warn',
      message: 'Passkey sign-in',
      details: {
        outcome: 'counter_regressed',
        credentialRef: credentialRef(bound.passkey.id),
        userId: bound.userId,
        stored: 10,
        presented: 10,
      },
      metric: 'PasskeyPossibleClone',
    });
    const { result } = await bound.attempt(await bound.assertion()); // 11
    expect(result).not.toBeInstanceOf(Error);
    expect((await storedPasskey(bound.passkey.id))?.counter).toBe(11);

    // A counter back at 0 is a counter that did not rise.
    bound.authenticator.setCounter(-1);
    expect(await bound.refused(await bound.assertion())).toMatchObject({
      details: { outcome: 'counter_regressed', stored: 11, presented: 0 },
    });

    // An authenticator that keeps its counter at 0: nothing to judge, every sign-in passes.
    const zero = await setup();
    for (let i = 0; i < 2; i += 1) {
      zero.authenticator.setCounter(-1);
      const { result: again, metric } = await zero.attempt(await zero.assertion());
      expect(again).not.toBeInstanceOf(Error);
      expect(metric).toBe('PasskeySignInSucceeded');
    }
    expect((await storedPasskey(zero.passkey.id))?.counter).toBe(0);
  });

  it('never refuses a synced passkey’s counter: a signal when it does not rise, none when it does or stays at 0', async () => {
    const synced = await setup({ synced: true, counter: 50 });
    synced.authenticator.setCounter(3);
    const { result, lines } = await synced.attempt(await synced.assertion());
    expect(result).not.toBeInstanceOf(Error);
    expect(lines[0]).toStrictEqual({
      level: 'warn',
      message: 'Passkey counter did not rise (synced passkey: allowed)',
      details: { credentialRef: credentialRef(synced.passkey.id), userId: synced.userId, stored: 50, presented: 3 },
    });
    expect(synced.metrics).toStrictEqual(['PasskeyCounterSignal', 'PasskeySignInSucceeded']);
    expect(lines[1]).toMatchObject({ details: { outcome: 'success' } });
    expect(await storedPasskey(synced.passkey.id)).toMatchObject({ counter: 3, backedUp: true });

    synced.authenticator.setCounter(4);
    expect((await synced.attempt(await synced.assertion())).lines).toHaveLength(1);
    const fresh = await setup({ synced: true });
    expect((await fresh.attempt(await fresh.assertion())).lines).toHaveLength(1);
    expect(fresh.metrics).toStrictEqual(['PasskeySignInSucceeded']);
  });

  it('refuses a sign-in whose passkey was deleted since it was read, or whose user changed since', async () => {
    const gone = await setup({
      wrap: {
        passkeys: (store) => ({
          ...store,
          async get(id) {
            const found = await store.get(id);
            await tables.client.send(new DeleteCommand({ TableName: tables.passkeysTableName, Key: { id } }));
            return found;
          },
        }),
      },
    });
    const { result, lines, metric } = await gone.attempt(await gone.assertion());
    expect(result).toBeInstanceOf(InvalidPasskeyError);
    expect(lines).toStrictEqual([
      {
        level: 'info',
        message: 'Passkey sign-in',
        details: { outcome: 'passkey_gone', credentialRef: credentialRef(gone.passkey.id), userId: gone.userId },
      },
    ]);
    expect(metric).toBe('PasskeySignInFailed');
    expect(await storedPasskey(gone.passkey.id)).toBeUndefined();

    const changed = await setup({
      wrap: {
        users: (store) => ({
          ...store,
          async findById(id) {
            const found = await store.findById(id);
            // A logout everywhere in between: the user item is not the one read.
            await tables.client.send(
              new UpdateCommand({
                TableName: tables.usersTableName,
                Key: { id },
                UpdateExpression: 'ADD sessionEpoch :one',
                ExpressionAttributeValues: { ':one': 1 },
              }),
            );
            return found;
          },
        }),
      },
    });
    const refusedChange = await changed.attempt(await changed.assertion());
    expect(refusedChange.result).toBeInstanceOf(InvalidPasskeyError);
    expect(refusedChange.lines).toStrictEqual([
      {
        level: 'info',
        message: 'Passkey sign-in',
        details: { outcome: 'user_changed', credentialRef: credentialRef(changed.passkey.id), userId: changed.userId },
      },
    ]);
    expect(refusedChange.metric).toBe('PasskeySignInFailed');
  });

  it('lets one of two sign-ins with the same counter pass: the write needs the stored counter below it', async () => {
    for (const counter of [0, 4]) {
      // Another sign-in presenting the same counter lands its write between this one's read and write.
      const raced = await setup({
        counter,
        wrap: {
          passkeys: (store) => ({
            ...store,
            async get(id) {
              const found = await store.get(id);
              await store.recordUse(id, { counter: counter + 1, backedUp: false, at: 1, counterMustRise: true });
              return found;
            },
          }),
        },
      });
      raced.authenticator.setCounter(counter);
      const { result, lines } = await raced.attempt(await raced.assertion());
      expect(result, `from ${counter}`).toBeInstanceOf(InvalidPasskeyError);
      expect(lines.map(({ details }) => (details as { outcome: string }).outcome)).toStrictEqual(['passkey_gone']);
    }
  });

  it('refuses a passkey whose user is gone', async () => {
    const orphan = await setup({ noUser: true });
    expect(await orphan.refused(await orphan.assertion())).toMatchObject({
      details: { outcome: 'user_gone', userId: orphan.userId },
    });
  });
});
