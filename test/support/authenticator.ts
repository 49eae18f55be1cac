import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { COSEALG, cose, isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software authenticator for the tests, in the role the browser's virtual authenticator plays in
 * test/browser/: it makes real registration and assertion responses (real keys, real signatures,
 * CBOR through the library's own encoder), and can be told to misbehave the ways an attacker or a
 * broken device would.
 */

const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

const FLAGS = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10, at: 0x40 } as const;

const counterBytes = (counter: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
};

type Algorithm = 'ES256' | 'EdDSA' | 'RS256' | 'ES384';

const keyPair = (alg: Algorithm, rsaBits: number) => {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: rsaBits });
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    default:
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  }
};

const b = (value: string | undefined) => isoBase64URL.toBuffer(value ?? '');

/**
 * The credential public key in COSE form, encoded by the library's CBOR encoder; `overrides` set
 * (or replace) entries, as a lying authenticator would.
 */
const coseKey = (alg: Algorithm, publicKey: KeyObject, overrides: CoseEntry[] = []): Uint8Array => {
  const jwk = publicKey.export({ format: 'jwk' });
  const { COSEKEYS, COSEKTY, COSECRV } = cose;
  const entries: [number, number | Uint8Array][] =
    alg === 'EdDSA'
      ? [
          [COSEKEYS.kty, COSEKTY.OKP],
          [COSEKEYS.alg, COSEALG.EdDSA],
          [COSEKEYS.crv, COSECRV.ED25519],
          [COSEKEYS.x, b(jwk.x)],
        ]
      : alg === 'RS256'
        ? [
            [COSEKEYS.kty, COSEKTY.RSA],
            [COSEKEYS.alg, COSEALG.RS256],
            [COSEKEYS.n, b(jwk.n)],
            [COSEKEYS.e, b(jwk.e)],
          ]
        : [
            [COSEKEYS.kty, COSEKTY.EC2],
            [COSEKEYS.alg, alg === 'ES384' ? COSEALG.ES384 : COSEALG.ES256],
            [COSEKEYS.crv, alg === 'ES384' ? COSECRV.P384 : COSECRV.P256],
            [COSEKEYS.x, b(jwk.x)],
            [COSEKEYS.y, b(jwk.y)],
          ];
  return isoCBOR.encode(new Map([...entries, ...overrides]));
};

type CoseEntry = [number, number | Uint8Array];

const signWith = (alg: Algorithm, privateKey: KeyObject, data: Buffer, hash?: string): Buffer =>
  alg === 'EdDSA'
    ? sign(null, data, privateKey)
    : sign(hash ?? (alg === 'ES384' ? 'sha384' : 'sha256'), data, privateKey);

export interface CeremonyOptions {
  challenge: string;
  origin: string;
  rpId: string;
  /** Leave out the user-verified flag. */
  noUserVerification?: boolean;
  /** Leave out the user-present flag. */
  noUserPresence?: boolean;
  /** The client data's type, if not the right one. */
  type?: string;
}

export interface SoftwareAuthenticatorOptions {
  alg?: Algorithm;
  /** Backup eligible and backed up (a synced passkey), which keeps its counter at 0 unless told. */
  synced?: boolean;
  /** Bytes of the credential id. */
  idBytes?: number;
  /** COSE key entries to set or replace (another curve under an algorithm's label, a point off its curve). */
  coseOverrides?: CoseEntry[];
  /** The RSA modulus, for RS256 (2048 unless told). */
  rsaBits?: number;
  /** The hash an ECDSA or RSA signature uses, if not the algorithm's own. */
  signHash?: string;
}

export const createSoftwareAuthenticator = ({
  alg = 'ES256',
  synced = false,
  idBytes = 16,
  coseOverrides = [],
  rsaBits = 2048,
  signHash,
}: SoftwareAuthenticatorOptions = {}) => {
  const { publicKey, privateKey } = keyPair(alg, rsaBits);
  const credentialPublicKey = coseKey(alg, publicKey, coseOverrides);
  const credentialId = randomBytes(idBytes);
  const id = isoBase64URL.fromBuffer(new Uint8Array(credentialId));
  let counter = 0;
  let userHandle: string | undefined;

  const clientData = (type: string, { challenge, origin }: CeremonyOptions) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

  let backup = { eligible: synced, backedUp: synced };
  const flags = (options: CeremonyOptions, extra = 0) =>
    (options.noUserPresence ? 0 : FLAGS.up) |
    (options.noUserVerification ? 0 : FLAGS.uv) |
    (backup.eligible ? FLAGS.be : 0) |
    (backup.backedUp ? FLAGS.bs : 0) |
    extra;

  return {
    id,
    /** The credential public key as a registration stores it: COSE, base64url. */
    publicKey: isoBase64URL.fromBuffer(new Uint8Array(credentialPublicKey)),
    /** The backup flags (BE, BS) of the next ceremonies, as a lying or swapped authenticator would set them. */
    setBackupFlags(flags: { eligible: boolean; backedUp: boolean }) {
      backup = flags;
    },
    /** The next assertion's counter (a synced passkey's stays at 0 unless set). */
    setCounter(value: number) {
      counter = value;
    },
    /**
     * A registration; `attestation` `packed` adds a self attestation (signed by the credential's
     * own key), `forged` one whose signature is over other data.
     */
    register(
      options: CeremonyOptions & { userHandle: string; attestation?: 'none' | 'packed' | 'forged' },
    ): RegistrationResponseJSON {
      userHandle = options.userHandle;
      const idLength = Buffer.alloc(2);
      idLength.writeUInt16BE(credentialId.length);
      const authData = Buffer.concat([
        sha256(options.rpId),
        Buffer.from([flags(options, FLAGS.at)]),
        counterBytes(counter),
        Buffer.alloc(16), // AAGUID: none (attestation "none")
        idLength,
        credentialId,
        credentialPublicKey,
      ]);
      const clientDataJSON = clientData(options.type ?? 'webauthn.create', options);
      const { attestation = 'none' } = options;
      const signed = Buffer.concat([authData, sha256(attestation === 'forged' ? 'other data' : clientDataJSON)]);
      const attestationObject = isoCBOR.encode(
        new Map<string, unknown>([
          ['fmt', attestation === 'none' ? 'none' : 'packed'],
          [
            'attStmt',
            attestation === 'none'
              ? new Map()
              : new Map<string, unknown>([
                  ['alg', COSEALG[alg]],
                  ['sig', new Uint8Array(signWith(alg, privateKey, signed, signHash))],
                ]),
          ],
          ['authData', new Uint8Array(authData)],
        ]) as never,
      );
      return {
        id,
        rawId: id,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(new Uint8Array(clientDataJSON)),
          attestationObject: isoBase64URL.fromBuffer(attestationObject),
          transports: ['internal'],
        },
      };
    },
    /** An assertion; each one moves a device-bound counter on by one. */
    authenticate(options: CeremonyOptions & { userHandle?: string | null }): AuthenticationResponseJSON {
      if (!synced) counter += 1;
      const authData = Buffer.concat([sha256(options.rpId), Buffer.from([flags(options)]), counterBytes(counter)]);
      const clientDataJSON = clientData(options.type ?? 'webauthn.get', options);
      const signature = signWith(alg, privateKey, Buffer.concat([authData, sha256(clientDataJSON)]), signHash);
      const handle = options.userHandle === undefined ? userHandle : options.userHandle;
      return {
        id,
        rawId: id,
        type: 'public-key',
        clientExtensionResults: {},
        response: {
          clientDataJSON: isoBase64URL.fromBuffer(new Uint8Array(clientDataJSON)),
          authenticatorData: isoBase64URL.fromBuffer(new Uint8Array(authData)),
          signature: isoBase64URL.fromBuffer(new Uint8Array(signature)),
          ...(handle !== null && handle !== undefined && { userHandle: handle }),
        },
      };
    },
  };
};

export type SoftwareAuthenticator = ReturnType<typeof createSoftwareAuthenticator>;
