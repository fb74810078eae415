# bench/lib/cpu.sh — sourced by the benchmarks that report CPU time
# (p2p.sh, dht_provide.sh, dht_sweep.sh); not a benchmark itself.
#
# cpu_secs PID...: the CPU seconds (user + system, /proc/PID/stat fields
# 14 and 15) the processes have used so far, summed, two decimals; a
# process already gone counts 0.
CPU_TCK=$(getconf CLK_TCK)
cpu_secs() {
  local p t sum=0
  for p in "$@"; do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null) || t=0
    sum=$((sum + ${t:-0}))
  done
  awk -v s="$sum" -v t="$CPU_TCK" 'BEGIN{printf "%.2f", s / t}'
}
