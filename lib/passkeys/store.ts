import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type PasskeyItem, type PasskeySummary, parsePasskeyItem, parsePasskeySummary } from './passkey.ts';
import { PASSKEYS_TABLE, passkeyCountKey } from './table.ts';

/** Pages of the user index read at most for one user: bounded work, whatever was stored. */
const MAX_PAGES = 10;
/**
 * Tries of a write that meets another transaction on the same count item (registrations of one
 * user at once), and the longest first pause between them: full jitter, doubling, capped.
 */
const MAX_CONFLICT_ATTEMPTS = 10;
const CONFLICT_PAUSE_MS = 20;
const MAX_CONFLICT_PAUSE_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a registration's write came to. */
export type PasskeyCreation = 'created' | 'exists' | 'at_cap';

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
  /**
   * Writes a new passkey and counts it, in ONE transaction: only if the credential id is not
   * registered (to anyone) and the user has fewer than `maxPerUser`. `exists` or `at_cap` when not
   * (`at_cap` first when both).
   */
  create(passkey: PasskeyItem, maxPerUser: number): Promise<PasskeyCreation>;
  /**
   * The user's passkeys, newest first, from the user index (eventually consistent): every page,
   * up to `limit` passkeys.
   */
  listByUser(userId: string, limit: number): Promise<PasskeySummary[]>;
  /**
   * Records a sign-in with ONE conditional write: only on a passkey that still exists (and, with
   * `counterMustRise`, whose counter is below the new one). False when the condition failed.
   */
  recordUse(id: string, use: PasskeyUse): Promise<boolean>;
  /** Deletes the user's passkey and uncounts it, in ONE transaction; false when there is none of that user with that id. */
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
  const countKey = (userId: string) => key(passkeyCountKey(userId));
  const countNames = { '#count': PASSKEYS_TABLE.count.attribute };

  /**
   * Sends a transaction whose first item is the user's count, and answers with the cancellation
   * reason codes (empty when it went through). Meets another transaction on the same items by
   * trying again, a few times.
   */
  const transact = async (input: TransactWriteCommand['input'], message: string): Promise<(string | undefined)[]> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.send(new TransactWriteCommand(input));
        return [];
      } catch (error) {
        // Stryker disable next-line ConditionalExpression: equivalent, any other error has no cancellation reasons, and below fails as this does
        if (!(error instanceof TransactionCanceledException)) return toStoreError(message)(error);
        // Stryker disable next-line ArrayDeclaration: equivalent, a reason without a code is neither of the two looked for
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (codes.includes('ConditionalCheckFailed')) return codes;
        if (!codes.includes('TransactionConflict') || attempt >= MAX_CONFLICT_ATTEMPTS) {
          return toStoreError(message)(error);
        }
        await sleep(Math.random() * Math.min(CONFLICT_PAUSE_MS * 2 ** (attempt - 1), MAX_CONFLICT_PAUSE_MS));
      }
    }
  };

  /** Every page of a Query on the user's index, at most MAX_PAGES; the caller may stop sooner. */
  const queryUser = async function* (userId: string, extra: Partial<QueryCommand['input']>) {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const output = await client
        .send(
          new QueryCommand({
            TableName: tableName,
            IndexName: indexes.user.indexName,
            KeyConditionExpression: '#user = :user',
            ExpressionAttributeNames: { '#user': indexes.user.partitionKey },
            ExpressionAttributeValues: { ':user': userId },
            ...extra,
            ...(ExclusiveStartKey && { ExclusiveStartKey }),
          }),
        )
        .catch(toStoreError('Passkey listing failed'));
      yield output;
      ExclusiveStartKey = output.LastEvaluatedKey;
      if (!ExclusiveStartKey) return;
    }
  };

  /**
   * Creates the user's count from the passkeys the index holds, if there is no count yet: users
   * with passkeys from before the count, and every user's first registration. One conditional
   * put, so of several at once one creates it and the others change nothing. While a user has no
   * count, none of their passkeys can be added or deleted (both need the count), so the index
   * holds them all.
   */
  const ensureCount = async (userId: string): Promise<void> => {
    let count = 0;
    for await (const { Count = 0 } of queryUser(userId, { Select: 'COUNT' })) count += Count;
    await conditional(
      () =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...countKey(userId), [PASSKEYS_TABLE.count.attribute]: count },
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': partitionKey },
          }),
        ),
      'Passkey count write failed',
    );
  };

  return {
    async get(id) {
      const { Item } = await client
        .send(new GetCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }))
        .catch(toStoreError('Passkey read failed'));
      return parsePasskeyItem(Item);
    },

    async create(passkey, maxPerUser) {
      const transaction = {
        // The count first, the passkey second: the order the reasons come back in.
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: countKey(passkey.userId),
              UpdateExpression: 'ADD #count :one',
              ConditionExpression: '#count < :cap',
              ExpressionAttributeNames: countNames,
              ExpressionAttributeValues: { ':one': 1, ':cap': maxPerUser },
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: passkey,
              ConditionExpression: 'attribute_not_exists(#id)',
              ExpressionAttributeNames: { '#id': partitionKey },
            },
          },
        ],
      };
      let [count, item] = await transact(transaction, 'Passkey write failed');
      if (count === 'ConditionalCheckFailed') {
        // At the cap, or no count yet: create it if need be, and try once more.
        await ensureCount(passkey.userId);
        [count, item] = await transact(transaction, 'Passkey write failed');
      }
      if (count === 'ConditionalCheckFailed') return 'at_cap';
      return item === 'ConditionalCheckFailed' ? 'exists' : 'created';
    },

    async listByUser(userId, limit) {
      const passkeys: PasskeySummary[] = [];
      // Stryker disable next-line ArrayDeclaration: equivalent, a Query always answers Items, and what is not a passkey is skipped
      for await (const { Items = [] } of queryUser(userId, { ScanIndexForward: false, Limit: limit })) {
        for (const item of Items) {
          const passkey = parsePasskeySummary(item);
          if (passkey) passkeys.push(passkey);
        }
        if (passkeys.length >= limit) break;
      }
      return passkeys.slice(0, limit);
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

    async remove(userId, id) {
      const transaction = {
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: countKey(userId),
              UpdateExpression: 'ADD #count :minusOne',
              ConditionExpression: 'attribute_exists(#count)',
              ExpressionAttributeNames: countNames,
              ExpressionAttributeValues: { ':minusOne': -1 },
            },
          },
          {
            Delete: {
              TableName: tableName,
              Key: key(id),
              // Ownership is the write's condition: no read to race with, one answer for both cases.
              ConditionExpression: 'attribute_exists(#id) AND userId = :user',
              ExpressionAttributeNames: { '#id': partitionKey },
              ExpressionAttributeValues: { ':user': userId },
            },
          },
        ],
      };
      let codes = await transact(transaction, 'Passkey delete failed');
      const [count, item] = codes;
      if (item !== 'ConditionalCheckFailed' && count === 'ConditionalCheckFailed') {
        // Passkeys from before the count: count them, then delete.
        await ensureCount(userId);
        codes = await transact(transaction, 'Passkey delete failed');
      }
      // A transaction that went through gives no reasons; a cancelled one gives one per item.
      return codes.length === 0;
    },
  };
};
