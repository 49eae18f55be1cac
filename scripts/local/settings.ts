import { LogLevel } from '@aws-lambda-powertools/logger';
import * as v from 'valibot';
import {
  readLoginConfig,
  readMeConfig,
  readPasskeySignInConfig,
  readPasskeysConfig,
  readRefreshConfig,
  readSessionsConfig,
  readSetting,
  readWellKnownConfig,
} from '#lib/function-config.ts';
import { integerSetting, type Setting } from '#lib/settings.ts';

type Env = Record<string, string | undefined>;

const LOG_LEVELS = Object.keys(LogLevel) as [keyof typeof LogLevel, ...(keyof typeof LogLevel)[]];

const listenAddress = {
  rule: 'an address to listen on, like 127.0.0.1 (0.0.0.0 for every interface)',
  schema: v.pipe(v.string(), v.trim(), v.regex(/^[\w.:-]{1,253}$/)),
  default: '127.0.0.1',
};

/** The settings only the local runs read, defined as lib/settings.ts defines the shared ones. */
export const LOCAL_SETTINGS = {
  /** 0 asks for any free port (the tests and the bench do). */
  port: { env: 'PORT', ...integerSetting(0, 65_535), default: 3000 },
  host: { env: 'HOST', ...listenAddress },
  dynamoDbPort: { env: 'DYNAMODB_PORT', ...integerSetting(1, 65_535), default: 8000 },
  /** `npm run db:local` only: `npm start`'s own DynamoDB Local is never reachable from elsewhere. */
  dynamoDbHost: { env: 'DYNAMODB_HOST', ...listenAddress },
  /** Read by Powertools' Logger itself, which would fall back to INFO on an unknown level without a word. */
  logLevel: {
    env: 'POWERTOOLS_LOG_LEVEL',
    rule: `one of ${LOG_LEVELS.join(', ')}`,
    schema: v.pipe(v.string(), v.trim(), v.toUpperCase(), v.picklist(LOG_LEVELS)),
    default: 'INFO',
  },
  /** One short line per request (a terminal's default) or the JSON log lines Lambda writes. */
  logFormat: {
    env: 'LOG_FORMAT',
    rule: 'human or json',
    schema: v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(['human', 'json'])),
    default: process.stdout.isTTY ? 'human' : 'json',
  },
} satisfies Record<string, Setting & { env: string }>;

/** What `npm start` reads for itself. */
export const readStartSettings = (env: Env = process.env) => ({
  port: readSetting(env, LOCAL_SETTINGS.port),
  host: readSetting(env, LOCAL_SETTINGS.host),
  logLevel: readSetting(env, LOCAL_SETTINGS.logLevel),
  logFormat: readSetting(env, LOCAL_SETTINGS.logFormat),
});

/**
 * Every function's configuration, read as each reads it at init: a bad or missing setting throws
 * its ConfigError (naming the setting) now, before anything starts, instead of once DynamoDB
 * Local is up and the handlers are imported.
 */
export const checkFunctionSettings = (env: Env = process.env): void => {
  for (const read of [
    readLoginConfig,
    readMeConfig,
    readRefreshConfig,
    readSessionsConfig,
    readWellKnownConfig,
    readPasskeysConfig,
    readPasskeySignInConfig,
  ]) {
    read(env);
  }
};

/**
 * The origins `npm start` accepts passkey ceremonies from (WEBAUTHN_ORIGINS, unless set): its own,
 * as `localhost` (a browser refuses WebAuthn on an IP address), and every localhost origin CORS
 * allows, the local app a developer serves.
 */
export const localPasskeyOrigins = (port: number, corsAllowedOrigins: string | undefined): string => {
  const allowed = (corsAllowedOrigins ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => URL.parse(origin)?.hostname === 'localhost');
  return [...new Set([`http://localhost:${port}`, ...allowed])].join(',');
};
