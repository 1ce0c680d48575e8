#!/usr/bin/env bash
# Runs `promtool check metrics` on the exposition written by stats_sample_metrics ($1).
set -euo pipefail
if ! command -v promtool >/dev/null; then
  echo "promtool not found: install Debian's prometheus package (scripts/install-deps.sh)" >&2
  exit 1
fi
text=$("$1")
[ -n "$text" ] || { echo "stats_sample_metrics wrote nothing" >&2; exit 1; }
# promtool prints lint problems and exits non-zero on them or on a parse error.
printf '%s\n' "$text" | promtool check metrics
echo "promtool check metrics: ok ($(printf '%s\n' "$text" | grep -vc '^#') samples)"
