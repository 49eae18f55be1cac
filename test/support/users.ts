import type { Clock } from '#lib/clock.ts';
import { DEFAULTS } from '#lib/settings.ts';
import { createUserAdmin } from '#lib/users/admin.ts';
import { createPasswordChecker } from '#lib/users/password-policy.ts';
import { TEST_BCRYPT_COST, type TestTables } from './dynamodb.ts';

/** The password policy as deployed by default (15 characters, the blocklist), without the breach corpus. */
export const testPasswordChecker = createPasswordChecker({ minLength: DEFAULTS.passwordMinLength });

/** The users CLI's administration on the test tables, with the default password policy. */
export const testUserAdmin = (tables: TestTables, clock?: Clock) =>
  createUserAdmin(tables.client, tables.usersTableName, TEST_BCRYPT_COST, testPasswordChecker, clock);
