import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeKey, parseKeySet } from '#lib/tokens/key-set.ts';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { jsonLoginEvent } from '#test/support/events.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { functionCode, invokeBundle, lambdaEnvironment, TEMPLATE_TOKEN_ISSUER } from '#test/support/lambda-process.ts';
import { synthesize } from '#test/support/synth.ts';

const KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
const IDENTIFIER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:identifier-key';
const REFRESH_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:refresh-key';

/**
 * The key lifecycle with the bundles CDK produced, each in a fresh Node process as Lambda runs it,
 * against a loopback Secrets Manager with versions and staging labels: the custom resource makes
 * the first keys, the rotation function rotates them step by step as Secrets Manager calls it,
 * and the login and JWKS functions follow.
 */
describe('signing key setup and rotation', () => {
  let tables: TestTables;
  let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
  let code: (id: string) => ReturnType<typeof functionCode>;

  const run = (id: string, events: unknown[]) => {
    const fn = code(id);
    return invokeBundle(
      fn,
      {
        ...(fn.environment as Record<string, string>),
        TABLE_NAME: tables.tableName,
        ATTEMPTS_TABLE_NAME: tables.attemptsTableName,
        SESSIONS_TABLE_NAME: tables.sessionsTableName,
        SIGNING_KEYS_SECRET_ARN: KEYS_ARN,
        IDENTIFIER_KEY_SECRET_ARN: IDENTIFIER_ARN,
        REFRESH_KEY_SECRET_ARN: REFRESH_ARN,
        ...lambdaEnvironment(id, { dynamoDb: tables.endpoint, secretsManager: secrets.endpoint }),
      },
      events,
    );
  };
  const login = async () => {
    const { results } = await run('LoginFunction', [
      jsonLoginEvent({ emailOrUsername: 'keyfan', password: 'secret123' }),
    ]);
    expect(results[0]?.response.statusCode).toBe(200);
    return JSON.parse(results[0]!.response.body).data.token as string;
  };
  const jwks = async () => {
    const path = '/.well-known/jwks.json';
    const { results } = await run('WellKnownFunction', [toApiGatewayEvent({ method: 'GET', path, resource: path })]);
    return JSON.parse(results[0]!.response.body);
  };

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser({
      id: 'key-fan',
      email: 'keyfan@example.com',
      username: 'keyfan',
      name: 'K',
      password: 'secret123',
    });
    // What CloudFormation leaves in a new secret with no value given: a random string.
    secrets = await startFakeSecretsManager({
      [KEYS_ARN]: 'q8ZrandomStringFromCloudFormation',
      [IDENTIFIER_ARN]: 'key-management-identifier-key-0123456789abc',
      [REFRESH_ARN]: 'key-management-refresh-key-0123456789abcdefg',
    });
    const { template, outdir } = synthesize();
    code = (id) => functionCode(template, outdir, id);
  });

  afterAll(async () => {
    secrets.close();
    await tables.drop();
  });

  it('makes the first key set at deploy time, and keeps it on an update', async () => {
    const create = { RequestType: 'Create', ResourceProperties: { SecretId: KEYS_ARN } };
    const { results } = await run('KeySetupFunction', [create]);
    expect(results[0]?.response).toEqual({ PhysicalResourceId: KEYS_ARN });
    const first = secrets.current(KEYS_ARN)!;
    expect(parseKeySet(first).keys.map((key) => key.status)).toEqual(['active', 'next']);
    await run('KeySetupFunction', [{ ...create, RequestType: 'Update' }]);
    expect(secrets.current(KEYS_ARN)).toBe(first);
  });

  it("rotates through Secrets Manager's four steps; tokens from before still verify, new ones use the next key", async () => {
    const before = parseKeySet(secrets.current(KEYS_ARN)!);
    const oldToken = await login();
    expect(decodeProtectedHeader(oldToken).kid).toBe(activeKey(before).kid);

    const token = secrets.startRotation(KEYS_ARN);
    const steps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((Step) => ({
      SecretId: KEYS_ARN,
      ClientRequestToken: token,
      Step,
    }));
    await run('KeyRotationFunction', steps);

    const after = parseKeySet(secrets.current(KEYS_ARN)!);
    expect(activeKey(after).kid).toBe(before.keys.find((key) => key.status === 'next')?.kid);
    const newToken = await login(); // a fresh container reads the rotated set
    expect(decodeProtectedHeader(newToken).kid).toBe(activeKey(after).kid);

    const published = createLocalJWKSet(await jwks());
    for (const jwt of [oldToken, newToken]) {
      const { payload } = await jwtVerify(jwt, published, { issuer: TEMPLATE_TOKEN_ISSUER, audience: 'movie-knight' });
      expect(payload.sub).toBe('key-fan');
    }
  });
});
