import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { ensureTables, LOCAL_TABLES, seedDemoSession, seedDemoUser } from '#scripts/local/tables.ts';
import { TEST_BCRYPT_COST } from '#test/support/dynamodb.ts';
import { functionCode, invokeBundle } from '#test/support/lambda-process.ts';
import { sharedSynthesis } from '#test/support/shared-synthesis.ts';

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/**
 * SAM's rule for `--env-vars`: the file's `Parameters` apply to every function and a section
 * named after the function overrides them; a variable is set only if the template declares it;
 * values the template computes with an intrinsic function become '' (SAM cannot resolve them).
 */
const samEnvironment = (
  declared: Record<string, unknown>,
  file: Record<string, Record<string, unknown>>,
  id: string,
) => {
  const overrides = { ...file.Parameters, ...file[id] };
  return Object.fromEntries(
    Object.entries(declared).map(([name, value]) => {
      if (name in overrides) return [name, String(overrides[name])];
      return [name, typeof value === 'string' ? value : ''];
    }),
  );
};

/**
 * What `sam local invoke LoginFunction -t cdk.out/MovieKnightAuth.template.json -e events/<event>
 * --env-vars events/env.local.json` does, without Docker: find the function by its CDK path,
 * take its code from the asset path, set its environment by SAM's rule, run it in a fresh Node.
 */
describe('sam local invoke LoginFunction', () => {
  let client: DynamoDBDocumentClient;
  let code: ReturnType<typeof functionCode>;
  let env: Record<string, string>;
  let refreshCode: ReturnType<typeof functionCode>;
  /** The environment `sam local invoke <id> --env-vars events/env.local.json` gives a function. */
  let samEnv: (bundle: ReturnType<typeof functionCode>, id: string) => Record<string, string>;

  beforeAll(async () => {
    const endpoint = inject('dynamoDbEndpoint');
    client = createDocumentClient({ endpoint });
    // What `npm run db:local` does: the local tables and the demo user.
    await ensureTables(client, LOCAL_TABLES);
    await seedDemoUser(client, LOCAL_TABLES.users, TEST_BCRYPT_COST);
    const { template, outdir } = await sharedSynthesis();
    code = functionCode(template, outdir, 'LoginFunction');
    refreshCode = functionCode(template, outdir, 'RefreshFunction');
    samEnv = (bundle, id) => {
      const fromFile = samEnvironment(bundle.environment, readJson('events/env.local.json'), id);
      // In SAM's container host.docker.internal:8000 is `npm run db:local` on the host; here it is
      // the test run's DynamoDB Local, with the same tables and demo user.
      expect(fromFile.DYNAMODB_ENDPOINT).toBe('http://host.docker.internal:8000');
      return {
        ...fromFile,
        DYNAMODB_ENDPOINT: endpoint,
        // What SAM sets in its container.
        AWS_SAM_LOCAL: 'true',
        AWS_LAMBDA_FUNCTION_NAME: id,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        POWERTOOLS_METRICS_DISABLED: 'true',
      };
    };
    env = samEnv(code, 'LoginFunction');
  });

  afterAll(() => client.destroy());

  it('uses the tables npm run db:local creates', () => {
    expect(env.TABLE_NAME).toBe(LOCAL_TABLES.users);
    expect(env.ATTEMPTS_TABLE_NAME).toBe(LOCAL_TABLES.attempts);
    expect(env.SESSIONS_TABLE_NAME).toBe(LOCAL_TABLES.sessions);
  });

  it('lets every variable the env-vars file sets reach the function (the stack declares them all)', () => {
    const file = readJson('events/env.local.json');
    for (const name of Object.keys(file.Parameters)) expect(code.environment, name).toHaveProperty(name);
  });

  it.each([
    ['login.json', 200],
    ['wrong-password.json', 401],
    ['bad-input.json', 400],
  ])('answers events/%s with %i', async (file, status) => {
    const { results } = await invokeBundle(code, env, [readJson(join('events', file))]);
    const response = results[0]!.response;
    expect(response.statusCode).toBe(status);
    expect(response.headers?.['Content-Type']).toBe('application/json');
    const body = JSON.parse(response.body);
    expect(body.ok).toBe(status === 200);
    if (status === 200) expect(body.data.user.username).toBe('moviefan');
  });

  it('answers events/refresh.json in RefreshFunction with a rotated token for the demo session, once', async () => {
    // What `npm run db:local` seeds besides the demo user.
    await seedDemoSession(client, LOCAL_TABLES.sessions);
    const event = readJson('events/refresh.json');
    const { results } = await invokeBundle(refreshCode, samEnv(refreshCode, 'RefreshFunction'), [event]);
    const response = results[0]!.response;
    expect(response.statusCode).toBe(200);
    const { data } = JSON.parse(response.body);
    expect(data.refreshToken).toMatch(/^demo-session-sam-local\.1\./);
    expect(data.user.username).toBe('moviefan');
  });

  it('has a base64-encoded event, as sam local generate-event makes', () => {
    const events = readdirSync('events').filter((f) => f !== 'env.local.json');
    expect(events.some((f) => readJson(join('events', f)).isBase64Encoded === true)).toBe(true);
  });
});
