/*
 * p2p_peer.c — a libp2p peer built on net/host.h alone, for the interop
 * test (tests/interop/p2p_js.sh) and the benchmark (bench/p2p.sh).  Not
 * part of trove: `make tests` and `make bench` build it into
 * build/tests/p2p_peer.
 *
 * It always serves two test protocols: /trove/test/echo/1.0.0 (every byte
 * written back, FIN answered with FIN) and /trove/test/sink/1.0.0 (bytes
 * read and counted, nothing answered, FIN answered with FIN).  With
 * --listen it prints "listen MULTIADDR/p2p/ID" per address and serves until
 * SIGTERM or SIGINT; SIGUSR1 prints a "stats" line.  With --dial it runs
 * one client job and prints one "result key=value ..." line:
 *
 *   --proto echo|sink  open --streams N streams at once on one connection,
 *                      each writing --bytes M (echo: every byte that comes
 *                      back is checked against the pattern, which differs
 *                      per stream; sink: the time until the peer's FIN
 *                      answers ours gives the throughput)
 *   --hosts K          K hosts on this loop, each its own key and its own
 *                      connection to the peer (a thousand connections
 *                      without a thousand processes)
 *   --handshakes N     N connections made one after the other (or
 *                      --parallel P at once), each closed once yamux is up
 *
 * and with --hold stays up after it (until a signal).  The exit status is
 * 0 when every stream or connection of the job succeeded.  The limits of
 * net_host_limits_t can be raised (--conns-max and the like), since the
 * defaults are a daemon's, not a benchmark's.
 *
 * The pattern: byte o of stream k is (o + 3*(o>>8) + 5*(o>>16) + 29*k) mod
 * 256, so that a lost, repeated or misplaced chunk, or a chunk of another
 * stream, shows.  p2p_js.mjs computes the same.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../net/host.h"

#define ECHO_PROTO "/trove/test/echo/1.0.0"
#define SINK_PROTO "/trove/test/sink/1.0.0"
/* A client's writes: pieces of CHUNK bytes, at most AHEAD buffered. */
#define CHUNK (64 * 1024)
#define AHEAD (256 * 1024)
#define HOSTS_MAX 100000
#define ADDRS_MAX 16

static uint8_t pat(uint32_t k, uint64_t o) {
  return (uint8_t)(o + 3 * (o >> 8) + 5 * (o >> 16) + 29 * k);
}

typedef struct stream_job stream_job_t;

typedef struct peer {
  uv_loop_t loop;
  uv_signal_t sig[3];
  uv_timer_t timeout;
  net_host_limits_t lim;
  net_host_t *srv;          /* the listening host (NULL for a pure client) */
  net_host_t **hosts;       /* client hosts */
  uint32_t nhosts, hosts_closing;
  const char *dial, *proto, *mode;
  char dial_noid[NET_MA_STR_MAX / 16];
  uint32_t streams, handshakes, parallel;
  uint64_t bytes;
  bool hold, verbose;
  /* the job */
  uint64_t t0, t1;
  uint32_t started, ok, failed, running;
  uint64_t verified, moved;
  bool done;
  stream_job_t *jobs;
  /* the server's counters */
  uint64_t sunk, echoed;
  uint32_t srv_streams;
} peer_t;

struct stream_job {
  peer_t *p;
  uint32_t k;
  uint64_t sent, got;
  bool bad;
};

static peer_t P;

static double secs(void) { return (double)(P.t1 - P.t0) / 1e9; }

/* --------------------------------------------------------- the server */

static void srv_close(net_stream_t *s, int status) {
  (void)s, (void)status;
  P.srv_streams--;
}
static void echo_data(net_stream_t *s, const uint8_t *p, size_t n) {
  P.echoed += n;
  if (net_stream_write(s, p, n))
    fprintf(stderr, "p2p_peer: echo write failed\n");
}
static void any_fin(net_stream_t *s) { net_stream_close(s); }
static void sink_data(net_stream_t *s, const uint8_t *p, size_t n) {
  (void)s, (void)p;
  P.sunk += n;
}
static const net_stream_cbs_t ECHO_CBS = {echo_data, any_fin, srv_close, NULL};
static const net_stream_cbs_t SINK_CBS = {sink_data, any_fin, srv_close, NULL};

static void on_echo(net_stream_t *s, void *ud) {
  (void)ud;
  P.srv_streams++;
  net_stream_set(s, &ECHO_CBS, NULL);
}
static void on_sink(net_stream_t *s, void *ud) {
  (void)ud;
  P.srv_streams++;
  net_stream_set(s, &SINK_CBS, NULL);
}

static void print_stats(void) {
  printf("stats conns=%zu streams=%u echoed=%llu sunk=%llu\n",
         P.srv ? net_host_conns(P.srv, NULL, NULL) : 0, P.srv_streams,
         (unsigned long long)P.echoed, (unsigned long long)P.sunk);
  fflush(stdout);
}

/* ------------------------------------------------------------ the end */

static void host_closed(void *ud) {
  (void)ud;
  if (--P.hosts_closing == 0) {
    for (int i = 0; i < 3; i++)
      uv_close((uv_handle_t *)&P.sig[i], NULL);
    uv_close((uv_handle_t *)&P.timeout, NULL);
  }
}

static void shutdown_all(void) {
  if (P.hosts_closing)
    return;
  P.hosts_closing = 1; /* held until every close is asked for */
  uv_timer_stop(&P.timeout);
  for (uint32_t i = 0; i < P.nhosts; i++) {
    P.hosts_closing++;
    net_host_close(P.hosts[i], host_closed, NULL);
  }
  if (P.srv) {
    P.hosts_closing++;
    net_host_close(P.srv, host_closed, NULL);
  }
  host_closed(NULL);
}

static void on_signal(uv_signal_t *h, int signum) {
  (void)h;
  if (signum == SIGUSR1)
    print_stats();
  else
    shutdown_all();
}

/* The job is over: print the result, then stop unless holding. */
static void job_done(void) {
  if (P.done)
    return;
  P.done = true;
  P.t1 = uv_hrtime();
  double s = secs();
  printf("result mode=%s", P.mode);
  if (!strcmp(P.mode, "streams"))
    printf(" proto=%s streams=%u bytes=%llu", P.proto, P.streams,
           (unsigned long long)P.bytes);
  else if (!strcmp(P.mode, "hosts"))
    printf(" hosts=%u", P.nhosts);
  else
    printf(" n=%u parallel=%u", P.handshakes, P.parallel);
  printf(" ok=%u failed=%u verified=%llu secs=%.4f", P.ok, P.failed,
         (unsigned long long)P.verified, s);
  if (!strcmp(P.mode, "streams"))
    printf(" MBps=%.1f", s > 0 ? (double)P.moved / s / 1e6 : 0);
  else if (!strcmp(P.mode, "handshakes"))
    printf(" per_sec=%.1f", s > 0 ? P.ok / s : 0);
  printf("\n");
  fflush(stdout);
  if (!P.hold)
    shutdown_all();
}

static void on_timeout(uv_timer_t *t) {
  (void)t;
  fprintf(stderr, "p2p_peer: timed out (%u ok, %u failed, %u running)\n",
          P.ok, P.failed, P.running);
  P.failed += P.running;
  job_done();
  shutdown_all();
}

/* ------------------------------------------------------ streams job */

/* Write the stream's next pieces.  Echo bytes follow the pattern; sink
 * bytes are one constant chunk, since generating them would cost the
 * sender more than the transfer it measures. */
static void cl_fill(net_stream_t *s, stream_job_t *j) {
  static uint8_t zero[CHUNK];
  uint8_t buf[CHUNK];
  bool echo = !strcmp(P.proto, "echo");
  while (j->sent < P.bytes && net_stream_buffered(s) < AHEAD) {
    size_t n = P.bytes - j->sent < CHUNK ? (size_t)(P.bytes - j->sent) : CHUNK;
    for (size_t i = 0; echo && i < n; i++)
      buf[i] = pat(j->k, j->sent + i);
    if (net_stream_write(s, echo ? buf : zero, n)) {
      j->bad = true; /* reset by the host: on_close reports it */
      return;
    }
    j->sent += n;
  }
  if (j->sent == P.bytes)
    net_stream_close(s);
}
static void cl_drain(net_stream_t *s) { cl_fill(s, net_stream_ud(s)); }

static void cl_data(net_stream_t *s, const uint8_t *p, size_t n) {
  stream_job_t *j = net_stream_ud(s);
  if (j->bad)
    return;
  for (size_t i = 0; i < n; i++)
    if (j->got + i >= P.bytes || p[i] != pat(j->k, j->got + i)) {
      fprintf(stderr, "p2p_peer: stream %u: wrong byte at %llu\n", j->k,
              (unsigned long long)(j->got + i));
      j->bad = true;
      net_stream_reset(s);
      return;
    }
  j->got += n;
  P.verified += n;
}
static void cl_fin(net_stream_t *s) { (void)s; }

static void cl_close(net_stream_t *s, int status) {
  stream_job_t *j = net_stream_ud(s);
  bool echo = !strcmp(P.proto, "echo");
  bool good = status == 0 && !j->bad && j->sent == P.bytes &&
              (!echo || j->got == P.bytes);
  if (good) {
    P.ok++;
    P.moved += P.bytes;
  } else {
    P.failed++;
    fprintf(stderr, "p2p_peer: stream %u: status %d (%s), sent %llu, got "
            "%llu\n", j->k, status, tr_strerror(status),
            (unsigned long long)j->sent, (unsigned long long)j->got);
  }
  P.running--;
  if (P.running == 0)
    job_done();
}
static const net_stream_cbs_t CL = {cl_data, cl_fin, cl_close, cl_drain};

static void on_open(net_stream_t *s, int status, void *ud) {
  stream_job_t *j = ud;
  if (status) {
    fprintf(stderr, "p2p_peer: open stream %u: %s\n", j->k,
            tr_strerror(status));
    P.failed++;
    if (--P.running == 0)
      job_done();
    return;
  }
  net_stream_set(s, &CL, j);
  cl_fill(s, j);
}

static void streams_start(net_host_t *h, const net_peerid_t *peer) {
  const char *proto = !strcmp(P.proto, "echo") ? ECHO_PROTO : SINK_PROTO;
  P.jobs = calloc(P.streams, sizeof *P.jobs);
  if (!P.jobs)
    exit(2);
  P.t0 = uv_hrtime();
  P.running = P.streams;
  for (uint32_t k = 0; k < P.streams; k++) {
    P.jobs[k] = (stream_job_t){.p = &P, .k = k};
    int rc = net_host_open(h, peer, proto, on_open, &P.jobs[k]);
    if (rc) {
      fprintf(stderr, "p2p_peer: open: %s\n", tr_strerror(rc));
      P.failed++;
      if (--P.running == 0)
        job_done();
    }
  }
}

/* ---------------------------------------------------- connection jobs */

static void handshake_next(void);

static void on_connect(net_host_t *h, int status, const net_peerid_t *peer,
                       void *ud) {
  (void)ud;
  if (status)
    fprintf(stderr, "p2p_peer: connect: %s\n", tr_strerror(status));
  if (!strcmp(P.mode, "streams")) {
    if (status) {
      P.failed++;
      job_done();
    } else {
      streams_start(h, peer);
    }
    return;
  }
  status ? P.failed++ : P.ok++;
  P.running--;
  if (!strcmp(P.mode, "handshakes")) {
    if (status == 0 && net_host_disconnect(h, peer))
      fprintf(stderr, "p2p_peer: disconnect failed\n");
    handshake_next();
  } else if (P.running == 0 && P.started == P.nhosts) {
    job_done();
  }
}

/* Dial once more, without the /p2p part: every dial is then a new
 * connection (a dial that names a connected peer answers at once). */
static void handshake_next(void) {
  while (P.started < P.handshakes && P.running < P.parallel) {
    P.started++;
    P.running++;
    int rc = net_host_connect(P.hosts[0], P.dial_noid, on_connect, NULL);
    if (rc) {
      fprintf(stderr, "p2p_peer: dial: %s\n", tr_strerror(rc));
      P.failed++;
      P.running--;
    }
  }
  if (P.running == 0 && P.started == P.handshakes)
    job_done();
}

static int host_make(net_host_t **out) {
  net_privkey_t key;
  int rc = net_privkey_generate(&key);
  net_host_opts_t o = {.key = &key, .agent = "trove-p2p-peer/1.0",
                       .limits = &P.lim};
  if (!rc)
    rc = net_host_new(&P.loop, &o, out);
  if (!rc)
    rc = net_host_handle(*out, ECHO_PROTO, on_echo, NULL);
  if (!rc)
    rc = net_host_handle(*out, SINK_PROTO, on_sink, NULL);
  return rc;
}

static int client_start(void) {
  const char *p2p = strstr(P.dial, "/p2p/");
  size_t n = p2p ? (size_t)(p2p - P.dial) : strlen(P.dial);
  if (n >= sizeof P.dial_noid)
    return TR_EMULTIADDR;
  memcpy(P.dial_noid, P.dial, n);
  P.dial_noid[n] = 0;
  P.hosts = calloc(P.nhosts, sizeof *P.hosts);
  if (!P.hosts)
    return -ENOMEM;
  for (uint32_t i = 0; i < P.nhosts; i++) {
    int rc = host_make(&P.hosts[i]);
    if (rc)
      return rc;
  }
  P.t0 = uv_hrtime();
  if (!strcmp(P.mode, "handshakes")) {
    handshake_next();
    return 0;
  }
  for (uint32_t i = 0; i < P.nhosts; i++) {
    P.started++;
    P.running++;
    int rc = net_host_connect(P.hosts[i], P.dial, on_connect, NULL);
    if (rc)
      return rc;
  }
  return 0;
}

/* ---------------------------------------------------------------- main */

static void usage(void) {
  fprintf(stderr,
          "usage: p2p_peer [--listen MA] [--dial MA [--proto echo|sink "
          "--streams N --bytes M | --hosts K | --handshakes N --parallel P]]\n"
          "                [--hold] [--timeout SECS] [--conns-max N] "
          "[--conns-per-peer N]\n"
          "                [--pending-max N] [--streams-max N] "
          "[--stream-buf BYTES] [--sock-buf BYTES]\n");
  exit(2);
}

static uint64_t num(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s)
    usage();
  if (*end == 'K' || *end == 'k')
    v <<= 10, end++;
  else if (*end == 'M' || *end == 'm')
    v <<= 20, end++;
  else if (*end == 'G' || *end == 'g')
    v <<= 30, end++;
  if (*end)
    usage();
  return v;
}

static uint32_t num32(const char *s) {
  uint64_t v = num(s);
  if (v > UINT32_MAX)
    usage();
  return (uint32_t)v;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"listen", 1, 0, 'l'},       {"dial", 1, 0, 'd'},
      {"proto", 1, 0, 'p'},        {"streams", 1, 0, 's'},
      {"bytes", 1, 0, 'b'},        {"hosts", 1, 0, 'H'},
      {"handshakes", 1, 0, 'n'},   {"parallel", 1, 0, 'P'},
      {"hold", 0, 0, 'h'},         {"timeout", 1, 0, 't'},
      {"conns-max", 1, 0, 'C'},    {"conns-per-peer", 1, 0, 'c'},
      {"pending-max", 1, 0, 'D'},  {"streams-max", 1, 0, 'S'},
      {"stream-buf", 1, 0, 'B'},   {"sock-buf", 1, 0, 'K'},
      {0, 0, 0, 0}};
  const char *listen[ADDRS_MAX];
  size_t nlisten = 0;
  uint64_t timeout_s = 0;
  net_host_limits_default(&P.lim);
  P.streams = 1;
  P.parallel = 1;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'l': if (nlisten == ADDRS_MAX) usage(); listen[nlisten++] = optarg; break;
    case 'd': P.dial = optarg; break;
    case 'p': P.proto = optarg; break;
    case 's': P.streams = num32(optarg); break;
    case 'b': P.bytes = num(optarg); break;
    case 'H': P.nhosts = num32(optarg); break;
    case 'n': P.handshakes = num32(optarg); break;
    case 'P': P.parallel = num32(optarg); break;
    case 'h': P.hold = true; break;
    case 't': timeout_s = num(optarg); break;
    case 'C': P.lim.conns_max = num32(optarg); break;
    case 'c': P.lim.conns_per_peer = num32(optarg); break;
    case 'D': P.lim.pending_max = num32(optarg); break;
    case 'S': P.lim.streams_max = num32(optarg); break;
    case 'B': P.lim.stream_buf_max = num(optarg); break;
    case 'K': P.lim.sock_buf_max = num(optarg); break;
    default: usage();
    }
  }
  if (optind != argc || (!P.dial && !nlisten))
    usage();
  if (P.dial) {
    if (P.proto) {
      if (strcmp(P.proto, "echo") && strcmp(P.proto, "sink"))
        usage();
      P.mode = "streams";
      P.nhosts = 1;
    } else if (P.handshakes) {
      P.mode = "handshakes";
      P.nhosts = 1;
    } else {
      P.mode = "hosts";
      if (P.nhosts == 0)
        P.nhosts = 1;
    }
    if (P.nhosts > HOSTS_MAX || P.streams == 0 || P.parallel == 0)
      usage();
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  if (uv_loop_init(&P.loop))
    return 2;
  int sigs[3] = {SIGTERM, SIGINT, SIGUSR1};
  for (int i = 0; i < 3; i++) {
    uv_signal_init(&P.loop, &P.sig[i]);
    uv_signal_start(&P.sig[i], on_signal, sigs[i]);
  }
  uv_timer_init(&P.loop, &P.timeout);
  if (timeout_s)
    uv_timer_start(&P.timeout, on_timeout, timeout_s * 1000, 0);
  int rc = 0;
  if (nlisten) {
    rc = host_make(&P.srv);
    for (size_t i = 0; !rc && i < nlisten; i++)
      rc = net_host_listen(P.srv, listen[i]);
    if (rc) {
      fprintf(stderr, "p2p_peer: listen: %s\n", tr_strerror(rc));
      return 1;
    }
    char addrs[ADDRS_MAX][NET_MA_STR_MAX / 16], id[NET_PEERID_STR_MAX];
    size_t n = net_host_addrs(P.srv, addrs, ADDRS_MAX);
    if (net_peerid_format(net_host_id(P.srv), 0, id, sizeof id) < 0)
      return 1;
    for (size_t i = 0; i < n && i < ADDRS_MAX; i++)
      printf("listen %s/p2p/%s\n", addrs[i], id);
    printf("id %s\n", id);
  }
  if (P.dial && (rc = client_start())) {
    fprintf(stderr, "p2p_peer: %s\n", tr_strerror(rc));
    return 1;
  }
  uv_run(&P.loop, UV_RUN_DEFAULT);
  uv_loop_close(&P.loop);
  free(P.jobs);
  free(P.hosts);
  if (!P.dial)
    return 0;
  return P.done && P.failed == 0 && P.ok > 0 ? 0 : 1;
}
