/**
 * The leader election flags of `tkube controller-manager` and `tkube scheduler`, with upstream's names and
 * client-go's defaults (the server has the same three).
 */
import type { Command } from 'commander';
import type { LeaderElectionTiming } from '../../boot/leader-election.js';
import { parseDurationMs } from './server.js';

/** LeaderElectionFlags are the parsed flags. */
export interface LeaderElectionFlags {
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
}

/** addLeaderElectionFlags declares the flags on a command. */
export function addLeaderElectionFlags(cmd: Command): Command {
  return cmd
    .option('--leader-elect-lease-duration <duration>', 'how long other candidates wait after the leader stopped renewing before taking over', parseDurationMs, 15_000)
    .option('--leader-elect-renew-deadline <duration>', 'how long the leader tries to renew before it stops leading (less than the lease duration)', parseDurationMs, 10_000)
    .option('--leader-elect-retry-period <duration>', 'how often candidates try to acquire and the leader renews', parseDurationMs, 2_000);
}

/** leaderElectionTiming turns the flags into the timing of startElected. */
export function leaderElectionTiming(f: LeaderElectionFlags): LeaderElectionTiming {
  return { leaseDurationMs: f.leaderElectLeaseDuration, renewDeadlineMs: f.leaderElectRenewDeadline, retryPeriodMs: f.leaderElectRetryPeriod };
}
