/**
 * Every HTTP route the service serves, and the function behind each: the one table the CDK stack,
 * the local API (`npm start`) and the API contract all read, so a route cannot exist in one and be
 * missing from another. A function is `functions/<folder>/handler.ts`, deployed as `constructId`
 * (the id `sam local invoke` takes; never change it: that replaces the deployed function).
 */
export const HTTP_FUNCTIONS = {
  login: { folder: 'login', constructId: 'LoginFunction' },
  me: { folder: 'me', constructId: 'MeFunction' },
  refresh: { folder: 'refresh', constructId: 'RefreshFunction' },
  sessions: { folder: 'sessions', constructId: 'SessionsFunction' },
  wellKnown: { folder: 'well-known', constructId: 'WellKnownFunction' },
} as const;

export type HttpFunctionName = keyof typeof HTTP_FUNCTIONS;

export interface HttpRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** The path as API Gateway's resource (`{id}` for a path parameter). */
  path: string;
  function: HttpFunctionName;
}

export const HTTP_ROUTES: readonly HttpRoute[] = [
  { method: 'POST', path: '/api/auth/login', function: 'login' },
  { method: 'GET', path: '/api/auth/me', function: 'me' },
  { method: 'POST', path: '/api/auth/refresh', function: 'refresh' },
  { method: 'POST', path: '/api/auth/logout', function: 'sessions' },
  { method: 'POST', path: '/api/auth/logout-all', function: 'sessions' },
  { method: 'GET', path: '/api/auth/sessions', function: 'sessions' },
  { method: 'DELETE', path: '/api/auth/sessions/{id}', function: 'sessions' },
  { method: 'GET', path: '/.well-known/jwks.json', function: 'wellKnown' },
  { method: 'GET', path: '/.well-known/openid-configuration', function: 'wellKnown' },
  { method: 'GET', path: '/api/auth/openapi.json', function: 'wellKnown' },
];
