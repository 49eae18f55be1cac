import { BatchWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PASSKEY_LIMIT_MESSAGE,
  PasskeyConflictError,
  PasskeyNotFoundError,
  PasskeyRegistrationError,
} from '#lib/errors.ts';
import { createDynamoDbChallengeStore } from '#lib/passkeys/challenges.ts';
import { createPasskeyManagement, isFreshSignIn, LIST_SLACK } from '#lib/passkeys/manage.ts';
import { createDynamoDbPasskeyStore } from '#lib/passkeys/store.ts';
import { createPasskeyTelemetry, credentialRef } from '#lib/passkeys/telemetry.ts';
import { CHALLENGE_TTL_SECONDS, createWebAuthn } from '#lib/passkeys/webauthn.ts';
import { createSoftwareAuthenticator } from '#test/support/authenticator.ts';
import { createTestTables, TEST_ORIGIN, TEST_RP_ID, type TestTables } from '#test/support/dynamodb.ts';
import { manualClock } from '#test/support/handler.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';

describe('isFreshSignIn', () => {
  it('is true for a session started within the window, its last millisecond included, and false after', () => {
    const policy = { freshSignInSeconds: 300 };
    expect(isFreshSignIn({ createdAt: 1_000_000 }, 1_000_000, policy)).toBe(true);
    expect(isFreshSignIn({ createdAt: 1_000_000 }, 1_300_000, policy)).toBe(true);
    expect(isFreshSignIn({ createdAt: 1_000_000 }, 1_300_001, policy)).toBe(false);
  });
});

describe('passkey management: options, registration, list and delete, on DynamoDB Local', () => {
  let tables: TestTables;
  let serial = 0;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  afterAll(() => tables.drop());

  const setup = (maxPerUser = 3) => {
    serial += 1;
    const user = { id: `u${serial}x${Math.random().toString(36).slice(2, 8)}`, username: `user${serial}`, name: 'Ann' };
    const time = manualClock(new Date('2026-12-02T05:00:00.000Z'));
    const logger = recordingLogger();
    const manage = createPasskeyManagement({
      passkeys: createDynamoDbPasskeyStore(tables.client, tables.passkeysTableName),
      challenges: createDynamoDbChallengeStore(
        tables.client,
        tables.passkeyChallengesTableName,
        CHALLENGE_TTL_SECONDS,
        time.clock,
      ),
      webauthn: createWebAuthn({ id: TEST_RP_ID, name: 'Movie Knight', origins: [TEST_ORIGIN] }),
      policy: { maxPerUser, freshSignInSeconds: 300 },
      telemetry: createPasskeyTelemetry(logger),
      clock: time.clock,
    });
    /** Options, then `authenticator`'s answer to them, registered (as the request parser gives it). */
    const register = async (
      authenticator = createSoftwareAuthenticator(),
      name?: string,
      overrides: Record<string, unknown> = {},
    ) => {
      const options = await manage.registrationOptions(user);
      const response = authenticator.register({
        challenge: options.challenge,
        origin: TEST_ORIGIN,
        rpId: TEST_RP_ID,
        userHandle: options.user.id,
        ...overrides,
      });
      return manage.register(user, { response, challenge: options.challenge, name });
    };
    return { user, time, logger, manage, register };
  };

  it('registers a passkey under its name, or a dated one, stores it, says so in the log, and lists it', async () => {
    const { user, logger, manage, register, time } = setup();
    const authenticator = createSoftwareAuthenticator({ synced: true });
    const view = await register(authenticator, 'Laptop');
    expect(view).toStrictEqual({
      id: authenticator.id,
      name: 'Laptop',
      createdAt: '2026-12-02T05:00:00.000Z',
      lastUsedAt: null,
      backedUp: true,
      deviceType: 'multiDevice',
      transports: ['internal'],
    });
    const item = (
      await tables.client.send(new GetCommand({ TableName: tables.passkeysTableName, Key: { id: authenticator.id } }))
    ).Item;
    expect(item).toMatchObject({ userId: user.id, publicKey: authenticator.publicKey, counter: 0 });
    expect(logger.lines).toStrictEqual([
      {
        level: 'info',
        message: 'Passkey registered',
        details: { userId: user.id, credentialRef: credentialRef(authenticator.id) },
      },
    ]);
    time.advance(86_400);
    const unnamed = await register();
    expect(unnamed.name).toBe('Passkey added 2026-12-03');
    expect((await manage.list(user.id)).map(({ id }) => id)).toStrictEqual([unnamed.id, authenticator.id]);
  });

  it('offers options naming the user and excluding their passkeys, and none at the cap', async () => {
    const { user, manage, register } = setup(2);
    const first = createSoftwareAuthenticator();
    await register(first);
    const options = await manage.registrationOptions(user);
    expect(options.user).toStrictEqual({
      id: Buffer.from(user.id).toString('base64url'),
      name: user.username,
      displayName: 'Ann',
    });
    expect(options.excludeCredentials).toStrictEqual([{ id: first.id, type: 'public-key', transports: ['internal'] }]);
    expect(
      await tables.client.send(
        new GetCommand({ TableName: tables.passkeyChallengesTableName, Key: { id: options.challenge } }),
      ),
    ).toMatchObject({ Item: { purpose: 'registration', userId: user.id } });
    await register();
    await expect(manage.registrationOptions(user)).rejects.toThrow(new PasskeyConflictError(PASSKEY_LIMIT_MESSAGE));
  });

  it('refuses a registration with a spent or foreign challenge, that does not verify, or with a credential id too long', async () => {
    const { user, manage, register } = setup();
    const options = await manage.registrationOptions(user);
    const authenticator = createSoftwareAuthenticator();
    const response = authenticator.register({
      challenge: options.challenge,
      origin: TEST_ORIGIN,
      rpId: TEST_RP_ID,
      userHandle: options.user.id,
    });
    const other = { ...user, id: `${user.id}-other` };
    await expect(manage.register(other, { response, challenge: options.challenge, name: undefined })).rejects.toThrow(
      PasskeyRegistrationError,
    );
    expect(await manage.register(user, { response, challenge: options.challenge, name: undefined })).toMatchObject({
      id: authenticator.id,
    });
    await expect(manage.register(user, { response, challenge: options.challenge, name: undefined })).rejects.toThrow(
      PasskeyRegistrationError,
    );
    await expect(
      register(createSoftwareAuthenticator(), undefined, { origin: 'https://evil.example' }),
    ).rejects.toThrow(PasskeyRegistrationError);
    const long = createSoftwareAuthenticator({ idBytes: 1024 });
    await expect(register(long)).rejects.toThrow(PasskeyRegistrationError);
    expect(await manage.list(user.id)).toHaveLength(1);
  });

  it('refuses a credential registered already with the answer of a failed verification, and one past the cap with a conflict', async () => {
    const ann = setup(1);
    const bob = setup(1);
    const authenticator = createSoftwareAuthenticator();
    await ann.register(authenticator);
    await expect(bob.register(authenticator)).rejects.toThrow(PasskeyRegistrationError);
    expect(await bob.manage.list(bob.user.id)).toStrictEqual([]);
    // Past the cap at the write (the options looked before another registration landed).
    const options = await bob.manage.registrationOptions(bob.user);
    await bob.register();
    const late = createSoftwareAuthenticator().register({
      challenge: options.challenge,
      origin: TEST_ORIGIN,
      rpId: TEST_RP_ID,
      userHandle: options.user.id,
    });
    await expect(
      bob.manage.register(bob.user, { response: late, challenge: options.challenge, name: undefined }),
    ).rejects.toThrow(new PasskeyConflictError(PASSKEY_LIMIT_MESSAGE));
    expect(bob.logger.lines).toHaveLength(1);
  });

  it('lists and offers to exclude every passkey, even past the cap (stored before the count), within a bound', async () => {
    const { user, manage } = setup(1);
    const stored = 3 + LIST_SLACK;
    const items = Array.from({ length: stored }, (_, i) => ({
      id: `${user.id}-${i}`,
      userId: user.id,
      name: `old ${i}`,
      createdAt: i,
      backedUp: false,
      deviceType: 'singleDevice',
      publicKey: 'AA',
      counter: 0,
    }));
    // In batches of 25 (what one BatchWriteItem takes), one after the other.
    for (let i = 0; i < stored; i += 25) {
      await tables.client.send(
        new BatchWriteCommand({
          RequestItems: {
            [tables.passkeysTableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }
    const listed = await manage.list(user.id);
    expect(listed).toHaveLength(1 + LIST_SLACK);
    expect(listed[0]).toStrictEqual({
      id: `${user.id}-${stored - 1}`,
      name: `old ${stored - 1}`,
      createdAt: new Date(stored - 1).toISOString(),
      lastUsedAt: null,
      backedUp: false,
      deviceType: 'singleDevice',
      transports: [],
    });
  });

  it('deletes only the user’s own passkey, says so in the log, and answers not found for anything else', async () => {
    const { user, manage, register, logger } = setup();
    const other = setup();
    const mine = await register();
    const theirs = await other.register();
    for (const id of [theirs.id, 'bm9uZQ', 'not base64url!', '', 'A'.repeat(1365)]) {
      await expect(manage.remove(user.id, id), id).rejects.toThrow(PasskeyNotFoundError);
    }
    expect(await other.manage.list(other.user.id)).toHaveLength(1);
    await manage.remove(user.id, mine.id);
    expect(await manage.list(user.id)).toStrictEqual([]);
    expect(logger.lines.at(-1)).toStrictEqual({
      level: 'info',
      message: 'Passkey deleted',
      details: { userId: user.id, credentialRef: credentialRef(mine.id) },
    });
    await expect(manage.remove(user.id, mine.id)).rejects.toThrow(PasskeyNotFoundError);
  });
});
