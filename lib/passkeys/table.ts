import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The passkeys table: one item per WebAuthn credential, keyed by its credential id (base64url), so
 * a sign-in finds it with one `GetItem`; a user's passkeys are one `Query` on the user index,
 * newest first (the list and the registration's exclude list); a count item per user holds the cap. The one
 * definition the CDK stack, the local run and the tests build the table from.
 */
export const PASSKEYS_TABLE = {
  partitionKey: 'id',
  indexes: {
    /** A user's passkeys by registration time (epoch milliseconds). */
    user: { indexName: 'user-index', partitionKey: 'userId', sortKey: 'createdAt' },
  },
  /**
   * What the user index carries besides its keys: what the list shows. Never the public key or the
   * counter, which only a sign-in reads (by GetItem on the table).
   */
  userIndexAttributes: ['name', 'lastUsedAt', 'backedUp', 'deviceType', 'transports'],
  /**
   * A user's passkey count lives in the same table, at a reserved key: `~count#` and the user id.
   * `~` and `#` are not base64url, so no credential id can be such a key (and a request naming one
   * is refused before any call); the item has no `userId`, so the user index never holds it. A
   * registration adds 1 and a delete takes 1 in the same transaction as its Put or Delete, so the
   * cap is one conditional write.
   */
  count: { keyPrefix: '~count#', attribute: 'count' },
} as const;

/** The key of the item that counts `userId`'s passkeys. */
export const passkeyCountKey = (userId: string): string => `${PASSKEYS_TABLE.count.keyPrefix}${userId}`;

/**
 * The passkey challenges table: one item per options call, keyed by the challenge itself, with its
 * purpose, its expiry and (for a registration) its user. Consumed by ONE conditional `DeleteItem`;
 * the TTL only tidies away those never used.
 */
export const PASSKEY_CHALLENGES_TABLE = {
  partitionKey: 'id',
  /** Epoch seconds: the challenge is refused from then on, and DynamoDB may delete it (eventually). */
  timeToLiveAttribute: 'expiresAt',
} as const;

/** The passkeys table as a DynamoDB `CreateTable` request, for DynamoDB Local. */
export const createPasskeysTableInput = (tableName: string): CreateTableCommandInput => {
  const { partitionKey, indexes, userIndexAttributes } = PASSKEYS_TABLE;
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

/** The challenges table as a DynamoDB `CreateTable` request, for DynamoDB Local. */
export const createPasskeyChallengesTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [{ AttributeName: PASSKEY_CHALLENGES_TABLE.partitionKey, KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: PASSKEY_CHALLENGES_TABLE.partitionKey, AttributeType: 'S' }],
});
