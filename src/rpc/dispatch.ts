// Method dispatch for the XML-RPC endpoint: `namespace.method` lookup in the method
// tables, the argument checks derived from them, the `system.*` introspection namespace
// and multicall, with Supervisor's faults for unknown methods and wrong arguments.
import { Fault } from '../errors/faults.js';
import type { ControlService } from '../control/service.js';
import type { XmlRpcValue } from './xmlrpc.js';
import { InfoEncoder } from './info-encoder.js';
import { SUPERVISOR_METHODS, method, type CallContext, type MethodSpec } from './methods.js';
import { SUPERVISOR_TS_METHODS } from './methods-ext.js';
import { RpcCounters, UNKNOWN_METHOD_LABEL } from './counters.js';
import { anyValue, list, param, plain } from './params.js';

/** Any value names a method: Supervisor looks up str(name), so 1 is just no such method. */
const methodName = param(anyValue('string'), 'name', 'the name of the method');

const SYSTEM_METHODS: Readonly<Record<string, MethodSpec>> = {
  listMethods: method({
    help: 'Return an array listing the available method names',
    params: [],
    returns: plain<string[]>('array', 'result', 'the method names'),
    live: false,
    call: ({ rpc }) => rpc.listMethods(),
  }),
  methodHelp: method({
    help: "Return a string showing the method's documentation",
    params: [methodName],
    returns: plain<string>('string', 'result', 'the documentation'),
    live: false,
    call: ({ rpc }, name) => rpc.methodHelp(String(name)),
  }),
  methodSignature: method({
    help: 'Return an array describing the method signature in the form [rtype, ptype, ptype...]',
    params: [methodName],
    returns: plain<string[]>('array', 'result', 'the return type, then the parameter types'),
    live: false,
    call: ({ rpc }, name) => rpc.methodSignature(String(name)),
  }),
  multicall: method({
    help:
      "Process an array of calls, and return an array of results. Calls should be structs of the form {'methodName': string, 'params': array}.\n" +
      "Each result is a one-item array holding the result, or a {'faultCode': int, 'faultString': string} struct.",
    params: [param(list, 'calls', 'the calls')],
    returns: plain<XmlRpcValue[]>('array', 'result', 'one result per call'),
    live: false,
    call: ({ rpc }, calls) => rpc.multicall(calls),
  }),
};

const NAMESPACES: Readonly<Record<string, Readonly<Record<string, MethodSpec>>>> = {
  supervisor: SUPERVISOR_METHODS,
  supervisor_ts: SUPERVISOR_TS_METHODS,
  system: SYSTEM_METHODS,
};

/** `namespace.method`, or undefined. Own properties only: `__proto__.toString` must not reach Object.prototype. */
function find(full: string): MethodSpec | undefined {
  const parts = full.split('.');
  if (parts.length !== 2) return undefined;
  const [ns, name] = parts as [string, string];
  const methods = Object.hasOwn(NAMESPACES, ns) ? NAMESPACES[ns] : undefined;
  return methods && Object.hasOwn(methods, name) ? methods[name] : undefined;
}

const METHOD_NAMES: readonly string[] = Object.entries(NAMESPACES)
  .flatMap(([ns, methods]) => Object.keys(methods).map((m) => `${ns}.${m}`))
  .sort();

/** [return type, parameter types...], as methodSignature answers. */
export function signatureOf(spec: MethodSpec): string[] {
  return [spec.returns.wire, ...spec.params.map((p) => p.kind.wire)];
}

/** The help text: a summary, then Supervisor's `@param type name doc` / `@return type name doc` lines. */
export function helpOf(spec: MethodSpec): string {
  const lines = spec.params.map((p) => `@param ${p.kind.wire} ${p.name} ${p.doc}${p.dflt ? ` (default ${String(p.dflt.value)})` : ''}`);
  lines.push(`@return ${spec.returns.wire} ${spec.returns.name} ${spec.returns.doc}`);
  return `${spec.help}\n\n${lines.join('\n')}\n`;
}

export class RpcDispatcher {
  private readonly infos = new InfoEncoder();
  private readonly ctx: CallContext;

  constructor(
    control: ControlService,
    /** Calls and faults per method (the daemon keeps one across core runs for /metrics). */
    readonly counters = new RpcCounters(),
  ) {
    this.ctx = {
      control,
      rpc: {
        listMethods: () => this.listMethods(),
        methodHelp: (name) => helpOf(this.introspect(name)),
        methodSignature: (name) => signatureOf(this.introspect(name)),
        multicall: (calls) => this.multicall(calls),
      },
    };
  }

  listMethods(): string[] {
    return [...METHOD_NAMES];
  }

  /** Supervisor allows exactly `namespace.method`; anything else is UNKNOWN_METHOD (CVE-2017-11610). */
  async call(name: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    const spec = name.split('.')[1]?.startsWith('_') ? undefined : find(name);
    const label = spec ? name : UNKNOWN_METHOD_LABEL;
    this.counters.called(label);
    try {
      return await this.run(spec, params);
    } catch (e) {
      if (e instanceof Fault) this.counters.faulted(label, e.code);
      throw e;
    }
  }

  private async run(spec: MethodSpec | undefined, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    if (!spec) throw new Fault('UNKNOWN_METHOD');
    // Python raises TypeError (INCORRECT_PARAMETERS) on a wrong count before the method runs.
    if (params.length < spec.required || params.length > spec.params.length) throw new Fault('INCORRECT_PARAMETERS');
    if (spec.live) this.ctx.control.ensureRunning();
    const args = spec.params.map((p, i) => (i < params.length ? p.kind.decode(params[i]!) : p.dflt!.value));
    const result: unknown = await spec.invoke(this.ctx, args);
    return spec.returns.encode(result as never, this.infos);
  }

  private introspect(name: string): MethodSpec {
    const spec = find(name);
    if (!spec) throw new Fault('SIGNATURE_UNSUPPORTED');
    return spec;
  }

  /** Sequential, like Supervisor: a waiting call holds back the ones after it. */
  private async multicall(calls: XmlRpcValue[]): Promise<XmlRpcValue[]> {
    const results: XmlRpcValue[] = [];
    for (const call of calls) {
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
  }
}
