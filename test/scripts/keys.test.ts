import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeKey, createKeySet, type KeySet, parseKeySet, publicJwks } from '#lib/tokens/key-set.ts';
import { parsePublicJwks } from '#lib/tokens/public-jwks.ts';
import { startFakeSecretsManager } from '#test/support/fake-secrets-manager.ts';

/** Runs `npm run keys -- ...args` as an operator would. */
const keys = (args: string[], env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const { SIGNING_KEYS_SECRET_ARN, PUBLIC_KEYS_SECRET_ARN, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], {
      env: { ...inherited, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

const kids = (set: KeySet) => set.keys.map((key) => key.kid).sort();
const privateMembers = (set: KeySet) => set.keys.flatMap((key) => [key.d, key.p, key.q].filter(Boolean) as string[]);

describe('npm run keys', () => {
  let set: KeySet;
  beforeAll(async () => {
    set = await createKeySet();
  });

  describe("against npm start's key files", () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const files = {
      SIGNING_KEYS_FILE: join(dir, 'signing-keys.json'),
      PUBLIC_KEYS_FILE: join(dir, 'public-keys.json'),
    };
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('prints each key without key material, then revokes the active one: a fresh key signs, neither old key is published', async () => {
      writeFileSync(files.SIGNING_KEYS_FILE, JSON.stringify(set));
      writeFileSync(files.PUBLIC_KEYS_FILE, JSON.stringify(publicJwks(set)));
      const status = await keys(['status'], files);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`${activeKey(set).kid}  active   published=yes  private=yes`);
      for (const member of privateMembers(set)) expect(status.stdout + status.stderr).not.toContain(member);

      const revoke = await keys(['revoke', activeKey(set).kid], files);
      expect(revoke.code).toBe(0);
      const after = parseKeySet(readFileSync(files.SIGNING_KEYS_FILE, 'utf8'));
      expect(revoke.stdout).toContain(`signing now: ${activeKey(after).kid} (fresh)`);
      expect(kids(after).some((kid) => kids(set).includes(kid))).toBe(false);
      expect(
        parsePublicJwks(readFileSync(files.PUBLIC_KEYS_FILE, 'utf8'))
          .keys.map((key) => key.kid)
          .sort(),
      ).toEqual(kids(after));
    });

    it('refuses an unknown kid and changes nothing', async () => {
      const before = readFileSync(files.SIGNING_KEYS_FILE, 'utf8');
      const { code, stderr } = await keys(['revoke', 'not-a-kid'], files);
      expect(code).toBe(1);
      expect(stderr).toContain('No key with kid not-a-kid');
      expect(readFileSync(files.SIGNING_KEYS_FILE, 'utf8')).toBe(before);
    });
  });

  describe('against a deployed stack (Secrets Manager, through the same code paths)', () => {
    const SIGNING = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-keys';
    const PUBLIC = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:public-keys';
    let secrets: Awaited<ReturnType<typeof startFakeSecretsManager>>;
    let env: Record<string, string>;
    beforeAll(async () => {
      secrets = await startFakeSecretsManager({
        [SIGNING]: JSON.stringify(set),
        [PUBLIC]: JSON.stringify(publicJwks(set)),
      });
      env = {
        SIGNING_KEYS_SECRET_ARN: SIGNING,
        PUBLIC_KEYS_SECRET_ARN: PUBLIC,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      };
    });
    afterAll(() => secrets.close());

    it('revokes the active key in both secrets, JWKS included, and refuses while a rotation is pending', async () => {
      const token = secrets.startRotation(SIGNING);
      const refused = await keys(['revoke', activeKey(set).kid], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('a rotation is pending');
      expect(secrets.current(SIGNING)).toBe(JSON.stringify(set));
      expect(token).toBeTruthy();
      secrets.cancelRotation(SIGNING);

      const { code, stdout } = await keys(['revoke', activeKey(set).kid], env);
      expect(code).toBe(0);
      const after = parseKeySet(secrets.current(SIGNING)!);
      expect(stdout).toContain(`revoked: `);
      expect(kids(after).some((kid) => kids(set).includes(kid))).toBe(false);
      expect(
        parsePublicJwks(secrets.current(PUBLIC)!)
          .keys.map((key) => key.kid)
          .sort(),
      ).toEqual(kids(after));
      const status = await keys(['status'], env);
      expect(status.stdout).toContain(`${activeKey(after).kid}  active   published=yes  private=yes`);
    });
  });
});
