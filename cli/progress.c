/*
 * progress.c — the progress bar of long commands (add, dag import/export,
 * get), as Kubo draws one with cheggaaa/pb: on stderr, only when it is a
 * terminal (or --progress asks for it), never with -q/-Q; done / total,
 * a bar and the percentage when the total is known, the rate and the time
 * left.  Redrawn at most ten times a second; cleared before a line goes to
 * stdout so that the two never mix on a terminal.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool cli_progress_wanted(bool set, bool value, bool quiet) {
  if (set)
    return value;
  return !quiet && isatty(2);
}

void cli_progress_start(cli_progress_t *p, bool on, uint64_t total) {
  memset(p, 0, sizeof *p);
  p->on = on;
  p->total = total;
  p->start_ns = now_ns();
}

static void size_str(uint64_t n, char *out, size_t cap) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)n;
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  snprintf(out, cap, u ? "%.2f %s" : "%.0f %s", v, units[u]);
}

static void draw(cli_progress_t *p, uint64_t t) {
  struct winsize ws;
  int width = ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
  double secs = (double)(t - p->start_ns) / 1e9;
  double rate = secs > 0 ? (double)p->done / secs : 0;
  char done[32], total[32], speed[32], line[512], eta[32] = "";
  size_str(p->done, done, sizeof done);
  size_str((uint64_t)rate, speed, sizeof speed);
  if (p->total && rate > 0 && p->done < p->total) {
    uint64_t left = (uint64_t)((double)(p->total - p->done) / rate);
    if (left >= 3600)
      snprintf(eta, sizeof eta, " %lluh%02llum", (unsigned long long)left / 3600,
               (unsigned long long)left % 3600 / 60);
    else if (left >= 60)
      snprintf(eta, sizeof eta, " %llum%02llus", (unsigned long long)left / 60,
               (unsigned long long)left % 60);
    else
      snprintf(eta, sizeof eta, " %llus", (unsigned long long)left);
  }
  if (!p->total) {
    snprintf(line, sizeof line, "%s %s/s", done, speed);
  } else {
    uint64_t d = p->done > p->total ? p->total : p->done;
    double frac = (double)d / (double)p->total;
    size_str(p->total, total, sizeof total);
    char head[96], tail[96];
    snprintf(head, sizeof head, "%s / %s ", done, total);
    snprintf(tail, sizeof tail, " %6.2f%% %s/s%s", frac * 100, speed, eta);
    int bar = width - 1 - (int)strlen(head) - (int)strlen(tail) - 2;
    if (bar > 60)
      bar = 60;
    if (bar < 10) {
      snprintf(line, sizeof line, "%s%s", head, tail + 1);
    } else {
      char b[64];
      int fill = (int)(frac * bar);
      for (int i = 0; i < bar; i++)
        b[i] = i < fill ? '=' : i == fill ? '>' : '-';
      if (fill >= bar)
        b[bar - 1] = '=';
      b[bar] = 0;
      snprintf(line, sizeof line, "%s[%s]%s", head, b, tail);
    }
  }
  fprintf(stderr, "\r\033[K%.*s", width - 1, line);
  fflush(stderr);
  p->drawn = true;
  p->last_ns = t;
}

void cli_progress_set(cli_progress_t *p, uint64_t done) {
  p->done = done;
  if (!p->on)
    return;
  uint64_t t = now_ns();
  if (p->drawn && t - p->last_ns < 100000000ull)
    return;
  draw(p, t);
}

void cli_progress_add(cli_progress_t *p, uint64_t n) {
  cli_progress_set(p, p->done + n);
}

void cli_progress_clear(cli_progress_t *p) {
  if (p->on && p->drawn) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = false;
  }
}

void cli_progress_end(cli_progress_t *p) {
  if (!p->on)
    return;
  if (!p->total || p->done > p->total)
    p->total = p->done;
  fflush(stdout);
  draw(p, now_ns());
  fputc('\n', stderr);
  p->on = false;
}

/* ------------------------------------------------------------ the total */

static int tree_size(int dirfd, const char *name, bool recursive,
                     const cli_filter_t *f,
                     int depth, uint64_t *total) {
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
    return -1;
  if (S_ISREG(st.st_mode)) {
    *total += (uint64_t)st.st_size;
    return 0;
  }
  if (!S_ISDIR(st.st_mode) || !recursive || depth > 64)
    return 0;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char **names;
  size_t n;
  if (cli_list_dir(fd, f, &names, &n) == 0) {
    for (size_t i = 0; i < n; i++)
      tree_size(fd, names[i], recursive, f, depth + 1, total);
    cli_free_names(names, n);
  }
  close(fd);
  return 0;
}

uint64_t cli_paths_size(char **paths, int n, bool recursive,
                        const cli_filter_t *f) {
  uint64_t total = 0;
  struct stat st;
  if (n == 0)
    return fstat(0, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size
                                                     : 0;
  for (int i = 0; i < n; i++)
    tree_size(AT_FDCWD, paths[i], recursive, f, 0, &total);
  return total;
}
