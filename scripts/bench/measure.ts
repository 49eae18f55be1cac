/** The bench's knobs and its arithmetic: medians of alternating runs, in ms. */
import bcrypt from 'bcryptjs';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
export const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 15);
/** Added each way by the AWS-like network's proxy (section 7). */
export const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 2);
export const WARM_EVENTS = 5;

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** CPU time (user + system, every thread of this process) that `run` takes, in ms. */
const cpuTime = async (run: () => Promise<unknown>): Promise<number> => {
  const before = process.cpuUsage();
  await run();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
};

export const time = async (run: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};

/** Median of each of two operations over `rounds`, run alternately after one warm-up each. */
export const compare = async (a: () => Promise<unknown>, b: () => Promise<unknown>, rounds = ROUNDS) => {
  await a();
  await b();
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < rounds; i += 1) {
    times[0].push(await time(a));
    times[1].push(await time(b));
  }
  return { a: median(times[0]), b: median(times[1]) };
};

/** Median CPU time of each operation over ROUNDS, run in turn after one warm-up each. */
export const compareCpu = async (operations: (() => Promise<unknown>)[]): Promise<number[]> => {
  for (const operation of operations) await operation();
  const times = operations.map(() => [] as number[]);
  for (let i = 0; i < ROUNDS; i += 1) {
    for (const [index, operation] of operations.entries()) times[index]?.push(await cpuTime(operation));
  }
  return times.map(median);
};

/** The median time of bcrypt.compare at `cost` over `runs` runs. */
export const compareTime = async (cost: number, runs: number, password = 'correct horse battery') => {
  const hash = await bcrypt.hash(password, cost);
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) times.push(await time(() => bcrypt.compare(password, hash)));
  return median(times);
};
