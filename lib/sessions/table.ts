import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The sessions table: one item per session, found by its id (refresh, logout, `/api/auth/me`) and
 * by its user, newest first (the session list, the per-user cap). The one definition the CDK
 * stack, the local run and the tests build the table from.
 */
export const SESSIONS_TABLE = {
  partitionKey: 'id',
  indexes: {
    /** A user's sessions by creation time (epoch milliseconds). */
    user: { indexName: 'user-index', partitionKey: 'userId', sortKey: 'createdAt' },
  },
  /**
   * What the user index carries besides its keys: what a listing shows and what decides whether a
   * session is live. Never the salt or the generation, which a listing has no use for.
   */
  userIndexAttributes: ['lastUsedAt', 'absoluteExpiresAt', 'endedAt', 'userAgent'],
  /** Epoch seconds after which DynamoDB may delete the item (eventually; the code never relies on it). */
  timeToLiveAttribute: 'expiresAt',
  /**
   * The key of the one item that is not a session: the global session epoch (lib/sessions/control.ts).
   * A session id is 22 base64url characters, so no session can have this key; the item has no
   * `userId` (so it is in no index) and no TTL (so it is never tidied away).
   */
  controlKey: '#all-sessions',
  /** The control item's one attribute a function reads: the global session epoch, a number. */
  controlAttribute: 'epoch',
} as const;

/** The same table as a DynamoDB `CreateTable` request, for DynamoDB Local. */
export const createSessionsTableInput = (tableName: string): CreateTableCommandInput => {
  const { partitionKey, indexes, userIndexAttributes } = SESSIONS_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: indexes.user.partitionKey, AttributeType: 'S' },
      { AttributeName: indexes.user.sortKey, AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: indexes.user.indexName,
        KeySchema: [
          { AttributeName: indexes.user.partitionKey, KeyType: 'HASH' },
          { AttributeName: indexes.user.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...userIndexAttributes] },
      },
    ],
  };
};
