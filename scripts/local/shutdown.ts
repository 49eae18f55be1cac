import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process's parent and command line (Linux from /proc, elsewhere from `ps`); undefined once it is gone. */
const describe = (pid: number): { parent: number; command: string } | undefined => {
  try {
    if (process.platform === 'linux') {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return { parent, command: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ') };
    }
    const ps = spawnSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], { encoding: 'utf8' });
    const match = /^\s*(\d+)\s+(.*)$/s.exec(ps.stdout ?? '');
    return match ? { parent: Number(match[1]), command: match[2] ?? '' } : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The processes that launched this one, up to npm when npm did (`npm start` runs
 * `sh -c "tsx ..."`, and tsx runs node: killing npm leaves sh's children running, as npm
 * passes the signal to sh alone). Just the parent when no npm is found within a few steps.
 */
const launchers = (): number[] => {
  const chain: number[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth += 1) {
    const found = describe(pid);
    if (!found) break;
    chain.push(pid);
    if (/(^|[/\s])npm(-cli\.js)?(\s|$)/.test(found.command)) return chain;
    pid = found.parent;
  }
  return [process.ppid];
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Runs `stop` once, then exits, on Ctrl-C, on SIGTERM or SIGHUP, and when a process that
 * launched this one is gone (checked twice a second): nothing this process started outlives it.
 */
export const stopOnSignal = (stop: () => Promise<void>, what: string): void => {
  let stopping = false;
  const stopOnce = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${reason}: stopping ${what}`);
    void stop().then(() => process.exit(0));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stopOnce(signal));
  const watched = launchers();
  const parent = process.ppid;
  setInterval(() => {
    const gone = process.ppid !== parent ? parent : watched.find((pid) => !isAlive(pid));
    if (gone !== undefined) stopOnce(`the process that started this one (pid ${gone}) ended`);
  }, 500).unref();
};
