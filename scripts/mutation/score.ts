import { readFileSync } from 'node:fs';

/** Stryker's JSON report (mutation-testing-report-schema): each file's mutants and their status. */
interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

/** The bar every security module is held to. */
export const MINIMUM_SCORE = 90;

/** Counted as Stryker counts them: detected (killed, timed out) over valid (detected, survived, not covered). */
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export interface ModuleScore {
  file: string;
  detected: number;
  undetected: number;
  /** Percent, or undefined for a file with no valid mutant. */
  score: number | undefined;
}

export const moduleScores = (report: Report): ModuleScore[] =>
  Object.entries(report.files)
    .map(([file, { mutants }]) => {
      const detected = mutants.filter((mutant) => DETECTED.has(mutant.status)).length;
      const undetected = mutants.filter((mutant) => UNDETECTED.has(mutant.status)).length;
      const valid = detected + undetected;
      return { file, detected, undetected, score: valid ? (100 * detected) / valid : undefined };
    })
    .sort((a, b) => a.file.localeCompare(b.file));

/** Prints each module's score, from one report or several (one per group); false when one is under the bar. */
export const printScores = (reportFiles: readonly string[]): boolean => {
  const files = Object.assign(
    {},
    ...reportFiles.map((file) => (JSON.parse(readFileSync(file, 'utf8')) as Report).files),
  ) as Report['files'];
  const scores = moduleScores({ files });
  let ok = true;
  for (const { file, detected, undetected, score } of scores) {
    const low = score !== undefined && score < MINIMUM_SCORE;
    ok &&= !low;
    const shown = score === undefined ? '   -  ' : `${score.toFixed(1).padStart(5)}%`;
    console.log(
      `${shown}  ${String(detected).padStart(4)} detected ${String(undetected).padStart(3)} not  ${file}${low ? '  < 90%' : ''}`,
    );
  }
  return ok;
};
