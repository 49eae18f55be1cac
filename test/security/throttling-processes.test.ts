import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createDynamoDbLoginAttempts } from '#lib/login/attempts.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { toIdentifier } from '#lib/users/identifier.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { jsonLoginEvent } from '#test/support/events.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { testKeySet } from '#test/support/keys.ts';
import { functionCode, invokeBundle, lambdaEnvironment } from '#test/support/lambda-process.ts';
import { sharedSynthesis } from '#test/support/shared-synthesis.ts';

const SIGNING_KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
const IDENTIFIER_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:identifier-key';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const IDENTIFIER_KEY = 'throttle-test-identifier-key-0123456789abcdef';

/**
 * Concurrent Lambda containers share nothing but DynamoDB: the throttle must hold across
 * processes. Each invocation here is the deployed bundle in its own Node process, all started
 * at once, against one DynamoDB Local.
 */
// Twelve cold starts at once take a while on two cores, longer still when the machine is busy.
describe('throttling across concurrent Lambda processes', { timeout: 120_000 }, () => {
  let table: TestTables;
  let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
  let code: ReturnType<typeof functionCode>;

  const inProcesses = async (attempts: { emailOrUsername: string; password: string }[][]) => {
    const env = {
      ...(code.environment as Record<string, string>),
      USERS_TABLE_NAME: table.usersTableName,
      ATTEMPTS_TABLE_NAME: table.attemptsTableName,
      // Every login reads the global session epoch there, failures too.
      SESSIONS_TABLE_NAME: table.sessionsTableName,
      SIGNING_KEYS_SECRET_ARN: SIGNING_KEYS_ARN,
      IDENTIFIER_KEY_SECRET_ARN: IDENTIFIER_KEY_ARN,
      ...lambdaEnvironment('LoginFunction', { dynamoDb: table.endpoint, secretsManager: secrets.endpoint }),
      // Twelve cold starts at once on a small machine can take longer than the function's 10 s;
      // the deadline is not what this test is about.
      AWS_LAMBDA_FUNCTION_TIMEOUT: '30',
    };
    const runs = await Promise.all(
      attempts.map((events) =>
        invokeBundle(
          code,
          env,
          events.map((body) => jsonLoginEvent(body)),
        ),
      ),
    );
    return runs.map(({ results }) => results.map(({ response }) => response));
  };
  const statusCounts = (responses: APIGatewayProxyResult[]) =>
    responses.reduce<Record<number, number>>((counts, { statusCode }) => {
      counts[statusCode] = (counts[statusCode] ?? 0) + 1;
      return counts;
    }, {});
  /** Four failures for `username`, counted as the login counts them. */
  const fourFailures = async (username: string) => {
    // The SDK's defaults, not the function's 1 s bound: setting up must not time out on a busy machine.
    const patient = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: table.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS }),
    );
    const attempts = createDynamoDbLoginAttempts(patient, table.attemptsTableName, DEFAULTS.throttle);
    const key = await createIdentifierHash(createSecretReader({ value: IDENTIFIER_KEY }))(toIdentifier(username));
    for (let i = 0; i < 4; i += 1) {
      const result = await attempts.claim(key);
      if (!result.granted) throw new Error('throttled too early');
      await result.claim.fail();
    }
  };
  const stored = async (username: string) => {
    const key = await createIdentifierHash(createSecretReader({ value: IDENTIFIER_KEY }))(toIdentifier(username));
    return (await table.client.send(new GetCommand({ TableName: table.attemptsTableName, Key: { key } }))).Item;
  };

  beforeAll(async () => {
    table = await createTestTables();
    for (const username of ['ivan', 'judy']) {
      await table.createUser(username);
    }
    secrets = await startFakeSecretsManager({
      [SIGNING_KEYS_ARN]: JSON.stringify(await testKeySet()),
      [IDENTIFIER_KEY_ARN]: IDENTIFIER_KEY,
    });
    const { template, outdir } = await sharedSynthesis();
    code = functionCode(template, outdir, 'LoginFunction');
  });

  afterAll(async () => {
    secrets.close();
    await table.drop();
  });

  /**
   * A 401 or 200 is a checked password, a 429 an unchecked one. A 503 is a cold start that timed
   * out on DynamoDB Local or the Secrets Manager stand-in (twelve at once on a small machine): not
   * a check either, and not what this test is about.
   */
  const tally = (responses: APIGatewayProxyResult[]) => {
    const { 401: failed = 0, 429: throttled = 0, 503: unavailable = 0, ...other } = statusCounts(responses);
    expect(other).toEqual({});
    return { failed, throttled, unavailable };
  };

  it('checks exactly one of 12 wrong passwords sent at once after 4 failures; 11 get 429 without a check', async () => {
    await fourFailures('ivan');
    const responses = (
      await inProcesses(Array.from({ length: 12 }, () => [{ emailOrUsername: 'ivan', password: 'wrong' }]))
    ).flat();
    const { failed, throttled, unavailable } = tally(responses);
    expect(failed).toBeLessThanOrEqual(1);
    if (unavailable === 0) expect({ failed, throttled }).toEqual({ failed: 1, throttled: 11 });
    for (const response of responses.filter(({ statusCode }) => statusCode === 429)) {
      expect(Number(response.headers?.['Retry-After'])).toBeGreaterThan(0);
    }
    expect(await stored('ivan')).toMatchObject({ failures: 4 + failed });
  });

  it('lets the right password among 12 at once in only if it was the one password checked', async () => {
    await fourFailures('judy');
    const bodies = Array.from({ length: 12 }, (_, i) => [
      { emailOrUsername: 'judy', password: i === 6 ? 'secret123' : 'wrong' },
    ]);
    const responses = (await inProcesses(bodies)).flat();
    const right = responses[6]?.statusCode;
    const wrong = tally(responses.filter((_, i) => i !== 6));
    if (right === 200) {
      // The right one held the only place left, so no other was checked before it; its success
      // forgot the four failures, and the ones still waiting got a fresh budget of five.
      expect(wrong.failed).toBeLessThanOrEqual(5);
      expect(await stored('judy')).toMatchObject({ failures: wrong.failed });
    } else {
      // A wrong one held the only place left: it failed, the lock came, nothing else was checked.
      expect([429, 503]).toContain(right);
      expect(wrong.failed).toBeLessThanOrEqual(1);
      if (wrong.unavailable === 0 && right === 429) expect(wrong).toMatchObject({ failed: 1, throttled: 10 });
      expect(await stored('judy')).toMatchObject({ failures: 4 + wrong.failed });
    }
  });
});
