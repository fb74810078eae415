/*
 * obs_proc.c — the process_* metrics of Prometheus' client libraries
 * (client_golang's process collector, with the same names and units), read
 * from /proc/self at scrape time: CPU seconds, resident and virtual memory,
 * open and maximum file descriptors, start time.  Linux only; on a system
 * without /proc the figures it cannot read are left out.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obs.h"

/* Fields 14-15 (utime, stime), 22 (starttime), 23 (vsize), 24 (rss) of
 * /proc/self/stat, after the command's closing parenthesis. */
static int read_stat(double *cpu, double *start, double *vsize, double *rss) {
  char buf[1024];
  FILE *f = fopen("/proc/self/stat", "r");
  if (!f)
    return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p)
    return -1;
  unsigned long long v[25] = {0};
  p += 2; /* ") " then field 3, the state */
  for (int i = 3; i <= 24 && *p; i++) {
    char *e;
    v[i] = strtoull(p, &e, 10);
    p = e;
    while (*p == ' ')
      p++;
    if (i == 3) { /* the state is a letter */
      while (*p && *p != ' ')
        p++;
      while (*p == ' ')
        p++;
    }
  }
  double hz = (double)sysconf(_SC_CLK_TCK);
  long page = sysconf(_SC_PAGESIZE);
  *cpu = (double)(v[14] + v[15]) / hz;
  *vsize = (double)v[23];
  *rss = (double)v[24] * (double)page;
  /* starttime is in ticks since boot: add the boot time. */
  double boot = 0;
  if ((f = fopen("/proc/stat", "r"))) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, "btime ", 6)) {
        boot = strtod(line + 6, NULL);
        break;
      }
    fclose(f);
  }
  *start = boot + (double)v[22] / hz;
  return 0;
}

static long count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d)
    return -1;
  long n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

void node__obs_proc(tr_mw_t *w, void *ud) {
  (void)ud;
  double cpu, start, vsize, rss;
  if (read_stat(&cpu, &start, &vsize, &rss) == 0) {
    tr_mw_one(w, "process_cpu_seconds_total", TR_METRIC_COUNTER,
              "Total user and system CPU time spent in seconds.", cpu);
    tr_mw_one(w, "process_resident_memory_bytes", TR_METRIC_GAUGE,
              "Resident memory size in bytes.", rss);
    tr_mw_one(w, "process_virtual_memory_bytes", TR_METRIC_GAUGE,
              "Virtual memory size in bytes.", vsize);
    tr_mw_one(w, "process_start_time_seconds", TR_METRIC_GAUGE,
              "Start time of the process since unix epoch in seconds.",
              start);
  }
  long fds = count_fds();
  if (fds >= 0)
    tr_mw_one(w, "process_open_fds", TR_METRIC_GAUGE,
              "Number of open file descriptors.", (double)fds);
  long max = sysconf(_SC_OPEN_MAX);
  if (max > 0)
    tr_mw_one(w, "process_max_fds", TR_METRIC_GAUGE,
              "Maximum number of open file descriptors.", (double)max);
}
