// Argument coercion for XML-RPC methods, with Python's semantics where Supervisor relies
// on them (truthiness of `wait`, TypeError -> INCORRECT_PARAMETERS on a wrong count).
import { Fault } from '../errors/faults.js';
import type { XmlRpcValue } from './xmlrpc.js';

export type Args = XmlRpcValue[];

export function str(v: XmlRpcValue | undefined): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  throw new Fault('INCORRECT_PARAMETERS');
}
export function int(v: XmlRpcValue | undefined): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v !== null && typeof v === 'object' && 'value' in v && typeof v.value === 'number') return Math.trunc(v.value);
  throw new Fault('INCORRECT_PARAMETERS');
}
/** Python truthiness, as Supervisor tests `wait`: 'yes', 1 and [0] are true; '', 0, [] false. */
export function bool(v: XmlRpcValue | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' || Buffer.isBuffer(v) || Array.isArray(v)) return v.length > 0;
  if (v instanceof Date) return true;
  if (typeof v === 'object' && 'value' in v && typeof v.value === 'number') return v.value !== 0;
  return Object.keys(v).length > 0;
}
/** Python raises TypeError (-> INCORRECT_PARAMETERS) when the argument count is wrong. */
export function arity(args: Args, min: number, max = min): void {
  if (args.length < min || args.length > max) throw new Fault('INCORRECT_PARAMETERS');
}

