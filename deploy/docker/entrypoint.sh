#!/bin/sh
# The image's entrypoint. `entrypoint.sh <service>` runs one credroam service; anything else runs as given.
#
# Two values that the services read only whole, as one environment variable, carry a password: the broker URL
# and audit's PostgreSQL URL. So that neither is ever written into a compose file or a Kubernetes manifest, they
# may come from files: CREDROAM_AMQP_URL_FILE and CREDROAM_AUDIT_DB_FILE (a mounted secret) are read here into
# CREDROAM_AMQP_URL and CREDROAM_AUDIT_DB. The day the services read these *_FILE variables themselves, this
# shim goes away.
set -eu

for name in CREDROAM_AMQP_URL CREDROAM_AUDIT_DB; do
  eval "file=\${${name}_FILE:-}"
  if [ -n "$file" ]; then
    if [ ! -r "$file" ]; then
      echo "entrypoint: ${name}_FILE names $file, which cannot be read" >&2
      exit 2
    fi
    value=$(cat "$file")
    export "$name=$value"
    unset "${name}_FILE" value
  fi
done

case "${1:-}" in
  directory-gateway | token-crypto | logon-events | audit)
    # SERVICE_NODE_FLAGS of run-service.cjs (test/deployment checks that they agree).
    exec node --max-semi-space-size=8 --max-old-space-size=256 /app/scripts/lib/run-service.cjs "$1"
    ;;
  "" | --help | -h)
    echo "usage: <directory-gateway|token-crypto|logon-events|audit> | <command …>" >&2
    exit 2
    ;;
  *)
    exec "$@"
    ;;
esac
