import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The failed-login counters: one item per keyed hash of an identifier, per trusted device and per
 * account. The one definition the CDK stack, the local run and the tests build the table from.
 */
export const LOGIN_ATTEMPTS_TABLE = {
  partitionKey: 'key',
  /** Epoch seconds after which DynamoDB may delete the item (eventually; the code never relies on it). */
  timeToLiveAttribute: 'expiresAt',
  /**
   * Besides identifiers (a keyed hash, base64url, so never with a `#`), the table counts for
   * trusted devices (lib/login/device-budget.ts) and for accounts (lib/login/account-cap.ts),
   * each under keys of their own.
   */
  keyPrefixes: { device: 'device#', account: 'account#' },
} as const;

/** The same table as a DynamoDB `CreateTable` request, for DynamoDB Local. */
export const createLoginAttemptsTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [{ AttributeName: LOGIN_ATTEMPTS_TABLE.partitionKey, KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: LOGIN_ATTEMPTS_TABLE.partitionKey, AttributeType: 'S' }],
});
