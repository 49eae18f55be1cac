import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_PATHS, HTTP_ROUTES } from '#lib/http/routes.ts';
import { toApiGatewayEvent } from '#scripts/local/api-gateway-event.ts';
import { createTestTables, type TestTables } from '#test/support/dynamodb.ts';
import { invoke, type ProxyHandler } from '#test/support/events.ts';
import { expectClientErrorEnvelope, requestBody, requestHeaders, trickyString } from '#test/support/fuzz.ts';
import { createSessionHandlers } from '#test/support/handler.ts';
import { testSessions } from '#test/support/sessions.ts';

/** Stand for the access token, refresh token and id of the session a run starts. */
const LIVE_TOKEN = '<live access token>';
const LIVE_REFRESH = '<live refresh token>';
const LIVE_ID = '<live session id>';

/** The session routes: the sessions function's, and logout, which is the refresh function's. */
const ROUTES = HTTP_ROUTES.filter((route) => route.function === 'sessions' || route.path === HTTP_PATHS.logout);

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', '').map((scheme) => `${scheme} ${LIVE_TOKEN}`),
  fc.constant(`Bearer ${LIVE_TOKEN} ${LIVE_TOKEN}`),
  fc.tuple(trickyString, trickyString).map(([before, after]) => `Bearer ${before}${LIVE_TOKEN}${after}`),
  trickyString.map((token) => `Bearer ${token}`),
  trickyString,
);

/** A logout body: any body, or one with the live refresh token, whole or with something around it. */
const body = fc.oneof(
  { arbitrary: requestBody(['refreshToken']), weight: 3 },
  fc
    .tuple(trickyString, trickyString)
    .map(([before, after]) => JSON.stringify({ refreshToken: `${before}${LIVE_REFRESH}${after}` })),
  fc.constant(JSON.stringify({ refreshToken: LIVE_REFRESH })),
);

/** The `{id}` of DELETE /api/auth/sessions/{id}: any string, one shaped like an id, or the live session's. */
const sessionId = fc.oneof(trickyString, fc.stringMatching(/^[A-Za-z0-9_-]{22}$/), fc.constant(LIVE_ID));

const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  authorization,
  authorizationHeader: fc.constantFrom('Authorization', 'authorization'),
  headers: requestHeaders,
  body,
  id: fc.option(sessionId, { nil: undefined }),
  isBase64Encoded: fc.boolean(),
});

type Request = typeof request extends fc.Arbitrary<infer T> ? T : never;

/** A well-formed request of the live session's owner (the route is filled in). */
const GENUINE: Omit<Request, 'route'> = {
  authorization: `Bearer ${LIVE_TOKEN}`,
  authorizationHeader: 'Authorization',
  headers: { 'Content-Type': 'application/json' },
  body: null,
  id: LIVE_ID,
  isBase64Encoded: false,
};

/**
 * As login is fuzzed: whatever event reaches the session routes (logout, logout everywhere, the
 * list, ending one session), the answer is a success in the contract or one of our 4xx
 * envelopes, never a 5xx and never a throw. A run that names the live session starts one, so its
 * tokens and id are genuine and the routes get past authentication to their own checks.
 */
describe('session routes under arbitrary input', () => {
  let tables: TestTables;
  let handlers: Record<'sessions' | 'refresh', ProxyHandler>;
  let sessions: ReturnType<typeof testSessions>;

  beforeAll(async () => {
    tables = await createTestTables();
    await tables.createUser('fan', { id: 'fan' });
    handlers = createSessionHandlers(tables.env);
    sessions = testSessions(tables);
  });

  afterAll(async () => {
    sessions.close();
    await tables.drop();
  });

  it('answers any event with a success or a 4xx envelope', async () => {
    const succeeded = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        request,
        async ({ route, authorization, authorizationHeader, headers, body, id, isBase64Encoded }) => {
          const named = [authorization, body, id].some((value) => value?.includes('<live'));
          const live = named ? await sessions.start('fan') : { token: '', refreshToken: '', sessionId: '' };
          const substitute = (value: string) =>
            value
              .replaceAll(LIVE_TOKEN, live.token)
              .replaceAll(LIVE_REFRESH, live.refreshToken)
              .replaceAll(LIVE_ID, live.sessionId);
          const pathParameters = route.path.includes('{id}') && id !== undefined ? { id: substitute(id) } : undefined;
          const event = toApiGatewayEvent({
            method: route.method,
            path: pathParameters ? route.path.replace('{id}', encodeURIComponent(pathParameters.id)) : route.path,
            resource: route.path,
            pathParameters,
            headers: {
              ...headers,
              ...(authorization !== undefined && { [authorizationHeader]: substitute(authorization) }),
            },
            body: body === null ? null : substitute(body),
          });
          const handler = route.function === 'refresh' ? handlers.refresh : handlers.sessions;
          const response = await invoke(handler, { ...event, isBase64Encoded });
          if (response.statusCode === 200) {
            succeeded.add(`${route.method} ${route.path}`);
            expect(JSON.parse(response.body).ok).toBe(true);
          } else expectClientErrorEnvelope(response, { allowUnavailable: true });
        },
      ),
      {
        // Most runs start a session and its cap check reads the user's others: fewer runs than login's.
        numRuns: 100,
        // Examples first: each route is reached with the live session, whatever the random runs draw.
        examples: ROUTES.map((route): [Request] => [{ ...GENUINE, route }]),
      },
    );
    // Every route answered a genuine caller, not only refusals.
    expect([...succeeded].sort()).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });
});
