/** Runs `stop` once on Ctrl-C or SIGTERM, then exits: nothing this process started outlives it. */
export const stopOnSignal = (stop: () => Promise<void>, what: string): void => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: stopping ${what}`);
      void stop().then(() => process.exit(0));
    });
  }
};
