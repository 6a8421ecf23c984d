#!/bin/sh
# Starts a standalone worker (`mini-dynamo worker`; every flag can also come from its MINI_DYNAMO_* env var) from the container environment:
# its id and advertised host default to the container hostname (compose replica / StatefulSet pod).
set -eu
host="$(hostname)"
exec node packages/gateway/dist/cli.js worker \
  --nats "${MINI_DYNAMO_NATS:?set MINI_DYNAMO_NATS, e.g. nats://nats:4222}" \
  --worker-id "${MINI_DYNAMO_WORKER_ID:-$host}" \
  --advertise-host "${MINI_DYNAMO_ADVERTISE_HOST:-$host}" \
  --host 0.0.0.0 \
  --port "${MINI_DYNAMO_PORT:-8081}" \
  --model "${MINI_DYNAMO_MODEL:-/models/stories260K}" \
  --device "${MINI_DYNAMO_DEVICE:-cpu}" \
  "$@"
