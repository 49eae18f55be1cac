import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { HTTP_FUNCTIONS, HTTP_ROUTES } from '#lib/http/routes.ts';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { SETUP_REQUEST_TIMEOUT_MS } from '#scripts/local/dynamodb-local.ts';
import { ensureTables, LOCAL_TABLES, seedDemoSession, seedDemoUser } from '#scripts/local/tables.ts';
import { TEST_BCRYPT_COST } from '#test/support/dynamodb.ts';
import { functionCode, invokeBundle } from '#test/support/lambda-process.ts';
import { sharedSynthesis } from '#test/support/shared-synthesis.ts';

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

type CfnTemplate = {
  Parameters?: Record<string, { Default?: unknown }>;
  Resources: Record<string, { Type: string }>;
};

/** The values SAM CLI gives the pseudo parameters (samcli IntrinsicsSymbolTable). */
const SAM_PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'local',
};

/**
 * How SAM CLI resolves an intrinsic in a template value (samcli/lib/intrinsic_resolver, its
 * IntrinsicsSymbolTable): a pseudo parameter to its local default, a parameter to its Default,
 * a `Ref` to anything else to the resource's LOGICAL ID (so a secret's ARN becomes
 * "SigningKeysPublicKeys..."), `Fn::GetAtt [id, Arn]` to a Lambda-style ARN made from the id,
 * `Fn::Join` part by part. Anything it cannot resolve stays unresolved, and an unresolved value
 * becomes '' in the environment.
 */
const samResolve = (value: unknown, template: CfnTemplate): string | undefined => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || typeof value !== 'object') return undefined;
  const [[fn, arg] = []] = Object.entries(value);
  if (fn === 'Ref' && typeof arg === 'string') {
    if (arg in SAM_PSEUDO_PARAMETERS) return SAM_PSEUDO_PARAMETERS[arg];
    const fallback = template.Parameters?.[arg]?.Default;
    if (fallback !== undefined) return String(fallback);
    return arg;
  }
  if (fn === 'Fn::GetAtt' && Array.isArray(arg) && arg[1] === 'Arn') {
    return `arn:aws:lambda:us-east-1:123456789012:function:${arg[0]}`;
  }
  if (fn === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) {
    const parts = (arg[1] as unknown[]).map((part) => samResolve(part, template));
    return parts.every((part) => part !== undefined) ? parts.join(String(arg[0])) : undefined;
  }
  return undefined;
};

/**
 * SAM's rule for `--env-vars`: the file's `Parameters` apply to every function and a section
 * named after the function overrides them; a variable is set only if the template declares it;
 * every other variable keeps the template's value, resolved as SAM resolves it (see samResolve).
 */
const samEnvironment = (
  declared: Record<string, unknown>,
  file: Record<string, Record<string, unknown>>,
  id: string,
  template: CfnTemplate,
) => {
  const overrides = { ...file.Parameters, ...file[id] };
  return Object.fromEntries(
    Object.entries(declared).map(([name, value]) => {
      if (name in overrides) return [name, String(overrides[name])];
      return [name, samResolve(value, template) ?? ''];
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
  let cfn: CfnTemplate;
  let codeOf: (id: string) => ReturnType<typeof functionCode>;
  /** The environment `sam local invoke <id> --env-vars events/env.local.json` gives a function. */
  let samEnv: (bundle: ReturnType<typeof functionCode>, id: string) => Record<string, string>;

  beforeAll(async () => {
    const endpoint = inject('dynamoDbEndpoint');
    client = createDocumentClient({ endpoint, setupRequestTimeoutMs: SETUP_REQUEST_TIMEOUT_MS });
    // What `npm run db:local` does: the local tables and the demo user.
    await ensureTables(client, LOCAL_TABLES);
    await seedDemoUser(client, LOCAL_TABLES.users, TEST_BCRYPT_COST);
    const { template, outdir } = await sharedSynthesis();
    cfn = template.toJSON() as CfnTemplate;
    codeOf = (id) => functionCode(template, outdir, id);
    code = functionCode(template, outdir, 'LoginFunction');
    refreshCode = functionCode(template, outdir, 'RefreshFunction');
    samEnv = (bundle, id) => {
      const fromFile = samEnvironment(bundle.environment, readJson('events/env.local.json'), id, cfn);
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
    expect(env.USERS_TABLE_NAME).toBe(LOCAL_TABLES.users);
    expect(env.ATTEMPTS_TABLE_NAME).toBe(LOCAL_TABLES.attempts);
    expect(env.SESSIONS_TABLE_NAME).toBe(LOCAL_TABLES.sessions);
  });

  it('sets only variables some HTTP function declares', () => {
    const file = readJson('events/env.local.json');
    const declared = Object.values(HTTP_FUNCTIONS).flatMap(({ constructId }) =>
      Object.keys(codeOf(constructId).environment),
    );
    for (const name of Object.keys(file.Parameters)) expect(declared, name).toContain(name);
  });

  it('resolves what the file leaves alone as SAM does: a Ref to a resource becomes its logical id', () => {
    const { PUBLIC_KEYS_SECRET_ARN: publicKeys } = codeOf('SessionsFunction').environment;
    expect(publicKeys).toEqual({ Ref: expect.any(String) });
    const bare = samEnvironment({ PUBLIC_KEYS_SECRET_ARN: publicKeys }, { Parameters: {} }, 'SessionsFunction', cfn);
    expect(bare.PUBLIC_KEYS_SECRET_ARN).toBe((publicKeys as { Ref: string }).Ref);
  });

  // `sam local start-api` serves every route: each function must get past its init with the file.
  it.each(
    Object.entries(HTTP_FUNCTIONS).map(([name, { constructId }]) => {
      const route = HTTP_ROUTES.find((candidate) => candidate.function === name)!;
      return [constructId, route] as const;
    }),
  )('starts %s and answers %o', async (id, route) => {
    const bundle = codeOf(id);
    const event = toApiGatewayEvent({
      method: route.method,
      path: route.path.replace('{id}', 'nope'),
      resource: route.path,
      headers: { 'content-type': 'application/json' },
      body: route.method === 'POST' ? '{}' : null,
      ...(route.path.includes('{id}') && { pathParameters: { id: 'nope' } }),
    });
    const { results } = await invokeBundle(bundle, samEnv(bundle, id), [event]);
    // Init failed would throw; a 5xx would be a function that cannot work under SAM.
    expect(results[0]!.response.statusCode).toBeLessThan(500);
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
