// The routing policies a comparison runs, validated against protocol's RoutingPolicyName.

import type { RoutingPolicyName } from '@mini-dynamo/protocol';
import { UsageError } from './cli-options.js';

export const ALL_POLICIES: readonly RoutingPolicyName[] = ['kv', 'round_robin', 'random', 'least_loaded'];

export function routingPolicy(text: string): RoutingPolicyName {
  const found = ALL_POLICIES.find((p) => p === text);
  if (!found) throw new UsageError(`unknown routing policy "${text}" (${ALL_POLICIES.join(', ')})`);
  return found;
}

export function policyList(text: string): RoutingPolicyName[] {
  return text.split(',').map((p) => routingPolicy(p.trim()));
}

/** The header the gateway reads for a per-request policy override. */
export const ROUTER_HEADER = 'x-mini-dynamo-router';
