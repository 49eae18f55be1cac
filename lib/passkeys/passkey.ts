import * as v from 'valibot';

/** Longest credential id WebAuthn allows: 1023 bytes, which is 1364 base64url characters. */
export const MAX_CREDENTIAL_ID_BYTES = 1023;
export const MAX_CREDENTIAL_ID_LENGTH = Math.ceil((MAX_CREDENTIAL_ID_BYTES * 4) / 3);

/** Unpadded base64url, as WebAuthn's JSON forms carry every binary value. */
export const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/** True when `id` has the shape of a credential id; anything else names no passkey, and costs no read. */
export const isCredentialId = (id: string): boolean =>
  id.length > 0 && id.length <= MAX_CREDENTIAL_ID_LENGTH && BASE64URL_PATTERN.test(id);

/** Longest passkey name kept. */
export const MAX_PASSKEY_NAME_LENGTH = 64;

/**
 * WebAuthn's AuthenticatorTransport values (Level 3): how a browser may reach an authenticator.
 * Hints only; any other string a client sends (or an item holds) is dropped, never stored or listed.
 */
export const AUTHENTICATOR_TRANSPORTS = ['ble', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;

export type AuthenticatorTransport = (typeof AUTHENTICATOR_TRANSPORTS)[number];

const isTransport = (value: unknown): value is AuthenticatorTransport =>
  (AUTHENTICATOR_TRANSPORTS as readonly unknown[]).includes(value);

/** The known transports among `values`, each once, in their order. */
export const knownTransports = (values: unknown[]): AuthenticatorTransport[] => [
  ...new Set(values.filter(isTransport)),
];

/** What an authenticator says of where a credential lives: one device, or synced between several. */
const DeviceTypeSchema = v.picklist(['singleDevice', 'multiDevice']);

const EpochMsSchema = v.pipe(v.number(), v.integer(), v.minValue(0));

/** What the user index holds of a passkey: what the list shows. */
export const PasskeySummarySchema = v.object({
  id: v.pipe(v.string(), v.nonEmpty()),
  userId: v.pipe(v.string(), v.nonEmpty()),
  name: v.string(),
  createdAt: EpochMsSchema,
  lastUsedAt: v.optional(EpochMsSchema),
  backedUp: v.boolean(),
  deviceType: DeviceTypeSchema,
  // Stryker disable next-line ArrayDeclaration: equivalent, the default goes through the pipe, whose knownTransports drops any value it does not know
  transports: v.optional(v.pipe(v.array(v.unknown()), v.transform(knownTransports)), () => []),
});

/** A passkey item as stored: the public key (COSE, base64url) and the signature counter; nothing secret. */
export const PasskeyItemSchema = v.object({
  ...PasskeySummarySchema.entries,
  publicKey: v.pipe(v.string(), v.nonEmpty(), v.regex(BASE64URL_PATTERN)),
  counter: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

export type PasskeySummary = v.InferOutput<typeof PasskeySummarySchema>;
export type PasskeyItem = v.InferOutput<typeof PasskeyItemSchema>;

export const parsePasskeyItem = (item: unknown): PasskeyItem | undefined => {
  const result = v.safeParse(PasskeyItemSchema, item);
  return result.success ? result.output : undefined;
};

export const parsePasskeySummary = (item: unknown): PasskeySummary | undefined => {
  const result = v.safeParse(PasskeySummarySchema, item);
  return result.success ? result.output : undefined;
};

/**
 * A passkey as the API lists it: no public key, no counter. The published contract is generated
 * from this schema; strict, so a field added to the view but not here fails the contract tests.
 */
export const PasskeyViewSchema = v.strictObject({
  id: v.pipe(
    v.string(),
    v.nonEmpty(),
    v.maxLength(MAX_CREDENTIAL_ID_LENGTH),
    v.description('The credential id (base64url): what `DELETE /api/auth/passkeys/{id}` takes.'),
  ),
  name: v.pipe(v.string(), v.maxLength(MAX_PASSKEY_NAME_LENGTH), v.description('The name it was given.')),
  createdAt: v.pipe(v.string(), v.isoTimestamp(), v.description('When it was registered.')),
  lastUsedAt: v.pipe(
    v.nullable(v.pipe(v.string(), v.isoTimestamp())),
    v.description('Its latest sign-in; null if never used.'),
  ),
  backedUp: v.pipe(
    v.boolean(),
    v.description('True when the authenticator says it is backed up (synced to other devices).'),
  ),
  deviceType: v.pipe(
    DeviceTypeSchema,
    v.description('`singleDevice` (bound to one authenticator) or `multiDevice` (may be synced).'),
  ),
  transports: v.pipe(
    v.array(v.picklist(AUTHENTICATOR_TRANSPORTS)),
    v.description('How the browser may reach the authenticator (hints; WebAuthn values only).'),
  ),
});

export type PasskeyView = v.InferOutput<typeof PasskeyViewSchema>;

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/** Maps a stored passkey to the listed one, naming each field so nothing else can slip in. */
export const toPasskeyView = (passkey: PasskeySummary): PasskeyView => ({
  id: passkey.id,
  name: passkey.name,
  createdAt: iso(passkey.createdAt),
  lastUsedAt: passkey.lastUsedAt === undefined ? null : iso(passkey.lastUsedAt),
  backedUp: passkey.backedUp,
  deviceType: passkey.deviceType,
  transports: passkey.transports,
});
