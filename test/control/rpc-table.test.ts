// The XML-RPC method table is the one source of system.listMethods, methodSignature,
// methodHelp and the argument checks: here it is compared with what Debian's Supervisor
// 4.2.5 answers, and its derived checks are exercised without touching the service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcDispatcher } from '../../src/rpc/dispatch.js';
import { SUPERVISOR_METHODS } from '../../src/rpc/methods.js';
import { SUPERVISOR_TS_METHODS } from '../../src/rpc/methods-ext.js';
import type { ControlService } from '../../src/control/service.js';
import { Faults } from '../../src/errors/faults.js';
import { TestDaemon, hasRealSupervisor } from '../helpers/daemon.js';
import { faultOf } from './helpers.js';

/** A dispatcher whose service must not be reached: every check here happens before. */
function tableOnly(): RpcDispatcher {
  const untouchable = new Proxy({}, {
    get: (_t, key) => {
      throw new Error(`the control service was reached (${String(key)})`);
    },
  });
  return new RpcDispatcher(untouchable as ControlService);
}

/** `@param type name` pairs and the `@return` type of a help text (Supervisor's docstring convention). */
function helpShape(help: string): { params: string[]; returns: string | undefined } {
  return {
    params: [...help.matchAll(/@param\s+(\w+)\s+(\w+)/g)].map((m) => `${m[1]} ${m[2]}`),
    returns: /@return\s+(\w+)/.exec(help)?.[1],
  };
}

test('listMethods, methodSignature and methodHelp come from the table and match Supervisor 4.2.5', { skip: !hasRealSupervisor() && 'needs Debian supervisor' }, async () => {
  const real = new TestDaemon({ real: true });
  await real.start();
  try {
    const ours = tableOnly();
    const names = (await real.call('system.listMethods')) as string[];
    // Supervisor's namespaces exactly; ours (supervisor_ts.*, docs/metrics.md) on top, as a plugin's would be.
    const listed = (await ours.call('system.listMethods', [])) as string[];
    assert.deepEqual(listed.filter((n) => !n.startsWith('supervisor_ts.')), names);
    assert.deepEqual(
      listed.filter((n) => n.startsWith('supervisor_ts.')).map((n) => n.slice('supervisor_ts.'.length)),
      Object.keys(SUPERVISOR_TS_METHODS).sort(),
    );
    assert.deepEqual(
      names.filter((n) => n.startsWith('supervisor.')).map((n) => n.slice('supervisor.'.length)),
      Object.keys(SUPERVISOR_METHODS).sort(),
    );
    for (const name of names) {
      assert.deepEqual(await ours.call('system.methodSignature', [name]), await real.call('system.methodSignature', name), `signature of ${name}`);
      const theirs = helpShape(String(await real.call('system.methodHelp', name)));
      const help = String(await ours.call('system.methodHelp', [name]));
      assert.deepEqual(helpShape(help).params, theirs.params, `@param lines of ${name}`);
      const signature = (await ours.call('system.methodSignature', [name])) as string[];
      assert.equal(helpShape(help).returns, signature[0], `@return of ${name}`);
      assert.ok(help.split('\n')[0]!.length > 10, `${name} has a summary line`);
    }
  } finally {
    await real.stop();
  }
});

test('every method refuses a wrong argument count with INCORRECT_PARAMETERS before reaching the service', async () => {
  const rpc = tableOnly();
  for (const name of rpc.listMethods()) {
    const signature = (await rpc.call('system.methodSignature', [name])) as string[];
    const max = signature.length - 1;
    const tooMany = Array.from({ length: max + 1 }, () => 'x');
    const f = await faultOf(() => rpc.call(name, tooMany));
    assert.deepEqual([f.code, f.faultString], [Faults.INCORRECT_PARAMETERS, 'INCORRECT_PARAMETERS'], `${name} with ${max + 1} arguments`);
    // Only `wait` is optional (startProcess & co.), and restartRolling's batch and timeout:
    // one argument fewer than the required ones is too few.
    const optional = /^supervisor\.(start|stop)(Process|ProcessGroup|AllProcesses)$/.test(name) ? 1 : name === 'supervisor_ts.restartRolling' ? 2 : 0;
    if (max - optional > 0) {
      const f2 = await faultOf(() => rpc.call(name, tooMany.slice(0, max - optional - 1)));
      assert.equal(f2.code, Faults.INCORRECT_PARAMETERS, `${name} with too few arguments`);
    }
  }
});

test('unknown, private and malformed method names are UNKNOWN_METHOD; introspecting them is SIGNATURE_UNSUPPORTED', async () => {
  const rpc = tableOnly();
  for (const name of ['supervisor.nope', 'nope.nope', 'supervisor._update', 'a.b.c', 'supervisor', '.getState', 'supervisor.__proto__', '__proto__.toString', 'supervisor.constructor']) {
    const f = await faultOf(() => rpc.call(name, []));
    assert.equal(f.code, Faults.UNKNOWN_METHOD, name);
    const g = await faultOf(() => rpc.call('system.methodSignature', [name]));
    assert.equal(g.code, Faults.SIGNATURE_UNSUPPORTED, name);
  }
  const multi = (await rpc.call('system.multicall', [[{ methodName: 'system.listMethods', params: [] }, { methodName: 'supervisor.nope' }, 'x']])) as unknown[];
  assert.deepEqual(multi.slice(1), [
    { faultCode: Faults.UNKNOWN_METHOD, faultString: 'UNKNOWN_METHOD' },
    { faultCode: Faults.INCORRECT_PARAMETERS, faultString: 'INCORRECT_PARAMETERS: No methodName' },
  ]);
});
