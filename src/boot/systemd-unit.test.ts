import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemdQuote, systemdUnit } from './systemd-unit.js';

void describe('systemd unit', () => {
  void it('quotes ExecStart words that need it, and escapes specifiers and variables', () => {
    assert.equal(systemdQuote('/usr/bin/node'), '/usr/bin/node');
    assert.equal(systemdQuote('--data-dir=/var/lib/tkube'), '--data-dir=/var/lib/tkube');
    assert.equal(systemdQuote('/srv/my data'), '"/srv/my data"');
    assert.equal(systemdQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(systemdQuote('50%$HOME'), '"50%%$$HOME"');
    assert.equal(systemdQuote(''), '""');
  });

  void it('runs the command at boot, restarts it, and stops only the server process', () => {
    const unit = systemdUnit({ execStart: ['/usr/bin/node', '/opt/tkube/dist/tkube.mjs', 'server', '--data-dir', '/var/lib/tkube'] });
    assert.match(unit, /^\[Unit\]\nDescription=tkube: .*\nWants=network-online.target\nAfter=network-online.target\n/);
    assert.match(unit, /\nExecStart=\/usr\/bin\/node \/opt\/tkube\/dist\/tkube.mjs server --data-dir \/var\/lib\/tkube\n/);
    for (const line of ['Restart=always', 'KillMode=process', 'Delegate=yes', 'WantedBy=multi-user.target']) assert.ok(unit.includes(`\n${line}\n`), line);
  });
});
