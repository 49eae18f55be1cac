import { describe, expect, it } from 'vitest';
import { createPasskeyTelemetry, credentialRef } from '#lib/passkeys/telemetry.ts';
import { recordingLogger } from '#test/support/recording-logger.ts';

describe('passkey telemetry', () => {
  it('refers to a credential by the first 16 characters of its SHA-256 digest, never by its id', () => {
    expect(credentialRef('AAAA')).toBe('Y8HdlR_-329_2Wit');
  });

  it('logs without metrics when given none', () => {
    const logger = recordingLogger();
    const telemetry = createPasskeyTelemetry(logger);
    telemetry.signIn('success', { userId: 'ann' });
    telemetry.counterSignal({ userId: 'ann' });
    expect(logger.lines.map(({ level, message }) => [level, message])).toStrictEqual([
      ['info', 'Passkey sign-in'],
      ['warn', 'Passkey counter did not rise (synced passkey: allowed)'],
    ]);
  });
});
