#!/usr/bin/env bash
# Chromium for the browser tests of samples/SseChat (tests/SseChat.E2E.Tests, driven by Microsoft.Playwright).
#   source .ci/services/chromium.sh start   installs Debian's chromium when /usr/bin/chromium is missing, and exports
#                                           HUMANINLOOP_CHROMIUM (its path) and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1.
#   bash .ci/services/chromium.sh stop      nothing to stop (each test run launches and closes its own browser).
# Idempotent, safe to source under `set -u`, never calls `exit` on the sourcing shell, never changes its shell options.
# Playwright's own browser download is never used: the machine reaches only the Debian, NuGet and npm registries.

_hil_chromium_start() {
  local path=/usr/bin/chromium
  if [ ! -x "$path" ]; then
    echo "chromium: installing chromium (apt-get)"
    if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
      echo "chromium: not root and no sudo; cannot install"; return 1
    fi
    local sudo=""
    [ "$(id -u)" = "0" ] || sudo="sudo -n"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null || return 1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null || return 1
  fi
  [ -x "$path" ] || { echo "chromium: $path is still missing after the install"; return 1; }
  export HUMANINLOOP_CHROMIUM="$path"
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  echo "chromium: ready ($("$path" --version 2>/dev/null | head -n 1)); HUMANINLOOP_CHROMIUM exported"
}

_hil_chromium_main() {
  case "${1:-}" in
    start) _hil_chromium_start ;;
    stop) return 0 ;;
    *) echo "usage: chromium.sh start|stop" >&2; return 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  _hil_chromium_main "${1:-}"
else
  _hil_chromium_main "${1:-}"
  exit $?
fi
