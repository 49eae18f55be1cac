import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type PasskeyItem, type PasskeySummary, parsePasskeyItem, parsePasskeySummary } from './passkey.ts';
import { PASSKEYS_TABLE } from './table.ts';

/** What a sign-in writes back to the passkey it used. */
export interface PasskeyUse {
  counter: number;
  backedUp: boolean;
  at: number;
  /**
   * Only if the stored counter is still below `counter`: a device-bound passkey's counter must go
   * up, and of two sign-ins racing with the same counter value only one may pass.
   */
  counterMustRise: boolean;
}

export interface PasskeyStore {
  /** The passkey with this credential id, read strongly consistently. */
  get(id: string): Promise<PasskeyItem | undefined>;
  /** Writes a new passkey; false when the credential id is registered already (to anyone). */
  create(passkey: PasskeyItem): Promise<boolean>;
  /** Up to `limit` of the user's passkeys, newest first, from the user index (eventually consistent). */
  listByUser(userId: string, limit: number): Promise<PasskeySummary[]>;
  /**
   * Records a sign-in with ONE conditional write: only on a passkey that still exists (and, with
   * `counterMustRise`, whose counter is below the new one). False when the condition failed.
   */
  recordUse(id: string, use: PasskeyUse): Promise<boolean>;
  /** Deletes the user's passkey; false when there is none of that user with that id. */
  remove(userId: string, id: string): Promise<boolean>;
}

/** The DynamoDB adapter for the passkeys table: GetItem by credential id, Query on the user index, never a Scan. */
export const createDynamoDbPasskeyStore = (client: DynamoDBDocumentClient, tableName: string): PasskeyStore => {
  const { partitionKey, indexes } = PASSKEYS_TABLE;
  const key = (id: string) => ({ [partitionKey]: id });
  const conditional = async (send: () => Promise<unknown>, message: string): Promise<boolean> => {
    try {
      await send();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      return toStoreError(message)(error);
    }
  };

  return {
    async get(id) {
      const { Item } = await client
        .send(new GetCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }))
        .catch(toStoreError('Passkey read failed'));
      return parsePasskeyItem(Item);
    },

    create(passkey) {
      return conditional(
        () =>
          client.send(
            new PutCommand({
              TableName: tableName,
              Item: passkey,
              ConditionExpression: 'attribute_not_exists(#id)',
              ExpressionAttributeNames: { '#id': partitionKey },
            }),
          ),
        'Passkey write failed',
      );
    },

    async listByUser(userId, limit) {
      const { Items = [] } = await client
        .send(
          new QueryCommand({
            TableName: tableName,
            IndexName: indexes.user.indexName,
            KeyConditionExpression: '#user = :user',
            ExpressionAttributeNames: { '#user': indexes.user.partitionKey },
            ExpressionAttributeValues: { ':user': userId },
            ScanIndexForward: false,
            Limit: limit,
          }),
        )
        .catch(toStoreError('Passkey listing failed'));
      return Items.map(parsePasskeySummary).filter((passkey) => passkey !== undefined);
    },

    recordUse(id, { counter, backedUp, at, counterMustRise }) {
      return conditional(
        () =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: key(id),
              UpdateExpression: 'SET #counter = :counter, backedUp = :backedUp, lastUsedAt = :at',
              ConditionExpression: `attribute_exists(#id)${counterMustRise ? ' AND #counter < :counter' : ''}`,
              ExpressionAttributeNames: { '#id': partitionKey, '#counter': 'counter' },
              ExpressionAttributeValues: { ':counter': counter, ':backedUp': backedUp, ':at': at },
            }),
          ),
        'Passkey update failed',
      );
    },

    remove(userId, id) {
      return conditional(
        () =>
          client.send(
            new DeleteCommand({
              TableName: tableName,
              Key: key(id),
              // Ownership is the write's condition: no read to race with, one answer for both cases.
              ConditionExpression: 'attribute_exists(#id) AND userId = :user',
              ExpressionAttributeNames: { '#id': partitionKey },
              ExpressionAttributeValues: { ':user': userId },
            }),
          ),
        'Passkey delete failed',
      );
    },
  };
};
