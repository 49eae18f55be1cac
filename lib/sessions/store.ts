import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { USERS_TABLE } from '#lib/users/table.ts';
import {
  parseSessionItem,
  parseSessionSummary,
  SESSION_START_METHODS,
  type SessionItem,
  type SessionStartMethod,
  type SessionSummary,
  type UserSessionState,
} from './session.ts';
import { SESSIONS_TABLE } from './table.ts';

/** A rotation either happened, or another request changed the session first (as it is now). */
export type RotationResult = { rotated: true } | { rotated: false; current: SessionItem | undefined };

/** Only end the session if it belongs to `userId` and is live by these bounds. */
export interface EndGuard {
  userId: string;
  /** The user's epoch (and the legacy clock rule): a session of another epoch is already over. */
  user: UserSessionState;
  /** The global session epoch: a session of another one is already over too. */
  globalEpoch: number;
  idleSeconds: number;
}

/**
 * What the user item must still hold for a session to start: what the login read from the item
 * whose password hash it compared. A session starts only in the same transaction as this check.
 */
export interface UserGuard {
  userId: string;
  passwordHash: string;
  sessionEpoch: number;
}

/**
 * A password change, made in the same transaction as the new session: the user item gets the new
 * hash and the next epoch (every earlier session ends), only if it still holds the guard's hash
 * and epoch, and only while the session that asked for the change has not been ended.
 */
export interface PasswordChangeWrite {
  newHash: string;
  callerSessionId: string;
}

/** Why a guarded start did not happen: the user item moved on, or the caller's session ended. */
export type StartResult = { started: true } | { started: false; reason: 'user_changed' | 'caller_ended' };

export interface SessionStore {
  /**
   * Writes a new session (never over an existing id) in ONE transaction with a check that the user
   * item still holds the guard's hash and epoch; with `change`, with the password change too. The
   * session's `epoch` must be the guard's (the next one, with a change).
   */
  create(
    session: SessionItem & { expiresAt: number },
    guard: UserGuard,
    change?: PasswordChangeWrite,
  ): Promise<StartResult>;
  /**
   * The epochs (the user's and the global one) of these sessions and how each started, from their
   * items (the user index carries none of them); a session missing from the answer does not exist
   * (yet). Eventually consistent reads suffice: all are written with the session and never change.
   * At most 100 ids.
   */
  listedState(ids: readonly string[]): Promise<Map<string, ListedState>>;
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

/** What the list needs of a session beyond the user index: its epochs and how it started. */
export interface ListedState {
  epoch: number | undefined;
  globalEpoch: number | undefined;
  startedBy: SessionStartMethod;
}

/** Pages of the user index read at most, whatever the user has: bounded work for any input. */
const MAX_PAGES = 10;
const PAGE_SIZE = 100;
/**
 * Tries of a session start that meets another transaction on the same user item (logins of one
 * user at once), and the longest first pause between them: full jitter, doubling, capped.
 */
const MAX_CONFLICT_ATTEMPTS = 8;
const CONFLICT_PAUSE_MS = 20;
const MAX_CONFLICT_PAUSE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** BatchGetItem's own limit, and rounds to retry the keys DynamoDB leaves unprocessed. */
const MAX_BATCH_KEYS = 100;
const MAX_BATCH_ROUNDS = 3;

/**
 * The condition "the epoch attribute named `#epoch` is `:epoch`", where an absent attribute
 * means 0 (every user and session from before epochs).
 */
const epochIs = (epoch: number): string =>
  epoch === 0 ? '(attribute_not_exists(#epoch) OR #epoch = :epoch)' : '#epoch = :epoch';

/** The cancellation reason codes of a transaction, in the order of its items. */
const reasons = (error: TransactionCanceledException): (string | undefined)[] =>
  (error.CancellationReasons ?? []).map((reason) => reason.Code);

/**
 * The condition that a session item (`#epoch` its `epoch`) is of the user's current epoch, as
 * `endedByUser` judges it: at epoch 0, a session without an epoch also counts if it postdates
 * the legacy `sessionsValidAfter` (`:validAfter`).
 */
const liveInEpoch = (user: UserSessionState): string =>
  user.sessionEpoch === 0
    ? '(#epoch = :epoch OR (attribute_not_exists(#epoch) AND createdAt > :validAfter))'
    : '#epoch = :epoch';

/** The condition that a session item (`#global` its `globalEpoch`, absent = 0) is of the global epoch `:global`. */
const globalEpochIs = (globalEpoch: number): string =>
  globalEpoch === 0 ? '(attribute_not_exists(#global) OR #global = :global)' : '#global = :global';

/**
 * The DynamoDB adapter for the sessions table. A session starts in a transaction with a check on
 * its user's item, so it also needs the users table's name.
 */
export const createDynamoDbSessionStore = (
  client: DynamoDBDocumentClient,
  tableName: string,
  usersTableName: string,
): SessionStore => {
  const { partitionKey, indexes, timeToLiveAttribute } = SESSIONS_TABLE;
  const key = (id: string) => ({ [partitionKey]: id });
  const get = async (id: string): Promise<SessionItem | undefined> => {
    const { Item } = await client
      .send(new GetCommand({ TableName: tableName, Key: key(id), ConsistentRead: true }))
      .catch(toStoreError('Session read failed'));
    return parseSessionItem(Item);
  };

  return {
    async create(session, guard, change) {
      const userKey = { [USERS_TABLE.partitionKey]: guard.userId };
      const userCondition = {
        TableName: usersTableName,
        Key: userKey,
        ConditionExpression: `passwordHash = :hash AND ${epochIs(guard.sessionEpoch)}`,
        ExpressionAttributeNames: { '#epoch': 'sessionEpoch' },
      };
      const userItem = change
        ? {
            Update: {
              ...userCondition,
              UpdateExpression: 'SET passwordHash = :new, #epoch = :next',
              ExpressionAttributeValues: {
                ':hash': guard.passwordHash,
                ':epoch': guard.sessionEpoch,
                ':new': change.newHash,
                ':next': guard.sessionEpoch + 1,
              },
            },
          }
        : {
            ConditionCheck: {
              ...userCondition,
              ExpressionAttributeValues: { ':hash': guard.passwordHash, ':epoch': guard.sessionEpoch },
            },
          };
      const callerItem = change && {
        ConditionCheck: {
          TableName: tableName,
          Key: key(change.callerSessionId),
          ConditionExpression: 'userId = :user AND attribute_not_exists(endedAt)',
          ExpressionAttributeValues: { ':user': guard.userId },
        },
      };
      const transaction = new TransactWriteCommand({
        // The user first, the caller's session second: the order the reasons come back in.
        TransactItems: [
          userItem,
          ...(callerItem ? [callerItem] : []),
          {
            Put: {
              TableName: tableName,
              Item: session,
              ConditionExpression: 'attribute_not_exists(#id)',
              ExpressionAttributeNames: { '#id': partitionKey },
            },
          },
        ],
      });
      for (let attempt = 1; ; attempt += 1) {
        try {
          await client.send(transaction);
          return { started: true };
        } catch (error) {
          // Stryker disable next-line ConditionalExpression: equivalent, any other error has no cancellation reasons and meets the same store error below
          if (!(error instanceof TransactionCanceledException)) return toStoreError('Session write failed')(error);
          const codes = reasons(error);
          const [user, caller] = codes;
          if (user === 'ConditionalCheckFailed') return { started: false, reason: 'user_changed' };
          if (callerItem && caller === 'ConditionalCheckFailed') return { started: false, reason: 'caller_ended' };
          // Another transaction on the same user item was in flight (two logins at once): meet its
          // result by trying again, a few times.
          if (!codes.includes('TransactionConflict')) return toStoreError('Session write failed')(error);
          // Still meeting others after every try: transient by nature, so a 503.
          if (attempt >= MAX_CONFLICT_ATTEMPTS) throw new ServiceUnavailableError({ cause: error });
          await sleep(Math.random() * Math.min(CONFLICT_PAUSE_MS * 2 ** (attempt - 1), MAX_CONFLICT_PAUSE_MS));
        }
      }
    },

    async listedState(ids) {
      const found = new Map<string, ListedState>();
      let keys = [...new Set(ids)].slice(0, MAX_BATCH_KEYS).map(key);
      for (let round = 0; round < MAX_BATCH_ROUNDS && keys.length > 0; round += 1) {
        const { Responses, UnprocessedKeys } = await client
          .send(
            new BatchGetCommand({
              RequestItems: {
                [tableName]: {
                  Keys: keys,
                  ProjectionExpression: '#id, #epoch, globalEpoch, startedBy',
                  ExpressionAttributeNames: { '#id': partitionKey, '#epoch': 'epoch' },
                },
              },
            }),
          )
          .catch(toStoreError('Session read failed'));
        for (const item of Responses?.[tableName] ?? []) {
          found.set(String(item[partitionKey]), {
            epoch: typeof item.epoch === 'number' ? item.epoch : undefined,
            globalEpoch: typeof item.globalEpoch === 'number' ? item.globalEpoch : undefined,
            // Sessions from before the attribute were all password logins.
            startedBy: (SESSION_START_METHODS as readonly unknown[]).includes(item.startedBy)
              ? (item.startedBy as SessionStartMethod)
              : 'password',
          });
        }
        keys = (UnprocessedKeys?.[tableName]?.Keys ?? []) as typeof keys;
      }
      if (keys.length > 0) throw new ServiceUnavailableError();
      return found;
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
        condition: ` AND userId = :user AND ${liveInEpoch(guard.user)} AND ${globalEpochIs(guard.globalEpoch)} AND absoluteExpiresAt > :now AND lastUsedAt > :idleCutoff`,
        names: { '#epoch': 'epoch', '#global': 'globalEpoch' },
        values: {
          ':user': guard.userId,
          ':epoch': guard.user.sessionEpoch,
          ':global': guard.globalEpoch,
          ...(guard.user.sessionEpoch === 0 && { ':validAfter': guard.user.sessionsValidAfter ?? -1 }),
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
            ExpressionAttributeNames: { '#id': partitionKey, '#ttl': timeToLiveAttribute, ...owned?.names },
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
