import { readPasskeysConfig } from '#lib/function-config.ts';
import { createPasskeysHandler } from './create-handler.ts';
import { createPasskeysHandlerDependencies } from './dependencies.ts';

/**
 * The Lambda entry point: passkey registration, the list and deleting one. Built once per
 * container, at init, and reused by every warm invocation.
 */
export const handler = createPasskeysHandler(createPasskeysHandlerDependencies(readPasskeysConfig()));
