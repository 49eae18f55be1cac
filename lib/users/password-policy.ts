import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { BCRYPT_MAX_PASSWORD_BYTES } from './passwords.ts';
import { createPwnedPasswords, PWNED_PASSWORDS_TIMEOUT_MS, type PwnedPasswords } from './pwned-passwords.ts';

/**
 * The rules a new password must meet wherever one is set (NIST SP 800-63B-4 section 3.1.1.2,
 * which OWASP ASVS 5.0 follows): a length range, a blocklist of common and derived passwords, the
 * user's own words, and optionally the breach corpus. No composition rules, no expiry.
 */
export interface PasswordPolicy {
  /**
   * Fewest characters, counted as Unicode code points after NFC normalization: 15 where the
   * password is the only factor (NIST), 8 at the least once another factor exists.
   */
  minLength: number;
  /** Where to ask Have I Been Pwned's range API; none: no breach corpus lookup. */
  pwnedPasswordsUrl?: string | undefined;
}

/** Which rule a password broke: stable, for callers and logs; the message is for people. */
export type PasswordRule = 'too_short' | 'too_long' | 'common' | 'context' | 'guessable' | 'breached';

export type PasswordVerdict = { ok: true } | { ok: false; rule: PasswordRule; message: string };

/** What the password must not be built from: the account's own words. */
export interface PasswordContext {
  email?: string | undefined;
  username?: string | undefined;
  name?: string | undefined;
}

export interface PasswordChecker {
  /**
   * The length rules alone: no work beyond counting, so callers run it before any bcrypt or
   * blocklist work (and before reading anything).
   */
  checkLength(password: string, subject?: string): PasswordVerdict;
  /** Every rule: length, the blocklist, the context words and, when configured, the breach corpus. */
  check(password: string, context: PasswordContext, subject?: string): Promise<PasswordVerdict>;
}

/** The service's name and its parts: a password built on them is the first thing an attacker tries here. */
export const SERVICE_WORDS = ['movieknight', 'movie knight', 'movie', 'knight'] as const;

/**
 * A password the blocklist explains in fewer guesses than this is refused. 10^10 is zxcvbn's
 * "strong protection from an offline slow-hash attack" boundary (its score 4): with a 15-character
 * floor, a random string is estimated at 10^15 or more, so only passwords mostly made of list
 * entries, the user's words and patterns (repeats, sequences, keyboard runs, dates) fall below.
 */
export const MIN_GUESSES_LOG10 = 10;

/**
 * l33t substitutions zxcvbn tries per password. Its default (100) costs about a second on a
 * 72-byte password full of substitutable characters; 16 keeps the worst case near one bcrypt
 * compare (`npm run bench`) while still reading "p@ssw0rd" as "password".
 */
const L33T_MAX_SUBSTITUTIONS = 16;

/** Code points after NFC normalization: what "characters" means in the length rule. */
export const passwordLength = (password: string): number => [...password.normalize('NFC')].length;

/** The words of the account a password must not be built from, lowercased, without duplicates. */
export const contextWords = ({ email, username, name }: PasswordContext): string[] => {
  const words = new Set<string>(SERVICE_WORDS);
  const add = (word: string | undefined) => {
    const value = word?.normalize('NFC').trim().toLowerCase();
    if (value && value.length >= 3) words.add(value);
  };
  if (email) {
    // split always answers at least one part: the local part is there, the domain may not be.
    const [local, domain] = email.split('@') as [string, string?];
    add(email);
    add(local);
    for (const part of local.split(/[._+-]/)) add(part);
    add(domain?.split('.')[0]);
  }
  add(username);
  for (const part of username?.split(/[._-]/) ?? []) add(part);
  add(name);
  // Empty parts (from runs of spaces) are skipped by add, like any part under 3 characters.
  for (const part of name?.split(/\s/) ?? []) add(part);
  return [...words];
};

/**
 * The zxcvbn-ts matcher over `@zxcvbn-ts/language-common`: its 49,000 most common passwords (from
 * breach corpora) and the EFF diceware list, with keyboard layouts for spatial runs. Built on first
 * use (the ranked dictionaries take a moment), then kept for the container.
 */
const matcher = (() => {
  let factory: ZxcvbnFactory | undefined;
  return () => {
    factory ??= new ZxcvbnFactory({
      dictionary,
      graphs: adjacencyGraphs,
      l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
      maxLength: BCRYPT_MAX_PASSWORD_BYTES,
    });
    return factory;
  };
})();

const refuse = (rule: PasswordRule, message: string): PasswordVerdict => ({ ok: false, rule, message });

/**
 * Judges the password against the blocklist: refused when zxcvbn explains it in fewer than
 * 10^MIN_GUESSES_LOG10 guesses, or when what is left without the account's own words would be
 * (those words cost an attacker who knows the account nothing: "AliceSmith1990!!" is "1990!!").
 * The message names what explained it: the account's words, one common password, or common
 * parts and patterns.
 */
const judgeGuessability = (password: string, context: PasswordContext, subject: string): PasswordVerdict => {
  const normalized = password.normalize('NFC');
  const words = contextWords(context);
  const result = matcher().check(normalized, words);
  const lowered = normalized.toLowerCase();
  const present = words.filter((word) => lowered.includes(word));
  const mentionsAccount =
    present.length > 0 ||
    // Stryker disable next-line ConditionalExpression: equivalent, only dictionary matches have a dictionaryName (the test narrows the type)
    result.sequence.some((match) => match.pattern === 'dictionary' && match.dictionaryName === 'userInputs');
  const rest = present.sort((a, b) => b.length - a.length).reduce((left, word) => left.replaceAll(word, ''), lowered);
  const restIsWeak = present.length > 0 && matcher().check(rest).guessesLog10 < MIN_GUESSES_LOG10;
  // Stryker disable next-line EqualityOperator: equivalent, zxcvbn's estimate (a product of guesses plus 10000^(n-1)) never lands on 10^10 exactly
  if (result.guessesLog10 >= MIN_GUESSES_LOG10 && !restIsWeak) return { ok: true };
  if (mentionsAccount) {
    return refuse(
      'context',
      `${subject} is built from your email, username or name, or the service's name: choose something unrelated`,
    );
  }
  // Stryker disable next-line OptionalChaining: equivalent, the length check makes the first match present
  if (result.sequence.length === 1 && result.sequence[0]?.pattern === 'dictionary') {
    return refuse('common', `${subject} is a commonly used password`);
  }
  return refuse(
    'guessable',
    `${subject} is too easy to guess: it is built from common passwords or a pattern (a repeat, a sequence, a keyboard run, a date)`,
  );
};

/** The password policy, with the breach corpus when `pwned` is given (see pwned-passwords.ts). */
export const createPasswordChecker = (policy: PasswordPolicy, pwned?: PwnedPasswords): PasswordChecker => {
  const checkLength = (password: string, subject = 'password'): PasswordVerdict => {
    // Bytes first: it bounds the work of counting code points and of everything after.
    const bytes = Buffer.byteLength(password);
    if (bytes > BCRYPT_MAX_PASSWORD_BYTES) {
      return refuse(
        'too_long',
        `${subject} must be at most ${BCRYPT_MAX_PASSWORD_BYTES} bytes in UTF-8 (it is ${bytes}): ` +
          'a letter outside ASCII takes 2 to 4 bytes, so that is 72 ASCII characters, 36 accented or Cyrillic, 24 Chinese or Japanese',
      );
    }
    if (passwordLength(password) < policy.minLength) {
      return refuse('too_short', `${subject} must be at least ${policy.minLength} characters`);
    }
    return { ok: true };
  };

  return {
    checkLength,
    async check(password, context, subject = 'password') {
      const length = checkLength(password, subject);
      if (!length.ok) return length;
      const guessable = judgeGuessability(password, context, subject);
      if (!guessable.ok) return guessable;
      if (pwned && (await pwned.timesSeen(password)) > 0) {
        return refuse('breached', `${subject} appears in known data breaches: choose another`);
      }
      return { ok: true };
    },
  };
};

/**
 * The checker a setting asks for: with the breach corpus when `pwnedPasswordsUrl` is set, failing
 * open and telling `onPwnedUnavailable` (the metric) each time it could not be asked.
 */
export const configuredPasswordChecker = (
  policy: PasswordPolicy,
  onPwnedUnavailable: (details: { reason: string }) => void,
): PasswordChecker =>
  createPasswordChecker(
    policy,
    policy.pwnedPasswordsUrl
      ? createPwnedPasswords({
          baseUrl: policy.pwnedPasswordsUrl,
          timeoutMs: PWNED_PASSWORDS_TIMEOUT_MS,
          onUnavailable: onPwnedUnavailable,
        })
      : undefined,
  );
