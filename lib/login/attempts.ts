import { randomUUID } from 'node:crypto';
import { type AttributeValue, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { toStoreError } from '#lib/aws/sdk-errors.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import { LOGIN_ATTEMPTS_TABLE } from './attempts-table.ts';
import type { ThrottlePolicy } from './throttle-policy.ts';

/**
 * One identifier's counters as stored (epoch milliseconds for times). `attempts` counts the
 * password checks that are either still running (claims) or failed: `attempts - failures` are
 * in flight. `generation` changes whenever counts are dropped (a success forgetting failures, a
 * restart after the window, stale claims taken back), so a later write can tell.
 */
export interface AttemptRecord {
  attempts: number;
  failures: number;
  lockedUntil: number;
  forgetAt: number;
  lastClaimAt: number;
  generation: number;
  /**
   * Ids of the claims in flight. Every write checks its own id here, so a write the SDK retries
   * after DynamoDB applied it (a timeout on the way back) is recognized instead of counted twice.
   */
  claims: Set<string>;
}

/** What a granted claim must be settled with, once the password was checked (or not). */
export interface AttemptClaim {
  /** The password was wrong: the claim becomes a counted failure (and a lock, at the limit). */
  fail(): Promise<void>;
  /**
   * The password was right: give the claim back and forget the failures counted before it was
   * made. Failures counted meanwhile by other attempts stay.
   */
  succeed(): Promise<void>;
  /** No password was checked (a dependency failed first): give the claim back uncounted. */
  release(): Promise<void>;
}

export type ClaimResult = { granted: true; claim: AttemptClaim } | { granted: false; retryAfterSeconds: number };

export interface LoginAttempts {
  /**
   * Claims the right to check one password for the identifier, with one conditional write,
   * before any bcrypt work. Refused while the identifier is locked, or while earlier claims and
   * failures use up its budget and do not settle within about a second.
   */
  claim(identifierHash: string): Promise<ClaimResult>;
}

/** The lock a count of failures earns: none below the threshold, then doubling up to the cap. */
export const lockSeconds = (policy: ThrottlePolicy, failures: number): number =>
  failures < policy.maxFailures
    ? 0
    : Math.min(policy.baseLockSeconds * 2 ** (failures - policy.maxFailures), policy.maxLockSeconds);

/**
 * How long a claim holds its place if its attempt never settles (the function was killed mid-
 * attempt). Longer than the function's 10 s timeout, so a live attempt's claim is never taken
 * back; a claim only counts as stale once no new claim has been made for this long.
 */
export const CLAIM_SECONDS = 15;

/** Pauses before asking again while the budget is held by attempts in flight: about a second in all. */
export const CLAIM_WAITS_MS = [200, 300, 500] as const;

/** Conditional-write rounds a claim or a settlement may take under contention before giving up. */
const MAX_ROUNDS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const asRecord = (item: Record<string, unknown> | undefined): AttemptRecord | undefined => {
  if (!item) return undefined;
  const number = (name: keyof AttemptRecord) => (typeof item[name] === 'number' ? item[name] : undefined);
  const record = {
    attempts: number('attempts'),
    failures: number('failures'),
    lockedUntil: number('lockedUntil'),
    forgetAt: number('forgetAt'),
    lastClaimAt: number('lastClaimAt'),
    generation: number('generation'),
  };
  if (!Object.values(record).every((value) => value !== undefined)) return undefined;
  // DynamoDB keeps no empty set: no attribute means no claim in flight.
  const claims = item.claims instanceof Set ? (item.claims as Set<string>) : new Set<string>();
  return { ...(record as Omit<AttemptRecord, 'claims'>), claims };
};

/** The item the failed condition saw (ReturnValuesOnConditionCheckFailure: ALL_OLD). */
const oldItem = (error: ConditionalCheckFailedException): AttemptRecord | undefined =>
  asRecord(error.Item && unmarshall(error.Item as Record<string, AttributeValue>));

/** Whether a conditional write applied, and the item as it was when its condition was evaluated. */
interface Write {
  applied: boolean;
  old: AttemptRecord | undefined;
}

/**
 * Failed-login counters in DynamoDB, one item per keyed hash of an identifier. Every change is
 * one conditional UpdateItem whose condition holds the rule; nothing is read and then written.
 *
 * The rule: a claim is granted only if the identifier is not locked and
 * `failures + claims in flight < maxFailures`, or, once the limit was reached and its lock has
 * ended, if no other claim is in flight (one checked attempt per lock). So however many
 * requests arrive at once, at most `maxFailures` wrong passwords are checked before the lock.
 * A failure sets the lock the new count earns (doubling); a success removes its own claim and
 * the failures that were counted when it was claimed, only if no other success or restart
 * dropped counts since (same generation), so the failures of a burst around it stay counted.
 * Everything is forgotten `windowSeconds` after the last claim or lock.
 */
export const createDynamoDbLoginAttempts = (
  client: DynamoDBDocumentClient,
  tableName: string,
  policy: ThrottlePolicy,
  clock: Clock = systemClock,
  waits: readonly number[] = CLAIM_WAITS_MS,
): LoginAttempts => {
  const { partitionKey, timeToLiveAttribute } = LOGIN_ATTEMPTS_TABLE;
  const window = policy.windowSeconds * 1000;
  /** DynamoDB may delete the item once the code has forgotten it anyway (TTL deletion is eventual). */
  const ttl = (forgetAt: number) => Math.ceil(forgetAt / 1000);

  /** One conditional UpdateItem; a failed condition is an answer (with the item it saw), not an error. */
  const write = async (
    identifierHash: string,
    input: Pick<UpdateCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>,
    failure: string,
  ): Promise<Write> => {
    const expressions = `${input.UpdateExpression} ${input.ConditionExpression}`;
    // DynamoDB refuses names and values an expression does not use.
    const used = <T>(entries: Record<string, T>) => {
      const kept = Object.entries(entries).filter(([name]) => new RegExp(`${name}\\b`).test(expressions));
      return kept.length > 0 ? Object.fromEntries(kept) : undefined;
    };
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { [partitionKey]: identifierHash },
          UpdateExpression: input.UpdateExpression,
          ConditionExpression: input.ConditionExpression,
          ExpressionAttributeNames: used({ '#key': partitionKey, '#ttl': timeToLiveAttribute }),
          ExpressionAttributeValues: used(input.ExpressionAttributeValues ?? {}),
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, old: asRecord(Attributes) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { applied: false, old: oldItem(error) };
      throw toStoreError(failure)(error);
    }
  };

  const claimValues = (now: number, id: string) => ({
    ':zero': 0,
    ':one': 1,
    ':now': now,
    ':forget': now + window,
    ':ttl': ttl(now + window),
    ':id': id,
    ':ids': new Set([id]),
  });

  /** The usual claim: adds one to `attempts` if the rule allows it (and creates the item if there is none). */
  const claimNormally = (identifierHash: string, now: number, id: string) =>
    write(
      identifierHash,
      {
        UpdateExpression:
          'SET attempts = if_not_exists(attempts, :zero) + :one, failures = if_not_exists(failures, :zero), ' +
          'lockedUntil = if_not_exists(lockedUntil, :zero), generation = if_not_exists(generation, :zero), ' +
          'lastClaimAt = :now, forgetAt = :forget, #ttl = :ttl ADD claims :ids',
        ConditionExpression:
          'attribute_not_exists(#key) OR (forgetAt > :now AND lockedUntil <= :now ' +
          'AND (attempts < :max OR attempts = failures) AND (attempts = failures OR lastClaimAt > :stale) ' +
          'AND NOT contains(claims, :id))',
        ExpressionAttributeValues: {
          ...claimValues(now, id),
          ':max': policy.maxFailures,
          ':stale': now - CLAIM_SECONDS * 1000,
        },
      },
      'Attempt claim failed',
    );

  /** Past its window (or in a shape this code does not know): start over with this claim alone. */
  const restart = (identifierHash: string, now: number, id: string) =>
    write(
      identifierHash,
      {
        UpdateExpression:
          'SET attempts = :one, failures = :zero, lockedUntil = :zero, claims = :ids, ' +
          'generation = if_not_exists(generation, :zero) + :one, lastClaimAt = :now, forgetAt = :forget, #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(forgetAt) OR forgetAt <= :now',
        ExpressionAttributeValues: claimValues(now, id),
      },
      'Attempt claim failed',
    );

  /** The claims in flight are stale (their functions died): drop them and claim, if nobody claimed since. */
  const reclaim = (identifierHash: string, now: number, id: string, seen: AttemptRecord) =>
    write(
      identifierHash,
      {
        UpdateExpression:
          'SET attempts = failures + :one, claims = :ids, generation = generation + :one, lastClaimAt = :now, ' +
          'forgetAt = :forget, #ttl = :ttl',
        ConditionExpression: 'lastClaimAt = :seen AND lockedUntil <= :now AND forgetAt > :now',
        ExpressionAttributeValues: { ...claimValues(now, id), ':seen': seen.lastClaimAt },
      },
      'Attempt claim failed',
    );

  /** Gives the claim back; nothing to do if it is gone (given back already, or taken back as stale). */
  const release = async (identifierHash: string, id: string) => {
    await write(
      identifierHash,
      {
        UpdateExpression: 'SET attempts = attempts - :one DELETE claims :ids',
        ConditionExpression: 'contains(claims, :id)',
        ExpressionAttributeValues: { ':one': 1, ':id': id, ':ids': new Set([id]) },
      },
      'Attempt release failed',
    );
  };

  /**
   * Turns the claim into a failure and sets the lock the new count earns, in one write that
   * expects the count it last saw: concurrent failures each retry with the count the last one
   * left. `start` is the item right after the claim.
   */
  const fail = async (identifierHash: string, id: string, start: AttemptRecord) => {
    let seen: AttemptRecord | undefined = start;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      // Our claim is gone: this failure is counted already (a write the SDK retried had been
      // applied), or the claim was taken back as stale (only after the function's timeout).
      if (seen && !seen.claims.has(id)) return;
      const now = clock().getTime();
      const failures: number = (seen?.failures ?? 0) + 1;
      const lock: number = lockSeconds(policy, failures) * 1000;
      const values = {
        ':failures': failures,
        ':forget': now + lock + window,
        ':ttl': ttl(now + lock + window),
        ':lockedUntil': lock > 0 ? now + lock : 0,
        ':id': id,
        ':ids': new Set([id]),
      };
      const result: Write = seen
        ? await write(
            identifierHash,
            {
              UpdateExpression:
                'SET failures = :failures, forgetAt = :forget, #ttl = :ttl' +
                (lock > 0 ? ', lockedUntil = :lockedUntil' : '') +
                ' DELETE claims :ids',
              ConditionExpression: 'failures = :seen AND contains(claims, :id)',
              ExpressionAttributeValues: { ...values, ':seen': seen.failures },
            },
            'Attempt update failed',
          )
        : // The item is gone (an operator cleared it meanwhile): the failure starts a new one.
          await write(
            identifierHash,
            {
              UpdateExpression:
                'SET attempts = :one, failures = :one, lockedUntil = :lockedUntil, generation = :zero, ' +
                'lastClaimAt = :now, forgetAt = :forget, #ttl = :ttl',
              ConditionExpression: 'attribute_not_exists(#key)',
              ExpressionAttributeValues: { ...values, ':zero': 0, ':one': 1, ':now': now },
            },
            'Attempt update failed',
          );
      if (result.applied) return;
      seen = result.old;
    }
    // Every round lost to another attempt's write: transient by nature, so a 503.
    throw new ServiceUnavailableError({ cause: new Error('Too much contention counting a failure') });
  };

  const succeed = async (identifierHash: string, id: string, claimed: AttemptRecord) => {
    const before = claimed.failures;
    if (before > 0) {
      const { applied } = await write(
        identifierHash,
        {
          UpdateExpression:
            'SET attempts = attempts - :released, failures = failures - :before, generation = generation + :one ' +
            'DELETE claims :ids',
          ConditionExpression: 'generation = :generation AND contains(claims, :id)',
          ExpressionAttributeValues: {
            ':released': before + 1,
            ':before': before,
            ':one': 1,
            ':generation': claimed.generation,
            ':id': id,
            ':ids': new Set([id]),
          },
        },
        'Attempt reset failed',
      );
      if (applied) return;
      // Someone else forgot those failures already: only our claim is left to give back.
    }
    await release(identifierHash, id);
  };

  /** `before` is the item as it was just before the claim, without it (undefined: nothing counted). */
  const granted = (identifierHash: string, id: string, now: number, before: AttemptRecord | undefined): ClaimResult => {
    const counted = before ?? {
      attempts: 0,
      failures: 0,
      lockedUntil: 0,
      forgetAt: 0,
      lastClaimAt: 0,
      generation: 0,
      claims: new Set<string>(),
    };
    const after = {
      ...counted,
      attempts: counted.attempts + 1,
      lastClaimAt: now,
      claims: new Set([...counted.claims, id]),
    };
    return {
      granted: true,
      claim: {
        fail: () => fail(identifierHash, id, after),
        succeed: () => succeed(identifierHash, id, counted),
        release: () => release(identifierHash, id),
      },
    };
  };

  return {
    async claim(identifierHash) {
      const id = randomUUID();
      let waited = 0;
      for (let round = 0; round < MAX_ROUNDS; round += 1) {
        const now = clock().getTime();
        const normal = await claimNormally(identifierHash, now, id);
        // A fresh item had nothing before the claim: `old` is undefined, as for a restart.
        if (normal.applied) return granted(identifierHash, id, now, normal.old);
        const seen = normal.old;
        if (seen?.claims.has(id)) {
          // Our own claim, applied by a write the SDK retried: it holds.
          const others = new Set([...seen.claims].filter((claim) => claim !== id));
          return granted(identifierHash, id, now, { ...seen, attempts: seen.attempts - 1, claims: others });
        }
        if (!seen || seen.forgetAt <= now) {
          const restarted = await restart(identifierHash, now, id);
          if (restarted.applied) return granted(identifierHash, id, now, undefined);
          continue;
        }
        if (seen.lockedUntil > now) {
          return { granted: false, retryAfterSeconds: Math.ceil((seen.lockedUntil - now) / 1000) };
        }
        if (seen.attempts > seen.failures && seen.lastClaimAt <= now - CLAIM_SECONDS * 1000) {
          const reclaimed = await reclaim(identifierHash, now, id, seen);
          if (reclaimed.applied) {
            const dropped = { attempts: seen.failures, generation: seen.generation + 1, claims: new Set<string>() };
            return granted(identifierHash, id, now, { ...seen, ...dropped });
          }
          continue;
        }
        // The budget is held by attempts in flight: wait for them to fail (and lock) or succeed.
        const pause = waits[waited];
        if (pause === undefined) return { granted: false, retryAfterSeconds: 1 };
        waited += 1;
        await sleep(pause);
      }
      return { granted: false, retryAfterSeconds: 1 };
    },
  };
};
