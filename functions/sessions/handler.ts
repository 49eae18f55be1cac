import { readSessionsConfig } from '#lib/function-config.ts';
import { createSessionsHandler } from './create-handler.ts';
import { createSessionsHandlerDependencies } from './dependencies.ts';

/**
 * The Lambda entry point: logout, logout everywhere, the session list and ending one session.
 * Built once per container, at init, and reused by every warm invocation.
 */
export const handler = createSessionsHandler(createSessionsHandlerDependencies(readSessionsConfig()));
