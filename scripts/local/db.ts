/**
 * `npm run db:local [-- --persist DIR]`: DynamoDB Local on 127.0.0.1:8000 (DYNAMODB_HOST and
 * DYNAMODB_PORT override) with the service's tables and the demo user, for `sam local invoke` and
 * `sam local start-api` (see docs/local-aws.md). In memory unless --persist names a directory.
 * Runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { readBcryptCost, readSetting } from '#lib/function-config.ts';
import { SETUP_REQUEST_TIMEOUT_MS, startDynamoDbLocal } from './dynamodb-local.ts';
import { LOCAL_SETTINGS } from './settings.ts';
import { stopOnSignal } from './shutdown.ts';
import { DEMO_USER, ensureTables, LOCAL_TABLES, seedDemoSession, seedDemoUser } from './tables.ts';

const main = async (): Promise<void> => {
  const { values } = parseArgs({ options: { persist: { type: 'string' } } });
  const port = readSetting(process.env, LOCAL_SETTINGS.dynamoDbPort);
  const host = readSetting(process.env, LOCAL_SETTINGS.dynamoDbHost);
  const cost = readBcryptCost();
  console.log(`Starting DynamoDB Local on ${host}:${port} (Java; this takes a few seconds)...`);
  const db = await startDynamoDbLocal({ port, host, persistPath: values.persist });
  stopOnSignal(() => db.stop(), 'DynamoDB Local');

  const client = createDocumentClient({ endpoint: db.endpoint, setupRequestTimeoutMs: SETUP_REQUEST_TIMEOUT_MS });
  await ensureTables(client, LOCAL_TABLES);
  await seedDemoUser(client, LOCAL_TABLES.users, cost);
  await seedDemoSession(client, LOCAL_TABLES.sessions);
  client.destroy();

  console.log(
    `DynamoDB Local is listening on ${host}:${port} (${values.persist ? `data in ${values.persist}` : 'in memory'})`,
  );
  console.log(
    `Tables: ${Object.values(LOCAL_TABLES).join(', ')}; demo user ${DEMO_USER.email} / ${DEMO_USER.password}`,
  );
  console.log('Ctrl-C stops it.');
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
