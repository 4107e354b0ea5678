#!/usr/bin/env bash
# Installs and starts what the test suite needs on a Debian machine, then leaves: Chromium for the
# browser tests, promtool (Debian's prometheus package) for the metrics test, PostgreSQL and Redis
# for the distributed mode. Safe to run again: it installs only what is missing (apt-get needs
# root) and starts a service only when nothing answers on its port.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 5432; then
  echo "test-setup: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
fi
if ! port_open 6379; then
  echo "test-setup: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
for _ in $(seq 1 50); do port_open 5432 && port_open 6379 && exit 0; sleep 0.2; done
echo "test-setup: PostgreSQL (5432) or Redis (6379) did not come up" >&2
exit 1
