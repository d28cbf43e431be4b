#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned dependencies.
#   scripts/setup.sh          what running the assistant needs
#   scripts/setup.sh --test      also what the test suite needs from Debian (PostgreSQL, Redis,
#                                RabbitMQ, nginx, Chromium)
#   scripts/setup.sh --cluster   also what `make run-cluster` needs (PostgreSQL, Redis, RabbitMQ, nginx)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test_services=0
want_cluster_services=0
[ "${1:-}" = "--test" ] && want_test_services=1 && want_cluster_services=1
[ "${1:-}" = "--cluster" ] && want_cluster_services=1

find_python310() {
  local candidate
  for candidate in "${XIAOER_PYTHON:-}" \
    $(ls -d "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r) \
    "$(command -v python3.10 || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] \
      && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then
  if ! py=$(find_python310); then
    echo "setup: Python 3.10 not found. Rasa 3.6 needs Python 3.8-3.10." >&2
    echo "setup: install it (e.g. 'pyenv install 3.10') or point XIAOER_PYTHON at a python3.10." >&2
    exit 1
  fi
  echo "setup: creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
fi

# Reinstall only when the lock file changed since the last successful install.
stamp=.venv/.requirements.lock.sha256
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pinned dependencies (first time: a few minutes, ~3 GB)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip==24.0
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  .venv/bin/python -m pip check
  echo "$want" > "$stamp"
fi

missing=()
if [ "$want_cluster_services" = 1 ]; then
  # The clustered run (and the tests, which start these servers on loopback themselves).
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  [ -x /usr/bin/redis-server ] || missing+=(redis-server)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
fi
if [ "$want_test_services" = 1 ]; then
  # Browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  # Fonts so screenshots show Chinese text and buyers' emoji rather than boxes.
  ls /usr/share/fonts/*/*wqy* /usr/share/fonts/opentype/noto/*CJK* >/dev/null 2>&1 || missing+=(fonts-wqy-zenhei)
  ls /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf >/dev/null 2>&1 || missing+=(fonts-noto-color-emoji)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: these need Debian packages: ${missing[*]} (run as root or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  # Debian's packages would start their own servers where an init system runs; ours start them.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "setup: ready"
