/** Real-looking answers and requests for the published document; the contract tests check each against its schema. */

export const EXAMPLE_USER = {
  id: '66a1f2c4e5b3a1234567890a',
  bio: '',
  name: 'Movie Fan',
  email: 'moviefan@example.com',
  badges: [],
  aiUsage: { used: 0, limit: 5, remaining: 5 },
  username: 'moviefan',
  avatarUrl: null,
  createdAt: '2026-06-25T10:30:00.000Z',
  countryCode: null,
  dateOfBirth: '1999-05-20T00:00:00.000Z',
};

const EXAMPLE_TOKEN =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiI2NmExZjJjNGU1YjNhMTIzNDU2Nzg5MGEifQ.c2lnbmF0dXJl';

export const EXAMPLE_SESSION_ID = 'Rk3vQ9sT0wXbY2mN5pLc8A';

export const EXAMPLE_REFRESH_TOKEN = `${EXAMPLE_SESSION_ID}.0.Zr8mQ2xA.kq1V4cS8yZ2rW7nE3tB6uH0jM5xP9aD2fG4hL8oQ1iR`;

export const EXAMPLE_GRANT = {
  token: EXAMPLE_TOKEN,
  refreshToken: EXAMPLE_REFRESH_TOKEN,
  expiresIn: 900,
  user: EXAMPLE_USER,
};

export const EXAMPLE_LOGIN_REQUEST = { emailOrUsername: 'moviefan@example.com', password: 'secret123' };

export const EXAMPLE_SESSIONS = {
  sessions: [
    {
      id: EXAMPLE_SESSION_ID,
      createdAt: '2026-11-26T12:00:00.000Z',
      lastUsedAt: '2026-11-27T08:30:00.000Z',
      expiresAt: '2026-12-12T08:30:00.000Z',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
      current: true,
      startedBy: 'passkey',
    },
  ],
};

export const EXAMPLE_JWKS = {
  keys: [
    {
      kty: 'RSA',
      kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
      n: '0vx7agoebGcQSuuPiLJXZpt...',
      e: 'AQAB',
      alg: 'RS256',
      use: 'sig',
    },
  ],
};

export const EXAMPLE_CLIENT_ID = 'movie-knight-app';

export const EXAMPLE_METADATA = {
  issuer: 'https://auth.movieknight.site',
  jwks_uri: 'https://auth.movieknight.site/.well-known/jwks.json',
  token_endpoint: 'https://auth.movieknight.site/api/auth/token',
  revocation_endpoint: 'https://auth.movieknight.site/api/auth/revoke',
  grant_types_supported: ['refresh_token'],
  response_types_supported: [],
  token_endpoint_auth_methods_supported: ['none'],
  revocation_endpoint_auth_methods_supported: ['none'],
  access_token_audience: 'movie-knight',
};

/** A device token as a login answers it (and a later login sends it back). */
export const EXAMPLE_DEVICE_TOKEN =
  'q1Yk2cJ0mVb8pLr4sT6uWw.Zx9a8b7c6d5e4f3g2h1i0A.0.1796160000.hV7wK3pZr2mQx8yN1cB5dF0gJ4kL6sT9uE2aR7oI3nM';
export const EXAMPLE_CREDENTIAL_ID = 'pQ3cYF1x0mXvJ8rKb2Wn5A';

export const EXAMPLE_PASSKEY = {
  id: EXAMPLE_CREDENTIAL_ID,
  name: 'Phone',
  createdAt: '2026-11-26T12:00:00.000Z',
  lastUsedAt: '2026-11-27T08:30:00.000Z',
  backedUp: true,
  deviceType: 'multiDevice',
  transports: ['hybrid', 'internal'],
};

export const EXAMPLE_CREATION_OPTIONS = {
  challenge: 'x8ZK3t0mQ7bJc2Vn9pLr4sWd1fYhGa6eTu5oIk0qBzE',
  rp: { name: 'Movie Knight', id: 'movieknight.site' },
  user: { id: 'NjZhMWYyYzRlNWIzYTEyMzQ1Njc4OTBh', name: 'moviefan', displayName: 'Movie Fan' },
  pubKeyCredParams: [
    { alg: -8, type: 'public-key' },
    { alg: -7, type: 'public-key' },
    { alg: -257, type: 'public-key' },
  ],
  timeout: 300000,
  attestation: 'none',
  excludeCredentials: [{ id: EXAMPLE_CREDENTIAL_ID, type: 'public-key', transports: ['hybrid', 'internal'] }],
  authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  extensions: { credProps: true },
  hints: [],
};

export const EXAMPLE_REQUEST_OPTIONS = {
  rpId: 'movieknight.site',
  challenge: 'T1m9qWc3Zr7xKb0Vn2pLs4dYhGa6eFu5oIk8jBzE0aQ',
  allowCredentials: [],
  timeout: 300000,
  userVerification: 'required',
};

const EXAMPLE_CLIENT_DATA =
  'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiLi4uIiwib3JpZ2luIjoiaHR0cHM6Ly9tb3ZpZWtuaWdodC5zaXRlIn0';

export const EXAMPLE_REGISTRATION_REQUEST = {
  id: EXAMPLE_CREDENTIAL_ID,
  rawId: EXAMPLE_CREDENTIAL_ID,
  type: 'public-key',
  clientExtensionResults: { credProps: { rk: true } },
  authenticatorAttachment: 'platform',
  response: {
    clientDataJSON: EXAMPLE_CLIENT_DATA,
    attestationObject: 'o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVik',
    transports: ['hybrid', 'internal'],
  },
  name: 'Phone',
};

export const EXAMPLE_AUTHENTICATION_REQUEST = {
  id: EXAMPLE_CREDENTIAL_ID,
  rawId: EXAMPLE_CREDENTIAL_ID,
  type: 'public-key',
  clientExtensionResults: {},
  authenticatorAttachment: 'platform',
  response: {
    clientDataJSON: EXAMPLE_CLIENT_DATA,
    authenticatorData: 'SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MdAAAAAQ',
    signature: 'MEUCIQDx0Yl6z1uP7M0yqGk8vJ2w',
    userHandle: 'NjZhMWYyYzRlNWIzYTEyMzQ1Njc4OTBh',
  },
};
