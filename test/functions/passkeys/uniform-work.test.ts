import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSoftwareAuthenticator, type SoftwareAuthenticator } from '#test/support/authenticator.ts';
import { createTestTables, TEST_ORIGIN, TEST_RP_ID, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent } from '#test/support/events.ts';
import { createPasskeyHandlers, createSessionHandlers } from '#test/support/handler.ts';
import { sessionRequest } from '#test/support/session-requests.ts';

/**
 * The work a passkey sign-in does before its verdict, by outcome: which DynamoDB calls (through the
 * real SDK client, to DynamoDB Local) and how many signature checks (WebCrypto's verify, which the
 * library calls). Structure, not milliseconds: the timings are the bench's.
 */
describe('passkey sign-in: the same work for every failure, and a success does that work and then starts a session', () => {
  let tables: TestTables;
  let handlers: ReturnType<typeof createSessionHandlers> & ReturnType<typeof createPasskeyHandlers>;
  let authenticator: SoftwareAuthenticator;

  const signIn = (body: unknown) =>
    sessionRequest(handlers.passkeySignIn, { path: '/api/auth/passkeys/authentication', body });
  const challenge = async () =>
    JSON.parse(
      (await sessionRequest(handlers.passkeySignIn, { path: '/api/auth/passkeys/authentication/options' })).body,
    ).data.challenge as string;
  const assertion = async (from: SoftwareAuthenticator, overrides: Record<string, unknown> = {}) =>
    from.authenticate({ challenge: await challenge(), origin: TEST_ORIGIN, rpId: TEST_RP_ID, ...overrides });

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('uma', { id: 'uma' });
    handlers = { ...createSessionHandlers(tables.env), ...createPasskeyHandlers(tables.env) };
    const login = await invoke(
      handlers.login,
      loginEvent(JSON.stringify({ emailOrUsername: 'uma', password: 'secret123' })),
    );
    const { token } = JSON.parse(login.body).data;
    authenticator = createSoftwareAuthenticator();
    const options = JSON.parse(
      (await sessionRequest(handlers.passkeys, { path: '/api/auth/passkeys/registration/options', token })).body,
    ).data;
    const response = authenticator.register({
      challenge: options.challenge,
      origin: TEST_ORIGIN,
      rpId: TEST_RP_ID,
      userHandle: options.user.id,
    });
    const registered = await sessionRequest(handlers.passkeys, {
      path: '/api/auth/passkeys/registration',
      body: response,
      token,
    });
    expect(registered.statusCode).toBe(200);
  });

  afterAll(() => tables.drop());

  it('makes the same calls for every failure, and the same signature check for all but those the library refuses first', async () => {
    const tableOf = (name: unknown) =>
      ({
        [tables.usersTableName]: 'users',
        [tables.sessionsTableName]: 'sessions',
        [tables.passkeysTableName]: 'passkeys',
        [tables.passkeyChallengesTableName]: 'challenges',
      })[String(name)] ?? '?';
    const send = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
    const verify = vi.spyOn(globalThis.crypto.subtle, 'verify');
    const traceOf = async (body: unknown) => {
      send.mockClear();
      verify.mockClear();
      const { statusCode } = await signIn(body);
      const calls = send.mock.calls
        .map(([command]) => {
          const { TableName, IndexName, ConditionExpression } = command.input as Record<string, unknown>;
          return `${command.constructor.name} ${tableOf(TableName)}${IndexName ? `/${IndexName}` : ''}${ConditionExpression ? ' conditional' : ''}`;
        })
        .sort();
      return { statusCode, calls, signatureChecks: verify.mock.calls.length };
    };
    try {
      const replayed = await assertion(authenticator);
      const success = await traceOf(replayed);
      const badSignature = await assertion(authenticator);
      badSignature.response.signature = replayed.response.signature;
      const failures = {
        'unknown credential': await traceOf(await assertion(createSoftwareAuthenticator())),
        'bad signature': await traceOf(badSignature),
        replay: await traceOf(replayed),
        'unknown challenge': await traceOf(
          authenticator.authenticate({ challenge: 'A'.repeat(43), origin: TEST_ORIGIN, rpId: TEST_RP_ID }),
        ),
        'another user handle': await traceOf(await assertion(authenticator, { userHandle: 'eHl6' })),
        'no user handle': await traceOf(await assertion(authenticator, { userHandle: null })),
      };
      // The library refuses these before the signature check: the same calls, one check fewer.
      const refusedEarly = {
        'wrong origin': await traceOf(await assertion(authenticator, { origin: 'https://evil.example' })),
        'wrong RP ID': await traceOf(await assertion(authenticator, { rpId: 'evil.example' })),
        'no user verification': await traceOf(await assertion(authenticator, { noUserVerification: true })),
      };
      authenticator.setBackupFlags({ eligible: true, backedUp: true });
      Object.assign(failures, { 'another backup eligibility': await traceOf(await assertion(authenticator)) });
      authenticator.setBackupFlags({ eligible: false, backedUp: false });
      await tables.client.send(new DeleteCommand({ TableName: tables.usersTableName, Key: { id: 'uma' } }));
      Object.assign(failures, { 'a user who is gone': await traceOf(await assertion(authenticator)) });
      await tables.createUser('uma', { id: 'uma' });
      const user = (await tables.client.send(new GetCommand({ TableName: tables.usersTableName, Key: { id: 'uma' } })))
        .Item;
      await tables.client.send(
        new PutCommand({ TableName: tables.usersTableName, Item: { ...user, disabledAt: new Date().toISOString() } }),
      );
      Object.assign(failures, { 'a disabled user': await traceOf(await assertion(authenticator)) });

      const work = [
        'DeleteCommand challenges conditional',
        'GetCommand passkeys',
        // The global session epoch, read beside the passkey: a success's session records it.
        'GetCommand sessions',
        'GetCommand users',
        'UpdateCommand passkeys conditional',
      ];
      for (const [kind, trace] of Object.entries(failures)) {
        expect({ kind, ...trace }).toStrictEqual({ kind, statusCode: 401, calls: work, signatureChecks: 1 });
      }
      for (const [kind, trace] of Object.entries(refusedEarly)) {
        expect({ kind, ...trace }).toStrictEqual({ kind, statusCode: 401, calls: work, signatureChecks: 0 });
      }
      // A success: that work, then the session as a login starts it (one transaction with the check on
      // the user item, beside the cap's look at the user index).
      expect(success).toStrictEqual({
        statusCode: 200,
        calls: [...work, 'QueryCommand sessions/user-index', 'TransactWriteCommand ?'].sort(),
        signatureChecks: 1,
      });
    } finally {
      send.mockRestore();
      verify.mockRestore();
    }
  });
});
