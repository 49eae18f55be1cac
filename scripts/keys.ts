/**
 * Signing key operations: `npm run keys -- <command>`.
 *
 *   status          each key's kid, status, times, whether it is published and holds private members
 *   revoke KID...   the emergency path: a fresh key signs at once, the kids named leave the JWKS
 *   prune           the hourly upkeep, now: retired keys past retention leave the set and the JWKS
 *
 * Against a deployed stack when SIGNING_KEYS_SECRET_ARN and PUBLIC_KEYS_SECRET_ARN are set (the
 * stack's outputs SigningKeysSecretArn and PublicKeysSecretArn), with AWS_REGION and AWS
 * credentials as any AWS tool; otherwise against `npm start`'s key files in .local/. Both run the
 * same code (lib/tokens/key-rotation.ts) as the functions. Prints kids and times, never key material.
 */
import { parseArgs } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BOUNDED_CLIENT_CONFIG } from '#lib/aws/sdk-config.ts';
import {
  keyStatus,
  maintainKeySet,
  type PublicKeysStore,
  readSecretValue,
  revokeStoredKeys,
  type SecretVersions,
  secretsManagerPublicKeys,
  secretsManagerVersions,
} from '#lib/tokens/key-rotation.ts';
import { localKeyFiles, localRetention } from './local/signing-keys.ts';

const USAGE = `Usage: npm run keys -- <command>
  status            the keys, their status and times, published or not
  revoke KID [KID]  a fresh key signs at once; the kids named are no longer published
  prune             drop retired keys past their retention now (runs hourly in AWS)
Environment: SIGNING_KEYS_SECRET_ARN and PUBLIC_KEYS_SECRET_ARN (a deployed stack, with AWS_REGION
and credentials), else the local files in .local/ (or SIGNING_KEYS_FILE and PUBLIC_KEYS_FILE); TOKEN_TTL_SECONDS or RETIRED_KEY_RETAIN_SECONDS
as the stack has them.`;

class UsageError extends Error {}

interface Target {
  name: string;
  versions: SecretVersions;
  publicKeys: PublicKeysStore;
  readPublished(): Promise<string>;
  close(): void;
}

const target = (env = process.env): Target => {
  const signing = env.SIGNING_KEYS_SECRET_ARN?.trim();
  const published = env.PUBLIC_KEYS_SECRET_ARN?.trim();
  if (signing || published) {
    if (!signing || !published) throw new UsageError('Set both SIGNING_KEYS_SECRET_ARN and PUBLIC_KEYS_SECRET_ARN');
    const client = new SecretsManagerClient(BOUNDED_CLIENT_CONFIG);
    return {
      name: 'Secrets Manager',
      versions: secretsManagerVersions(client, signing),
      publicKeys: secretsManagerPublicKeys(client, published),
      readPublished: () => readSecretValue(client, published),
      close: () => client.destroy(),
    };
  }
  const files = localKeyFiles(env.SIGNING_KEYS_FILE?.trim() || undefined, env.PUBLIC_KEYS_FILE?.trim() || undefined);
  return {
    name: `the local files (${files.signingFile})`,
    versions: files.versions,
    publicKeys: files.publicKeys,
    readPublished: async () => (await import('node:fs/promises')).readFile(files.publicFile, 'utf8').catch(() => ''),
    close: () => undefined,
  };
};

const time = (seconds: number | undefined) => (seconds === undefined ? '-' : new Date(seconds * 1000).toISOString());

const printStatus = async (keys: Target) => {
  const lines = await keyStatus(keys.versions, await keys.readPublished(), localRetention());
  for (const line of lines) {
    console.log(
      [
        line.kid,
        line.status.padEnd(7),
        `published=${line.published ? 'yes' : 'NO'}`,
        `private=${line.private ? 'yes' : 'no'}`,
        `publishedAt=${time(line.publishedAt)}`,
        ...(line.retiredAt === undefined
          ? []
          : [`retiredAt=${time(line.retiredAt)}`, `unpublishAt=${time(line.unpublishAt)}`]),
      ].join('  '),
    );
  }
};

const main = async (): Promise<void> => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    strict: true,
    options: { help: { type: 'boolean' } },
  });
  const [command, ...kids] = positionals;
  if (values.help) return console.log(USAGE);
  const keys = target();
  try {
    console.error(`Keys in ${keys.name}`);
    switch (command) {
      case 'status':
        return await printStatus(keys);
      case 'prune': {
        const result = await maintainKeySet(keys.versions, keys.publicKeys, localRetention());
        console.log(`prune: ${result.outcome}`);
        return await printStatus(keys);
      }
      case 'revoke': {
        if (kids.length === 0) throw new UsageError('revoke needs the kid(s) to revoke (see `npm run keys -- status`)');
        const result = await revokeStoredKeys(keys.versions, keys.publicKeys, kids, localRetention());
        console.log(`revoked: ${result.revoked.join(', ')}`);
        console.log(
          `signing now: ${result.activeKid}${result.activeKid === result.previousActiveKid ? ' (unchanged)' : ' (fresh)'}`,
        );
        return await printStatus(keys);
      }
      default:
        throw new UsageError(command ? `Unknown command: ${command}` : 'A command is required');
    }
  } finally {
    keys.close();
  }
};

main().catch((error: unknown) => {
  if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
  else console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
