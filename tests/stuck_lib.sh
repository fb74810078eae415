# stuck_lib.sh — source me.  stuck_report PID WHAT: to stderr, where a
# process that should have ended waits or spins: its state, each thread's
# wchan, and every thread's backtrace (gdb, when installed; bounded to
# 30 s).  A hang seen once in CI under load is only fixable from this.
stuck_report() {
  local pid=$1 what=$2 t
  {
    echo "$what: $(grep State /proc/"$pid"/status 2>/dev/null); threads:"
    for t in /proc/"$pid"/task/*; do
      echo "  $(cat "$t/comm" 2>/dev/null) $(cat "$t/stat" 2>/dev/null | awk '{print $3}') $(cat "$t/wchan" 2>/dev/null)"
    done
    if command -v gdb >/dev/null 2>&1; then
      # Twice, a second apart: a spinning loop shows which frames stay.
      for _ in 1 2; do
        timeout 30 gdb -p "$pid" -batch -nx -ex 'set pagination off' \
          -ex 'thread apply all bt 30' 2>/dev/null |
          grep -E '^(Thread|#)' | head -n 200
        echo "--"
        sleep 1
      done
    fi
  } >&2
}
