import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { parseSessionItem, parseSessionSummary, type SessionItem, type SessionSummary } from './session.ts';
import { SESSIONS_TABLE } from './table.ts';

/** A rotation either happened, or another request changed the session first (as it is now). */
export type RotationResult = { rotated: true } | { rotated: false; current: SessionItem | undefined };

/** Only end the session if it belongs to `userId` and is live by these bounds. */
export interface EndGuard {
  userId: string;
  /** The user's sessionsValidAfter: sessions created at or before it are already over. */
  validAfter: number;
  idleSeconds: number;
}

export interface SessionStore {
  /** Writes a new session (never over an existing id). */
  create(session: SessionItem & { expiresAt: number }): Promise<void>;
  /** The session with this id, read strongly consistently. */
  get(id: string): Promise<SessionItem | undefined>;
  /**
   * Moves the session from the generation it was read at to the next one, in ONE conditional
   * write: only if the generation is still the one read and the session has not ended. When the
   * condition fails, the decision is made (this request did not rotate) and the item is read again,
   * consistently, so the caller can answer with what the winner made of it.
   */
  rotate(session: SessionItem, now: number, expiresAt: number): Promise<RotationResult>;
  /**
   * Ends the session (idempotent: ending an ended session changes nothing) and lets DynamoDB tidy
   * it away. Resolves true when this call ended it. With a guard, only a live session of that user.
   */
  end(id: string, now: number, guard?: EndGuard): Promise<boolean>;
  /**
   * Up to `limit` of the user's sessions that `keep` accepts, newest first, from the user index
   * (eventually consistent: a session written or ended a moment ago may not show yet).
   */
  listByUser(userId: string, limit: number, keep: (session: SessionSummary) => boolean): Promise<SessionSummary[]>;
}

/** Pages of the user index read at most, whatever the user has: bounded work for any input. */
const MAX_PAGES = 10;
const PAGE_SIZE = 100;

/** The DynamoDB adapter for the sessions table. */
export const createDynamoDbSessionStore = (client: DynamoDBDocumentClient, tableName: string): SessionStore => {
  const { partitionKey, indexes, timeToLiveAttribute } = SESSIONS_TABLE;
  const key = (id: string) => ({ [partitionKey]: id });
  const get = async (id: string): Promise<SessionItem | undefined> => {
    const { Item } = await client
      .send(new GetCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }))
      .catch(toStoreError('Session read failed'));
    return parseSessionItem(Item);
  };

  return {
    async create(session) {
      await client
        .send(
          new PutCommand({
            TableName: tableName,
            Item: session,
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': partitionKey },
          }),
        )
        .catch(toStoreError('Session write failed'));
    },

    get,

    async rotate(session, now, expiresAt) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(session.id),
            UpdateExpression: 'SET generation = :next, rotatedAt = :now, lastUsedAt = :now, #ttl = :ttl',
            ConditionExpression: 'generation = :seen AND attribute_not_exists(endedAt)',
            ExpressionAttributeNames: { '#ttl': timeToLiveAttribute },
            ExpressionAttributeValues: {
              ':next': session.generation + 1,
              ':seen': session.generation,
              ':now': now,
              ':ttl': Math.ceil(expiresAt / 1000),
            },
          }),
        );
        return { rotated: true };
      } catch (error) {
        // (ReturnValuesOnConditionCheckFailure would save the read, but the document client hands
        // that item back in DynamoDB's wire format, not as a plain object.)
        if (error instanceof ConditionalCheckFailedException) return { rotated: false, current: await get(session.id) };
        return toStoreError('Session rotation failed')(error);
      }
    },

    async end(id, now, guard) {
      const owned = guard && {
        condition:
          ' AND userId = :user AND createdAt > :validAfter AND absoluteExpiresAt > :now AND lastUsedAt > :idleCutoff',
        values: {
          ':user': guard.userId,
          ':validAfter': guard.validAfter,
          ':idleCutoff': now - guard.idleSeconds * 1000,
        },
      };
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key(id),
            UpdateExpression: 'SET endedAt = :now, #ttl = :tidy',
            ConditionExpression: `attribute_exists(#id) AND attribute_not_exists(endedAt)${owned?.condition ?? ''}`,
            ExpressionAttributeNames: { '#id': partitionKey, '#ttl': timeToLiveAttribute },
            ExpressionAttributeValues: {
              ':now': now,
              ':tidy': Math.ceil(now / 1000),
              ...owned?.values,
            },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        return toStoreError('Session end failed')(error);
      }
    },

    async listByUser(userId, limit, keep) {
      const sessions: SessionSummary[] = [];
      let startKey: Record<string, unknown> | undefined;
      for (let page = 0; page < MAX_PAGES && sessions.length < limit; page += 1) {
        const { Items = [], LastEvaluatedKey } = await client
          .send(
            new QueryCommand({
              TableName: tableName,
              IndexName: indexes.user.indexName,
              KeyConditionExpression: '#user = :user',
              ExpressionAttributeNames: { '#user': indexes.user.partitionKey },
              ExpressionAttributeValues: { ':user': userId },
              ScanIndexForward: false,
              Limit: PAGE_SIZE,
              ExclusiveStartKey: startKey,
            }),
          )
          .catch(toStoreError('Session listing failed'));
        for (const item of Items) {
          const session = parseSessionSummary(item);
          if (session && keep(session)) sessions.push(session);
        }
        startKey = LastEvaluatedKey;
        if (!startKey) break;
      }
      return sessions.slice(0, limit);
    },
  };
};
