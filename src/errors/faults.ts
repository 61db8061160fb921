// Supervisor's XML-RPC fault codes (supervisor/xmlrpc.py `Faults`). Clients match on
// the numeric code, and supervisorctl on the faultString prefix, so both must be exact.

export const Faults = {
  UNKNOWN_METHOD: 1,
  INCORRECT_PARAMETERS: 2,
  BAD_ARGUMENTS: 3,
  SIGNATURE_UNSUPPORTED: 4,
  SHUTDOWN_STATE: 6,
  BAD_NAME: 10,
  BAD_SIGNAL: 11,
  NO_FILE: 20,
  NOT_EXECUTABLE: 21,
  FAILED: 30,
  ABNORMAL_TERMINATION: 40,
  SPAWN_ERROR: 50,
  ALREADY_STARTED: 60,
  NOT_RUNNING: 70,
  SUCCESS: 80,
  ALREADY_ADDED: 90,
  STILL_RUNNING: 91,
  CANT_REREAD: 92,
} as const;

export type FaultName = keyof typeof Faults;
export type FaultCode = (typeof Faults)[FaultName];

const namesByCode = new Map<number, FaultName>(
  (Object.keys(Faults) as FaultName[]).map((name) => [Faults[name], name]),
);

/** Supervisor's getFaultDescription: unknown codes are described as 'UNKNOWN'. */
export function faultName(code: number): FaultName | 'UNKNOWN' {
  return namesByCode.get(code) ?? 'UNKNOWN';
}

/** A fault as it travels on the wire; its code need not be one of ours. */
export interface WireFault {
  faultCode: number;
  faultString: string;
}

/**
 * A refused control request, as Supervisor's RPCError: faultString is `NAME` or
 * `NAME: detail`. The control service throws it, whoever called; XML-RPC turns it into a
 * <fault>, the JSON API into an HTTP error; the XML-RPC client raises it when it receives
 * one (then constructed from the WireFault).
 */
export class Fault extends Error {
  readonly code: number;
  readonly faultString: string;

  constructor(name: FaultName | WireFault, detail?: string | null) {
    let code: number;
    let text: string;
    if (typeof name === 'string') {
      code = Faults[name];
      text = detail === undefined || detail === null ? name : `${name}: ${detail}`;
    } else {
      code = name.faultCode;
      text = name.faultString;
    }
    super(text);
    this.name = 'Fault';
    this.code = code;
    this.faultString = text;
  }
}
