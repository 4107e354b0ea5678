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
up=false
for _ in $(seq 1 50); do port_open 5432 && port_open 6379 && up=true && break; sleep 0.2; done
if [ "$up" != true ]; then
  echo "test-setup: PostgreSQL (5432) or Redis (6379) did not come up" >&2
  exit 1
fi

# The PostgreSQL tests connect as `postgres` without a password to the database `test` and create
# a database of their own from there. A fresh Debian cluster asks local TCP clients for a password
# and has no `test` database: allow loopback connections without one (a test machine only), then
# create it.
pg_ok() { PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -U postgres -d "$1" -Atqc 'SELECT 1' >/dev/null 2>&1; }
if ! pg_ok postgres && [ -d /etc/postgresql ]; then
  echo "test-setup: letting loopback clients into PostgreSQL without a password"
  hba="/etc/postgresql/$(ls /etc/postgresql | sort -V | tail -n 1)/main/pg_hba.conf"
  sed -i -e '1i host all all 127.0.0.1/32 trust' -e '1i host all all ::1/128 trust' "$hba"
  runuser -u postgres -- psql -Atqc 'SELECT pg_reload_conf()' >/dev/null
fi
if ! pg_ok test; then
  echo "test-setup: creating the PostgreSQL database test"
  psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'CREATE DATABASE test' >/dev/null
fi
pg_ok test || { echo "test-setup: cannot connect to PostgreSQL as postgres at 127.0.0.1:5432/test" >&2; exit 1; }
