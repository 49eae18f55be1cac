import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULTS } from '#lib/config.ts';
import type { AuthStackSettings } from './auth-stack.ts';

/** Every operator setting with its default; each can be overridden with `-c name=value` or in cdk.json. */
export const DEFAULT_SETTINGS: AuthStackSettings = {
  stageName: 'prod',
  tokenTtlSeconds: DEFAULTS.ttlSeconds,
  tokenIssuer: undefined,
  keyRotationDays: 90,
  tokenAudience: DEFAULTS.audience,
  bcryptCost: DEFAULTS.bcryptCost,
  throttlingRateLimit: 50,
  throttlingBurstLimit: 100,
  throttleMaxFailures: DEFAULTS.throttle.maxFailures,
  throttleWindowSeconds: DEFAULTS.throttle.windowSeconds,
  refreshTokenTtlSeconds: DEFAULTS.sessions.ttlSeconds,
  refreshTokenIdleSeconds: DEFAULTS.sessions.idleSeconds,
  refreshReuseGraceSeconds: DEFAULTS.sessions.reuseGraceSeconds,
  maxSessionsPerUser: DEFAULTS.sessions.maxPerUser,
  corsAllowedOrigins: [],
  wafEnabled: false,
  wafRateLimit: 100,
  failureAlarmThreshold: 100,
  logLevel: 'INFO',
  logRetention: RetentionDays.ONE_MONTH,
  memorySize: 1769,
};

type Context = (key: string) => unknown;

const number = (context: Context, key: string, fallback: number, valid: (n: number) => boolean): number => {
  const raw = context(key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !valid(value)) throw new Error(`Context value ${key}=${String(raw)} is not valid`);
  return value;
};

const text = (context: Context, key: string, fallback: string, pattern = /^\S+$/): string => {
  const raw = context(key);
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !pattern.test(raw))
    throw new Error(`Context value ${key}=${String(raw)} is not valid`);
  return raw;
};

const flag = (context: Context, key: string, fallback: boolean): boolean => {
  const raw = context(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new Error(`Context value ${key}=${String(raw)} is not valid`);
};

/** A comma-separated string (from -c) or a list (from cdk.json) of https origins; never `*`. */
const origins = (context: Context, key: string): string[] => {
  const raw = context(key);
  if (raw === undefined) return [];
  const list = (Array.isArray(raw) ? raw : String(raw).split(',')).map((o) => String(o).trim()).filter(Boolean);
  for (const origin of list) {
    if (!/^https?:\/\/[^/\s*]+$/.test(origin)) throw new Error(`Context value ${key}: ${origin} is not an origin`);
  }
  return list;
};

const between = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;
const RETENTION_DAYS = new Set<number>(Object.values(RetentionDays).filter((v) => typeof v === 'number'));

/** Reads the stack settings from CDK context, failing synth on a value that is out of range. */
export const readSettings = (context: Context): AuthStackSettings => ({
  stageName: text(context, 'stageName', DEFAULT_SETTINGS.stageName, /^[A-Za-z0-9_]{1,128}$/),
  tokenTtlSeconds: number(context, 'tokenTtlSeconds', DEFAULT_SETTINGS.tokenTtlSeconds, between(60, 86_400)),
  tokenIssuer:
    context('tokenIssuer') === undefined ? undefined : text(context, 'tokenIssuer', '', /^https:\/\/\S+[^/]$/),
  keyRotationDays: number(context, 'keyRotationDays', DEFAULT_SETTINGS.keyRotationDays, between(1, 365)),
  tokenAudience: text(context, 'tokenAudience', DEFAULT_SETTINGS.tokenAudience),
  bcryptCost: number(context, 'bcryptCost', DEFAULT_SETTINGS.bcryptCost, between(10, 15)),
  throttlingRateLimit: number(context, 'throttlingRateLimit', DEFAULT_SETTINGS.throttlingRateLimit, (n) => n > 0),
  throttlingBurstLimit: number(
    context,
    'throttlingBurstLimit',
    DEFAULT_SETTINGS.throttlingBurstLimit,
    between(1, 5000),
  ),
  throttleMaxFailures: number(context, 'throttleMaxFailures', DEFAULT_SETTINGS.throttleMaxFailures, between(1, 100)),
  throttleWindowSeconds: number(
    context,
    'throttleWindowSeconds',
    DEFAULT_SETTINGS.throttleWindowSeconds,
    between(60, 86_400),
  ),
  refreshTokenTtlSeconds: number(
    context,
    'refreshTokenTtlSeconds',
    DEFAULT_SETTINGS.refreshTokenTtlSeconds,
    between(300, 365 * 86_400),
  ),
  refreshTokenIdleSeconds: number(
    context,
    'refreshTokenIdleSeconds',
    DEFAULT_SETTINGS.refreshTokenIdleSeconds,
    between(300, 365 * 86_400),
  ),
  refreshReuseGraceSeconds: number(
    context,
    'refreshReuseGraceSeconds',
    DEFAULT_SETTINGS.refreshReuseGraceSeconds,
    between(1, 300),
  ),
  maxSessionsPerUser: number(context, 'maxSessionsPerUser', DEFAULT_SETTINGS.maxSessionsPerUser, between(1, 1000)),
  corsAllowedOrigins: origins(context, 'corsAllowedOrigins'),
  wafEnabled: flag(context, 'wafEnabled', DEFAULT_SETTINGS.wafEnabled),
  wafRateLimit: number(context, 'wafRateLimit', DEFAULT_SETTINGS.wafRateLimit, between(10, 2_000_000_000)),
  failureAlarmThreshold: number(
    context,
    'failureAlarmThreshold',
    DEFAULT_SETTINGS.failureAlarmThreshold,
    (n) => n >= 1,
  ),
  logLevel: text(context, 'logLevel', DEFAULT_SETTINGS.logLevel, /^(DEBUG|INFO|WARN|ERROR)$/),
  logRetention: number(context, 'logRetentionDays', DEFAULT_SETTINGS.logRetention, (n) => RETENTION_DAYS.has(n)),
  memorySize: number(context, 'memorySize', DEFAULT_SETTINGS.memorySize, between(128, 10_240)),
});
