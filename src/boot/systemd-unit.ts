/**
 * The systemd unit `tkube install-service` writes: `tkube server` started at boot and restarted when it exits.
 * Pure: the command line in, the unit text out.
 *
 * KillMode=process stops only the server on `systemctl stop`/restart: each container runs under its own shim and
 * outlives the server, whose kubelet adopts the running containers when it comes back (as k3s's unit does).
 * Delegate=yes lets the node manage the cgroups of the pods below the unit's own.
 */

/** SystemdUnitConfig: what goes into the unit. */
export interface SystemdUnitConfig {
  /** execStart is the full command line: program, then arguments. */
  readonly execStart: readonly string[];
  readonly description?: string;
}

/** systemdQuote quotes one word of ExecStart when it needs it (systemd's own quoting: double quotes, backslash escapes). */
export function systemdQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  // '%' starts a specifier in unit files and '$' a variable expansion in ExecStart: both are doubled.
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** systemdUnit renders the unit file. */
export function systemdUnit(config: SystemdUnitConfig): string {
  const execStart = config.execStart.map(systemdQuote).join(' ');
  return `[Unit]
Description=${config.description ?? 'tkube: a Kubernetes-compatible cluster (control plane and node)'}
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=${execStart}
Restart=always
RestartSec=5s
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0

[Install]
WantedBy=multi-user.target
`;
}
