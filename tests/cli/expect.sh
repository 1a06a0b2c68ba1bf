# Sourced by the CLI test scripts: expect and check, counting passes and failures.
failures=0
passed=0

# expect CODE PATTERN -- command...: exit code must be CODE ("nonzero" for any failure) and the
# combined output must match PATTERN (grep -E, on a line or across lines).
expect() {
  local code=$1 pattern=$2
  shift 3
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  local ok=1
  if [ "$code" = nonzero ]; then [ $rc -ne 0 ] || ok=0; else [ $rc -eq "$code" ] || ok=0; fi
  # A pattern may span lines: it is also tried on the output joined into one line.
  { echo "$out" | grep -Eq -- "$pattern" || echo "$out" | tr '\n' ' ' | grep -Eq -- "$pattern"; } || ok=0
  if [ $ok -eq 1 ]; then
    passed=$((passed + 1))
  else
    failures=$((failures + 1))
    echo "FAILED: $* (exit $rc, wanted $code and /$pattern/)"
    echo "$out" | head -20 | sed 's/^/    /'
  fi
}

# check DESCRIPTION -- command...: the command must succeed.
check() {
  local what=$1
  shift 2
  if "$@"; then passed=$((passed + 1)); else failures=$((failures + 1)); echo "FAILED: $what"; fi
}
