// The routing policies a comparison runs: `--policies kv,kv:4,round_robin,random,least_loaded`,
// where `kv:W` is the kv policy with overlap weight W (Dynamo's overlap_score_weight).

import type { RoutingPolicyName } from '@mini-dynamo/protocol';
import { ROUTING_POLICIES } from '@mini-dynamo/telemetry';
import { UsageError } from './cli-options.js';

export interface PolicyVariant {
  policy: RoutingPolicyName;
  /** null = the router's default weight. */
  overlapWeight: number | null;
  label: string;
}

export function routingPolicy(text: string): RoutingPolicyName {
  const found = ROUTING_POLICIES.find((p) => p === text);
  if (!found) throw new UsageError(`unknown routing policy "${text}" (${ROUTING_POLICIES.join(', ')}; kv:W sets the overlap weight)`);
  return found;
}

export function policyVariant(text: string): PolicyVariant {
  const [name, weight] = text.trim().split(':');
  const policy = routingPolicy(name ?? '');
  if (weight === undefined) return { policy, overlapWeight: null, label: policy };
  const w = Number(weight);
  if (policy !== 'kv' || !Number.isFinite(w) || w < 0) throw new UsageError(`bad policy variant "${text}" (only kv:W with W ≥ 0)`);
  return { policy, overlapWeight: w, label: `kv w=${w}` };
}

export function policyList(text: string): PolicyVariant[] {
  return text.split(',').map(policyVariant);
}

/** Headers the gateway reads for a per-request policy and overlap-weight override. */
export const ROUTER_HEADER = 'x-mini-dynamo-router';
export const OVERLAP_WEIGHT_HEADER = 'x-mini-dynamo-overlap-weight';

export function variantHeaders(v: PolicyVariant): Record<string, string> {
  return { [ROUTER_HEADER]: v.policy, ...(v.overlapWeight === null ? {} : { [OVERLAP_WEIGHT_HEADER]: String(v.overlapWeight) }) };
}
