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

/**
 * Median wall time and median CPU time (of this process) of each operation over `rounds`, run in
 * turn (a round runs each once) after one warm-up each. The wall time counts what other processes
 * (DynamoDB Local, other load) make us wait; the CPU time only our own work.
 */
export const compareAll = async (
  operations: (() => Promise<unknown>)[],
  rounds = ROUNDS,
): Promise<{ wall: number; cpu: number }[]> => {
  for (const operation of operations) await operation();
  const walls = operations.map(() => [] as number[]);
  const cpus = operations.map(() => [] as number[]);
  for (let i = 0; i < rounds; i += 1) {
    for (const [index, operation] of operations.entries()) {
      const started = performance.now();
      cpus[index]?.push(await cpuTime(operation));
      walls[index]?.push(performance.now() - started);
    }
  }
  return operations.map((_, index) => ({ wall: median(walls[index] ?? []), cpu: median(cpus[index] ?? []) }));
};

/** `time / reference` in wall and in CPU time, each with the goal of a uniform answer: 0.97 to 1.03. */
export const ratios = (
  measured: { wall: number; cpu: number } | undefined,
  reference: { wall: number; cpu: number } | undefined,
): string => {
  const one = (label: string, value: number) =>
    `${label} ${value.toFixed(3)} (goal 0.97-1.03: ${verdict(value >= 0.97 && value <= 1.03)})`;
  const wall = (measured?.wall ?? Number.NaN) / (reference?.wall ?? Number.NaN);
  const cpu = (measured?.cpu ?? Number.NaN) / (reference?.cpu ?? Number.NaN);
  return `${ms(measured?.wall ?? Number.NaN)}, ${one('time', wall)}, ${one('CPU', cpu)}`;
};
