/**
 * `npm run db:local [-- --persist DIR]`: DynamoDB Local on port 8000 (DYNAMODB_PORT overrides)
 * with the service's tables and the demo user, for `sam local invoke` and `sam local start-api`
 * (see events/env.local.json). In memory unless --persist names a directory. Runs until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { readBcryptCost } from '#lib/config.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { stopOnSignal } from './shutdown.ts';
import { DEMO_USER, ensureTables, LOCAL_TABLES, seedDemoSession, seedDemoUser } from './tables.ts';

const main = async (): Promise<void> => {
  const { values } = parseArgs({ options: { persist: { type: 'string' } } });
  const port = Number(process.env.DYNAMODB_PORT ?? 8000);
  const db = await startDynamoDbLocal({ port, persistPath: values.persist });
  stopOnSignal(() => db.stop(), 'DynamoDB Local');

  const client = createDocumentClient({ endpoint: db.endpoint });
  await ensureTables(client, LOCAL_TABLES);
  await seedDemoUser(client, LOCAL_TABLES.users, readBcryptCost());
  await seedDemoSession(client, LOCAL_TABLES.sessions);
  client.destroy();

  console.log(
    `DynamoDB Local is listening on ${db.endpoint} (${values.persist ? `data in ${values.persist}` : 'in memory'})`,
  );
  console.log(
    `Tables: ${LOCAL_TABLES.users}, ${LOCAL_TABLES.attempts}, ${LOCAL_TABLES.sessions}; demo user ${DEMO_USER.email} / ${DEMO_USER.password}`,
  );
  console.log('Ctrl-C stops it.');
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
