#!/usr/bin/env python3
"""soak.py MANIFEST OUTDIR -- the two phases of the soak test and its report.

tests/soak.sh starts the daemon, fills the repo, writes MANIFEST (ports,
daemon PID, CIDs, hashes) and runs this; it then stops the daemon and
verifies the repo itself.  Here:

  phase A  the honest clients of honest.py alone, SOAK_A_SECS (45)
  phase B  the same honest clients, and the attackers of attack.py, each in
           a process of its own (so that its CPU loops do not starve the
           honest threads of the GIL), started SOAK_STAGGER (8) seconds
           apart in ATTACKS order so that the report can say after which
           attacker's start the honest requests began to fail; all run to
           the end of phase B, SOAK_B_SECS (75).  SOAK_ATTACKS=a,b picks some.

A sampler reads the daemon's VmRSS, VmHWM, threads and open fds from /proc
ten times a second.  Over SOAK_RSS_CAP_MB (2048) it kills the daemon
(SIGKILL, by the PID soak.sh started) so that a memory bomb fails the test
instead of the machine.

Prints, for A and B side by side: honest requests, failures, p50/p99/max
latency, peak RSS; per operation; each attacker's own figures; every
honest failure in B with the attackers running when it began.  Latency is
printed, never judged.  Writes OUTDIR/results.json and OUTDIR/reasons (one
line per reason to fail; empty when all went well); exits 1 if any.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import honest

HERE = os.path.dirname(os.path.abspath(__file__))
# Cheapest first, the bomb (which can freeze a daemon) last.
ATTACKS = ["slowloris", "range-flood", "rapid-reset", "zero-window", "gc-storm", "hamt-bomb"]


def env_num(name, default):
    return float(os.environ.get(name, default))


# ------------------------------------------------------------------ sampler

class Sampler(threading.Thread):
    """Samples /proc/PID/status; kills the daemon over the RSS cap."""

    def __init__(self, pid, cap_mb):
        super().__init__(daemon=True)
        self.pid, self.cap_kb = pid, cap_mb * 1024
        self.samples = []  # (monotonic, rss_kb, hwm_kb, threads, fds)
        self.dead = None   # why the daemon is gone, once it is
        self.stop = threading.Event()

    def read(self):
        try:
            with open("/proc/%d/status" % self.pid) as fh:
                kv = dict(line.split(":", 1) for line in fh if ":" in line)
            fds = len(os.listdir("/proc/%d/fd" % self.pid))
        except OSError:
            return None
        if kv.get("State", "").strip().startswith("Z"):
            return None
        num = lambda k: int(kv.get(k, "0").split()[0])
        return (time.monotonic(), num("VmRSS"), num("VmHWM"), num("Threads"), fds)

    def run(self):
        while not self.stop.wait(0.1) and self.dead is None:
            s = self.read()
            if s is None:
                self.dead = "daemon exited on its own"
            elif s[1] > self.cap_kb:
                os.kill(self.pid, signal.SIGKILL)
                self.dead = "daemon killed by the soak test at VmRSS %d MB (cap %d MB)" % (
                    s[1] // 1024, self.cap_kb // 1024)
            if s:
                self.samples.append(s)
        if self.dead:
            self.dead_at = time.monotonic()

    def window(self, t0, t1):
        return [s for s in self.samples if t0 <= s[0] <= t1]

    def rss_at(self, t):
        before = [s for s in self.samples if s[0] <= t]
        return before[-1][1] // 1024 if before else 0


# ------------------------------------------------------------------ phases

class Phase:
    def __init__(self, name, secs):
        self.name, self.secs = name, secs
        self.rec = honest.Recorder()
        self.attackers = []  # dicts: name, start (offset s), rss_mb, proc, result
        self.not_started = []

    def active_at(self, offset):
        return [a["name"] for a in self.attackers if a["start"] <= offset]


def run_phase(m, sampler, ph, attacks, stagger, outdir):
    stop = threading.Event()
    ph.t0 = time.monotonic()
    threads = honest.start(m, ph.rec, stop)
    plan = [(i * stagger, a) for i, a in enumerate(attacks)]
    end = ph.t0 + ph.secs
    while time.monotonic() < end and sampler.dead is None:
        now = time.monotonic() - ph.t0
        while plan and plan[0][0] <= now:
            _, name = plan.pop(0)
            err = open(os.path.join(outdir, "attack-%s.err" % name), "w")
            proc = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "attack.py"), name, m["manifest"],
                 str(max(5.0, ph.secs - now))], stdout=subprocess.PIPE, stderr=err, text=True)
            err.close()  # the child has its own copy
            ph.attackers.append({"name": name, "start": round(now, 1), "proc": proc,
                                 "rss_mb": sampler.rss_at(time.monotonic())})
        time.sleep(0.1)
    ph.t1 = time.monotonic()
    ph.not_started = [name for _, name in plan]
    stop.set()
    if sampler.dead:  # no target left: ask the attackers to report now
        for a in ph.attackers:
            a["proc"].send_signal(signal.SIGTERM)
    for a in ph.attackers:
        try:
            out, _ = a["proc"].communicate(timeout=20)
            line = out.strip().splitlines()[-1:] or ["{}"]
            a["result"] = json.loads(line[0])
        except (subprocess.TimeoutExpired, ValueError) as e:
            a["proc"].kill()  # only our own child, by its handle
            a["proc"].wait()
            a["result"] = {"error": "attacker did not report: %s" % type(e).__name__}
        del a["proc"]
    for t in threads:  # in-flight requests finish or time out (30 s)
        t.join(timeout=honest.TIMEOUT + 15)
    ph.t2 = time.monotonic()


# ------------------------------------------------------------------ report

def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def summary(recs):
    ms = [r["ms"] for r in recs]
    return {"n": len(recs), "fail": sum(not r["ok"] for r in recs),
            "p50": pct(ms, 50), "p99": pct(ms, 99), "max": max(ms, default=float("nan"))}


def peaks(sampler, ph):
    w = sampler.window(ph.t0, ph.t2)
    return {"rss_mb": max((s[1] for s in w), default=0) // 1024,
            "hwm_mb": max((s[2] for s in w), default=0) // 1024,
            "threads": max((s[3] for s in w), default=0),
            "fds": max((s[4] for s in w), default=0)}


def death_note(sampler, r):
    """Say whether a failure is the daemon's death rather than its cause."""
    if not sampler.dead:
        return ""
    if r["start"] >= sampler.dead_at:
        return "  (daemon already gone)"
    if r["start"] + r["ms"] / 1000.0 + 0.5 >= sampler.dead_at:
        return "  (in flight when the daemon went)"
    return ""


def print_report(phases, sampler):
    a, b = phases
    sa, sb = summary(a.rec.records), summary(b.rec.records)
    pa, pb = peaks(sampler, a), peaks(sampler, b)
    print("\n== soak: phase A (honest only, %ds) vs phase B (honest + attackers, %ds)"
          % (a.secs, b.secs))
    print("%-22s %12s %12s" % ("", "A", "B"))
    for k, fmt in [("n", "%12d"), ("fail", "%12d"), ("p50", "%12.1f"), ("p99", "%12.1f"),
                   ("max", "%12.1f")]:
        label = {"n": "honest requests", "fail": "failures"}.get(k, k + " latency ms")
        print("%-22s" % label + fmt % sa[k] + fmt % sb[k])
    for k in ["rss_mb", "hwm_mb", "threads", "fds"]:
        print("%-22s %12d %12d" % ("peak " + k.replace("_mb", " MB"), pa[k], pb[k]))
    print("\nper operation: n fail p50 p99 (ms)")
    ops = sorted({r["op"] for p in phases for r in p.rec.records})
    for op in ops:
        cols = []
        for p in phases:
            s = summary([r for r in p.rec.records if r["op"] == op])
            cols.append("%5d %4d %8.1f %8.1f" % (s["n"], s["fail"], s["p50"], s["p99"]))
        print("  %-14s A %s   B %s" % (op, cols[0], cols[1]))
    print("\nattackers in phase B (start offset, daemon RSS then, their figures):")
    for at in b.attackers:
        print("  +%4.0fs %-12s rss %4d MB  %s" % (at["start"], at["name"], at["rss_mb"],
                                                json.dumps(at.get("result", {}))))
    if b.not_started:
        print("  not started (the daemon was gone): %s; to see them alone: SOAK_ATTACKS=%s"
              % (", ".join(b.not_started), ",".join(b.not_started)))
    print("\nRSS timeline in B (MB, every 5 s):",
          " ".join("+%d:%d" % (round(s[0] - b.t0), s[1] // 1024)
                   for s in sampler.window(b.t0, b.t1)[::50]))
    for p in phases:
        fails = sorted((r for r in p.rec.records if not r["ok"]), key=lambda r: r["start"])
        if not fails:
            continue
        print("\nhonest failures in phase %s: %d" % (p.name, len(fails)))
        if sampler.dead and p.t0 <= sampler.dead_at <= p.t2:
            print("  (%s at +%.1fs)" % (sampler.dead, sampler.dead_at - p.t0))
        groups = {}
        for r in fails:
            off = r["start"] - p.t0
            key = (p.active_at(off)[-1:] or ["-"])[0]
            groups.setdefault(key, []).append(r)
        for key, rs in groups.items():
            print("  after %s started: %d failed (%s)" % (
                key, len(rs), ", ".join(sorted({r["op"] for r in rs}))))
        for r in fails[:15]:
            off = r["start"] - p.t0
            print("  +%6.1fs %-6s %-13s %7.0f ms  [%s]  %s%s" % (
                off, r["client"], r["op"], r["ms"], ",".join(p.active_at(off)) or "-", r["err"],
                death_note(sampler, r)))
        if len(fails) > 15:
            print("  ... %d more in results.json" % (len(fails) - 15))
    return sa, sb, pa, pb


def main():
    manifest, outdir = sys.argv[1], sys.argv[2]
    with open(manifest) as fh:
        m = json.load(fh)
    m["manifest"], m["tmp"] = manifest, outdir
    with open(m["data"] + "/20m.bin", "rb") as fh:
        fh.seek(1000)
        m["slice"] = fh.read(100)
    attacks = [x for x in os.environ.get("SOAK_ATTACKS", ",".join(ATTACKS)).split(",") if x]
    unknown = set(attacks) - set(ATTACKS)
    if unknown:
        sys.exit("soak.py: unknown attackers %s (known: %s)" % (sorted(unknown), ATTACKS))
    sampler = Sampler(m["pid"], int(env_num("SOAK_RSS_CAP_MB", 2048)))
    sampler.start()
    phases = [Phase("A", env_num("SOAK_A_SECS", 45)), Phase("B", env_num("SOAK_B_SECS", 75))]
    print("phase A: honest clients only, %ds" % phases[0].secs, flush=True)
    run_phase(m, sampler, phases[0], [], 0, outdir)
    if sampler.dead is None:
        print("phase B: honest clients + %s, %ds" % (",".join(attacks), phases[1].secs),
              flush=True)
        run_phase(m, sampler, phases[1], attacks, env_num("SOAK_STAGGER", 8), outdir)
    else:
        phases[1].t0 = phases[1].t1 = phases[1].t2 = time.monotonic()
    time.sleep(0.3)
    sampler.stop.set()
    sampler.join()
    sa, sb, pa, pb = print_report(phases, sampler)

    reasons = []
    for p, s in zip(phases, (sa, sb)):
        if s["fail"]:
            reasons.append("%d of %d honest requests failed in phase %s" % (s["fail"], s["n"], p.name))
    if sampler.dead:
        off = sampler.dead_at - phases[1].t0
        reasons.append("%s (phase B +%.0fs, attackers running: %s)" % (
            sampler.dead, off, ",".join(phases[1].active_at(off)) or "none"))
    for at in phases[1].attackers:
        bad = [k for k in at.get("result", {}) if k.startswith("crashed") or k == "error"]
        if bad:
            reasons.append("attacker %s broke: %s" % (at["name"], bad[0]))
    with open(os.path.join(outdir, "results.json"), "w") as fh:
        json.dump({"A": {"summary": sa, "peaks": pa, "records": phases[0].rec.records},
                   "B": {"summary": sb, "peaks": pb, "records": phases[1].rec.records,
                         "attackers": phases[1].attackers},
                   "samples": sampler.samples}, fh)
    with open(os.path.join(outdir, "reasons"), "w") as fh:
        fh.write("".join(r + "\n" for r in reasons))
    sys.exit(1 if reasons else 0)


if __name__ == "__main__":
    main()
