// Replica sync between gateways over NATS (as Dynamo's router replicas do): every local routing
// decision and finish is published; peers apply them so all replicas predict the same worker
// loads (and, in approximate mode, the same cache contents). Own events are ignored by routerId.

import type { NatsConnection } from 'nats';
import { replicaEventFromJson, replicaEventToJson, type MiniRouter } from '@mini-dynamo/router';
import { subjects } from '@mini-dynamo/worker';

export interface ReplicaSync {
  close(): void;
}

export function startReplicaSync(nats: NatsConnection, router: MiniRouter): ReplicaSync {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let open = true;
  router.onReplicaEvent((event) => {
    if (open && !nats.isClosed()) nats.publish(subjects.replica, encoder.encode(replicaEventToJson(event)));
  });
  const subscription = nats.subscribe(subjects.replica, {
    callback: (_e, msg) => {
      const event = replicaEventFromJson(decoder.decode(msg.data));
      if (event && open) router.applyReplicaEvent(event);
    },
  });
  return {
    close() {
      open = false;
      subscription.unsubscribe();
    },
  };
}
