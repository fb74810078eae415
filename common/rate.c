/*
 * rate.c — rates in bytes per second (tr.h): the parser for the config's
 * rate keys (Mirror.Scrub.Rate, Swarm.MaxRecvRate), and a token bucket
 * that meters bytes against such a rate.
 *
 * The bucket is sans-I/O: the caller passes the loop's clock in
 * milliseconds and asks how long to wait; it owns no timer.  Tokens are
 * kept in thousandths of a byte, so that a rate in bytes per second is
 * exactly the refill per millisecond and no fraction of a byte is lost
 * between refills however often the caller asks.  What it does not do:
 * fairness between the callers that share one bucket (the caller's job).
 */
#include "tr.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- parser */

int tr_parse_rate(const char *str, uint64_t *rate) {
  static const struct {
    const char *unit;
    uint64_t mul;
  } units[] = {{"", 1},          {"B", 1},          {"kB", 1000},
               {"KB", 1000},     {"KiB", 1024},     {"MB", 1000000},
               {"MiB", 1 << 20}, {"GB", 1000000000}, {"GiB", 1u << 30}};
  char *end;
  if (!str || *str < '0' || *str > '9')
    return TR_ECONFIG;
  double v = strtod(str, &end);
  while (*end == ' ')
    end++;
  size_t ul = strcspn(end, "/");
  if (end[ul] && strcmp(end + ul, "/s"))
    return TR_ECONFIG;
  for (size_t i = 0; i < TR_ARRAY_LEN(units); i++)
    if (strlen(units[i].unit) == ul && !strncmp(end, units[i].unit, ul)) {
      double r = v * (double)units[i].mul;
      if (r < 0 || r > 1e15)
        return TR_ECONFIG;
      *rate = (uint64_t)r;
      return 0;
    }
  return TR_ECONFIG;
}

/* ---------------------------------------------------------------- bucket */

/* Thousandths of a byte per byte. */
#define MILLI 1000

void tr_bucket_init(tr_bucket_t *b, uint64_t rate, uint64_t burst,
                    uint64_t now_ms) {
  if (rate > TR_BUCKET_RATE_MAX)
    rate = TR_BUCKET_RATE_MAX;
  if (burst > TR_BUCKET_RATE_MAX)
    burst = TR_BUCKET_RATE_MAX;
  if (burst == 0)
    burst = 1;
  b->rate = rate;
  b->burst = burst;
  b->tokens = (int64_t)(burst * MILLI); /* a full bucket to start with */
  b->at_ms = now_ms;
}

/* The lowest the tokens go: a debt of TR_BUCKET_RATE_MAX bytes. */
#define DEBT_MAX ((int64_t)TR_BUCKET_RATE_MAX * MILLI)

static void refill(tr_bucket_t *b, uint64_t now_ms) {
  if (now_ms <= b->at_ms)
    return; /* a clock that went back adds nothing */
  uint64_t dt = now_ms - b->at_ms;
  int64_t full = (int64_t)(b->burst * MILLI);
  b->at_ms = now_ms;
  /* Tokens lie in [-DEBT_MAX, full]: past the time that fills the bucket
   * from its lowest (which also keeps rate * dt from overflowing), full. */
  if (dt > (uint64_t)(full + DEBT_MAX) / b->rate ||
      b->tokens + (int64_t)(b->rate * dt) >= full)
    b->tokens = full;
  else
    b->tokens += (int64_t)(b->rate * dt);
}

uint64_t tr_bucket_avail(tr_bucket_t *b, uint64_t now_ms) {
  if (!b->rate)
    return UINT64_MAX;
  refill(b, now_ms);
  return b->tokens > 0 ? (uint64_t)b->tokens / MILLI : 0;
}

void tr_bucket_take(tr_bucket_t *b, uint64_t n, uint64_t now_ms) {
  if (!b->rate)
    return;
  refill(b, now_ms);
  /* The debt is capped (DEBT_MAX), so that a huge charge cannot wedge the
   * bucket for ever nor overflow; callers charge a read at a time. */
  if (n > TR_BUCKET_RATE_MAX || b->tokens - (int64_t)(n * MILLI) < -DEBT_MAX)
    b->tokens = -DEBT_MAX;
  else
    b->tokens -= (int64_t)(n * MILLI);
}

uint64_t tr_bucket_wait_ms(tr_bucket_t *b, uint64_t want, uint64_t now_ms) {
  if (!b->rate)
    return 0;
  refill(b, now_ms);
  if (want > b->burst)
    want = b->burst; /* more than it holds would never come */
  int64_t need = (int64_t)(want * MILLI) - b->tokens;
  if (need <= 0)
    return 0;
  return ((uint64_t)need + b->rate - 1) / b->rate;
}
