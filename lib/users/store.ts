import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import type { UserIdentifier } from './identifier.ts';
import { USERS_TABLE } from './table.ts';

/** Finds the stored items that match a login identifier. */
export interface UserStore {
  /**
   * Returns the raw items (at most two: enough to tell "one" from "more than one").
   * Items are unvalidated; the caller decides what a usable user is.
   */
  findByIdentifier(identifier: UserIdentifier): Promise<Record<string, unknown>[]>;
  /** The raw item with this id, read strongly consistently; undefined when there is none. */
  findById(id: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Replaces a user's password hash only if it is still `previousHash`; resolves false when it
   * is not (the password changed meanwhile). With `endSessionsAt` (a password change, not a
   * rehash), the same write ends every session of the user created up to then.
   */
  replacePasswordHash(userId: string, previousHash: string, newHash: string, endSessionsAt?: number): Promise<boolean>;
  /**
   * Ends every session of the user created up to `at` (epoch milliseconds) by moving the user's
   * `sessionsValidAfter` forward, never back. One write, effective at once for every reader that
   * reads the user consistently, whatever the sessions' own items or index say.
   */
  endAllSessions(userId: string, at: number): Promise<void>;
}

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
    return Items;
  },

  async findById(id) {
    const { Item } = await client
      .send(new GetCommand({ TableName: tableName, Key: { [USERS_TABLE.partitionKey]: id }, ConsistentRead: true }))
      .catch(toStoreError('User read failed'));
    return Item;
  },

  async replacePasswordHash(userId, previousHash, newHash, endSessionsAt) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { [USERS_TABLE.partitionKey]: userId },
          UpdateExpression: `SET passwordHash = :new${endSessionsAt === undefined ? '' : ', sessionsValidAfter = :at'}`,
          ConditionExpression: 'passwordHash = :previous',
          ExpressionAttributeValues: {
            ':new': newHash,
            ':previous': previousHash,
            ...(endSessionsAt !== undefined && { ':at': endSessionsAt }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      return toStoreError('Password hash update failed')(error);
    }
  },

  async endAllSessions(userId, at) {
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { [USERS_TABLE.partitionKey]: userId },
          UpdateExpression: 'SET sessionsValidAfter = :at',
          ConditionExpression:
            'attribute_exists(#id) AND (attribute_not_exists(sessionsValidAfter) OR sessionsValidAfter < :at)',
          ExpressionAttributeNames: { '#id': USERS_TABLE.partitionKey },
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (error) {
      // No such user, or a later logout-all already covers this one: nothing left to end.
      if (error instanceof ConditionalCheckFailedException) return;
      toStoreError('Ending sessions failed')(error);
    }
  },
});
