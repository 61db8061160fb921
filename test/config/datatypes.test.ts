import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as dt from '../../src/config/datatypes.js';
import { testSystem } from './helpers.js';

const sys = testSystem();
const err = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof dt.DatatypeError) return e.message;
    throw e;
  }
  return 'no error';
};

test('boolean', () => {
  for (const t of ['true', 'YES', 'On', '1']) assert.equal(dt.boolean(t), true);
  for (const f of ['false', 'no', 'OFF', '0']) assert.equal(dt.boolean(f), false);
  assert.equal(err(() => dt.boolean('maybe')), "not a valid boolean value: 'maybe'");
});

test('integer like Python int()', () => {
  assert.equal(dt.integer(' 42 '), 42);
  assert.equal(dt.integer('-3'), -3);
  assert.equal(dt.integer('1_000'), 1000);
  assert.equal(err(() => dt.integer('4x')), "invalid literal for int() with base 10: '4x'");
});

test('byte sizes', () => {
  assert.equal(dt.byteSize('50MB'), 50 * 1024 * 1024);
  assert.equal(dt.byteSize('1kb'), 1024);
  assert.equal(dt.byteSize('1GB'), 1024 ** 3);
  assert.equal(dt.byteSize('123'), 123);
  assert.equal(dt.byteSize('0'), 0);
  assert.match(err(() => dt.byteSize('12TB')), /invalid literal/);
});

test('signals by name, SIG name and number', () => {
  assert.deepEqual(dt.signalNumber('TERM'), { num: 15, name: 'TERM' });
  assert.deepEqual(dt.signalNumber('sigkill'), { num: 9, name: 'KILL' });
  assert.deepEqual(dt.signalNumber('1'), { num: 1, name: 'HUP' });
  assert.deepEqual(dt.signalNumber('USR2'), { num: 12, name: 'USR2' });
  assert.equal(err(() => dt.signalNumber('BOGUS')), "value 'BOGUS' is not a valid signal name");
  assert.equal(err(() => dt.signalNumber('99')), "value '99' is not a valid signal number");
});

test('exit code lists', () => {
  assert.deepEqual(dt.listOfExitcodes('0,2, 3'), [0, 2, 3]);
  assert.equal(err(() => dt.listOfExitcodes('0,256')), "not a valid list of exit codes: '0,256'");
  assert.equal(err(() => dt.listOfExitcodes('a')), "not a valid list of exit codes: 'a'");
});

test('octal', () => {
  assert.equal(dt.octal('022'), 0o22);
  assert.equal(dt.octal('0o777'), 0o777);
  assert.equal(err(() => dt.octal('089')), '089 can not be converted to an octal type');
});

test('autorestart', () => {
  assert.equal(dt.autoRestart('TRUE'), 'true');
  assert.equal(dt.autoRestart('off'), 'false');
  assert.equal(dt.autoRestart('Unexpected'), 'unexpected');
  assert.equal(err(() => dt.autoRestart('Sometimes')), "invalid 'autorestart' value 'sometimes'");
});

test('inet addresses', () => {
  assert.deepEqual(dt.inetAddress('127.0.0.1:9001'), { host: '127.0.0.1', port: 9001 });
  assert.deepEqual(dt.inetAddress('*:9001'), { host: '', port: 9001 });
  assert.deepEqual(dt.inetAddress('9001'), { host: '', port: 9001 });
  assert.deepEqual(dt.inetAddress('LocalHost:1'), { host: 'localhost', port: 1 });
  assert.equal(err(() => dt.inetAddress('host:')), "no port number specified in ''");
  assert.equal(err(() => dt.inetAddress('abc')), "not a valid port number: 'abc' ");
  assert.equal(err(() => dt.inetAddress('h:0')), '0 is below lower bound (1)');
  assert.equal(err(() => dt.inetAddress('h:70000')), '70000 is above upper bound (65535)');
});

test('logfile names', () => {
  assert.deepEqual(dt.logfileName('AUTO', sys), { kind: 'auto' });
  assert.deepEqual(dt.logfileName('none', sys), { kind: 'none' });
  assert.deepEqual(dt.logfileName('OFF', sys), { kind: 'none' });
  assert.deepEqual(dt.logfileName('Syslog', sys), { kind: 'syslog' });
  assert.deepEqual(dt.logfileName('/tmp/x.log', sys), { kind: 'path', path: '/tmp/x.log' });
  assert.deepEqual(dt.logfileName('~/x.log', sys), { kind: 'path', path: '/root/x.log' });
  assert.equal(
    err(() => dt.logfileName('/nonexistent-dir/x.log', sys)),
    'The directory named as part of the path /nonexistent-dir/x.log does not exist',
  );
});

test('dict_of_key_value_pairs with shell-like quoting', () => {
  assert.deepEqual(dt.dictOfKeyValuePairs('A="x",B=\'y\',C=z'), { A: 'x', B: 'y', C: 'z' });
  assert.deepEqual(dt.dictOfKeyValuePairs('A="a,b",B="c d"'), { A: 'a,b', B: 'c d' });
  assert.deepEqual(dt.dictOfKeyValuePairs('PATH="/usr/bin:/bin",X=1.5'), { PATH: '/usr/bin:/bin', X: '1.5' });
  assert.deepEqual(dt.dictOfKeyValuePairs('A=1,\n B=2'), { A: '1', B: '2' });
  assert.deepEqual(dt.dictOfKeyValuePairs(''), {});
  assert.equal(err(() => dt.dictOfKeyValuePairs('A=')), "Unexpected end of key/value pairs in value 'A='");
  assert.equal(err(() => dt.dictOfKeyValuePairs('A="x')), 'No closing quotation');
});

test('process and group names', () => {
  assert.equal(dt.processOrGroupName(' web '), 'web');
  assert.equal(err(() => dt.processOrGroupName('a b')), "Invalid name: 'a b' because of character: ' '");
  assert.equal(err(() => dt.processOrGroupName('a:b')), "Invalid name: 'a:b' because of character: ':'");
});

test('users and groups', () => {
  assert.equal(dt.nameToUid('root', sys), 0);
  assert.equal(dt.nameToUid('0', sys), 0);
  assert.equal(err(() => dt.nameToUid('no-such-user-x', sys)), 'Invalid user name no-such-user-x');
  assert.equal(err(() => dt.nameToUid('987654', sys)), 'Invalid user id 987654');
  assert.deepEqual(dt.colonSeparatedUserGroup('root:root', sys), { uid: 0, gid: 0 });
  assert.deepEqual(dt.colonSeparatedUserGroup('root', sys), { uid: 0, gid: -1 });
  assert.equal(err(() => dt.colonSeparatedUserGroup('root:nogrp-x', sys)), 'Invalid user:group definition root:nogrp-x');
});

test('logging levels', () => {
  assert.equal(dt.loggingLevel('DEBUG'), 'debug');
  assert.equal(err(() => dt.loggingLevel('loud')), "bad logging level name 'loud'");
});
