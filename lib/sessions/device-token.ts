import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveFromSecret, type SecretReader } from '#lib/aws/secrets.ts';
import { type Clock, systemClock } from '#lib/clock.ts';
import { refreshKeysOf } from './refresh-token.ts';

/**
 * A device token is `<device id>.<account tag>.<epoch>.<expiry>.<MAC>`: a random device id, a
 * keyed tag of the user's id (the token names its account without showing the id), the user's
 * session epoch when it was issued, its expiry (epoch seconds), and HMAC-SHA256 of all four under
 * the device key. The device key is derived (HKDF, a label of its own) from the refresh key, a
 * secret no table holds: rotating that key ends every session and every device token at once.
 * Nothing of a token is stored; the attempts table holds only a hash of the device id and counts.
 *
 * The account tag is of the account in the global session epoch (lib/sessions/control.ts): once an
 * operator ends every session, every device token issued before names, as it were, another
 * account, and no longer makes its device trusted. The token's format is unchanged (tokens issued
 * before the switch existed are of global epoch 0, whose tag is the one they carry), and reading a
 * token needs no read of the epoch: only `belongsTo`, which runs once the user is found, does.
 */
export interface PresentedDevice {
  deviceId: string;
  accountTag: string;
  epoch: number;
  /** Epoch seconds. */
  expiresAt: number;
}

/**
 * The user a device token must belong to: its id, its current session epoch (absent = 0), and the
 * global session epoch now.
 */
export interface DeviceOwner {
  id: string;
  sessionEpoch?: number | undefined;
  globalEpoch: number;
}

/** 128 random bits, base64url: 22 characters. */
const DEVICE_ID_BYTES = 16;
/** 128 bits of the account's keyed tag: 22 characters. */
const ACCOUNT_TAG_BYTES = 16;

const PARTS = {
  id: '[A-Za-z0-9_-]{22}',
  epoch: '0|[1-9][0-9]{0,14}',
  expiry: '[1-9][0-9]{0,11}',
  mac: '[A-Za-z0-9_-]{43}',
} as const;

/** Longest device token there can be: two 22-character ids, 15 and 12 digits, a 43-character MAC, 4 dots. */
export const MAX_DEVICE_TOKEN_LENGTH = 22 + 22 + 15 + 12 + 43 + 4;

const TOKEN_PATTERN = new RegExp(
  `^(${PARTS.id})\\.(${PARTS.id})\\.(${PARTS.epoch})\\.(${PARTS.expiry})\\.(${PARTS.mac})$`,
);

const KEY_LABEL = 'movie-knight-device-token/v1';

export interface DeviceTokens {
  /**
   * A token for the device `deviceId` (a new device when none is given) of `owner` at its current
   * epoch, valid for the configured lifetime from now.
   */
  issue(owner: DeviceOwner, deviceId?: string): Promise<{ deviceId: string; token: string }>;
  /**
   * The device a token names when the token is genuine (its MAC) and unexpired; `undefined` for
   * anything else, without saying why. Does not say whose it is: see `belongsTo`.
   */
  read(token: string | undefined): Promise<PresentedDevice | undefined>;
  /**
   * True when a device read from a token was issued to `owner` and no session epoch, the user's or
   * the global one, has passed since.
   */
  belongsTo(device: PresentedDevice, owner: DeviceOwner): Promise<boolean>;
}

/** Device tokens under the key derived from `read`'s secret, living `ttlSeconds`. */
export const createDeviceTokens = (
  read: SecretReader,
  { ttlSeconds, clock = systemClock }: { ttlSeconds: number; clock?: Clock },
): DeviceTokens => {
  // The current refresh key (the first listed): a rotation of the refresh key ends device tokens.
  const key = deriveFromSecret(read, async (secret) => {
    const [current] = refreshKeysOf(secret);
    if (!current) throw new Error('The refresh key secret lists no key');
    return Buffer.from(hkdfSync('sha256', Buffer.from(current), Buffer.alloc(0), KEY_LABEL, 32));
  });
  const hmac = async (input: string) =>
    createHmac('sha256', await key())
      .update(input)
      .digest();
  // Labels, and separators no part can contain, so that no two inputs run together. Global epoch 0
  // keeps the input tags had before the global epoch existed; any other has a label of its own,
  // followed by the epoch's digits and a separator.
  const accountTag = async ({ id, globalEpoch }: DeviceOwner) =>
    (await hmac(globalEpoch === 0 ? `account\n${id}` : `account-in-global-epoch\n${globalEpoch}\n${id}`))
      .subarray(0, ACCOUNT_TAG_BYTES)
      .toString('base64url');
  const mac = ({ deviceId, accountTag, epoch, expiresAt }: PresentedDevice) =>
    hmac(`token\n${deviceId}\n${accountTag}\n${epoch}\n${expiresAt}`);
  const equal = (a: Buffer, b: Buffer) =>
    // Stryker disable next-line ConditionalExpression: equivalent, the token pattern admits only 32-byte MACs; kept so that a looser pattern fails closed, not with timingSafeEqual's RangeError
    a.length === b.length && timingSafeEqual(a, b);

  return {
    async issue(owner, deviceId = randomBytes(DEVICE_ID_BYTES).toString('base64url')) {
      const device: PresentedDevice = {
        deviceId,
        accountTag: await accountTag(owner),
        epoch: owner.sessionEpoch ?? 0,
        expiresAt: Math.floor(clock().getTime() / 1000) + ttlSeconds,
      };
      const token = [device.deviceId, device.accountTag, device.epoch, device.expiresAt].join('.');
      return { deviceId, token: `${token}.${(await mac(device)).toString('base64url')}` };
    },

    async read(token) {
      // Stryker disable next-line ConditionalExpression: equivalent, exec(undefined) tests the string "undefined", which the pattern never matches
      const match = token === undefined ? null : TOKEN_PATTERN.exec(token);
      if (!match) return undefined;
      const [, deviceId, tag, epoch, expiresAt, presented] = match as unknown as [string, ...string[]];
      const device = {
        deviceId,
        accountTag: tag,
        epoch: Number(epoch),
        expiresAt: Number(expiresAt),
      } as PresentedDevice;
      // The MAC first, and always: an expired token costs what a live one does.
      const genuine = equal(Buffer.from(presented as string, 'base64url'), await mac(device));
      return genuine && device.expiresAt * 1000 > clock().getTime() ? device : undefined;
    },

    async belongsTo(device, owner) {
      const tagged = equal(
        Buffer.from(device.accountTag, 'base64url'),
        Buffer.from(await accountTag(owner), 'base64url'),
      );
      return tagged && device.epoch === (owner.sessionEpoch ?? 0);
    },
  };
};
