import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  SECRET_MAX_AGE_SECONDS,
  SECRET_REFRESH_FAILED_METRIC,
  SECRET_RETRY_BACKOFF_SECONDS,
  SECRET_STALE_GRACE_SECONDS,
} from '#lib/aws/secrets.ts';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { activeKey } from '#lib/tokens/key-set.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent } from '#test/support/events.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';
import { createTestHandler, manualClock } from '#test/support/handler.ts';
import { testKeySet } from '#test/support/keys.ts';

const SIGNING_KEYS_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
const IDENTIFIER_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:identifier-key';
const IDENTIFIER_KEY = 'outage-test-identifier-key-0123456789abcdef';

/** Errors with their messages and causes, so a search for a secret sees everything a log line would. */
const serialize = (value: unknown) =>
  JSON.stringify(value, (_key, v) => (v instanceof Error ? { name: v.name, message: v.message, cause: v.cause } : v));

/**
 * The login function's secrets read from a loopback Secrets Manager through the real SDK, which
 * then goes away: the container keeps working on what it read.
 */
describe('when Secrets Manager goes away after the first read', () => {
  let tables: TestTables;
  let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
  let env: Record<string, string>;
  // A fresh event each time: the body parser replaces the body with what it parsed.
  const login = () => jsonLoginEvent({ emailOrUsername: 'outage@example.com', password: 'secret123' });

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('outage-fan', { id: 'outage-user', email: 'outage@example.com' });
    secrets = await startFakeSecretsManager({
      [SIGNING_KEYS_ARN]: JSON.stringify(await testKeySet()),
      [IDENTIFIER_KEY_ARN]: IDENTIFIER_KEY,
    });
    // The SDK's own endpoint override, as in test/support/lambda-process.ts.
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', secrets.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    const { SIGNING_KEYS, IDENTIFIER_KEY: _local, ...rest } = tables.env;
    env = {
      ...rest,
      SIGNING_KEYS_SECRET_ARN: SIGNING_KEYS_ARN,
      IDENTIFIER_KEY_SECRET_ARN: IDENTIFIER_KEY_ARN,
      TOKEN_ISSUER: 'https://auth.example.test',
    };
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    secrets.close();
    await tables.drop();
  });

  it('serves the cached secrets for the grace period, refreshing with backoff, then answers 503', async () => {
    const { clock, advance } = manualClock();
    const logger = new Logger({ logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const metrics = new Metrics({ namespace: 'MovieKnightAuthTest' });
    const addMetric = vi.fn();
    vi.spyOn(metrics, 'singleMetric').mockReturnValue({ addMetric } as unknown as Metrics);
    const handler = createTestHandler(env, clock, { logger, metrics });
    const refreshFailures = () => warn.mock.calls.filter(([message]) => message === 'Secret refresh failed');

    expect((await invoke(handler, login())).statusCode).toBe(200);
    expect(secrets.state.calls).toBe(2);
    secrets.close();

    // Both secrets are past their max age, and Secrets Manager refuses every connection.
    advance(SECRET_MAX_AGE_SECONDS + 1);
    const stale = await invoke(handler, login());
    expect(stale.statusCode).toBe(200);
    const { token } = JSON.parse(stale.body).data;
    expect(decodeProtectedHeader(token).kid).toBe(activeKey(await testKeySet()).kid);
    expect(refreshFailures()).toHaveLength(2);
    for (const [, details] of refreshFailures()) {
      expect(details).toMatchObject({
        servingStale: true,
        retryInSeconds: SECRET_RETRY_BACKOFF_SECONDS.first,
        error: expect.any(Error),
      });
    }
    expect(addMetric.mock.calls).toEqual([
      [SECRET_REFRESH_FAILED_METRIC, 'Count', 1],
      [SECRET_REFRESH_FAILED_METRIC, 'Count', 1],
    ]);

    // Inside the backoff no request tries again.
    advance(SECRET_RETRY_BACKOFF_SECONDS.first - 1);
    expect((await invoke(handler, login())).statusCode).toBe(200);
    expect(refreshFailures()).toHaveLength(2);
    // After it, the next request does, and still gets the cached secrets.
    advance(1);
    expect((await invoke(handler, login())).statusCode).toBe(200);
    expect(refreshFailures()).toHaveLength(4);
    expect(refreshFailures()[2]?.[1]).toMatchObject({ retryInSeconds: 2 * SECRET_RETRY_BACKOFF_SECONDS.first });

    // Past the grace period a value that old is no longer used.
    advance(SECRET_STALE_GRACE_SECONDS);
    expect(await invoke(handler, login())).toStrictEqual({
      statusCode: 503,
      headers: API_RESPONSE_HEADERS,
      body: '{"ok":false,"error":"Service temporarily unavailable, please retry","code":"service_unavailable"}',
    });
    expect(refreshFailures().at(-1)?.[1]).toMatchObject({ servingStale: false });

    const logged = serialize(warn.mock.calls);
    expect(logged).not.toContain(IDENTIFIER_KEY);
    expect(logged).not.toContain(activeKey(await testKeySet()).d);
  });

  it('answers 503 from a cold container that has no value yet', async () => {
    const response = await invoke(createTestHandler(env, manualClock().clock), login());
    expect(response.statusCode).toBe(503);
  });
});
