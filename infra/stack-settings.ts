import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as v from 'valibot';
import { DEFAULTS, integerSetting, parseSetting, SETTINGS, type Setting, type SettingValue } from '#lib/settings.ts';
import type { AuthStackSettings } from './auth-stack.ts';

/** Every operator setting with its default; each can be overridden with `-c name=value` or in cdk.json. */
export const DEFAULT_SETTINGS: AuthStackSettings = {
  stageName: 'prod',
  tokenTtlSeconds: DEFAULTS.ttlSeconds,
  tokenIssuer: undefined,
  keyRotationDays: 90,
  tokenAudience: DEFAULTS.audience,
  clientIds: [...DEFAULTS.clientIds],
  bcryptCost: DEFAULTS.bcryptCost,
  throttlingRateLimit: 50,
  throttlingBurstLimit: 100,
  throttleMaxFailures: DEFAULTS.throttle.maxFailures,
  throttleWindowSeconds: DEFAULTS.throttle.windowSeconds,
  deviceTokenTtlSeconds: DEFAULTS.devices.ttlSeconds,
  deviceMaxFailures: DEFAULTS.devices.maxFailures,
  accountMaxFailures: DEFAULTS.accountMaxFailures,
  refreshTokenTtlSeconds: DEFAULTS.sessions.ttlSeconds,
  refreshTokenIdleSeconds: DEFAULTS.sessions.idleSeconds,
  refreshReuseGraceSeconds: DEFAULTS.sessions.reuseGraceSeconds,
  maxSessionsPerUser: DEFAULTS.sessions.maxPerUser,
  passwordMinLength: DEFAULTS.passwordMinLength,
  pwnedPasswordsCheck: false,
  corsAllowedOrigins: [],
  // The app's domain: passkeys made on movieknight.site (or a subdomain) work on all of them.
  webauthnRpId: 'movieknight.site',
  webauthnRpName: DEFAULTS.passkeys.rpName,
  webauthnOrigins: ['https://movieknight.site'],
  passkeyFreshLoginSeconds: DEFAULTS.passkeys.freshSignInSeconds,
  wafEnabled: true,
  wafRateLimit: 300,
  failureAlarmThreshold: 100,
  logLevel: 'INFO',
  logRetention: RetentionDays.ONE_MONTH,
  memorySize: 1769,
};

type Context = (key: string) => unknown;

const RETENTION_DAYS = new Set<number>(Object.values(RetentionDays).filter((value) => typeof value === 'number'));

/** Settings only the stack has; the shared ones (lib/settings.ts) are read by the functions too. */
const STACK_SETTINGS = {
  stageName: { rule: 'letters, digits or _, at most 128', schema: v.pipe(v.string(), v.regex(/^\w{1,128}$/)) },
  keyRotationDays: integerSetting(1, 365),
  throttlingRateLimit: {
    rule: 'a positive number',
    schema: v.pipe(v.union([v.pipe(v.string(), v.transform(Number)), v.number()]), v.number(), v.gtValue(0)),
  },
  throttlingBurstLimit: integerSetting(1, 5000),
  wafEnabled: {
    rule: 'true or false',
    schema: v.pipe(
      v.union([v.boolean(), v.picklist(['true', 'false'])]),
      v.transform((flag) => String(flag) === 'true'),
    ),
  },
  wafRateLimit: integerSetting(10, 2_000_000_000),
  failureAlarmThreshold: integerSetting(1, 1_000_000),
  logLevel: { rule: 'DEBUG, INFO, WARN or ERROR', schema: v.picklist(['DEBUG', 'INFO', 'WARN', 'ERROR']) },
  logRetentionDays: {
    rule: 'a number of days CloudWatch Logs offers',
    schema: v.pipe(
      integerSetting(1, 9999).schema,
      v.check((days) => RETENTION_DAYS.has(days)),
    ),
  },
  memorySize: integerSetting(128, 10_240),
} satisfies Record<string, Setting>;

/** Reads one setting from the CDK context: `fallback` when absent, a synth error when it does not parse. */
const read = <TSetting extends Setting, TFallback extends SettingValue<TSetting> | undefined>(
  context: Context,
  key: string,
  setting: TSetting,
  fallback: TFallback,
): SettingValue<TSetting> | TFallback => {
  const raw = context(key);
  if (raw === undefined) return fallback;
  const parsed = parseSetting(setting, raw);
  if (!parsed.ok) throw new Error(`Context value ${key}=${String(raw)} must be ${setting.rule}`);
  return parsed.value;
};

/** Reads a shared setting under its context key. */
const shared = <TSetting extends Setting & { context: string }, TFallback extends SettingValue<TSetting> | undefined>(
  context: Context,
  setting: TSetting,
  fallback: TFallback,
) => read(context, setting.context, setting, fallback);

/** Reads the stack settings from CDK context, failing synth on a value that is out of range. */
export const readSettings = (context: Context): AuthStackSettings => {
  const settings = readEach(context);
  // A function refuses such settings at init (lib/function-config.ts); a synth should refuse them first.
  const stray = settings.webauthnOrigins.find((origin) => {
    const host = new URL(origin).hostname;
    return host !== settings.webauthnRpId && !host.endsWith(`.${settings.webauthnRpId}`);
  });
  if (stray) throw new Error(`Context value webauthnOrigins: ${stray} is not on webauthnRpId ${settings.webauthnRpId}`);
  return settings;
};

const readEach = (context: Context): AuthStackSettings => ({
  stageName: read(context, 'stageName', STACK_SETTINGS.stageName, DEFAULT_SETTINGS.stageName),
  tokenTtlSeconds: shared(context, SETTINGS.tokenTtlSeconds, DEFAULT_SETTINGS.tokenTtlSeconds),
  // Unset, the stack uses the API's base URL.
  tokenIssuer: shared(context, SETTINGS.tokenIssuer, undefined),
  keyRotationDays: read(context, 'keyRotationDays', STACK_SETTINGS.keyRotationDays, DEFAULT_SETTINGS.keyRotationDays),
  tokenAudience: shared(context, SETTINGS.tokenAudience, DEFAULT_SETTINGS.tokenAudience),
  clientIds: shared(context, SETTINGS.clientIds, DEFAULT_SETTINGS.clientIds),
  bcryptCost: shared(context, SETTINGS.bcryptCost, DEFAULT_SETTINGS.bcryptCost),
  throttlingRateLimit: read(
    context,
    'throttlingRateLimit',
    STACK_SETTINGS.throttlingRateLimit,
    DEFAULT_SETTINGS.throttlingRateLimit,
  ),
  throttlingBurstLimit: read(
    context,
    'throttlingBurstLimit',
    STACK_SETTINGS.throttlingBurstLimit,
    DEFAULT_SETTINGS.throttlingBurstLimit,
  ),
  throttleMaxFailures: shared(context, SETTINGS.throttleMaxFailures, DEFAULT_SETTINGS.throttleMaxFailures),
  throttleWindowSeconds: shared(context, SETTINGS.throttleWindowSeconds, DEFAULT_SETTINGS.throttleWindowSeconds),
  deviceTokenTtlSeconds: shared(context, SETTINGS.deviceTokenTtlSeconds, DEFAULT_SETTINGS.deviceTokenTtlSeconds),
  deviceMaxFailures: shared(context, SETTINGS.deviceMaxFailures, DEFAULT_SETTINGS.deviceMaxFailures),
  accountMaxFailures: shared(context, SETTINGS.accountMaxFailures, DEFAULT_SETTINGS.accountMaxFailures),
  refreshTokenTtlSeconds: shared(context, SETTINGS.refreshTokenTtlSeconds, DEFAULT_SETTINGS.refreshTokenTtlSeconds),
  refreshTokenIdleSeconds: shared(context, SETTINGS.refreshTokenIdleSeconds, DEFAULT_SETTINGS.refreshTokenIdleSeconds),
  refreshReuseGraceSeconds: shared(
    context,
    SETTINGS.refreshReuseGraceSeconds,
    DEFAULT_SETTINGS.refreshReuseGraceSeconds,
  ),
  maxSessionsPerUser: shared(context, SETTINGS.maxSessionsPerUser, DEFAULT_SETTINGS.maxSessionsPerUser),
  passwordMinLength: shared(context, SETTINGS.passwordMinLength, DEFAULT_SETTINGS.passwordMinLength),
  pwnedPasswordsCheck: shared(context, SETTINGS.pwnedPasswordsCheck, DEFAULT_SETTINGS.pwnedPasswordsCheck),
  corsAllowedOrigins: shared(context, SETTINGS.corsAllowedOrigins, DEFAULT_SETTINGS.corsAllowedOrigins),
  webauthnRpId: shared(context, SETTINGS.webauthnRpId, DEFAULT_SETTINGS.webauthnRpId),
  webauthnRpName: shared(context, SETTINGS.webauthnRpName, DEFAULT_SETTINGS.webauthnRpName),
  webauthnOrigins: shared(context, SETTINGS.webauthnOrigins, DEFAULT_SETTINGS.webauthnOrigins),
  passkeyFreshLoginSeconds: shared(
    context,
    SETTINGS.passkeyFreshLoginSeconds,
    DEFAULT_SETTINGS.passkeyFreshLoginSeconds,
  ),
  wafEnabled: read(context, 'wafEnabled', STACK_SETTINGS.wafEnabled, DEFAULT_SETTINGS.wafEnabled),
  wafRateLimit: read(context, 'wafRateLimit', STACK_SETTINGS.wafRateLimit, DEFAULT_SETTINGS.wafRateLimit),
  failureAlarmThreshold: read(
    context,
    'failureAlarmThreshold',
    STACK_SETTINGS.failureAlarmThreshold,
    DEFAULT_SETTINGS.failureAlarmThreshold,
  ),
  logLevel: read(context, 'logLevel', STACK_SETTINGS.logLevel, 'INFO'),
  logRetention: read(context, 'logRetentionDays', STACK_SETTINGS.logRetentionDays, DEFAULT_SETTINGS.logRetention),
  memorySize: read(context, 'memorySize', STACK_SETTINGS.memorySize, DEFAULT_SETTINGS.memorySize),
});
