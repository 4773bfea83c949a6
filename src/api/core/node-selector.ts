/**
 * Node selector matching (core/v1 NodeSelector): terms are ORed, a term's requirements ANDed; matchExpressions
 * read labels, matchFields read `metadata.name`. A term with no requirements matches nothing, as upstream. Shared by
 * the scheduler and the DaemonSet controller.
 */
import type { KubeObject } from '../meta/types.js';

/** NodeSelectorRequirement is one matchExpressions/matchFields entry. */
export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt' | string;
  values?: string[];
}

/** NodeSelectorTerm: its requirements are ANDed; a NodeSelector's terms are ORed. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function matchesRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = Number.parseInt(value, 10);
      const want = Number.parseInt(values[0] ?? '', 10);
      if (Number.isNaN(have) || Number.isNaN(want)) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** termMatches tells whether one term matches the node. */
export function termMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  if (!exprs.every((r) => matchesRequirement(r, labels[r.key]))) return false;
  return fields.every((r) => r.key === 'metadata.name' && matchesRequirement(r, node.metadata?.name));
}

/** anyTermMatches tells whether some term matches (the ORed NodeSelector). */
export function anyTermMatches(terms: readonly NodeSelectorTerm[], node: KubeObject): boolean {
  return terms.some((t) => termMatches(t, node));
}
