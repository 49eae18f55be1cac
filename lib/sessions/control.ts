import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { SESSIONS_TABLE } from './table.ts';

/**
 * The operators' switch that ends every session of every user at once: one item of the sessions
 * table (SESSIONS_TABLE.controlKey) holding the global session epoch, a number and no clock. Each
 * session records the global epoch current when it started (`globalEpoch`; absent = 0) and lives
 * only while that is still the current one, as it lives only while its `epoch` is its user's
 * `sessionEpoch`. Every check of a session reads the item strongly consistently, beside the reads
 * it makes anyway, so a change takes effect on the next request of every container: nothing of it
 * is cached.
 */
export interface SessionControl {
  /**
   * The global session epoch now, read strongly consistently: 0 while the item was never written.
   * Rejects when it cannot be read or makes no sense, so that a check fails closed (a 503), never
   * open.
   */
  globalEpoch(): Promise<number>;
}

const EPOCH = SESSIONS_TABLE.controlAttribute;

const isEpoch = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

export const createDynamoDbSessionControl = (client: DynamoDBDocumentClient, tableName: string): SessionControl => ({
  async globalEpoch() {
    const { Item } = await client
      .send(
        new GetCommand({
          TableName: tableName,
          Key: { [SESSIONS_TABLE.partitionKey]: SESSIONS_TABLE.controlKey },
          ConsistentRead: true,
          ProjectionExpression: '#epoch',
          ExpressionAttributeNames: { '#epoch': EPOCH },
        }),
      )
      .catch(toStoreError('Session control read failed'));
    if (Item === undefined) return 0;
    const epoch = Item[EPOCH] ?? 0;
    // Someone wrote the item by hand, and not a number: no session can be judged against it.
    if (!isEpoch(epoch))
      throw new ServiceUnavailableError({ cause: new Error('The session control item is unusable') });
    return epoch;
  },
});

/** What ending every session did: the epoch every session from now on records, and the one before. */
export interface EveryoneSignedOut {
  globalEpoch: number;
  previous: number;
}

/**
 * Ends every session of every user, and every trusted device with them: ONE write, an atomic add
 * on the global epoch (two at once both count; nothing is read first). For operators (`npm run
 * users -- end-all-sessions`): no function's role may write the item.
 */
export const endEverySession = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  clock: Clock = systemClock,
): Promise<EveryoneSignedOut> => {
  const { Attributes } = await client
    .send(
      new UpdateCommand({
        TableName: tableName,
        Key: { [SESSIONS_TABLE.partitionKey]: SESSIONS_TABLE.controlKey },
        // `changedAt` is for the record only: no decision reads it.
        UpdateExpression: 'ADD #epoch :one SET changedAt = :now',
        ExpressionAttributeNames: { '#epoch': EPOCH },
        ExpressionAttributeValues: { ':one': 1, ':now': clock().toISOString() },
        ReturnValues: 'UPDATED_NEW',
      }),
    )
    .catch(toStoreError('Ending every session failed'));
  // An ADD always returns the value it left.
  const globalEpoch = (Attributes as Record<string, unknown>)[EPOCH];
  if (!isEpoch(globalEpoch)) throw new Error('The session control item is unusable');
  return { globalEpoch, previous: globalEpoch - 1 };
};
