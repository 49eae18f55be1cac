import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The users table's keys and indexes: the one definition that the CDK stack, the local run
 * and the tests all build the table from, so they cannot drift.
 */
export const USERS_TABLE = {
  partitionKey: 'id',
  indexes: {
    /** Partition key: the email trimmed and lowercased (see `normalizeEmail`). */
    email: { indexName: 'email-index', partitionKey: 'emailLower' },
    /** Partition key: the username exactly as registered (case-sensitive). */
    username: { indexName: 'username-index', partitionKey: 'username' },
  },
} as const;

/**
 * What `/api/auth/me` and refresh read of a user: the safe user's attributes and the session
 * state, never the password hash. Their reads project these and their roles may read no others.
 */
export const PROFILE_ATTRIBUTES = [
  'id',
  'email',
  'username',
  'name',
  'createdAt',
  'bio',
  'badges',
  'aiUsage',
  'avatarUrl',
  'countryCode',
  'dateOfBirth',
  'sessionEpoch',
  'sessionsValidAfter',
] as const;

/** What the session routes read of a user: whether a session is of its current epoch, nothing else. */
export const SESSION_STATE_ATTRIBUTES = ['id', 'sessionEpoch', 'sessionsValidAfter'] as const;

/**
 * The id of the guard item that reserves a unique value (an email, lowercased, or a username).
 * A user is written together with one guard per unique value, each with `attribute_not_exists`,
 * in one transaction: the only check that cannot race. Guards have no index attributes, so they
 * never show up in a login's Query.
 */
export const uniqueValueId = (kind: 'email' | 'username', value: string): string => `unique#${kind}#${value}`;

/** The guard items that reserve a user item's email and username, written with it in one transaction. */
export const guardItems = (user: { id: string; emailLower: string; username: string }) => [
  { id: uniqueValueId('email', user.emailLower), userId: user.id },
  { id: uniqueValueId('username', user.username), userId: user.id },
];

/**
 * The same table as a DynamoDB `CreateTable` request, for DynamoDB Local.
 * Every index projects all attributes, so a login needs one `Query` and nothing else.
 */
export const createUsersTableInput = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [{ AttributeName: USERS_TABLE.partitionKey, KeyType: 'HASH' }],
  AttributeDefinitions: [
    USERS_TABLE.partitionKey,
    ...Object.values(USERS_TABLE.indexes).map((index) => index.partitionKey),
  ].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
  GlobalSecondaryIndexes: Object.values(USERS_TABLE.indexes).map((index) => ({
    IndexName: index.indexName,
    KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' }],
    Projection: { ProjectionType: 'ALL' },
  })),
});
