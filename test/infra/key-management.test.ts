import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeKey, type KeySet, parseKeySet, publicJwks } from '#lib/tokens/key-set.ts';
import { JWKS_CACHE_MARGIN_SECONDS } from '#lib/tokens/key-timing.ts';
import { parsePublicJwks } from '#lib/tokens/public-jwks.ts';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { jsonLoginEvent } from '#test/support/events.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { functionCode, invokeBundle, lambdaEnvironment, TEMPLATE_TOKEN_ISSUER } from '#test/support/lambda-process.ts';
import { sharedSynthesis } from '#test/support/shared-synthesis.ts';

const KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
const PUBLIC_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:public-keys';
const IDENTIFIER_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:identifier-key';
const REFRESH_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:refresh-key';

/**
 * The key lifecycle with the bundles CDK produced, each in a fresh Node process as Lambda runs it,
 * against a loopback Secrets Manager with versions and staging labels: the custom resource makes
 * the first keys, the rotation function rotates them step by step as Secrets Manager calls it,
 * and the login and JWKS functions follow. Each function gets only the secrets its template
 * environment names: the JWKS function is never told where the private key set is.
 */
describe('signing key setup and rotation', () => {
  let tables: TestTables;
  let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
  let code: (id: string) => ReturnType<typeof functionCode>;

  /** The template's environment, its references to our secrets resolved to the stand-in's ARNs. */
  const resolve = (environment: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(environment).map(([name, value]) => {
        const ref = (value as { Ref?: string }).Ref ?? '';
        if (ref.startsWith('SigningKeysSecret')) return [name, KEYS_ARN];
        if (ref.startsWith('SigningKeysPublicKeys')) return [name, PUBLIC_ARN];
        if (ref.startsWith('IdentifierKey')) return [name, IDENTIFIER_ARN];
        if (ref.startsWith('RefreshKey')) return [name, REFRESH_ARN];
        return [name, String(value)];
      }),
    );
  const run = (id: string, events: unknown[], extra: Record<string, string> = {}) => {
    const fn = code(id);
    return invokeBundle(
      fn,
      {
        ...resolve(fn.environment),
        USERS_TABLE_NAME: tables.usersTableName,
        ATTEMPTS_TABLE_NAME: tables.attemptsTableName,
        SESSIONS_TABLE_NAME: tables.sessionsTableName,
        ...lambdaEnvironment(id, { dynamoDb: tables.endpoint, secretsManager: secrets.endpoint }),
        ...extra,
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
    await tables.createUser('keyfan', { id: 'key-fan' });
    // What CloudFormation leaves in a new secret with no value given: a random string.
    secrets = await startFakeSecretsManager({
      [KEYS_ARN]: 'q8ZrandomStringFromCloudFormation',
      [PUBLIC_ARN]: 'p9XrandomStringFromCloudFormation',
      [IDENTIFIER_ARN]: 'key-management-identifier-key-0123456789abc',
      [REFRESH_ARN]: 'key-management-refresh-key-0123456789abcdefg',
    });
    const { template, outdir } = await sharedSynthesis();
    code = (id) => functionCode(template, outdir, id);
  });

  afterAll(async () => {
    secrets.close();
    await tables.drop();
  });

  /** The public secret holds exactly the public JWKS of the current private set. */
  const expectPublished = (set: KeySet) =>
    expect(parsePublicJwks(secrets.current(PUBLIC_ARN)!)).toEqual(publicJwks(set));
  const rotate = () => {
    const token = secrets.startRotation(KEYS_ARN);
    const steps = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((Step) => ({
      SecretId: KEYS_ARN,
      ClientRequestToken: token,
      Step,
    }));
    return run('KeyRotationFunction', steps, { POWERTOOLS_LOG_LEVEL: 'WARN' });
  };
  const verifyThroughPublished = async (tokens: string[]) => {
    const published = createLocalJWKSet(await jwks());
    for (const jwt of tokens) {
      const { payload } = await jwtVerify(jwt, published, { issuer: TEMPLATE_TOKEN_ISSUER, audience: 'movie-knight' });
      expect(payload.sub).toBe('key-fan');
    }
  };

  it('makes the first key set at deploy time and publishes its public keys, and keeps it on an update', async () => {
    const create = {
      RequestType: 'Create',
      ResourceProperties: { SecretId: KEYS_ARN, PublicKeysSecretId: PUBLIC_ARN },
    };
    const { results } = await run('KeySetupFunction', [create]);
    expect(results[0]?.response).toEqual({ PhysicalResourceId: KEYS_ARN });
    const first = secrets.current(KEYS_ARN)!;
    expect(parseKeySet(first).keys.map((key) => key.status)).toEqual(['active', 'next']);
    expectPublished(parseKeySet(first));
    await run('KeySetupFunction', [{ ...create, RequestType: 'Update' }]);
    expect(secrets.current(KEYS_ARN)).toBe(first);
    expectPublished(parseKeySet(first));
  });

  it('serves the JWKS from the public secret alone', async () => {
    expect(await jwks()).toEqual(parsePublicJwks(secrets.current(PUBLIC_ARN)!));
  });

  it("rotates through Secrets Manager's four steps; tokens from before still verify, new ones use the next key", async () => {
    // Three hours after setup, as far as the keys can tell: the next key may start signing.
    const set = parseKeySet(secrets.current(KEYS_ARN)!);
    const aged = set.keys.map((key) => ({ ...key, publishedAt: (key.publishedAt ?? 0) - JWKS_CACHE_MARGIN_SECONDS }));
    secrets.put(KEYS_ARN, JSON.stringify({ keys: aged }));
    const before = parseKeySet(secrets.current(KEYS_ARN)!);
    const oldToken = await login();
    expect(decodeProtectedHeader(oldToken).kid).toBe(activeKey(before).kid);

    await rotate();

    const after = parseKeySet(secrets.current(KEYS_ARN)!);
    expect(activeKey(after).kid).toBe(before.keys.find((key) => key.status === 'next')?.kid);
    expectPublished(after);
    const newToken = await login(); // a fresh container reads the rotated set
    expect(decodeProtectedHeader(newToken).kid).toBe(activeKey(after).kid);
    await verifyThroughPublished([oldToken, newToken]);
  });

  it('keeps the signer, and says so, when a second rotation comes before the next key has been published for 3 hours', async () => {
    const before = parseKeySet(secrets.current(KEYS_ARN)!);
    const { logs } = await rotate();
    const after = parseKeySet(secrets.current(KEYS_ARN)!);
    expect(activeKey(after).kid).toBe(activeKey(before).kid);
    expectPublished(after);
    expect(logs).toContain('Rotation came too early: the active key keeps signing');
    await verifyThroughPublished([await login()]);
  });

  it('fails the rotation, loudly and without key material, when the current key set does not parse', async () => {
    const good = secrets.current(KEYS_ARN)!;
    const broken = JSON.stringify({ keys: parseKeySet(good).keys.map((key) => ({ ...key, status: 'next' })) });
    secrets.put(KEYS_ARN, broken);
    const published = secrets.current(PUBLIC_ARN);
    const failure = await rotate().catch((error: { stderr: string }) => error);
    expect((failure as { stderr: string }).stderr).toContain('Refusing to rotate: the current key set does not parse');
    for (const key of parseKeySet(good).keys.filter((key) => key.d !== undefined)) {
      expect((failure as { stderr: string }).stderr).not.toContain(key.d);
    }
    expect(secrets.current(KEYS_ARN)).toBe(broken);
    expect(secrets.current(PUBLIC_ARN)).toBe(published);
    secrets.put(KEYS_ARN, good);
  });

  it('prunes on its hourly schedule: a retired key past its retention leaves the set and the JWKS without a rotation', async () => {
    const good = parseKeySet(secrets.current(KEYS_ARN)!);
    const expired = good.keys.map((key) =>
      key.status === 'retired' ? { ...key, retiredAt: Math.floor(Date.now() / 1000) - 31 * 86_400 } : key,
    );
    const retired = expired.filter((key) => key.status === 'retired').map((key) => key.kid);
    expect(retired.length).toBeGreaterThan(0);
    secrets.put(KEYS_ARN, JSON.stringify({ keys: expired }));
    // The failed rotation above left its pending version: the upkeep waits while one exists.
    const { logs } = await run('KeyRotationFunction', [{ action: 'prune', SecretId: KEYS_ARN }], {
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    expect(logs).toContain('rotation-pending');
    expect(parseKeySet(secrets.current(KEYS_ARN)!).keys).toHaveLength(expired.length);
    secrets.cancelRotation(KEYS_ARN);
    await run('KeyRotationFunction', [{ action: 'prune', SecretId: KEYS_ARN }]);
    const after = parseKeySet(secrets.current(KEYS_ARN)!);
    for (const kid of retired) expect(after.keys.map((key) => key.kid)).not.toContain(kid);
    expect(activeKey(after).kid).toBe(activeKey(good).kid);
    expectPublished(after);
    for (const key of after.keys) expect(key.d === undefined).toBe(key.status === 'retired');
  });
});
