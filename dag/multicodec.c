/*
 * multicodec.c — lookups in go-multicodec's table (multicodec_table.inc,
 * generated, sorted by code): by code with a binary search, by name and
 * in order with a walk (the listings and option parsing, not hot).
 */
#include "multicodec.h"

#include <string.h>

typedef struct mc {
  uint64_t code;
  const char *name;
  bool ipld;
} mc_t;

static const mc_t mcs[] = {
#include "multicodec_table.inc"
};

static const mc_t *mc_find(uint64_t code) {
  size_t lo = 0, hi = TR_ARRAY_LEN(mcs);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (mcs[mid].code == code)
      return &mcs[mid];
    if (mcs[mid].code < code)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const char *dag_mc_name(uint64_t code) {
  const mc_t *m = mc_find(code);
  return m ? m->name : NULL;
}

/* Go's strconv.ParseUint(s, 0, 64): a base prefix, digits, '_' between
 * them (base 0 allows it) or after the prefix.  0, or -1. */
static int go_parse_uint(const char *s, uint64_t *out) {
  int base = 10;
  bool prefixed = false;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
    base = 16, s += 2, prefixed = true;
  else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
    base = 8, s += 2, prefixed = true;
  else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
    base = 2, s += 2, prefixed = true;
  else if (s[0] == '0' && s[1])
    base = 8, s++, prefixed = true;
  uint64_t v = 0;
  bool digit = false, under = prefixed; /* '_' may follow the prefix */
  for (; *s; s++) {
    if (*s == '_') {
      if (!under)
        return -1;
      under = false;
      continue;
    }
    int d = *s >= '0' && *s <= '9' ? *s - '0'
          : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
          : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : 99;
    if (d >= base || v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
      return -1;
    v = v * (uint64_t)base + (uint64_t)d;
    digit = under = true;
  }
  if (!digit || s[-1] == '_')
    return -1;
  *out = v;
  return 0;
}

int dag_mc_parse(const char *text, uint64_t *code) {
  uint64_t n;
  if (!go_parse_uint(text, &n) &&
      ((n >= 0x300000 && n <= 0x3fffff) || mc_find(n))) {
    *code = n;
    return 0;
  }
  for (size_t i = 0; i < TR_ARRAY_LEN(mcs); i++)
    if (!strcmp(mcs[i].name, text)) {
      *code = mcs[i].code;
      return 0;
    }
  return TR_ECODEC;
}

const char *dag_codec_name(uint64_t codec) {
  const mc_t *m = mc_find(codec);
  return m && m->ipld ? m->name : "unknown";
}

int dag_codec_from_name(const char *name, uint64_t *codec) {
  for (size_t i = 0; i < TR_ARRAY_LEN(mcs); i++)
    if (mcs[i].ipld && !strcmp(mcs[i].name, name)) {
      *codec = mcs[i].code;
      return 0;
    }
  return TR_ECODEC;
}

bool dag_codec_nth(size_t i, uint64_t *codec, const char **name) {
  for (size_t k = 0; k < TR_ARRAY_LEN(mcs); k++)
    if (mcs[k].ipld && i-- == 0) {
      *codec = mcs[k].code;
      *name = mcs[k].name;
      return true;
    }
  return false;
}
