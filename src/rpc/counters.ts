// XML-RPC calls and faults per method, for /metrics. A name that is no method is counted
// as '(unknown)': method labels come from the table, so a client sending random names
// cannot grow the daemon's memory or a scraper's series without bound.
import { faultName } from '../errors/faults.js';

export const UNKNOWN_METHOD_LABEL = '(unknown)';

export class RpcCounters {
  /** method → calls (multicall's inner calls count on their own, and multicall once). */
  readonly calls = new Map<string, number>();
  /** method → fault name → faults answered. */
  readonly faults = new Map<string, Map<string, number>>();

  called(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  faulted(method: string, code: number): void {
    let byFault = this.faults.get(method);
    if (!byFault) this.faults.set(method, (byFault = new Map()));
    const name = faultName(code);
    byFault.set(name, (byFault.get(name) ?? 0) + 1);
  }
}
