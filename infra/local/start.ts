/**
 * `npm start`: the login API on http://127.0.0.1:3000 with no AWS account and no Docker.
 * Starts DynamoDB Local (unless DYNAMODB_ENDPOINT names one), creates the users table, seeds the
 * demo user, then serves the same handler Lambda runs.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { DEFAULTS } from '../../lib/config.ts';
import { createDocumentClient } from '../../lib/dynamodb.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.ts';
import { createLocalApi } from './local-api.ts';
import { stopOnSignal } from './shutdown.ts';
import { DEMO_USER, ensureTables, LOCAL_TABLES, seedDemoUser } from './tables.ts';

const main = async (): Promise<void> => {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';

  let db: DynamoDbLocal | undefined;
  if (!process.env.DYNAMODB_ENDPOINT) {
    db = await startDynamoDbLocal({ port: 0 });
    process.env.DYNAMODB_ENDPOINT = db.endpoint;
  }
  // Unset and empty alike fall back to the local defaults.
  process.env.TABLE_NAME ||= LOCAL_TABLES.users;
  process.env.ATTEMPTS_TABLE_NAME ||= LOCAL_TABLES.attempts;
  // Fresh keys each start: tokens from an earlier run stop verifying, as after a rotation.
  for (const name of ['SIGNING_KEY', 'IDENTIFIER_KEY']) {
    if (!process.env[`${name}_SECRET_ARN`]) process.env[name] ||= randomBytes(32).toString('base64url');
  }

  const stop = async (): Promise<void> => {
    server?.close();
    await db?.stop();
  };
  let server: ReturnType<typeof createLocalApi> | undefined;
  stopOnSignal(stop, db ? 'the server and DynamoDB Local' : 'the server');

  try {
    const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
    await ensureTables(client, { users: process.env.TABLE_NAME, attempts: process.env.ATTEMPTS_TABLE_NAME });
    // Only a database we started is ours to seed; an existing one keeps its users as they are.
    if (db) await seedDemoUser(client, process.env.TABLE_NAME, Number(process.env.BCRYPT_COST ?? DEFAULTS.bcryptCost));
    client.destroy();

    // Imported after the environment is set: the handler reads its configuration at load.
    const { handler } = await import('../../functions/login/handler.ts');
    server = createLocalApi([{ method: 'POST', path: '/api/auth/login', functionName: 'LoginFunction', handler }]);
    server.listen(port, host);
    await once(server, 'listening');
  } catch (error) {
    await stop();
    throw error;
  }

  const address = server.address();
  const url = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;
  console.log(`Movie Knight Auth is listening on ${url}`);
  console.log(
    `DynamoDB: ${process.env.DYNAMODB_ENDPOINT} (tables ${process.env.TABLE_NAME}, ${process.env.ATTEMPTS_TABLE_NAME})`,
  );
  if (db) {
    console.log(`Try the demo user:
  curl -s -X POST ${url}/api/auth/login -H 'Content-Type: application/json' \\
    -d '{"emailOrUsername":"${DEMO_USER.email}","password":"${DEMO_USER.password}"}'`);
  }
  console.log('Ctrl-C stops it.');
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
