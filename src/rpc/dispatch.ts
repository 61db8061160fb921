// Method dispatch for the XML-RPC endpoint: `namespace.method` lookup, the `system.*`
// introspection namespace and multicall, with Supervisor's faults for unknown methods.
import { Fault } from '../errors/faults.js';
import type { XmlRpcValue } from './xmlrpc.js';
import type { Method } from './supervisor-ns.js';
import { SIGNATURES } from './signatures.js';

export type Namespaces = Record<string, Record<string, Method>>;

const SYSTEM_SIGNATURES: Record<string, string[]> = {
  listMethods: ['array'],
  methodHelp: ['string', 'string'],
  methodSignature: ['array', 'string'],
  multicall: ['array', 'array'],
};

const HELP: Record<string, string> = {
  'system.listMethods': 'Return an array listing the available method names',
  'system.methodHelp': "Return a string showing the method's documentation",
  'system.methodSignature':
    'Return an array describing the method signature in the form [rtype, ptype, ptype...]',
  'system.multicall':
    "Process an array of calls, and return an array of results. Calls should be structs of the form {'methodName': string, 'params': array}.",
};

export class RpcDispatcher {
  private readonly namespaces: Namespaces;

  constructor(namespaces: Namespaces) {
    this.namespaces = { ...namespaces, system: this.systemNamespace() };
  }

  private signature(full: string): string[] | undefined {
    const [ns, m] = full.split('.');
    if (ns === 'system') return SYSTEM_SIGNATURES[m!];
    if (ns === 'supervisor') return SIGNATURES[m!];
    return undefined;
  }

  listMethods(): string[] {
    const out: string[] = [];
    for (const [ns, methods] of Object.entries(this.namespaces)) for (const m of Object.keys(methods)) out.push(`${ns}.${m}`);
    return out.sort();
  }

  /** Supervisor allows exactly `namespace.method`; anything else is UNKNOWN_METHOD (CVE-2017-11610). */
  call(methodName: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    try {
      const parts = methodName.split('.');
      if (parts.length !== 2 || parts[1]!.startsWith('_')) throw new Fault('UNKNOWN_METHOD');
      // Own properties only: `__proto__.toString` must not reach Object.prototype.
      const ns = Object.hasOwn(this.namespaces, parts[0]!) ? this.namespaces[parts[0]!] : undefined;
      const fn = ns && Object.hasOwn(ns, parts[1]!) ? ns[parts[1]!] : undefined;
      if (!fn) throw new Fault('UNKNOWN_METHOD');
      return Promise.resolve(fn(params));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private systemNamespace(): Record<string, Method> {
    return {
      listMethods: (args) => {
        if (args.length) throw new Fault('INCORRECT_PARAMETERS');
        return this.listMethods();
      },
      methodHelp: (args) => {
        if (args.length !== 1) throw new Fault('INCORRECT_PARAMETERS');
        const name = String(args[0]);
        if (!this.listMethods().includes(name)) throw new Fault('SIGNATURE_UNSUPPORTED');
        return HELP[name] ?? `${name}(${(this.signature(name) ?? []).slice(1).join(', ')})`;
      },
      methodSignature: (args) => {
        if (args.length !== 1) throw new Fault('INCORRECT_PARAMETERS');
        const name = String(args[0]);
        const sig = this.listMethods().includes(name) ? this.signature(name) : undefined;
        if (!sig) throw new Fault('SIGNATURE_UNSUPPORTED');
        return sig;
      },
      multicall: async (args) => {
        if (args.length !== 1 || !Array.isArray(args[0])) throw new Fault('INCORRECT_PARAMETERS');
        const results: XmlRpcValue[] = [];
        // Sequential, like Supervisor: a waiting call holds back the ones after it.
        for (const call of args[0]) {
          try {
            if (call === null || typeof call !== 'object' || Array.isArray(call) || Buffer.isBuffer(call))
              throw new Fault('INCORRECT_PARAMETERS', 'No methodName');
            const c = call as Record<string, XmlRpcValue>;
            const name = c.methodName;
            if (typeof name !== 'string') throw new Fault('INCORRECT_PARAMETERS', 'No methodName');
            if (name === 'system.multicall') throw new Fault('INCORRECT_PARAMETERS', 'Recursive system.multicall forbidden');
            const params = Array.isArray(c.params) ? c.params : [];
            results.push(await this.call(name, params));
          } catch (e) {
            if (e instanceof Fault) results.push({ faultCode: e.code, faultString: e.faultString });
            else results.push({ faultCode: 30, faultString: `FAILED: ${(e as Error).message}` });
          }
        }
        return results;
      },
    };
  }
}
