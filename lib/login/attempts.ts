import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '#lib/clock.ts';
import { ServiceUnavailableError } from '#lib/errors.ts';
import type { AttemptRecord } from './attempt-record.ts';
import { createAttemptWrites, type Write } from './attempt-writes.ts';
import { lockSeconds, type ThrottlePolicy } from './throttle-policy.ts';

/** What a granted claim must be settled with, once the password was checked (or not). */
export interface AttemptClaim {
  /** The password was wrong: the claim becomes a counted failure (and a lock, at the limit). */
  fail(): Promise<void>;
  /**
   * Give the claim back uncounted: no password was checked (a dependency failed first, or a
   * trusted device or the account cap decided), or the password was right. A success forgets
   * nothing here, so the identifier's counts never tell whether its owner signed in.
   */
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

/**
 * Failed-login counters in DynamoDB, one item per keyed hash of an identifier. Every change is
 * one conditional UpdateItem whose condition holds the rule (lib/login/attempt-writes.ts);
 * nothing is read and then written. This is the loop around those writes.
 *
 * However many requests arrive at once, at most `maxFailures` wrong passwords are checked
 * before the lock. A failure sets the lock the new count earns (doubling); a success, like any
 * attempt that checked no password, only gives its claim back: the failures stay counted, so
 * the counts never tell whether the owner signed in. Everything is forgotten `windowSeconds`
 * after the last claim or lock.
 */
export const createDynamoDbLoginAttempts = (
  client: DynamoDBDocumentClient,
  tableName: string,
  policy: ThrottlePolicy,
  clock: Clock = systemClock,
  waits: readonly number[] = CLAIM_WAITS_MS,
): LoginAttempts => {
  const writes = createAttemptWrites(client, tableName);
  const window = policy.windowSeconds * 1000;

  /**
   * Turns the claim into a failure and sets the lock the new count earns, in one write that
   * expects the count it last saw: concurrent failures each retry with the count the last one
   * left. `failuresBefore` is what the item counted when the claim went in.
   */
  const fail = async (identifierHash: string, id: string, failuresBefore: number) => {
    // The item as last seen (at first: as the claim left it); undefined once it is gone.
    let seen: Pick<AttemptRecord, 'failures' | 'claims'> | undefined = {
      failures: failuresBefore,
      claims: new Set([id]),
    };
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      // Our claim is gone: this failure is counted already (a write the SDK retried had been
      // applied), or the claim was taken back as stale (only after the function's timeout).
      if (seen && !seen.claims.has(id)) return;
      const now = clock().getTime();
      const failures = (seen?.failures ?? 0) + 1;
      const lock = lockSeconds(policy, failures) * 1000;
      const counted = { failures, lockedUntil: lock > 0 ? now + lock : 0, forgetAt: now + lock + window };
      const result: Write = seen
        ? await writes.countFailure(identifierHash, id, { ...counted, seen })
        : // The item is gone (an operator cleared it meanwhile): the failure starts a new one.
          await writes.countFailureAnew(identifierHash, { ...counted, now });
      if (result.applied) return;
      seen = result.old;
    }
    // Every round lost to another attempt's write: transient by nature, so a 503.
    throw new ServiceUnavailableError({ cause: new Error('Too much contention counting a failure') });
  };

  /** `failuresBefore`: the failures the item counted when the claim went in (0 for a new item). */
  const granted = (identifierHash: string, id: string, failuresBefore: number): ClaimResult => ({
    granted: true,
    claim: {
      fail: () => fail(identifierHash, id, failuresBefore),
      // Nothing to do if the claim is gone (given back already, or taken back as stale).
      release: async () => {
        await writes.release(identifierHash, id);
      },
    },
  });

  return {
    async claim(identifierHash) {
      const id = randomUUID();
      let waited = 0;
      for (let round = 0; round < MAX_ROUNDS; round += 1) {
        const now = clock().getTime();
        const forgetAt = now + window;
        const staleBefore = now - CLAIM_SECONDS * 1000;
        const normal = await writes.claim(identifierHash, id, {
          now,
          forgetAt,
          maxFailures: policy.maxFailures,
          staleBefore,
        });
        // A fresh item had nothing before the claim: `old` is undefined, as for a restart.
        if (normal.applied) return granted(identifierHash, id, normal.old?.failures ?? 0);
        const seen = normal.old;
        // Our own claim, applied by a write the SDK retried: it holds.
        if (seen?.claims.has(id)) return granted(identifierHash, id, seen.failures);
        const freshInFlight = seen !== undefined && seen.attempts > seen.failures && seen.lastClaimAt > staleBefore;
        if (!seen || (seen.forgetAt <= now && !freshInFlight)) {
          const restarted = await writes.restart(identifierHash, id, { now, forgetAt, staleBefore });
          if (restarted.applied) return granted(identifierHash, id, 0);
          continue;
        }
        if (seen.lockedUntil > now) {
          return { granted: false, retryAfterSeconds: Math.ceil((seen.lockedUntil - now) / 1000) };
        }
        // Neither forgotten nor locked, a claim is refused only with claims in flight: stale ones
        // are taken back; fresh ones hold the budget.
        if (seen.lastClaimAt <= staleBefore) {
          const reclaimed = await writes.reclaim(identifierHash, id, { now, seen });
          if (reclaimed.applied) return granted(identifierHash, id, seen.failures);
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
