#!/usr/bin/env bash
# Runs the built shardis binary the way an operator does and checks outputs and exit codes.
#   cli_test.sh SHARDIS conf FILE   -t and locate on a shipped config file
#   cli_test.sh SHARDIS errors      refused files: exit 1, the message on stderr only
#   cli_test.sh SHARDIS flags       --version, --help, bad flags
#   cli_test.sh SHARDIS daemon      -d, -p and -o with a running proxy, stopped by SIGTERM
# Run from the source root (CTest sets the working directory).
set -uo pipefail

bin=$1
mode=$2
failures=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shardis-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run EXPECTED_RC ARGS...: runs shardis, leaves stdout/stderr in $tmp/out and $tmp/err.
run() {
  local expected=$1
  shift
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" -ne "$expected" ]; then
    fail "shardis $* exited $rc, expected $expected; stderr: $(cat "$tmp/err")"
  fi
}

expect_file() {  # expect_file out|err EXPECTED_TEXT
  local actual
  actual=$(cat "$tmp/$1")
  if [ "$actual" != "$2" ]; then
    fail "std$1 was:"$'\n'"$actual"$'\n'"expected:"$'\n'"$2"
  fi
}

check_conf() {
  local file=$1
  run 0 -t -c "$file"
  expect_file out "shardis: configuration file '$file' syntax is ok"
  expect_file err ""

  local keys=(greeting "user:{42}:name" "user:{42}:mail" $'bin\x01\tkey' "")
  run 0 locate -c "$file" -- "${keys[@]}"
  expect_file err ""
  local lines pools
  lines=$(wc -l <"$tmp/out")
  pools=$(cut -f1 "$tmp/out" | sort -u | wc -l)
  if [ "$lines" -ne $((pools * ${#keys[@]})) ] || [ "$pools" -lt 1 ]; then
    fail "locate printed $lines lines for ${#keys[@]} keys in $pools pools"
  fi
  if awk -F'\t' 'NF != 6 || $5 == "" || $6 == "" { bad = 1 } END { exit !bad }' "$tmp/out"; then
    fail "locate lines without 6 non-empty fields:"$'\n'"$(cat "$tmp/out")"
  fi
  if ! grep -qF 'bin\x01\x09key' "$tmp/out"; then
    fail "locate did not escape the non-printable key"
  fi
  # Keys sharing a hash tag share a server in every pool that has a tag rule.
  awk -F'\t' '$2 ~ /^user:\{42\}:/ && $3 == "42" { s[$1] = s[$1] " " $5 }
    END { for (p in s) { split(s[p], a, " "); if (a[1] != a[2]) exit 1 } }' "$tmp/out" ||
    fail "tagged keys landed on different servers: $(cat "$tmp/out")"

  local first
  first=$(head -n1 "$tmp/out" | cut -f1)
  run 0 locate -c "$file" --pool "$first" greeting
  if [ "$(wc -l <"$tmp/out")" -ne 1 ] || [ "$(cut -f1 "$tmp/out")" != "$first" ]; then
    fail "locate --pool $first printed: $(cat "$tmp/out")"
  fi
  run 1 locate -c "$file" --pool no-such-pool greeting
  expect_file out ""
}

check_errors() {
  printf 'alpha:\n  listen: 127.0.0.1:6380\n  hsah: md5\n  servers: [127.0.0.1:7001:1]\n' \
    >"$tmp/unknown.yml"
  run 1 -t -c "$tmp/unknown.yml"
  expect_file out ""
  expect_file err "$tmp/unknown.yml:3:3: pool 'alpha': unknown key 'hsah'
shardis: configuration file '$tmp/unknown.yml' syntax is invalid"

  printf 'alpha:\n  listen: 127.0.0.1:6380\n  hash: fnv2\n  servers: [127.0.0.1:7001:1]\n' \
    >"$tmp/hash.yml"
  run 1 locate -c "$tmp/hash.yml" key
  expect_file out ""
  expect_file err "$tmp/hash.yml:3:9: pool 'alpha': hash 'fnv2' is not one of one_at_a_time, \
md5, crc16, crc32, crc32a, fnv1_64, fnv1a_64, fnv1_32, fnv1a_32, hsieh, murmur, jenkins"

  printf 'alpha:\n  listen: [127.0.0.1:6380\n' >"$tmp/syntax.yml"
  run 1 -t -c "$tmp/syntax.yml"
  if ! grep -q "^$tmp/syntax.yml:[0-9]*:[0-9]*: YAML syntax error: " "$tmp/err"; then
    fail "no positioned YAML error: $(cat "$tmp/err")"
  fi

  run 1 -t -c "$tmp/missing.yml"
  if ! grep -q "^$tmp/missing.yml: cannot open the configuration file: " "$tmp/err"; then
    fail "no message for a missing file: $(cat "$tmp/err")"
  fi
  # Serving refuses a bad file before it binds anything.
  run 1 -c "$tmp/unknown.yml"
  expect_file err "$tmp/unknown.yml:3:3: pool 'alpha': unknown key 'hsah'"

  # A log file in a directory that does not exist is refused at start, from -o or the file,
  # and the directory is not made. The listen socket could not be made either (so that nothing
  # keeps running if the log check were missing): the refusal must come first.
  printf 'alpha:\n  listen: %s\n  servers: [127.0.0.1:7001:1]\n' "$tmp/nosock/s.sock" \
    >"$tmp/plain.yml"
  run 1 -c "$tmp/plain.yml" -o "$tmp/nodir/x.log"
  expect_file out ""
  expect_file err "shardis: cannot open log file '$tmp/nodir/x.log': directory '$tmp/nodir' \
does not exist (shardis does not create it)"
  [ -e "$tmp/nodir" ] && fail "-o made the missing directory $tmp/nodir"
  printf 'shardis:\n  log_file: %s\nalpha:\n  listen: %s\n  servers: [127.0.0.1:7001:1]\n' \
    "$tmp/nodir2/y.log" "$tmp/nosock/s.sock" >"$tmp/logdir.yml"
  run 1 -c "$tmp/logdir.yml"
  expect_file out ""
  expect_file err "shardis: cannot open log file '$tmp/nodir2/y.log': directory '$tmp/nodir2' \
does not exist (shardis does not create it)"
  [ -e "$tmp/nodir2" ] && fail "log_file made the missing directory $tmp/nodir2"
  # -t checks the file's content only, as nutcracker -t does: directories are checked at start.
  run 0 -t -c "$tmp/logdir.yml"
}

check_flags() {
  run 0 -V
  expect_file out "shardis 0.1.0"
  run 0 --version
  expect_file out "shardis 0.1.0"
  run 0 --help
  grep -q "^Usage: shardis" "$tmp/out" || fail "--help printed no usage"
  run 0 -h
  grep -q -- "--test-config" "$tmp/out" || fail "-h does not list --test-config"
  run 1 --bogus
  [ "$(head -n1 "$tmp/err")" = "shardis: unknown option '--bogus'" ] ||
    fail "unexpected message for --bogus: $(head -n1 "$tmp/err")"
  run 1 locate -c conf/shardis.yml
  expect_file err "shardis: locate needs at least one key: shardis locate -c FILE [--pool NAME] \
KEY...

$(cat "$tmp/out")$("$bin" --help | tail -n +3)"
  run 1 -s 0
  [ "$(head -n1 "$tmp/err")" = "shardis: invalid value '0' for -s (--stats-port)" ] ||
    fail "unexpected message for -s 0: $(head -n1 "$tmp/err")"
}

# wait_for SECONDS COMMAND...: polls every 0.1 s until the command succeeds.
wait_for() {
  local tries=$(($1 * 10))
  shift
  for _ in $(seq "$tries"); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

check_daemon() {
  # A random port below the kernel's ephemeral range (32768 and up), where the other tests'
  # connections and free ports live; the backend need not exist, nothing connects to the pool.
  local port=$((20000 + RANDOM % 12000))
  local stats=$((port + 1))
  printf 'p:\n  listen: 127.0.0.1:%d\n  servers: [127.0.0.1:1:1 s1]\n' "$port" >"$tmp/d.yml"
  run 0 -d -p "$tmp/d.pid" -o "$tmp/d.log" -s "$stats" -c "$tmp/d.yml"
  expect_file out ""
  expect_file err ""
  if ! wait_for 10 test -s "$tmp/d.pid"; then
    fail "no pid file after -d -p; log: $(cat "$tmp/d.log" 2>/dev/null)"
    return
  fi
  local pid
  pid=$(cat "$tmp/d.pid")
  kill -0 "$pid" 2>/dev/null || fail "pid $pid from the pid file is not running"
  [ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ] && fail "daemon $pid is a session leader"
  kill -TERM "$pid"
  wait_for 20 test ! -e "$tmp/d.pid" || fail "pid file still there after SIGTERM"
  grep -q "shardis 0.1.0 starting" "$tmp/d.log" || fail "log file: $(cat "$tmp/d.log")"
}

case $mode in
  conf) check_conf "$3" ;;
  errors) check_errors ;;
  flags) check_flags ;;
  daemon) check_daemon ;;
  *) fail "unknown mode $mode" ;;
esac
[ "$failures" -eq 0 ]
