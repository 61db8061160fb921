/**
 * Faults raised by log reading/clearing. The codes are the Supervisor fault
 * names the RPC layer maps to numeric faults (NO_FILE 20, BAD_ARGUMENTS 3,
 * FAILED 30), so this module stays independent of the XML-RPC code.
 */
export type LogErrorCode = 'NO_FILE' | 'BAD_ARGUMENTS' | 'FAILED';

export class LogError extends Error {
  readonly code: LogErrorCode;
  /** Supervisor puts the file name into NO_FILE's faultString; keep it for the RPC layer. */
  readonly detail: string | undefined;

  constructor(code: LogErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(detail === undefined ? code : `${code}: ${detail}`, options);
    this.name = 'LogError';
    this.code = code;
    this.detail = detail;
  }
}

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const c = (err as { code: unknown }).code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}
