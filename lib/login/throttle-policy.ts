/** When a failing identifier is throttled, and for how long (see lib/login/attempts.ts). */
export interface ThrottlePolicy {
  /** Failures after which an identifier is throttled. */
  maxFailures: number;
  /** How long failures are remembered after the last one (or after the lock it caused ends). */
  windowSeconds: number;
  /** First lock; each further failure doubles it. */
  baseLockSeconds: number;
  /** Longest lock. */
  maxLockSeconds: number;
}

/** The lock a count of failures earns: none below the threshold, then doubling up to the cap. */
export const lockSeconds = (policy: ThrottlePolicy, failures: number): number =>
  failures < policy.maxFailures
    ? 0
    : Math.min(policy.baseLockSeconds * 2 ** (failures - policy.maxFailures), policy.maxLockSeconds);
