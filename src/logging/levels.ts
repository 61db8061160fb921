/** Supervisor's LevelsByName / LevelsByDescription (loggers.py). */
export const Levels = {
  critical: 50,
  error: 40,
  warn: 30,
  info: 20,
  debug: 10,
  trace: 5,
  blather: 3,
} as const;

export type LevelName = keyof typeof Levels;
export type LevelNumber = (typeof Levels)[LevelName];

/** The 4-letter names that appear in log lines (LOG_LEVELS_BY_NUM). */
const SHORT_NAMES: Readonly<Record<number, string>> = {
  50: 'CRIT',
  40: 'ERRO',
  30: 'WARN',
  20: 'INFO',
  10: 'DEBG',
  5: 'TRAC',
  3: 'BLAT',
};

export function levelShortName(level: number): string {
  return SHORT_NAMES[level] ?? String(level);
}

/** getLevelNumByDescription: config `loglevel` value → number, undefined when unknown. */
export function levelByDescription(description: string): LevelNumber | undefined {
  return Object.prototype.hasOwnProperty.call(Levels, description)
    ? Levels[description as LevelName]
    : undefined;
}
