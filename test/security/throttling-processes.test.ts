import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { toIdentifier } from '#lib/users/identifier.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { jsonLoginEvent } from '#test/support/events.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { testKeySet } from '#test/support/keys.ts';
import { functionCode, invokeBundle, lambdaEnvironment } from '#test/support/lambda-process.ts';
import { synthesize } from '#test/support/synth.ts';

const SIGNING_KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
const IDENTIFIER_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:identifier-key';
const IDENTIFIER_KEY = 'throttle-test-identifier-key-0123456789abcdef';

/**
 * Concurrent Lambda containers share nothing but DynamoDB: the throttle must hold across
 * processes. Each invocation here is the deployed bundle in its own Node process, all started
 * at once, against one DynamoDB Local.
 */
describe('throttling across concurrent Lambda processes', () => {
  let table: TestTables;
  let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
  let code: ReturnType<typeof functionCode>;

  const inProcesses = async (attempts: { emailOrUsername: string; password: string }[][]) => {
    const env = {
      ...(code.environment as Record<string, string>),
      TABLE_NAME: table.tableName,
      ATTEMPTS_TABLE_NAME: table.attemptsTableName,
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
  const fourFailures = async (username: string) => {
    const [first] = await inProcesses([Array(4).fill({ emailOrUsername: username, password: 'wrong' })]);
    expect(first?.map((response) => response.statusCode)).toEqual([401, 401, 401, 401]);
  };
  const stored = async (username: string) => {
    const key = await createIdentifierHash(createSecretReader({ value: IDENTIFIER_KEY }))(toIdentifier(username));
    return (await table.client.send(new GetCommand({ TableName: table.attemptsTableName, Key: { key } }))).Item;
  };

  beforeAll(async () => {
    table = await createTestTables();
    for (const username of ['ivan', 'judy']) {
      await table.createUser({ email: `${username}@example.com`, username, name: username, password: 'secret123' });
    }
    secrets = await startFakeSecretsManager({
      [SIGNING_KEYS_ARN]: JSON.stringify(await testKeySet()),
      [IDENTIFIER_KEY_ARN]: IDENTIFIER_KEY,
    });
    const { template, outdir } = synthesize();
    code = functionCode(template, outdir, 'LoginFunction');
  });

  afterAll(async () => {
    secrets.close();
    await table.drop();
  });

  it('checks exactly one of 12 wrong passwords sent at once after 4 failures; 11 get 429 without a check', async () => {
    await fourFailures('ivan');
    const responses = (
      await inProcesses(Array.from({ length: 12 }, () => [{ emailOrUsername: 'ivan', password: 'wrong' }]))
    ).flat();
    // A 401 is a checked password, a 429 an unchecked one.
    expect(statusCounts(responses)).toEqual({ 401: 1, 429: 11 });
    for (const response of responses.filter(({ statusCode }) => statusCode === 429)) {
      expect(Number(response.headers?.['Retry-After'])).toBeGreaterThan(0);
    }
    expect(await stored('ivan')).toMatchObject({ failures: 5, attempts: 5 });
  });

  it('lets the right password among 12 at once in only if it was the one password checked', async () => {
    await fourFailures('judy');
    const bodies = Array.from({ length: 12 }, (_, i) => [
      { emailOrUsername: 'judy', password: i === 6 ? 'secret123' : 'wrong' },
    ]);
    const responses = (await inProcesses(bodies)).flat();
    const right = responses[6]?.statusCode;
    const wrong = statusCounts(responses.filter((_, i) => i !== 6));
    if (right === 429) {
      // A wrong one held the only place left: it failed, the lock came, nothing else was checked.
      expect(wrong).toEqual({ 401: 1, 429: 10 });
      expect(await stored('judy')).toMatchObject({ failures: 5 });
    } else {
      // The right one held the only place left, so none of the others was checked before it;
      // its success forgot the four failures, and the waiting ones got a fresh budget of five.
      expect(right).toBe(200);
      expect((wrong[401] ?? 0) + (wrong[429] ?? 0)).toBe(11);
      expect(wrong[401] ?? 0).toBeLessThanOrEqual(5);
      expect(await stored('judy')).toMatchObject({ failures: wrong[401] ?? 0 });
    }
  });
});
