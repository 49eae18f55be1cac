/**
 * User administration: `npm run users -- <command> [options]`.
 *
 *   create --email E --username U --name N [--date-of-birth YYYY-MM-DD]
 *   set-password --user EMAIL_OR_USERNAME
 *   show --user EMAIL_OR_USERNAME
 *   unlock --user EMAIL_OR_USERNAME           forget that identifier's failures and lock
 *   unlock-account --user EMAIL_OR_USERNAME   the same for all of the user's identifiers, and the account cap
 *   disable | enable --user EMAIL_OR_USERNAME
 *   delete --user EMAIL_OR_USERNAME --yes
 *   end-all-sessions --yes                    every session of every user ends, and every trusted device
 *
 * The password is read from a prompt that does not echo, or from stdin when it is not a
 * terminal (`printf '%s' "$PW" | npm run users -- create ...`); never from the command line,
 * where it would sit in shell history and the process list. Uses USERS_TABLE_NAME, AWS_REGION and
 * AWS credentials as any AWS tool does, or DYNAMODB_ENDPOINT for DynamoDB Local; the unlock
 * commands also ATTEMPTS_TABLE_NAME and IDENTIFIER_KEY_SECRET_ARN (IDENTIFIER_KEY locally);
 * end-all-sessions SESSIONS_TABLE_NAME only.
 */
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { read } from 'read';
import { createDocumentClient } from '#lib/aws/dynamodb.ts';
import { createSecretReader } from '#lib/aws/secrets.ts';
import { AuthServiceError, ConfigError, UserAdminError } from '#lib/errors.ts';
import { readBcryptCost, readPasswordPolicy, readUnlockConfig } from '#lib/function-config.ts';
import { createIdentifierHash } from '#lib/login/identifier-hash.ts';
import { createUnlocker } from '#lib/login/unlock.ts';
import { endEverySession } from '#lib/sessions/control.ts';
import { createUserAdmin } from '#lib/users/admin.ts';
import { toIdentifier } from '#lib/users/identifier.ts';
import { configuredPasswordChecker } from '#lib/users/password-policy.ts';

const USAGE = `Usage: npm run users -- <command> [options]
  create --email EMAIL --username USERNAME --name NAME [--date-of-birth YYYY-MM-DD]
  set-password --user EMAIL_OR_USERNAME
  show --user EMAIL_OR_USERNAME
  unlock --user EMAIL_OR_USERNAME           forget that identifier's failures and lock (any identifier)
  unlock-account --user EMAIL_OR_USERNAME   forget them for the user's email and username, and the account cap
  disable --user EMAIL_OR_USERNAME          every sign-in fails; every session and device token ends
  enable --user EMAIL_OR_USERNAME           sign-ins work again (ended sessions stay ended)
  delete --user EMAIL_OR_USERNAME --yes     delete the user; every session and device token ends
  end-all-sessions --yes                    end every session of every user, and every device token, at once
The password is prompted for (no echo), or read from stdin; never given as an option.
Passwords: at least PASSWORD_MIN_LENGTH (15) characters, at most 72 bytes in UTF-8, not common or
built from the account's own words; with PWNED_PASSWORDS_CHECK=true, not in known breaches.
Environment: USERS_TABLE_NAME (required), AWS_REGION, DYNAMODB_ENDPOINT (DynamoDB Local), BCRYPT_COST;
for unlock and unlock-account also ATTEMPTS_TABLE_NAME and IDENTIFIER_KEY_SECRET_ARN (IDENTIFIER_KEY locally);
for end-all-sessions SESSIONS_TABLE_NAME instead of USERS_TABLE_NAME.`;

class UsageError extends Error {}

const readPassword = async (): Promise<string> => {
  if (!process.stdin.isTTY) return (await text(process.stdin)).replace(/\r?\n$/, '');
  // Prompts go to stderr, so stdout carries only the result (for piping into jq and the like).
  const ask = async (prompt: string) => {
    const answer = await read({ prompt, silent: true, output: process.stderr });
    process.stderr.write('\n');
    return answer;
  };
  const password = await ask('Password: ');
  const again = await ask('Password again: ');
  if (password !== again) throw new UserAdminError('invalid_input', 'the passwords do not match');
  return password;
};

/**
 * The operators' switch (lib/sessions/control.ts): one write on the sessions table, which no
 * function may make. Prints the new global epoch and what it does, nothing secret.
 */
const endAllSessions = async (confirmed: boolean): Promise<void> => {
  if (!confirmed) throw new UsageError('end-all-sessions needs --yes: it signs every user out');
  const sessionsTableName = process.env.SESSIONS_TABLE_NAME?.trim();
  if (!sessionsTableName) throw new UsageError('Environment variable SESSIONS_TABLE_NAME is required');
  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT?.trim() || undefined });
  try {
    const { globalEpoch, previous } = await endEverySession(client, sessionsTableName);
    console.log(
      [
        `Ended every session of every user: the global session epoch is now ${globalEpoch} (was ${previous}).`,
        'From the next request on, in every container: refresh and the token endpoint refuse every earlier',
        "session's refresh token; /api/auth/me, the session routes, the password change and the passkey",
        'routes refuse its access tokens; device tokens issued before no longer make a device trusted.',
        'Access tokens already issued still verify at other services until they expire (TOKEN_TTL_SECONDS,',
        '15 minutes by default): `npm run keys -- revoke <kid>` ends that sooner. Signing in again works.',
      ].join('\n'),
    );
  } finally {
    client.destroy();
  }
};

const main = async (): Promise<void> => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    strict: true,
    options: {
      email: { type: 'string' },
      username: { type: 'string' },
      name: { type: 'string' },
      'date-of-birth': { type: 'string' },
      user: { type: 'string' },
      yes: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const [command] = positionals;
  if (values.help) return console.log(USAGE);
  if (command === 'end-all-sessions') return endAllSessions(values.yes === true);
  const usersTableName = process.env.USERS_TABLE_NAME?.trim();
  if (!usersTableName) throw new UsageError('Environment variable USERS_TABLE_NAME is required');

  const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT?.trim() || undefined });
  // The same policy as a user's own change: PASSWORD_MIN_LENGTH, PWNED_PASSWORDS_CHECK.
  const passwords = configuredPasswordChecker(readPasswordPolicy(), ({ reason }) =>
    console.error(`Warning: Have I Been Pwned could not be asked (${reason}); the breach check was skipped`),
  );
  const admin = createUserAdmin(client, usersTableName, readBcryptCost(), passwords);
  const unlocker = () => {
    const config = readUnlockConfig();
    const identifierHash = createIdentifierHash(createSecretReader(config.identifierKey));
    return createUnlocker(client, config.attemptsTableName, identifierHash);
  };
  const user = () => {
    if (!values.user) throw new UsageError(`${command} needs --user EMAIL_OR_USERNAME`);
    return values.user;
  };
  try {
    switch (command) {
      case 'create': {
        const input = {
          email: values.email,
          username: values.username,
          name: values.name,
          dateOfBirth: values['date-of-birth'],
        };
        for (const [option, value] of Object.entries({
          email: input.email,
          username: input.username,
          name: input.name,
        })) {
          if (!value) throw new UsageError(`create needs --${option}`);
        }
        console.log(JSON.stringify(await admin.create(input, await readPassword()), null, 2));
        return;
      }
      case 'set-password':
        await admin.setPassword(user(), await readPassword());
        console.log(`Password changed for ${values.user}`);
        return;
      case 'show':
        console.log(JSON.stringify(await admin.show(user()), null, 2));
        return;
      case 'unlock':
        // Any identifier, a user's or not: an attacker may have locked one nobody has yet.
        await unlocker().identifier(toIdentifier(user()));
        console.log(`Unlocked ${values.user}`);
        return;
      case 'unlock-account': {
        const identifiers = await admin.identifiers(user());
        await unlocker().account(identifiers);
        console.log(`Unlocked the account of ${values.user} (its email and username, and its cap)`);
        return;
      }
      case 'disable':
        await admin.disable(user());
        console.log(`Disabled ${values.user}: every session and device token ended`);
        return;
      case 'enable':
        await admin.enable(user());
        console.log(`Enabled ${values.user}`);
        return;
      case 'delete':
        if (!values.yes) throw new UsageError('delete needs --yes: it cannot be undone');
        await admin.remove(user());
        console.log(`Deleted ${values.user}`);
        return;
      default:
        throw new UsageError(command ? `Unknown command ${command}` : 'No command given');
    }
  } finally {
    client.destroy();
  }
};

main().catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof ConfigError || (error instanceof TypeError && 'code' in error)) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  // An operator's tool: the underlying cause (a missing table, denied access) is worth showing.
  const cause = error instanceof AuthServiceError && !(error instanceof UserAdminError) ? error.cause : undefined;
  const message = error instanceof Error ? error.message : String(error);
  console.error(`Error: ${message}${cause instanceof Error ? `: ${cause.message}` : ''}`);
  process.exit(1);
});
