/**
 * Pod failure policy (batch/v1 Job `spec.podFailurePolicy`): the first rule matching a failed pod decides what its
 * failure means — FailJob (the Job fails now), FailIndex (that index fails, Indexed Jobs), Ignore (not counted
 * against backoffLimit), Count (counted, the default without a matching rule).
 */

/** PodFailurePolicyRule is one rule of spec.podFailurePolicy.rules. */
export interface PodFailurePolicyRule {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  onExitCodes?: { containerName?: string; operator: 'In' | 'NotIn'; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

/** FailedPodView is what the rules look at in a failed pod. */
export interface FailedPodView {
  readonly containers: readonly { name: string; exitCode: number | undefined }[];
  readonly conditions: readonly { type: string; status: string }[];
}

/** PolicyMatch is the matching rule and, for exit-code rules, the container and code that matched. */
export interface PolicyMatch {
  readonly index: number;
  readonly rule: PodFailurePolicyRule;
  readonly container?: string;
  readonly exitCode?: number;
}

/** matchPodFailurePolicy returns the first rule that matches, if any. */
export function matchPodFailurePolicy(rules: readonly PodFailurePolicyRule[], pod: FailedPodView): PolicyMatch | undefined {
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index]!;
    const codes = rule.onExitCodes;
    if (codes) {
      for (const c of pod.containers) {
        if (codes.containerName && codes.containerName !== c.name) continue;
        if (c.exitCode === undefined || c.exitCode === 0) continue;
        const listed = codes.values.includes(c.exitCode);
        if ((codes.operator === 'In' && listed) || (codes.operator === 'NotIn' && !listed)) return { index, rule, container: c.name, exitCode: c.exitCode };
      }
    }
    for (const pc of rule.onPodConditions ?? []) {
      if (pod.conditions.some((c) => c.type === pc.type && c.status === (pc.status ?? 'True'))) return { index, rule };
    }
  }
  return undefined;
}
