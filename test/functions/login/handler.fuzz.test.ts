import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createLoginHandler } from '#functions/login/create-handler.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createLogin } from '#lib/login/login.ts';
import { createLoginTelemetry } from '#lib/login/telemetry.ts';
import { createTokenSigner } from '#lib/tokens/signer.ts';
import { createSigningKeyProvider } from '#lib/tokens/signing-key-provider.ts';
import { createPasswordVerifier } from '#lib/users/passwords.ts';
import { createDynamoDbUserStore } from '#lib/users/store.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, loginEvent, type ProxyHandler } from '#test/support/events.ts';
import { expectClientErrorEnvelope, requestBody, requestHeaders } from '#test/support/fuzz.ts';
import { testKeySet } from '#test/support/keys.ts';
import { testLoginBudgets, testSessionStarter } from '#test/support/sessions.ts';

/**
 * Like Middy's own `index.fuzz.js` for its parsers: whatever body and headers arrive, the login
 * handler answers a 4xx in the envelope (400, 401, 413, 415 or 429), never a 5xx and never a throw.
 */
describe('login handler under arbitrary input', () => {
  let tables: TestTables;
  let handler: ProxyHandler;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('moviefan');
    const logger = new Logger({ logLevel: 'SILENT' });
    const metrics = new Metrics({ namespace: 'FuzzTest' });
    const telemetry = createLoginTelemetry(logger, metrics);
    // The real chain and adapters; bcrypt at cost 4 so 200 runs stay quick (the cost is not under test).
    const login = createLogin({
      users: createDynamoDbUserStore(tables.client, tables.usersTableName),
      attempts: createDynamoDbLoginAttempts(tables.client, tables.attemptsTableName, {
        maxFailures: 5,
        windowSeconds: 900,
        baseLockSeconds: 60,
        maxLockSeconds: 900,
      }),
      identifierHash: createIdentifierHash(createSecretReader({ value: 'fuzz-identifier-key-0123456789abcdefghij' })),
      passwords: createPasswordVerifier(4),
      tokens: createTokenSigner(createSigningKeyProvider({ value: JSON.stringify(await testKeySet()) }), {
        issuer: 'https://auth.example.com',
        audience: 'movie-knight',
        ttlSeconds: 3600,
      }),
      startSession: testSessionStarter(tables),
      telemetry,
      ...testLoginBudgets(tables),
    });
    handler = createLoginHandler({
      login,
      clientIds: ['movie-knight-app'],
      telemetry,
      logger,
      metrics,
      corsAllowedOrigins: [],
    }) as ProxyHandler;
  });

  afterAll(() => tables.drop());

  it('answers any body and headers with a 4xx envelope', async () => {
    await fc.assert(
      fc.asyncProperty(
        requestBody(['emailOrUsername', 'password']),
        requestHeaders,
        fc.boolean(),
        async (raw, headers, isBase64Encoded) => {
          expectClientErrorEnvelope(await invoke(handler, { ...loginEvent(raw, headers), isBase64Encoded }));
        },
      ),
      { numRuns: 200 },
    );
  });
});
