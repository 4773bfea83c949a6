/**
 * IptablesProxier: the iptables proxy mode. Each sync reads the current state of our chains (`iptables-save`),
 * renders the snapshot (iptables-rules.ts) and applies it with one `iptables-restore --noflush` (one transaction
 * per table), so a packet sees the old rules or the new ones, never a mix, and nobody else's rules are touched.
 *
 * The `iptables` on the PATH is used as it is (on Debian 12 the nf_tables backend); a node must not mix it with
 * iptables-legacy, whose rules live in another kernel subsystem. `netns` runs every command inside a named network
 * namespace (`ip netns exec`), for nodes simulated as namespaces and for tests.
 *
 * After a sync that removed endpoints of UDP service ports, their conntrack entries are deleted
 * (stale-udp-flows.ts), so UDP clients move to the remaining endpoints at once; without the `conntrack` tool this is
 * skipped with a warning.
 *
 * NodePorts answer on 127.0.0.1 as well (`localhostNodePorts`, on by default as upstream's
 * `--iptables-localhost-nodeports`): the first sync sets `net.ipv4.conf.all.route_localnet=1` in the proxier's
 * network namespace (without it the kernel drops DNATed packets that still carry a 127.0.0.1 source), and the
 * rules drop new non-DNATed connections to 127.0.0.0/8 from other sources, which the sysctl would let in. Only a
 * proxier that found the sysctl off turns it on, and its cleanup() turns it off again (`onRouteLocalnetSet` lets boot
 * record that for a later `tkube down`, which passes `restoreRouteLocalnet`).
 *
 * Families: a proxier programs one family. `family: 'IPv6'` (a dual-stack node's second proxier, fed the IPv6
 * snapshot) uses `ip6tables-save` / `ip6tables-restore` and `conntrack -f ipv6`, with the same chain names in the
 * IPv6 tables; it serves no localhost NodePorts (the kernel never routes ::1 off the node, so no route_localnet).
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../../base/log/logger.js';
import { newLogger } from '../../base/log/logger.js';
import type { Proxier } from '../proxier.js';
import type { ProxySnapshot } from '../proxy-state.js';
import { staleUdpFlowFilters } from './stale-udp-flows.js';
import { chainPrefixFor, EMPTY_STATE, parseIptablesSave, renderRestore, type IptablesState, type RenderOptions } from './iptables-rules.js';

/** CommandRunner runs a program with optional stdin and returns its stdout; it throws with stderr on failure. */
export type CommandRunner = (file: string, args: readonly string[], stdin?: string) => Promise<string>;

/** IptablesProxierConfig constructs an IptablesProxier. */
export interface IptablesProxierConfig {
  /** Names the chain prefix (see chainPrefixFor) unless `chainPrefix` is given. */
  readonly nodeName: string;
  /** At most 9 characters. @default chainPrefixFor(nodeName) */
  readonly chainPrefix?: string;
  /** @default '0x4000' (upstream's masquerade bit) */
  readonly masqueradeMark?: string;
  /** A named network namespace to program instead of the caller's. */
  readonly netns?: string;
  /** NodePorts on 127.0.0.1 (sets route_localnet; see the file comment). @default true */
  readonly localhostNodePorts?: boolean;
  /** Called once when this proxier turned route_localnet on (it was off), so boot can record it for `tkube down`. */
  readonly onRouteLocalnetSet?: () => void;
  /** cleanup() turns route_localnet off again (a previous run of this node turned it on). @default false */
  readonly restoreRouteLocalnet?: boolean;
  /** The family programmed: IPv6 uses ip6tables (see the file comment). @default 'IPv4' */
  readonly family?: 'IPv4' | 'IPv6';
  /** @default execFile */
  readonly run?: CommandRunner;
  readonly log?: Logger;
}

/** runCommand is the default CommandRunner. */
export const runCommand: CommandRunner = (file, args, stdin) =>
  new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    // A program that exits without reading its input (or fails early) closes the pipe: EPIPE there is not the
    // outcome, the exit status is.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin);
  });

/** IptablesProxier: see the file comment. */
export class IptablesProxier implements Proxier {
  readonly mode = 'iptables' as const;
  readonly #o: RenderOptions;
  readonly #netns: string | undefined;
  readonly #run: CommandRunner;
  readonly #log: Logger;
  /** The last restore input applied, so an unchanged snapshot costs one iptables-save and nothing else. */
  #applied = '';
  /** The last snapshot applied, to find UDP endpoints that left. */
  #last: ProxySnapshot | undefined;
  #conntrackMissingLogged = false;
  /** route_localnet has been set (or failed once: logged, not retried). */
  #routeLocalnetDone = false;
  /** This proxier turned route_localnet on (it was off): cleanup() turns it off again. */
  #routeLocalnetChanged = false;
  readonly #onRouteLocalnetSet: (() => void) | undefined;
  /** `iptables` or `ip6tables`: the prefix of the save and restore commands. */
  readonly #tool: 'iptables' | 'ip6tables';

  constructor(config: IptablesProxierConfig) {
    const prefix = config.chainPrefix ?? chainPrefixFor(config.nodeName);
    if (!/^[A-Za-z][A-Za-z0-9]{0,8}$/.test(prefix)) throw new Error(`Cannot use iptables chain prefix "${prefix}": it must be 1-9 letters or digits, starting with a letter`);
    const v6 = config.family === 'IPv6';
    this.#o = { prefix, masqueradeMark: config.masqueradeMark ?? '0x4000', localhostNodePorts: !v6 && (config.localhostNodePorts ?? true), ...(v6 ? { family: 'IPv6' as const } : {}) };
    this.#tool = v6 ? 'ip6tables' : 'iptables';
    this.#netns = config.netns;
    this.#run = config.run ?? runCommand;
    this.#log = config.log ?? newLogger('iptables-proxier');
    this.#onRouteLocalnetSet = config.onRouteLocalnetSet;
    this.#routeLocalnetChanged = config.restoreRouteLocalnet === true;
  }

  /** The chain prefix every chain of this proxier starts with. */
  get chainPrefix(): string {
    return this.#o.prefix;
  }

  /** render is the restore input for `snapshot` from `existing` (default: a namespace without our chains). Pure. */
  render(snapshot: ProxySnapshot, existing?: IptablesState): string {
    return renderRestore(snapshot, this.#o, existing ?? EMPTY_STATE);
  }

  async sync(snapshot: ProxySnapshot): Promise<void> {
    if (this.#o.localhostNodePorts === true && !this.#routeLocalnetDone && snapshot.servicePorts.some((sp) => sp.nodePort !== undefined)) await this.#setRouteLocalnet();
    const existing = await this.#state();
    const input = renderRestore(snapshot, this.#o, existing);
    // The same input as last time with the same chains present means nothing changed (no stale chains, jumps in
    // place); our chains are redeclared every time, so the text alone decides. Edits someone else makes inside our
    // chains are not noticed until the snapshot changes.
    if (input !== '' && input !== this.#applied) {
      await this.#restore(input);
      this.#applied = renderRestore(snapshot, this.#o, await this.#state());
      this.#log.debug('iptables rules applied', { servicePorts: snapshot.servicePorts.length, bytes: input.length });
    }
    const stale = staleUdpFlowFilters(this.#last, snapshot);
    this.#last = snapshot;
    for (const args of stale) await this.#forgetFlows(args);
  }

  /**
   * #setRouteLocalnet lets DNATed packets from 127.0.0.1 leave loopback (the sysctl is per network namespace). A
   * failure is one warning: NodePorts still work on the node's other addresses.
   */
  async #setRouteLocalnet(): Promise<void> {
    this.#routeLocalnetDone = true;
    try {
      if ((await this.#cmd('sysctl', ['-n', 'net.ipv4.conf.all.route_localnet'])).trim() === '1') return;
      await this.#cmd('sysctl', ['-q', '-w', 'net.ipv4.conf.all.route_localnet=1']);
      this.#routeLocalnetChanged = true;
      this.#onRouteLocalnetSet?.();
    } catch (err) {
      this.#log.warn('Cannot set net.ipv4.conf.all.route_localnet: NodePorts do not answer on 127.0.0.1', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** forgetFlows runs one `conntrack -D`; "no entry matched" (exit 1) is the common, quiet outcome. */
  async #forgetFlows(args: readonly string[]): Promise<void> {
    try {
      await this.#cmd('conntrack', args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/0 flow entries have been deleted/.test(message)) return;
      if (/ENOENT|not found/.test(message)) {
        if (!this.#conntrackMissingLogged) this.#log.warn('conntrack tool missing: UDP flows to removed endpoints stay until they time out');
        this.#conntrackMissingLogged = true;
        return;
      }
      this.#log.warn('cannot delete stale UDP conntrack entries', { args: args.join(' '), error: message });
    }
  }

  async cleanup(): Promise<void> {
    const input = renderRestore(undefined, this.#o, await this.#state());
    this.#applied = '';
    this.#last = undefined;
    if (input !== '') await this.#restore(input);
    // Put the host back as found (the sysctl is the namespace's, not ours: only undo what we did).
    if (this.#routeLocalnetChanged) {
      this.#routeLocalnetChanged = false;
      this.#routeLocalnetDone = false;
      await this.#cmd('sysctl', ['-q', '-w', 'net.ipv4.conf.all.route_localnet=0']).catch((err: unknown) => this.#log.warn('Cannot turn net.ipv4.conf.all.route_localnet off again', { error: err instanceof Error ? err.message : String(err) }));
    }
  }

  async #state(): Promise<IptablesState> {
    const nat = await this.#cmd(`${this.#tool}-save`, ['-t', 'nat']);
    const filter = await this.#cmd(`${this.#tool}-save`, ['-t', 'filter']);
    const a = parseIptablesSave(nat, this.#o.prefix);
    const b = parseIptablesSave(filter, this.#o.prefix);
    return { chains: { nat: a.chains.nat, filter: b.chains.filter }, jumps: { nat: a.jumps.nat, filter: b.jumps.filter } };
  }

  async #restore(input: string): Promise<void> {
    try {
      await this.#cmd(`${this.#tool}-restore`, ['--noflush', '-w', '5'], input);
    } catch (err) {
      throw new Error(`Cannot apply ${this.#tool} rules: ${err instanceof Error ? err.message.split('\n').slice(0, 4).join('; ') : String(err)}`);
    }
  }

  #cmd(file: string, args: readonly string[], stdin?: string): Promise<string> {
    return this.#netns === undefined ? this.#run(file, args, stdin) : this.#run('ip', ['netns', 'exec', this.#netns, file, ...args], stdin);
  }
}
