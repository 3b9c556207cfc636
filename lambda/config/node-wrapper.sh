#!/bin/sh
# The Lambda's exec wrapper (AWS_LAMBDA_EXEC_WRAPPER): Lambda starts the runtime as
# `<this script> <node> <node's arguments...>`. It adds the V8 flags Node refuses in
# NODE_OPTIONS (LAUNCH_FLAGS in lambda/config/heap-flags.ts; a test holds the two equal).
node="$1"
shift
exec "$node" --single-threaded --min-semi-space-size=16 "$@"
