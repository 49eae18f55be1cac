/** A logger stand-in that keeps what it was told, for asserting on log lines. */
export const recordingLogger = () => {
  const lines: { level: 'info' | 'warn' | 'error'; message: string; details: unknown }[] = [];
  const at =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, ...details: unknown[]): void => {
      lines.push({ level, message, details: details[0] });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
};
