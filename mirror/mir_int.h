/*
 * mir_int.h — what mirror/'s files share and nobody else sees: the store's
 * handle, the key layout (pins.h, "Storage") and the record codec.
 */
#ifndef MIR_INT_H
#define MIR_INT_H

#include "pins.h"

#include <jansson.h>

struct mir_store {
  bs_env_t *env;
  bs_db_t db;
};

/* Key kinds (pins.h). */
enum {
  MIR_K_REC = 'R',
  MIR_K_STATUS = 'S',
  MIR_K_CID = 'C',
  MIR_K_SOURCE = 'O',
  MIR_K_COUNT = 'K',
  MIR_K_TOKEN = 'A',
  MIR_K_VERSION = 'V',
  MIR_K_LAST = 'L',
};
#define MIR_SCHEMA 1u
/* Counter levels: shifts of created (us) per level, coarsest first; a
 * level's buckets number at most 2^(shift above - shift) = 1024 within one
 * bucket of the level above.  MIR_LVL_TOTAL is the per-status total. */
#define MIR_NLVL 3
static const unsigned mir__shift[MIR_NLVL] = {36, 26, 16};
#define MIR_LVL_TOTAL 0xff
/* Longest index key: kind, cid length, CID, created. */
#define MIR_KEY_MAX (2 + DAG_CID_MAX + 8)

static inline void mir__be64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}
static inline uint64_t mir__rd64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}
static inline void mir__be32(uint8_t *p, uint32_t v) {
  for (int i = 3; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}
static inline uint32_t mir__rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* Decode a record (a view into the map) into *p; TR_ECORRUPT. */
int mir__decode(const uint8_t *v, size_t n, mir_pin_t *p) TR_WUR;
/* The record of created into *p (views valid until txn ends).
 * TR_ENOTFOUND. */
int mir__get(mir_store_t *st, bs_txn_t *txn, uint64_t created,
             mir_pin_t *p) TR_WUR;
/* Pins of status s created in [0, x): from the counters and one scan of a
 * 65 ms bucket (pins.h, "Counting"). */
int mir__count_below(mir_store_t *st, bs_txn_t *txn, int s, uint64_t x,
                     uint64_t *n) TR_WUR;
/* The requestid's created and random half; false when malformed. */
bool mir__reqid_parse(const char *id, uint64_t *created, uint64_t *rnd);
/* meta (a JSON object of strings) holds every pair of want: the spec's
 * subset match. */
bool mir__meta_match(const json_t *want, const char *meta, size_t n);

/* ------------------------------------------------ request parsing (parse.c)
 * Sans-I/O, the fuzz target's entry points.  err gets a short reason for
 * a 400 (errcap bytes). */

/* A Pin body: the JSON object of POST /pins and POST /pins/{id}. */
typedef struct mir__body {
  mir_pin_t pin;  /* views into origins, meta and root's strings */
  json_t *root;
  char *origins;  /* compact JSON, jansson-allocated (free()) */
  char *meta;
} mir__body_t;
/* 0, or TR_EUSAGE with err (a bad body: 400).  Free with mir__body_free
 * whatever it returns. */
int mir__parse_body(const char *s, size_t n, mir__body_t *b, char *err,
                    size_t errcap);
void mir__body_free(mir__body_t *b);

/* The query string of GET /pins into q (meta a view into the decoded
 * copy the caller frees: *meta_buf, tr_free) and *limit.  Unknown keys are
 * ignored; status defaults to pinned as the spec says.  q->name, when
 * set, is a tr_strdup'd copy the caller frees.  0 or TR_EUSAGE
 * with err; -ENOMEM. */
int mir__parse_query(const char *query, mir_query_t *q, unsigned *limit,
                     char **meta_buf, char *err, size_t errcap);

#endif /* MIR_INT_H */
