/**
 * `npm start`: the API on http://127.0.0.1:3000 with no AWS account and no Docker.
 * Checks every setting first, starts DynamoDB Local on 127.0.0.1 (unless DYNAMODB_ENDPOINT names
 * one), creates the tables, seeds the demo user, then serves the same handlers Lambda runs.
 * In a terminal it prints one line per request (LOG_FORMAT=json for the JSON lines Lambda writes).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { ConfigError } from '#lib/errors.ts';
import { readBcryptCost, readCorsAllowedOrigins } from '#lib/function-config.ts';
import { HTTP_FUNCTIONS, HTTP_ROUTES } from '#lib/http/routes.ts';
import { maintainKeySet } from '#lib/tokens/key-rotation.ts';
import { type DynamoDbLocal, SETUP_REQUEST_TIMEOUT_MS, startDynamoDbLocal } from './dynamodb-local.ts';
import { freePort } from './free-port.ts';
import { createLocalApi, type ProxyHandler } from './local-api.ts';
import { checkFunctionSettings, localPasskeyOrigins, readStartSettings } from './settings.ts';
import { stopOnSignal } from './shutdown.ts';
import { localKeyFiles, localPublicKeys, localRetention, localSigningKeys } from './signing-keys.ts';
import { DEMO_USER, ensureTables, LOCAL_TABLES, seedDemoUser } from './tables.ts';

const main = async (): Promise<void> => {
  const settings = readStartSettings();
  const { host } = settings;
  const port = settings.port || (await freePort());
  // Listening on every interface still has one address for the printed lines and the issuer.
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  const human = settings.logFormat === 'human';
  if (human) {
    // The request lines say what INFO lines and metrics would; warnings and errors still print.
    process.env.POWERTOOLS_LOG_LEVEL ||= 'WARN';
    process.env.POWERTOOLS_METRICS_DISABLED ||= 'true';
  }
  const ownDb = !process.env.DYNAMODB_ENDPOINT;
  const dbPort = ownDb ? await freePort() : undefined;
  if (dbPort) process.env.DYNAMODB_ENDPOINT = `http://127.0.0.1:${dbPort}`;
  // Unset and empty alike fall back to the local defaults.
  process.env.USERS_TABLE_NAME ||= LOCAL_TABLES.users;
  process.env.ATTEMPTS_TABLE_NAME ||= LOCAL_TABLES.attempts;
  process.env.SESSIONS_TABLE_NAME ||= LOCAL_TABLES.sessions;
  process.env.PASSKEYS_TABLE_NAME ||= LOCAL_TABLES.passkeys;
  process.env.PASSKEY_CHALLENGES_TABLE_NAME ||= LOCAL_TABLES.passkeyChallenges;
  // Passkeys work on this machine: bound to localhost, from this server's own origins and any
  // browser origin CORS allows (the local app a developer serves).
  process.env.WEBAUTHN_RP_ID ||= 'localhost';
  process.env.WEBAUTHN_ORIGINS ||= localPasskeyOrigins(port, process.env.CORS_ALLOWED_ORIGINS);
  // The issuer is the API's base URL, as in AWS, so discovery and JWKS URLs work from it.
  process.env.TOKEN_ISSUER ||= url;
  if (!process.env.SIGNING_KEYS_SECRET_ARN && !process.env.SIGNING_KEYS) {
    // The key files in .local/, read on every use, so `npm run keys -- revoke` acts on this
    // server at once. Their upkeep runs here as it runs hourly in AWS.
    await localSigningKeys();
    const files = localKeyFiles();
    await maintainKeySet(files.versions, files.publicKeys, localRetention());
    await files.publicKeys.publish(localPublicKeys((await files.versions.current()).value, localRetention()));
    process.env.SIGNING_KEYS_FILE = files.signingFile;
    if (!process.env.PUBLIC_KEYS_SECRET_ARN && !process.env.PUBLIC_KEYS)
      process.env.PUBLIC_KEYS_FILE = files.publicFile;
  }
  // The verifying functions read only the public keys, as in AWS; here derived from the local set.
  if (!process.env.PUBLIC_KEYS_SECRET_ARN && process.env.SIGNING_KEYS) {
    process.env.PUBLIC_KEYS ||= localPublicKeys(process.env.SIGNING_KEYS);
  }
  if (!process.env.IDENTIFIER_KEY_SECRET_ARN) process.env.IDENTIFIER_KEY ||= randomBytes(32).toString('base64url');
  // A new refresh key per start: refresh tokens of an earlier run stop working, as after a key change.
  if (!process.env.REFRESH_KEY_SECRET_ARN) process.env.REFRESH_KEY ||= randomBytes(32).toString('base64url');
  // Every setting, checked before anything starts.
  checkFunctionSettings();

  let db: DynamoDbLocal | undefined;
  let server: ReturnType<typeof createLocalApi> | undefined;
  const stop = async (): Promise<void> => {
    server?.close();
    await db?.stop();
  };
  stopOnSignal(stop, ownDb ? 'the server and DynamoDB Local' : 'the server');

  try {
    if (dbPort) {
      console.log(`Starting DynamoDB Local on 127.0.0.1:${dbPort} (Java; this takes a few seconds)...`);
      db = await startDynamoDbLocal({ port: dbPort });
    }
    const client = createDocumentClient({
      endpoint: process.env.DYNAMODB_ENDPOINT,
      setupRequestTimeoutMs: SETUP_REQUEST_TIMEOUT_MS,
    });
    await ensureTables(client, {
      users: process.env.USERS_TABLE_NAME,
      attempts: process.env.ATTEMPTS_TABLE_NAME,
      sessions: process.env.SESSIONS_TABLE_NAME,
      passkeys: process.env.PASSKEYS_TABLE_NAME,
      passkeyChallenges: process.env.PASSKEY_CHALLENGES_TABLE_NAME,
    });
    // Only a database we started is ours to seed; an existing one keeps its users as they are.
    if (db) await seedDemoUser(client, process.env.USERS_TABLE_NAME, readBcryptCost());
    client.destroy();

    // Imported after the environment is set: the handlers read their configuration at load.
    server = createLocalApi(
      await Promise.all(
        HTTP_ROUTES.map(async (route) => {
          const { folder, constructId } = HTTP_FUNCTIONS[route.function];
          const { handler } = (await import(`#functions/${folder}/handler.ts`)) as { handler: ProxyHandler };
          return { method: route.method, path: route.path, functionName: constructId, handler };
        }),
      ),
      {
        corsAllowedOrigins: readCorsAllowedOrigins(),
        ...(human && {
          onAnswer: ({ method, path, status, ms }) => console.log(`${method} ${path} ${status} ${ms.toFixed(0)} ms`),
        }),
      },
    );
    server.listen(port, host);
    await once(server, 'listening');
  } catch (error) {
    await stop();
    throw error;
  }

  console.log(`Movie Knight Auth is listening on ${url}`);
  console.log(
    `DynamoDB: ${process.env.DYNAMODB_ENDPOINT} (tables ${process.env.USERS_TABLE_NAME}, ${process.env.ATTEMPTS_TABLE_NAME}, ${process.env.SESSIONS_TABLE_NAME}, ${process.env.PASSKEYS_TABLE_NAME}, ${process.env.PASSKEY_CHALLENGES_TABLE_NAME})`,
  );
  const login = `curl -s -X POST ${url}/api/auth/login -H 'Content-Type: application/json' \\
    -d '{"emailOrUsername":"${db ? DEMO_USER.email : '<email or username>'}","password":"${db ? DEMO_USER.password : '<password>'}"}'`;
  console.log(db ? `Try the demo user:\n  ${login}` : `Log in with a user of that database:\n  ${login}`);
  const bearer = '-H "Authorization: Bearer <token>"';
  const refresh = `-H 'Content-Type: application/json' -d '{"refreshToken":"<refreshToken>"}'`;
  console.log(`Then, with the token and refreshToken it returns:
  curl -s ${url}/api/auth/me ${bearer}
  curl -s -X POST ${url}/api/auth/refresh ${refresh}
  curl -s -X POST ${url}/api/auth/token -d grant_type=refresh_token -d client_id=movie-knight-app -d refresh_token=<refreshToken>
  curl -s ${url}/api/auth/sessions ${bearer}
  curl -s -X POST ${url}/api/auth/logout ${refresh}
  curl -s -X POST ${url}/api/auth/logout-all ${bearer}
Keys at ${url}/.well-known/jwks.json, OAuth metadata at ${url}/.well-known/oauth-authorization-server
Passkeys work from http://localhost:${port} (WEBAUTHN_ORIGINS=${process.env.WEBAUTHN_ORIGINS}); see docs/passkeys.md.`);
  console.log(
    human
      ? 'One line per request below (LOG_FORMAT=json for the JSON log lines). Ctrl-C stops it.'
      : 'Ctrl-C stops it.',
  );
};

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error instanceof ConfigError ? `npm start: ${message}; nothing was started.` : message);
  process.exit(1);
});
