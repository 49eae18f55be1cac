import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, type ProxyHandler } from '#test/support/events.ts';
import { expectClientErrorEnvelope, requestBody, requestHeaders, trickyString } from '#test/support/fuzz.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { testSessions } from '#test/support/sessions.ts';

/** Stands for the refresh token of the session each run starts. */
const LIVE = '<live refresh token>';

/** Any body, and bodies that hold the live token whole, cut short, or with something around it. */
const body = fc.oneof(
  { arbitrary: requestBody(['refreshToken']), weight: 3 },
  fc
    .tuple(trickyString, fc.constantFrom(LIVE, `${LIVE}.`, `.${LIVE}`), trickyString)
    .map(([before, token, after]) => JSON.stringify({ refreshToken: `${before}${token}${after}` })),
  fc.nat({ max: 60 }).map((cut) => JSON.stringify({ refreshToken: `${LIVE}`.slice(0, cut) })),
  fc.constant(JSON.stringify({ refreshToken: LIVE })),
);

/**
 * As login is fuzzed: whatever body and headers reach `POST /api/auth/refresh`, the answer is a
 * rotation (200, in the contract) or one of our 4xx envelopes, never a 5xx and never a throw.
 * A run whose body names the live token starts a session for it, so the token is genuine.
 */
describe('refresh handler under arbitrary input', () => {
  let tables: TestTables;
  let handler: ProxyHandler;
  let sessions: ReturnType<typeof testSessions>;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('fan', { id: 'fan' });
    handler = createSessionHandlers(tables.env).refresh;
    sessions = testSessions(tables);
  });

  afterAll(async () => {
    sessions.close();
    await tables.drop();
  });

  it('answers any body and headers with a rotation or a 4xx envelope', async () => {
    let rotated = 0;
    await fc.assert(
      fc.asyncProperty(body, requestHeaders, fc.boolean(), async (raw, headers, isBase64Encoded) => {
        const live = raw?.includes(LIVE) ? (await sessions.start('fan')).refreshToken : '';
        const event = toApiGatewayEvent({
          method: 'POST',
          path: '/api/auth/refresh',
          headers,
          body: raw?.replaceAll(LIVE, live) ?? null,
        });
        const response = await invoke(handler, { ...event, isBase64Encoded });
        if (response.statusCode === 200) {
          rotated += 1;
          expect(JSON.parse(response.body).data.user.id).toBe('fan');
        } else expectClientErrorEnvelope(response, { allowUnavailable: true });
      }),
      // The example first: the rotation is reached whatever the random runs draw.
      {
        numRuns: 200,
        examples: [[JSON.stringify({ refreshToken: LIVE }), { 'Content-Type': 'application/json' }, false]],
      },
    );
    // The property reached the rotation too, not only the refusals.
    expect(rotated).toBeGreaterThan(0);
  });
});
