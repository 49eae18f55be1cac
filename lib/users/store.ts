import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import type { UserIdentifier } from './identifier.ts';
import { PROFILE_ATTRIBUTES, SESSION_STATE_ATTRIBUTES, USERS_TABLE } from './table.ts';
import {
  parseUserItem,
  type UserItem,
  type UserProfile,
  UserProfileSchema,
  type UserSessionStateItem,
  UserSessionStateSchema,
} from './user.ts';

/**
 * What a lookup by email or username found. Other services write the users table, so an item is
 * parsed here, once, and `invalid` when it is not a usable user.
 */
export type UserLookup =
  | { found: 'one'; user: UserItem }
  | { found: 'none' }
  /** More than one item holds the identifier: the data needs fixing, and nobody signs in with it. */
  | { found: 'several' }
  | { found: 'invalid' };

/** The users table, as users. */
export interface UserStore {
  /** The user an email or username names, read with one Query of at most two items. */
  findByIdentifier(identifier: UserIdentifier): Promise<UserLookup>;
  /** The user with this id, read strongly consistently; undefined when there is none, or no usable one. */
  findById(id: string): Promise<UserItem | undefined>;
  /**
   * The user with this id as PROFILE_ATTRIBUTES (never the password hash), read strongly
   * consistently with a projection: what `/api/auth/me` and refresh may read.
   */
  findProfileById(id: string): Promise<UserProfile | undefined>;
  /** The user's id and session state only (SESSION_STATE_ATTRIBUTES): what the session routes may read. */
  findSessionStateById(id: string): Promise<UserSessionStateItem | undefined>;
  /**
   * Replaces a user's password hash only if it is still `previousHash`; resolves false when it
   * is not (the password changed meanwhile). With `endSessions` (a password change, not a
   * rehash), the same write moves the user's `sessionEpoch` on: every session of the user ends.
   */
  replacePasswordHash(userId: string, previousHash: string, newHash: string, endSessions?: boolean): Promise<boolean>;
  /**
   * Ends every session of the user by adding one to the user's `sessionEpoch`. One write (an
   * atomic add: two at once both count), effective at once for every reader that reads the user
   * consistently, whatever the sessions' own items or index say. No clock involved.
   */
  endAllSessions(userId: string): Promise<void>;
}

/**
 * One user item by id, consistently, with only `attributes` (placeholders for every name: `name`
 * is one of DynamoDB's reserved words), parsed by `schema`.
 */
const findProjected = async <TSchema extends v.GenericSchema>(
  client: DynamoDBDocumentClient,
  tableName: string,
  id: string,
  attributes: readonly string[],
  schema: TSchema,
): Promise<v.InferOutput<TSchema> | undefined> => {
  const { Item } = await client
    .send(
      new GetCommand({
        TableName: tableName,
        Key: { [USERS_TABLE.partitionKey]: id },
        ConsistentRead: true,
        ProjectionExpression: attributes.map((_, index) => `#a${index}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(attributes.map((name, index) => [`#a${index}`, name])),
      }),
    )
    .catch(toStoreError('User read failed'));
  const result = v.safeParse(schema, Item);
  return result.success ? result.output : undefined;
};

/** The DynamoDB adapter: one `Query` on the email or username index, never a `Scan`. */
export const createDynamoDbUserStore = (client: DynamoDBDocumentClient, tableName: string): UserStore => ({
  async findByIdentifier(identifier) {
    const [index, value] =
      identifier.kind === 'email'
        ? [USERS_TABLE.indexes.email, identifier.email]
        : [USERS_TABLE.indexes.username, identifier.username];
    const { Items = [] } = await client
      .send(
        new QueryCommand({
          TableName: tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#key = :value',
          ExpressionAttributeNames: { '#key': index.partitionKey },
          ExpressionAttributeValues: { ':value': value },
          Limit: 2,
        }),
      )
      .catch(toStoreError('User lookup failed'));
    // Two items are enough to tell "one" from "more than one".
    if (Items.length === 0) return { found: 'none' };
    if (Items.length > 1) return { found: 'several' };
    const user = parseUserItem(Items[0]);
    return user ? { found: 'one', user } : { found: 'invalid' };
  },

  async findById(id) {
    const { Item } = await client
      .send(new GetCommand({ TableName: tableName, Key: { [USERS_TABLE.partitionKey]: id }, ConsistentRead: true }))
      .catch(toStoreError('User read failed'));
    return parseUserItem(Item);
  },

  findProfileById: (id) => findProjected(client, tableName, id, PROFILE_ATTRIBUTES, UserProfileSchema),

  findSessionStateById: (id) => findProjected(client, tableName, id, SESSION_STATE_ATTRIBUTES, UserSessionStateSchema),

  async replacePasswordHash(userId, previousHash, newHash, endSessions = false) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { [USERS_TABLE.partitionKey]: userId },
          UpdateExpression: `SET passwordHash = :new${endSessions ? ' ADD sessionEpoch :one' : ''}`,
          ConditionExpression: 'passwordHash = :previous',
          ExpressionAttributeValues: {
            ':new': newHash,
            ':previous': previousHash,
            ...(endSessions && { ':one': 1 }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      return toStoreError('Password hash update failed')(error);
    }
  },

  async endAllSessions(userId) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { [USERS_TABLE.partitionKey]: userId },
          UpdateExpression: 'ADD sessionEpoch :one',
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#id': USERS_TABLE.partitionKey },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    } catch (error) {
      // No such user: nothing to end.
      if (error instanceof ConditionalCheckFailedException) return;
      toStoreError('Ending sessions failed')(error);
    }
  },
});
