#!/usr/bin/env bash
# Installs the Debian tools that the tests shell out to (see test/lib/tools.ts):
#   nginx    -> package nginx                    (end-to-end access-log tests)
#   promtool -> package prometheus               (promtool check/test rules)
#   amtool   -> package prometheus-alertmanager  (amtool check-config)
#   openssl  -> package openssl                  (self-signed certificates for TLS tests)
# Idempotent: apt is touched only when a tool is missing, so a second run is a
# no-op. Runs as root (the CI machine) or through passwordless sudo (GitHub
# runners, developer machines). Never starts the daemons these packages ship.
set -euo pipefail

# Order matters only for the printed output.
TOOLS=(nginx promtool amtool openssl)
declare -A PACKAGE_OF=([nginx]=nginx [promtool]=prometheus [amtool]=prometheus-alertmanager [openssl]=openssl)

log() { printf '[install-tools] %s\n' "$*"; }

# The same lookup as test/lib/tools.ts: PATH first, then the sbin/bin dirs that a
# non-root PATH often lacks (nginx lives in /usr/sbin).
find_tool() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
    return 0
  fi
  for dir in /usr/sbin /usr/bin; do
    if [[ -x "$dir/$name" ]]; then
      printf '%s\n' "$dir/$name"
      return 0
    fi
  done
  return 1
}

# Prints the first line of a command's output (stdout or stderr: nginx -v uses
# stderr). Captured rather than piped to head, which under pipefail could fail
# the script with SIGPIPE.
first_line() {
  local out
  out=$("$@" 2>&1)
  printf '%s\n' "${out%%$'\n'*}"
}

POLICY_RC=/usr/sbin/policy-rc.d
policy_backup=""
# Prefix for commands that need root; stays empty when we already are root.
AS_ROOT=()

# Put back whatever policy-rc.d the machine had (Docker images ship one), or
# remove ours, so the machine's service policy is unchanged after we exit.
restore_policy_rc() {
  if [[ -n "$policy_backup" ]]; then
    "${AS_ROOT[@]}" mv -f "$policy_backup" "$POLICY_RC"
  else
    "${AS_ROOT[@]}" rm -f "$POLICY_RC"
  fi
}

# Debian's maintainer scripts start nginx/prometheus/alertmanager on install via
# invoke-rc.d / deb-systemd-invoke; both ask policy-rc.d first, and exit code
# 101 means "action forbidden". Tests run their own nginx on loopback ports, so
# a system daemon would only hold port 80/9090/9093 and outlive the run.
forbid_service_starts() {
  if [[ -e "$POLICY_RC" ]]; then
    # Created by root so that moving it back restores a root-owned file.
    policy_backup=$("${AS_ROOT[@]}" mktemp /tmp/policy-rc.d.XXXXXX)
    "${AS_ROOT[@]}" cp -p "$POLICY_RC" "$policy_backup"
  fi
  trap restore_policy_rc EXIT
  printf '#!/bin/sh\n# written by scripts/install-tools.sh while it installs packages\nexit 101\n' |
    "${AS_ROOT[@]}" tee "$POLICY_RC" >/dev/null
  "${AS_ROOT[@]}" chmod 755 "$POLICY_RC"
}

main() {
  local start=$SECONDS tool path
  local -a missing_packages=()
  for tool in "${TOOLS[@]}"; do
    if path=$(find_tool "$tool"); then
      log "$tool: present at $path"
    else
      log "$tool: missing, will install package ${PACKAGE_OF[$tool]}"
      missing_packages+=("${PACKAGE_OF[$tool]}")
    fi
  done

  if ((${#missing_packages[@]} > 0)); then
    if [[ $(id -u) -ne 0 ]]; then
      if ! sudo -n true 2>/dev/null; then
        log "need root or passwordless sudo to install: ${missing_packages[*]}" >&2
        exit 1
      fi
      AS_ROOT=(sudo -n)
    fi
    forbid_service_starts
    log "apt-get update"
    "${AS_ROOT[@]}" apt-get update -qq
    log "apt-get install ${missing_packages[*]}"
    # env, not a plain assignment, so the variable survives sudo's env reset.
    "${AS_ROOT[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing_packages[@]}"
    restore_policy_rc
    trap - EXIT
  fi

  # Fail here, with the tool's name, rather than later inside a test.
  for tool in "${TOOLS[@]}"; do
    if ! find_tool "$tool" >/dev/null; then
      log "$tool still missing after installing ${PACKAGE_OF[$tool]}" >&2
      exit 1
    fi
  done

  log "versions:"
  first_line "$(find_tool promtool)" --version
  first_line "$(find_tool amtool)" --version
  first_line "$(find_tool nginx)" -v
  first_line "$(find_tool openssl)" version
  log "done in $((SECONDS - start)) s"
}

main "$@"
