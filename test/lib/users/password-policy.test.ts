import { describe, expect, it } from 'vitest';
import {
  contextWords,
  createPasswordChecker,
  type PasswordContext,
  passwordLength,
} from '#lib/users/password-policy.ts';
import type { PwnedPasswords } from '#lib/users/pwned-passwords.ts';

const checker = createPasswordChecker({ minLength: 15 });
const alice = { email: 'Alice.Smith@example.com', username: 'alice_s', name: 'Alice Smith' };

const ruleOf = async (password: string, context: PasswordContext = alice) => {
  const verdict = await checker.check(password, context);
  return verdict.ok ? 'ok' : verdict.rule;
};

describe('the length rules', () => {
  it('counts code points after NFC normalization, not UTF-16 units or bytes', () => {
    expect(passwordLength('e\u0301'.repeat(15))).toBe(15); // decomposed é: 2 code points each, 1 after NFC
    expect(passwordLength('😀'.repeat(15))).toBe(15); // 2 UTF-16 units each
  });

  it('refuses fewer than the minimum and says so, accepts the minimum', () => {
    expect(checker.checkLength('a'.repeat(14))).toEqual({
      ok: false,
      rule: 'too_short',
      message: 'password must be at least 15 characters',
    });
    expect(checker.checkLength('a'.repeat(15)).ok).toBe(true);
    // 15 decomposed é: 30 code points as typed, 15 characters after NFC.
    expect(checker.checkLength('e\u0301'.repeat(14)).ok).toBe(false);
  });

  it('names the field it was given', () => {
    expect(checker.checkLength('short', 'newPassword')).toMatchObject({
      message: 'newPassword must be at least 15 characters',
    });
  });

  it('takes the minimum from the policy (a setting)', () => {
    expect(createPasswordChecker({ minLength: 8 }).checkLength('a'.repeat(8)).ok).toBe(true);
  });

  it('refuses what bcrypt would truncate (over 72 UTF-8 bytes) instead of cutting it silently', () => {
    expect(checker.checkLength('a'.repeat(72)).ok).toBe(true);
    expect(checker.checkLength('a'.repeat(73))).toMatchObject({ rule: 'too_long' });
    // 64 characters of 3-byte CJK is 192 bytes: refused, and the message says why and how many.
    const cjk = checker.checkLength('漢'.repeat(64));
    expect(cjk).toEqual({
      ok: false,
      rule: 'too_long',
      message:
        'password must be at most 72 bytes in UTF-8 (it is 192): a letter outside ASCII takes 2 to 4 bytes, so that is 72 ASCII characters, 36 accented or Cyrillic, 24 Chinese or Japanese',
    });
    expect(checker.checkLength('漢'.repeat(24)).ok).toBe(true);
    expect(checker.checkLength('😀'.repeat(18)).ok).toBe(true);
    expect(checker.checkLength('😀'.repeat(19)).ok).toBe(false);
  });

  it('checks the byte bound before counting, so a huge input costs nothing more', () => {
    expect(checker.checkLength('a'.repeat(1_000_000))).toMatchObject({ rule: 'too_long' });
  });
});

describe('the blocklist (@zxcvbn-ts/language-common, matched by zxcvbn-ts)', () => {
  it('refuses a long common password as it appears in breach corpora', async () => {
    expect(await ruleOf('1qaz2wsx3edc4rfv')).toBe('common');
    expect(await ruleOf('QWERTYUIOP12345'.toLowerCase())).not.toBe('ok');
  });

  it('refuses passwords built from common ones and patterns', async () => {
    for (const password of [
      'passwordpassword',
      'P@ssw0rdP@ssw0rd',
      'aaaaaaaaaaaaaaa',
      'abcdefghijklmnop',
      '123456789012345',
      'football1234567',
      'summer2024summer',
      'zxcvbnmasdfghjkl',
    ]) {
      expect(await ruleOf(password), password).toBe('guessable');
    }
  });

  it('calls "common" only a password that is one list entry, and says what each rule means', async () => {
    // One dictionary match is common; one repeat, or a list entry followed by more, is a pattern.
    expect(await checker.check('1qaz2wsx3edc4rfv', alice)).toEqual({
      ok: false,
      rule: 'common',
      message: 'password is a commonly used password',
    });
    expect(await checker.check('football1234567', alice)).toEqual({
      ok: false,
      rule: 'guessable',
      message:
        'password is too easy to guess: it is built from common passwords or a pattern (a repeat, a sequence, a keyboard run, a date)',
    });
    expect(await ruleOf('aaaaaaaaaaaaaaa')).toBe('guessable');
  });

  it('finds the account’s words in l33t spelling too, though the text does not contain them', async () => {
    expect(await ruleOf('4l1c3 5m1th 1990!')).toBe('context');
    expect(await ruleOf('4l1c3 5m1th 1990!', { email: 'bob@example.com', username: 'bob', name: 'Bob' })).not.toBe(
      'context',
    );
  });

  it('refuses the user’s own words and the service’s name, with what they are built on', async () => {
    expect(await ruleOf('movieknight2024!')).toBe('context');
    expect(await ruleOf('alice.smith@example.com')).toBe('context');
    expect(await ruleOf('alice_s_alice_s_1')).toBe('context');
    expect(await ruleOf('AliceSmith1990!!')).toBe('context');
    expect(await ruleOf('Alice Smith 1990!')).toBe('context');
    // Without the account's words, what is left is judged: longest words first, so a short word
    // ("smi", from the email) does not cut a longer one ("smithereens") and leave part of it behind.
    expect(await ruleOf('AliceSmithereens1990!!', { email: 'smi@ex.io', name: 'Alice Smithereens' })).toBe('context');
    // What is left is judged only when the account's words are there: a password without them is
    // judged whole, its capitals counted (in lowercase this one would be guessable).
    expect(await ruleOf('SunFlowerMoonLit')).toBe('ok');
    // The account's words are allowed where the rest is strong on its own.
    expect(await ruleOf('alice rides a violet tram at dusk')).toBe('ok');
    // The same words are fine for someone else.
    expect(await ruleOf('AliceSmith-on-the-Moon', { email: 'bob@example.com', username: 'bob', name: 'Bob' })).toBe(
      'ok',
    );
  });

  it('has no composition rules: long passphrases and random strings pass, whatever their character classes', async () => {
    for (const password of [
      'correct horse battery staple',
      'purple monkey dishwasher',
      'qxkfmwjdbtzlpvr',
      'häßliches Entlein im Teich',
      '839201746382910',
      'すもももももももものうちにわにはにわ',
    ]) {
      expect(await ruleOf(password), password).toBe('ok');
    }
  });

  it('says which rule in the message', async () => {
    expect(await checker.check('movieknight2024!', alice, 'newPassword')).toEqual({
      ok: false,
      rule: 'context',
      message:
        "newPassword is built from your email, username or name, or the service's name: choose something unrelated",
    });
  });
});

describe('contextWords', () => {
  it('takes the email, its parts, the username and the name, lowercased, plus the service name', () => {
    expect(contextWords(alice)).toEqual(
      expect.arrayContaining([
        'movieknight',
        'alice.smith@example.com',
        'alice.smith',
        'alice',
        'smith',
        'example',
        'alice_s',
        'alice smith',
      ]),
    );
  });

  it('splits each on its own separators, trims, lowercases and composes (NFC), in that order, without duplicates', () => {
    expect(
      contextWords({
        email: 'Alice.Smith+films@Mail-Box.example.com',
        username: 'Ally_Cat-9.x',
        name: '  Alice \t de la  E\u0301lodie ',
      }),
    ).toEqual([
      'movieknight',
      'movie knight',
      'movie',
      'knight',
      'alice.smith+films@mail-box.example.com',
      'alice.smith+films',
      'alice',
      'smith',
      'films',
      'mail-box',
      'ally_cat-9.x',
      'ally',
      'cat',
      'alice \t de la  \u00e9lodie',
      '\u00e9lodie',
    ]);
  });

  it('has only the service’s words without an account, and no domain part for an address without one', () => {
    expect(contextWords({})).toEqual(['movieknight', 'movie knight', 'movie', 'knight']);
    expect(contextWords({ email: 'film.buff' })).toEqual([
      'movieknight',
      'movie knight',
      'movie',
      'knight',
      'film.buff',
      'film',
      'buff',
    ]);
  });

  it('skips parts too short to mean anything', () => {
    expect(contextWords({ username: 'al', name: 'Jo Li' })).not.toContain('jo');
  });
});

describe('the breach corpus, when configured', () => {
  const seen = (counts: Record<string, number>): PwnedPasswords & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      async timesSeen(password) {
        asked.push(password);
        return counts[password] ?? 0;
      },
    };
  };

  it('refuses a password seen in breaches that the offline list does not know', async () => {
    const pwned = seen({ 'a quite unusual phrase indeed': 3 });
    const verdict = await createPasswordChecker({ minLength: 15 }, pwned).check('a quite unusual phrase indeed', alice);
    expect(verdict).toEqual({
      ok: false,
      rule: 'breached',
      message: 'password appears in known data breaches: choose another',
    });
  });

  it('is asked only about passwords that passed every offline rule', async () => {
    const pwned = seen({});
    const strict = createPasswordChecker({ minLength: 15 }, pwned);
    // Every rule in turn, each answer named by the field `password` unless told otherwise.
    expect(await strict.check('short', alice)).toEqual({
      ok: false,
      rule: 'too_short',
      message: 'password must be at least 15 characters',
    });
    expect(await strict.check('passwordpassword', alice)).toMatchObject({ rule: 'guessable' });
    expect(pwned.asked).toEqual([]);
    expect((await strict.check('a quite unusual phrase indeed', alice)).ok).toBe(true);
    expect(pwned.asked).toEqual(['a quite unusual phrase indeed']);
  });
});
