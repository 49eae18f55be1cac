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
  password: { folder: 'password', constructId: 'PasswordFunction' },
  wellKnown: { folder: 'well-known', constructId: 'WellKnownFunction' },
  passkeys: { folder: 'passkeys', constructId: 'PasskeysFunction' },
  passkeySignIn: { folder: 'passkey-sign-in', constructId: 'PasskeySignInFunction' },
} as const;

export type HttpFunctionName = keyof typeof HTTP_FUNCTIONS;

export interface HttpRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** The path as API Gateway's resource (`{id}` for a path parameter). */
  path: string;
  function: HttpFunctionName;
}

/** Every path the API serves, by name: the functions route on these, the table below lists them. */
export const HTTP_PATHS = {
  login: '/api/auth/login',
  me: '/api/auth/me',
  refresh: '/api/auth/refresh',
  /** RFC 6749's token endpoint: the refresh grant, form-encoded. */
  token: '/api/auth/token',
  /** RFC 7009's revocation endpoint. */
  revoke: '/api/auth/revoke',
  logout: '/api/auth/logout',
  logoutAll: '/api/auth/logout-all',
  sessions: '/api/auth/sessions',
  session: '/api/auth/sessions/{id}',
  password: '/api/auth/password',
  passkeyRegistrationOptions: '/api/auth/passkeys/registration/options',
  passkeyRegistration: '/api/auth/passkeys/registration',
  passkeyAuthenticationOptions: '/api/auth/passkeys/authentication/options',
  passkeyAuthentication: '/api/auth/passkeys/authentication',
  passkeys: '/api/auth/passkeys',
  passkey: '/api/auth/passkeys/{id}',
  jwks: '/.well-known/jwks.json',
  discovery: '/.well-known/openid-configuration',
  /** RFC 8414's authorization server metadata. */
  authorizationServer: '/.well-known/oauth-authorization-server',
  openApi: '/api/auth/openapi.json',
} as const;

export const HTTP_ROUTES: readonly HttpRoute[] = [
  { method: 'POST', path: HTTP_PATHS.login, function: 'login' },
  { method: 'GET', path: HTTP_PATHS.me, function: 'me' },
  { method: 'POST', path: HTTP_PATHS.refresh, function: 'refresh' },
  { method: 'POST', path: HTTP_PATHS.token, function: 'refresh' },
  { method: 'POST', path: HTTP_PATHS.revoke, function: 'refresh' },
  // The refresh function's: a logout by refresh token needs the refresh key, which only it holds.
  { method: 'POST', path: HTTP_PATHS.logout, function: 'refresh' },
  { method: 'POST', path: HTTP_PATHS.logoutAll, function: 'sessions' },
  { method: 'GET', path: HTTP_PATHS.sessions, function: 'sessions' },
  { method: 'DELETE', path: HTTP_PATHS.session, function: 'sessions' },
  { method: 'POST', path: HTTP_PATHS.password, function: 'password' },
  { method: 'POST', path: HTTP_PATHS.passkeyRegistrationOptions, function: 'passkeys' },
  { method: 'POST', path: HTTP_PATHS.passkeyRegistration, function: 'passkeys' },
  { method: 'GET', path: HTTP_PATHS.passkeys, function: 'passkeys' },
  { method: 'DELETE', path: HTTP_PATHS.passkey, function: 'passkeys' },
  { method: 'POST', path: HTTP_PATHS.passkeyAuthenticationOptions, function: 'passkeySignIn' },
  { method: 'POST', path: HTTP_PATHS.passkeyAuthentication, function: 'passkeySignIn' },
  { method: 'GET', path: HTTP_PATHS.jwks, function: 'wellKnown' },
  { method: 'GET', path: HTTP_PATHS.discovery, function: 'wellKnown' },
  { method: 'GET', path: HTTP_PATHS.authorizationServer, function: 'wellKnown' },
  { method: 'GET', path: HTTP_PATHS.openApi, function: 'wellKnown' },
];

/** The key of a route in tables keyed by method and path (`POST /api/auth/login`). */
export const routeKey = (method: string, path: string): string => `${method} ${path}`;
