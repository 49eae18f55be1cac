import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { jsonLoginEvent } from '#test/support/events.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { testKeyEnvironment, testKeySet } from '#test/support/keys.ts';
import { functionCode, invokeBundle, lambdaEnvironment } from '#test/support/lambda-process.ts';
import { sharedSynthesis } from '#test/support/shared-synthesis.ts';
import { verifyWithTestKeys } from '#test/support/verify.ts';

const SIGNING_KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
const PUBLIC_KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:public-keys';
const IDENTIFIER_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:identifier-key';
const REFRESH_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:refresh-key';

describe('the bundle CDK produced', () => {
  let table: TestTables;
  let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
  let code: ReturnType<typeof functionCode>;
  let codes: Record<'RefreshFunction' | 'SessionsFunction', ReturnType<typeof functionCode>>;

  /** Runs a bundle with the function's environment from the template, as Lambda sets it. */
  const runFunction = (
    bundle: ReturnType<typeof functionCode>,
    name: string,
    events: unknown[],
    overrides: Record<string, string> = {},
  ) =>
    invokeBundle(
      bundle,
      {
        ...(bundle.environment as Record<string, string>),
        // The template's references, resolved as CloudFormation would to this run's resources:
        // only those the template gives the function (the sessions function gets no refresh key).
        ...Object.fromEntries(
          Object.entries({
            USERS_TABLE_NAME: table.usersTableName,
            ATTEMPTS_TABLE_NAME: table.attemptsTableName,
            SESSIONS_TABLE_NAME: table.sessionsTableName,
            SIGNING_KEYS_SECRET_ARN: SIGNING_KEYS_ARN,
            PUBLIC_KEYS_SECRET_ARN: PUBLIC_KEYS_ARN,
            IDENTIFIER_KEY_SECRET_ARN: IDENTIFIER_KEY_ARN,
            REFRESH_KEY_SECRET_ARN: REFRESH_KEY_ARN,
          }).filter(([name]) => name in (bundle.environment as Record<string, string>)),
        ),
        ...lambdaEnvironment(name, { dynamoDb: table.endpoint, secretsManager: secrets.endpoint }),
        ...overrides,
      },
      events,
    );
  const runInLambdaLikeProcess = (events: unknown[], overrides?: Record<string, string>) =>
    runFunction(code, 'LoginFunction', events, overrides);

  beforeAll(async () => {
    table = await createTestTables();
    await table.createUser('fan', { id: 'bundle-user' });
    secrets = await startFakeSecretsManager({
      [SIGNING_KEYS_ARN]: JSON.stringify(await testKeySet()),
      [PUBLIC_KEYS_ARN]: (await testKeyEnvironment()).PUBLIC_KEYS,
      [IDENTIFIER_KEY_ARN]: 'bundle-test-identifier-key-0123456789abcdef',
      [REFRESH_KEY_ARN]: 'bundle-test-refresh-key-0123456789abcdefghij',
    });
    const { template, outdir } = await sharedSynthesis();
    code = functionCode(template, outdir, 'LoginFunction');
    codes = {
      RefreshFunction: functionCode(template, outdir, 'RefreshFunction'),
      SessionsFunction: functionCode(template, outdir, 'SessionsFunction'),
    };
  });

  afterAll(async () => {
    secrets.close();
    await table.drop();
  });

  it('logs in, cold then warm, reading each of its three secrets from Secrets Manager once', async () => {
    secrets.state.calls = 0;
    const login = jsonLoginEvent({ emailOrUsername: 'FAN@example.com', password: 'secret123' });
    const { results } = await runInLambdaLikeProcess([login, login]);
    for (const { response } of results) {
      expect(response.statusCode).toBe(200);
      const { data } = JSON.parse(response.body);
      const { payload } = await verifyWithTestKeys(data.token);
      expect(payload.sub).toBe('bundle-user');
      expect(data.refreshToken.startsWith(`${payload.sid}.0.`)).toBe(true);
    }
    expect(secrets.state.calls).toBe(3);
  });

  it('answers the same 401 for a wrong password and an unknown user', async () => {
    const { results } = await runInLambdaLikeProcess([
      jsonLoginEvent({ emailOrUsername: 'fan', password: 'wrong' }),
      jsonLoginEvent({ emailOrUsername: 'ghost', password: 'wrong' }),
    ]);
    expect(results[0]?.response.statusCode).toBe(401);
    expect(results[1]?.response).toStrictEqual(results[0]?.response);
  });

  it('reads its three secrets during init, before any event, once', async () => {
    secrets.state.calls = 0;
    const { results } = await runInLambdaLikeProcess([]);
    expect(results).toStrictEqual([]);
    expect(secrets.state.calls).toBe(3);
  });

  it('starts even when Secrets Manager is down at init, answers 503, and reads again later', async () => {
    // The three reads started at init fail, three attempts each (the SDK's retries). The first
    // request shares them instead of reading again, so it fails too; the second may still share
    // the one that ends last; the third reads the secrets afresh. Never a read more than those.
    secrets.state.calls = 0;
    secrets.state.failFirst = 3 * 3;
    const login = jsonLoginEvent({ emailOrUsername: 'fan', password: 'secret123' });
    const { results, logs } = await runInLambdaLikeProcess([login, login, login], { POWERTOOLS_LOG_LEVEL: 'ERROR' });
    expect(results[0]?.response).toMatchObject({
      statusCode: 503,
      body: '{"ok":false,"error":"Service temporarily unavailable, please retry","code":"service_unavailable"}',
    });
    // Minified, the bundle still names the error by its class (infra/bundling.ts keepNames).
    expect(logs).toContain('"name":"ServiceUnavailableError"');
    expect(results[2]?.response.statusCode).toBe(200);
    expect(secrets.state.calls).toBe(3 * 3 + 3);
  });

  it('refreshes in the refresh bundle; concurrent containers with one token all get the one new token', async () => {
    const login = jsonLoginEvent({ emailOrUsername: 'fan', password: 'secret123' });
    const response = (await runInLambdaLikeProcess([login])).results[0]?.response;
    const { refreshToken } = JSON.parse(response!.body).data;
    const refresh = (token: string) => ({
      ...jsonLoginEvent({ refreshToken: token }),
      resource: '/api/auth/refresh',
      path: '/api/auth/refresh',
    });
    const first = await runFunction(codes.RefreshFunction, 'RefreshFunction', [refresh(refreshToken)]);
    const rotated = JSON.parse(first.results[0]!.response.body).data;
    expect(rotated.refreshToken).toMatch(/\.1\./);
    // Four containers at once, each cold, with the same (now current) token.
    const runs = await Promise.all(
      Array.from({ length: 4 }, () =>
        runFunction(codes.RefreshFunction, 'RefreshFunction', [refresh(rotated.refreshToken)]),
      ),
    );
    const answers = runs.map((run) => run.results[0]!.response);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200]);
    expect(new Set(answers.map((a) => JSON.parse(a.body).data.refreshToken)).size).toBe(1);
    const { payload } = await verifyWithTestKeys(JSON.parse(answers[0]!.body).data.token);
    expect(payload.sub).toBe('bundle-user');
  });

  it('lists in the sessions bundle, logs out in the refresh bundle, which then refuses the token', async () => {
    const response = (await runInLambdaLikeProcess([jsonLoginEvent({ emailOrUsername: 'fan', password: 'secret123' })]))
      .results[0]?.response;
    const { refreshToken, token } = JSON.parse(response!.body).data;
    const event = (path: string, body: unknown) => ({ ...jsonLoginEvent(body), resource: path, path });
    const list = {
      ...jsonLoginEvent({}),
      httpMethod: 'GET',
      body: null,
      resource: '/api/auth/sessions',
      path: '/api/auth/sessions',
      headers: { Authorization: `Bearer ${token}` },
    };
    const { results } = await runFunction(codes.SessionsFunction, 'SessionsFunction', [list]);
    expect(results.map((r) => r.response.statusCode)).toEqual([200]);
    expect(JSON.parse(results[0]!.response.body).data.sessions.some((s: { current: boolean }) => s.current)).toBe(true);
    const after = await runFunction(codes.RefreshFunction, 'RefreshFunction', [
      event('/api/auth/logout', { refreshToken }),
      event('/api/auth/logout', { refreshToken }),
      event('/api/auth/refresh', { refreshToken }),
    ]);
    expect(after.results.map((r) => r.response.statusCode)).toEqual([200, 200, 401]);
  });

  it('refuses to start in AWS with a local-only setting', async () => {
    const env = {
      ...(code.environment as Record<string, string>),
      USERS_TABLE_NAME: table.usersTableName,
      ATTEMPTS_TABLE_NAME: table.attemptsTableName,
      SIGNING_KEYS_SECRET_ARN: SIGNING_KEYS_ARN,
      IDENTIFIER_KEY_SECRET_ARN: IDENTIFIER_KEY_ARN,
      AWS_LAMBDA_FUNCTION_NAME: 'LoginFunction',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    };
    await expect(invokeBundle(code, env, [])).rejects.toThrow(
      'DYNAMODB_ENDPOINT is for local runs only and must be empty in AWS Lambda',
    );
  });
});
