import { describe, expect, it } from 'vitest';
import { newUserItem, parseUserItem, toSafeUser } from '#lib/users/user.ts';

const HASH = '$2b$10$abcdefghijklmnopqrstuuJ9eTkm6R3ePfS4YI8Kd6Y6tUMy4nqLq';

const storedItem = {
  id: '66a1f2c4e5b3a1234567890a',
  email: 'MovieFan@example.com',
  emailLower: 'moviefan@example.com',
  username: 'moviefan',
  passwordHash: HASH,
  name: 'Movie Fan',
  bio: 'I like films',
  badges: ['early-bird'],
  aiUsage: { used: 7, limit: 5 },
  avatarUrl: 'https://cdn.example.com/a.png',
  countryCode: 'GB',
  createdAt: '2026-06-25T10:30:00Z',
  dateOfBirth: '1999-05-20',
  internalFlag: 'never shown',
};

describe('toSafeUser', () => {
  it('returns exactly the contract fields, dates in ISO 8601, remaining never negative', () => {
    const user = parseUserItem(storedItem);
    expect(user).toBeDefined();
    expect(toSafeUser(user!)).toStrictEqual({
      id: '66a1f2c4e5b3a1234567890a',
      bio: 'I like films',
      name: 'Movie Fan',
      email: 'MovieFan@example.com',
      badges: ['early-bird'],
      aiUsage: { used: 7, limit: 5, remaining: 0 },
      username: 'moviefan',
      avatarUrl: 'https://cdn.example.com/a.png',
      createdAt: '2026-06-25T10:30:00.000Z',
      countryCode: 'GB',
      dateOfBirth: '1999-05-20T00:00:00.000Z',
    });
  });

  it('fills unset optional attributes with the documented defaults and nulls', () => {
    const { bio, badges, aiUsage, avatarUrl, countryCode, dateOfBirth, ...required } = storedItem;
    const safe = toSafeUser(parseUserItem(required)!);
    expect(safe).toMatchObject({
      bio: '',
      badges: [],
      aiUsage: { used: 0, limit: 5, remaining: 5 },
      avatarUrl: null,
      countryCode: null,
      dateOfBirth: null,
    });
    expect(JSON.stringify(safe)).not.toContain('passwordHash');
    expect(JSON.stringify(safe)).not.toContain('emailLower');
  });
});

describe('parseUserItem', () => {
  it.each([
    ['no password hash', { passwordHash: undefined }],
    ['a password hash that is not bcrypt', { passwordHash: 'plaintext' }],
    ['no id', { id: undefined }],
    ['a createdAt that is not a date', { createdAt: 'yesterday' }],
    ['a negative usage count', { aiUsage: { used: -1, limit: 5 } }],
  ])('rejects an item with %s', (_, change) => {
    expect(parseUserItem({ ...storedItem, ...change })).toBeUndefined();
  });
});

describe('newUserItem', () => {
  it('derives the email index key and a 24-hex-digit id', () => {
    const item = newUserItem(
      { email: ' Fan@Example.com ', username: 'Fan', name: 'Fan', passwordHash: HASH, dateOfBirth: '2000-01-02' },
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(item).toMatchObject({
      email: 'Fan@Example.com',
      emailLower: 'fan@example.com',
      username: 'Fan',
      createdAt: '2026-01-01T00:00:00.000Z',
      dateOfBirth: '2000-01-02T00:00:00.000Z',
    });
    expect(item.id).toMatch(/^[0-9a-f]{24}$/);
    expect(parseUserItem(item)).toBeDefined();
  });
});
