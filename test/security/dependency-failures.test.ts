import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_RESPONSE_HEADERS } from '#lib/http/headers.ts';
import { createTestTables } from '#test/support/dynamodb.ts';
import { invoke, jsonLoginEvent } from '#test/support/events.ts';
import { closedPortEndpoint, type FakeDynamoDbMode, startFakeDynamoDb } from '#test/support/fake-dynamodb.ts';
import { createTestHandler } from '#test/support/handler.ts';
import { testKeySet } from '#test/support/keys.ts';

/** The function's timeout in the stack: an answer after it would be no answer at all. */
const LAMBDA_TIMEOUT_MS = 10_000;

const ENV = {
  USERS_TABLE_NAME: 'users',
  ATTEMPTS_TABLE_NAME: 'attempts',
  SESSIONS_TABLE_NAME: 'sessions',
  REFRESH_KEY: 'dependency-test-refresh-key-0123456789abc',
  SIGNING_KEYS: JSON.stringify(await testKeySet()),
  IDENTIFIER_KEY: 'dependency-test-identifier-key-012345678',
  TOKEN_ISSUER: 'https://auth.example.test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

const UNAVAILABLE = {
  statusCode: 503,
  headers: API_RESPONSE_HEADERS,
  body: '{"ok":false,"error":"Service temporarily unavailable, please retry","code":"service_unavailable"}',
};

const FAILED = {
  statusCode: 500,
  headers: API_RESPONSE_HEADERS,
  body: '{"ok":false,"error":"Internal server error","code":"internal_error"}',
};

const attemptAgainst = async (endpoint: string) => {
  const handler = createTestHandler({ ...ENV, DYNAMODB_ENDPOINT: endpoint });
  const started = performance.now();
  const response = await invoke(handler, jsonLoginEvent({ emailOrUsername: 'moviefan', password: 'secret123' }));
  return { response, ms: performance.now() - started };
};

describe('when DynamoDB fails', () => {
  it('answers 503, well inside the function timeout, when connections are refused', async () => {
    const { response, ms } = await attemptAgainst(await closedPortEndpoint());
    expect(response).toStrictEqual(UNAVAILABLE);
    expect(ms).toBeLessThan(LAMBDA_TIMEOUT_MS);
  });

  describe.each<FakeDynamoDbMode>(['stall', 'throttle', 'server-error'])('by %s', (mode) => {
    let fake: Awaited<ReturnType<typeof startFakeDynamoDb>>;

    beforeAll(async () => {
      fake = await startFakeDynamoDb(mode);
    });

    afterAll(() => fake.close());

    it('answers 503 with the envelope and none of its detail, well inside the function timeout, after bounded retries', async () => {
      const { response, ms } = await attemptAgainst(fake.endpoint);
      expect(response).toStrictEqual(UNAVAILABLE);
      expect(ms).toBeLessThan(LAMBDA_TIMEOUT_MS);
      // Three attempts for each of the five calls that run in parallel (the identifier's and the
      // device's claims, the account cap's read, the user lookup and the global session epoch's
      // read), no more.
      expect(fake.requests()).toBeLessThanOrEqual(15);
      expect(fake.requests()).toBeGreaterThan(0);
    });
  });
});

describe("when the failure is ours, not the dependency's", () => {
  it('answers 500, not "please retry", to an SDK-side bug such as a marshalling TypeError', async () => {
    // The one mock of the SDK: no real server can make the client throw a TypeError.
    const send = vi
      .spyOn(DynamoDBDocumentClient.prototype, 'send')
      .mockRejectedValue(new TypeError("Cannot read properties of undefined (reading 'S')"));
    try {
      const { response } = await attemptAgainst('http://127.0.0.1:9');
      expect(send).toHaveBeenCalled();
      expect(response).toStrictEqual(FAILED);
    } finally {
      send.mockRestore();
    }
  });

  it('answers 500 when the table does not exist (a deploy or configuration mistake)', async () => {
    const tables = await createTestTables();
    const handler = createTestHandler({ ...ENV, ...tables.env, USERS_TABLE_NAME: 'no-such-table' });
    const response = await invoke(handler, jsonLoginEvent({ emailOrUsername: 'moviefan', password: 'secret123' }));
    await tables.drop();
    expect(response).toStrictEqual(FAILED);
  });
});
