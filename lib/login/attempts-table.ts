import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The failed-login counters: one item per keyed hash of an identifier. The one definition the
 * CDK stack, the local run and the tests build the table from.
 */
export const LOGIN_ATTEMPTS_TABLE = {
  partitionKey: 'key',
  /** Epoch seconds after which DynamoDB may delete the item (eventually; the code never relies on it). */
  timeToLiveAttribute: 'expiresAt',
} as const;

/** The same table as a DynamoDB `CreateTable` request, for DynamoDB Local. */
export const createLoginAttemptsTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [{ AttributeName: LOGIN_ATTEMPTS_TABLE.partitionKey, KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: LOGIN_ATTEMPTS_TABLE.partitionKey, AttributeType: 'S' }],
});
