import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError } from './cli-error.js';
import { configFileArgs, withConfigFile } from './config-file.js';

void describe('config file', () => {
  void it('turns a mapping into flags: lists repeat, true is a switch, false is left out', () => {
    const text = 'write-kubeconfig-mode: "0644"\nnode-label: [zone=a, tier=web]\ndisable-agent: true\nkubeconfig-merge: false\nhttps-listen-port: 7443\n';
    assert.deepEqual(configFileArgs(text, 'c.yaml'), ['--write-kubeconfig-mode', '0644', '--node-label', 'zone=a', '--node-label', 'tier=web', '--disable-agent', '--https-listen-port', '7443']);
    assert.deepEqual(configFileArgs('', 'c.yaml'), []);
  });

  void it('puts the file\'s flags before the command line\'s, so the command line wins', () => {
    const read = (): string => 'https-listen-port: 7443\nnode-name: from-file\n';
    assert.deepEqual(withConfigFile(['server', '--config', '/etc/tkube/config.yaml', '--node-name', 'cli'], read), ['server', '--https-listen-port', '7443', '--node-name', 'from-file', '--node-name', 'cli']);
    assert.deepEqual(withConfigFile(['agent', '--config=/c.yaml'], read), ['agent', '--https-listen-port', '7443', '--node-name', 'from-file']);
    assert.deepEqual(withConfigFile(['version', '--config', 'x']), ['version', '--config', 'x'], 'not a configurable command');
    assert.deepEqual(withConfigFile(['server', '--data-dir', 'd']), ['server', '--data-dir', 'd']);
  });

  void it('names the file and the problem in one line', () => {
    const fails = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof CliError && re.test(e.message) && !e.message.includes('\n'));
    fails(() => configFileArgs('- a\n- b\n', 'c.yaml'), /^config file c\.yaml: want a mapping/);
    fails(() => configFileArgs('Bad_Key: 1\n', 'c.yaml'), /"Bad_Key" is not a flag name/);
    fails(() => configFileArgs('node-label: {a: b}\n', 'c.yaml'), /"node-label" wants a string/);
    fails(() => configFileArgs('a: [\n', 'c.yaml'), /^cannot read config file c\.yaml: /);
    fails(
      () =>
        withConfigFile(['server', '--config', '/nope.yaml'], () => {
          throw Object.assign(new Error('no'), { code: 'ENOENT' });
        }),
      /^cannot read config file \/nope\.yaml: ENOENT$/,
    );
    fails(() => withConfigFile(['server', '--config']), /--config wants a file/);
  });
});
