import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import type { ThrottlePolicy } from '#lib/config.ts';
import { LOGIN_ATTEMPTS_TABLE } from './attempts-table.ts';

/** What is stored per identifier key. */
export interface AttemptRecord {
  failures: number;
  /** Epoch milliseconds of the latest counted failure. */
  lastFailureAt: number;
}

/** The state of one identifier before an attempt. */
export interface AttemptState {
  /** Set while the identifier is throttled: whole seconds until it may try again. */
  retryAfterSeconds: number | undefined;
  /** The record as read, when there is one (live or expired); needed to count the next failure. */
  record: (AttemptRecord & { expired: boolean }) | undefined;
}

export interface LoginAttempts {
  /** Reads the identifier's state with a strongly consistent read. */
  check(key: string): Promise<AttemptState>;
  /** Counts one failure, atomically, however many run at once. */
  recordFailure(key: string, state: AttemptState): Promise<void>;
  /** Forgets the identifier's failures (after a successful login). */
  reset(key: string): Promise<void>;
}

/** The lock a count of failures earns: none below the threshold, then doubling up to the cap. */
export const lockSeconds = (policy: ThrottlePolicy, failures: number): number =>
  failures < policy.maxFailures
    ? 0
    : Math.min(policy.baseLockSeconds * 2 ** (failures - policy.maxFailures), policy.maxLockSeconds);

/**
 * A record's meaning at `now`. It is throttled until `lastFailureAt + lock`, and forgotten
 * `windowSeconds` after that: a quiet identifier always starts over by itself, whatever DynamoDB's
 * TTL deletion (eventual in AWS, never in DynamoDB Local) has or has not done yet.
 */
export const assess = (policy: ThrottlePolicy, record: AttemptRecord, now: number) => {
  const lockedUntil = record.lastFailureAt + lockSeconds(policy, record.failures) * 1000;
  return {
    expired: now >= lockedUntil + policy.windowSeconds * 1000,
    retryAfterSeconds: now < lockedUntil ? Math.ceil((lockedUntil - now) / 1000) : undefined,
  };
};

const asRecord = (item: Record<string, unknown> | undefined): AttemptRecord | undefined =>
  typeof item?.failures === 'number' && typeof item.lastFailureAt === 'number'
    ? { failures: item.failures, lastFailureAt: item.lastFailureAt }
    : undefined;

/** Failed-login counters in DynamoDB, keyed by the identifier's keyed hash. */
export const createDynamoDbLoginAttempts = (
  client: DynamoDBDocumentClient,
  tableName: string,
  policy: ThrottlePolicy,
  clock: Clock = systemClock,
): LoginAttempts => {
  const { partitionKey, timeToLiveAttribute } = LOGIN_ATTEMPTS_TABLE;
  // Long enough for any record to have expired in the code's eyes before DynamoDB may delete it.
  const expiresAt = (now: number) => Math.ceil(now / 1000) + policy.windowSeconds + policy.maxLockSeconds;

  return {
    async check(key) {
      const { Item } = await client
        .send(new GetCommand({ TableName: tableName, Key: { [partitionKey]: key }, ConsistentRead: true }))
        .catch(toStoreError('Attempt lookup failed'));
      const record = asRecord(Item);
      if (!record) return { retryAfterSeconds: undefined, record: undefined };
      const { expired, retryAfterSeconds } = assess(policy, record, clock().getTime());
      return { retryAfterSeconds, record: { ...record, expired } };
    },

    async recordFailure(key, state) {
      const now = clock().getTime();
      if (state.record?.expired) {
        // Start over, unless another request changed the record since we read it.
        try {
          await client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: { [partitionKey]: key },
              UpdateExpression: 'SET failures = :one, lastFailureAt = :now, #ttl = :ttl',
              ConditionExpression: 'lastFailureAt = :seen',
              ExpressionAttributeNames: { '#ttl': timeToLiveAttribute },
              ExpressionAttributeValues: {
                ':one': 1,
                ':now': now,
                ':ttl': expiresAt(now),
                ':seen': state.record.lastFailureAt,
              },
            }),
          );
          return;
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw toStoreError('Attempt update failed')(error);
          // Someone else counted (or restarted) first: add ours on top of theirs.
        }
      }
      // ADD is atomic and creates the item when there is none: concurrent failures all count.
      await client
        .send(
          new UpdateCommand({
            TableName: tableName,
            Key: { [partitionKey]: key },
            UpdateExpression: 'ADD failures :one SET lastFailureAt = :now, #ttl = :ttl',
            ExpressionAttributeNames: { '#ttl': timeToLiveAttribute },
            ExpressionAttributeValues: { ':one': 1, ':now': now, ':ttl': expiresAt(now) },
          }),
        )
        .catch(toStoreError('Attempt update failed'));
    },

    async reset(key) {
      await client
        .send(new DeleteCommand({ TableName: tableName, Key: { [partitionKey]: key } }))
        .catch(toStoreError('Attempt reset failed'));
    },
  };
};
