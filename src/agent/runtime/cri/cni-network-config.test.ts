/**
 * The containerd node's CNI network: the conf_template containerd fills from UpdateRuntimeConfig's pod CIDRs must
 * render to the same network as cniConfList writes for those CIDRs. `renderLikeContainerd` stands in for
 * containerd's Go text/template for the two constructs the template uses (a range over a list with a comma
 * between elements); the integration test (test/integration/kubelet-containerd.test.ts) has the real containerd
 * render it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cniConfList, cniConfTemplate } from './cni-network-config.js';

const spec = { name: 'tkube-tkube0', bridge: 'tkube0', ipamDataDir: '/var/lib/tkube/agent/containerd/cni/ipam' };

/** renderLikeContainerd fills `{{range $i, $r := .X}}{{if $i}}, {{end}}…{{$r}}…{{end}}` as text/template would. */
function renderLikeContainerd(template: string, values: { PodCIDRRanges: readonly string[]; Routes: readonly string[] }): string {
  const out = template.replace(/\{\{range \$i, \$r := \.(\w+)\}\}\{\{if \$i\}\}(.*?)\{\{end\}\}(.*?)\{\{end\}\}/g, (_, field: string, sep: string, body: string) => {
    const list = values[field as keyof typeof values];
    assert.ok(list, `the template uses .${field}, which containerd 1.6 fills`);
    return list.map((v) => body.replaceAll('{{$r}}', v)).join(sep);
  });
  assert.doesNotMatch(out, /\{\{|\}\}/, 'every template action was understood');
  return out;
}

/** containerd's routes for a set of CIDRs: one default route per family, IPv4 first. */
const routesFor = (cidrs: readonly string[]): string[] => [...(cidrs.some((c) => !c.includes(':')) ? ['0.0.0.0/0'] : []), ...(cidrs.some((c) => c.includes(':')) ? ['::/0'] : [])];

void describe('CNI network of a containerd node', () => {
  void it('renders the template to the network for the Node\'s pod CIDR', () => {
    const cidrs = ['10.42.3.0/24'];
    const rendered = renderLikeContainerd(cniConfTemplate(spec), { PodCIDRRanges: cidrs, Routes: routesFor(cidrs) });
    assert.deepEqual(JSON.parse(rendered), JSON.parse(cniConfList(spec, cidrs)));
    const net = JSON.parse(rendered) as { name: string; plugins: { type: string; bridge?: string; isGateway?: boolean; ipMasq?: boolean; ipam?: { type: string; ranges: { subnet: string }[][]; routes: { dst: string }[]; dataDir: string } }[] };
    assert.equal(net.name, 'tkube-tkube0');
    assert.deepEqual(net.plugins.map((p) => p.type), ['bridge', 'loopback']);
    const bridge = net.plugins[0];
    // The runc backend's bridge and gateway (first address of the range), no iptables masquerade of the plugin's own.
    assert.equal(bridge?.bridge, 'tkube0');
    assert.equal(bridge?.isGateway, true);
    assert.equal(bridge?.ipMasq, false);
    assert.equal(bridge?.ipam?.type, 'host-local');
    assert.deepEqual(bridge?.ipam?.ranges, [[{ subnet: '10.42.3.0/24' }]]);
    assert.deepEqual(bridge?.ipam?.routes, [{ dst: '0.0.0.0/0' }]);
    assert.equal(bridge?.ipam?.dataDir, spec.ipamDataDir);
  });

  void it('gives a dual-stack node a range and a default route per family', () => {
    const cidrs = ['10.42.3.0/24', 'fd42:0:0:3::/64'];
    const rendered = renderLikeContainerd(cniConfTemplate(spec), { PodCIDRRanges: cidrs, Routes: routesFor(cidrs) });
    assert.deepEqual(JSON.parse(rendered), JSON.parse(cniConfList(spec, cidrs)));
    const ipam = (JSON.parse(rendered) as { plugins: { ipam?: { ranges: unknown; routes: unknown } }[] }).plugins[0]?.ipam;
    assert.deepEqual(ipam?.ranges, [[{ subnet: '10.42.3.0/24' }], [{ subnet: 'fd42:0:0:3::/64' }]]);
    assert.deepEqual(ipam?.routes, [{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
  });

  void it('refuses an empty range list', () => {
    assert.throws(() => cniConfList(spec, []), /no pod CIDR/);
  });
});
