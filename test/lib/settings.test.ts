import { describe, expect, it } from 'vitest';
import { readSettings } from '#infra/stack-settings.ts';
import { readSetting } from '#lib/function-config.ts';
import { SETTINGS, type Setting } from '#lib/settings.ts';

type Shared = Setting & { env: string; context: string };

/** The functions read a setting from the environment, the stack from CDK context: one rule for both. */
const fromEnvironment = (setting: Shared, raw: string) => readSetting({ [setting.env]: raw }, setting);
const fromContext = (key: string, raw: unknown): Record<string, unknown> => ({
  ...readSettings((name) => (name === key ? raw : undefined)),
});

const SHARED: { setting: Shared; good: [string, unknown][]; bad: string[] }[] = [
  {
    setting: SETTINGS.bcryptCost,
    good: [['12', 12]],
    bad: ['9', '16', '12abc', '1e1'],
  },
  {
    setting: SETTINGS.tokenTtlSeconds,
    good: [['600', 600]],
    bad: ['59', '86401', '1h'],
  },
  {
    setting: SETTINGS.tokenIssuer,
    good: [
      ['https://auth.movieknight.site', 'https://auth.movieknight.site'],
      ['http://localhost:3000', 'http://localhost:3000'],
    ],
    bad: ['movie-knight-auth', 'http://auth.movieknight.site', 'https://auth.movieknight.site/', 'https://a.b/?x=1'],
  },
  {
    setting: SETTINGS.tokenAudience,
    good: [['movie-knight', 'movie-knight']],
    bad: ['movie knight'],
  },
  {
    setting: SETTINGS.corsAllowedOrigins,
    good: [['https://app.example.com, http://localhost:5173', ['https://app.example.com', 'http://localhost:5173']]],
    bad: ['*', 'https://*.example.com', 'https://app.example.com/path', 'app.example.com'],
  },
  {
    setting: SETTINGS.throttleMaxFailures,
    good: [['3', 3]],
    bad: ['0', '101'],
  },
  {
    setting: SETTINGS.throttleWindowSeconds,
    good: [['600', 600]],
    bad: ['59', 'x'],
  },
  {
    setting: SETTINGS.deviceTokenTtlSeconds,
    good: [['86400', 86_400]],
    bad: ['86399', '63072001', '1y'],
  },
  {
    setting: SETTINGS.deviceMaxFailures,
    good: [['3', 3]],
    bad: ['0', '21'],
  },
  {
    setting: SETTINGS.accountMaxFailures,
    good: [['50', 50]],
    bad: ['9', '101'],
  },
];

describe('settings the functions and the stack share', () => {
  describe.each(SHARED)('$setting.env / $setting.context', ({ setting, good, bad }) => {
    it.each(good)('both read %j as %j', (raw, value) => {
      expect(fromEnvironment(setting, raw)).toEqual(value);
      expect(fromContext(setting.context, raw)[setting.context]).toEqual(value);
    });

    it.each(bad)('both refuse %j, with the same rule', (raw) => {
      expect(() => fromEnvironment(setting, raw)).toThrow(
        `Environment variable ${setting.env} must be ${setting.rule}`,
      );
      expect(() => fromContext(setting.context, raw)).toThrow(
        `Context value ${setting.context}=${raw} must be ${setting.rule}`,
      );
    });
  });

  it('reads numbers and lists from cdk.json as the stack did', () => {
    const settings = readSettings(
      (key) => ({ bcryptCost: 12, corsAllowedOrigins: ['https://app.example.com'], wafEnabled: false })[key],
    );
    expect(settings).toMatchObject({
      bcryptCost: 12,
      corsAllowedOrigins: ['https://app.example.com'],
      wafEnabled: false,
    });
  });
});
