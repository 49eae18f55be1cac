import { readPasskeySignInConfig } from '#lib/function-config.ts';
import { createPasskeySignInHandler } from './create-handler.ts';
import { createPasskeySignInHandlerDependencies } from './dependencies.ts';

/**
 * The Lambda entry point: usernameless passkey sign-in (its options, and the assertion that
 * answers with a token grant). Built once per container, at init, and reused by every warm invocation.
 */
export const handler = createPasskeySignInHandler(createPasskeySignInHandlerDependencies(readPasskeySignInConfig()));
