#!/usr/bin/env bash
# Names every native crash (a JVM killed by a signal in libtorch, the JDK, ...) under a folder:
# for each HotSpot error file (hs_err_pid*.log) newer than a marker, the signal, the problematic
# native frame and the test method that was running (the first test-class frame of the crashing
# thread). Surefire alone reports only "The forked VM terminated without properly saying goodbye"
# and hides the frame in a .dumpstream file.
#   submit/native-crashes.sh DIR [NEWER_THAN_FILE]     exit 0 always; prints nothing when none
set -uo pipefail
dir="${1:?usage: native-crashes.sh DIR [NEWER_THAN_FILE]}"
newer=()
[[ -n "${2:-}" && -e "$2" ]] && newer=(-newer "$2")
find "$dir" -name 'hs_err_pid*.log' "${newer[@]}" -print 2>/dev/null | sort | while read -r f; do
  signal=$(grep -m1 -E '^#  (SIG[A-Z]+|EXCEPTION_|Internal Error|Out of Memory)' "$f" | sed 's/^# *//')
  frame=$(grep -A1 -m1 '^# Problematic frame:' "$f" | tail -n1 | sed 's/^# *//')
  # the crashing thread's Java frames, innermost first: the first method of a class named *Test or
  # *Tests (or a class nested in one) is the test
  test=$(sed -n '/^Java frames:/,/^$/p' "$f" \
    | grep -m1 -oE '[A-Za-z0-9_.]*[A-Za-z0-9_]Tests?(\$[A-Za-z0-9_$]+)?\.[A-Za-z0-9_$]+\(' | tr -d '(')
  thread=$(grep -m1 '^Current thread' "$f" | sed -E 's/^Current thread \([^)]*\): *//')
  echo "NATIVE CRASH: ${signal:-unknown signal}"
  echo "  native frame: ${frame:-unknown}"
  echo "  test:         ${test:-none on the crashing thread ($thread)}"
  echo "  error file:   $f"
done
exit 0
