/*
 * buzhash.c — placeholder until the buzhash chunker lands: refuses the spec.
 */
#include "chunker.h"

int dag__buzhash_init(dag_chunker_t *c);
size_t dag__buzhash_cut(const dag_chunker_t *c, const uint8_t *buf,
                        size_t len, bool eof);

int dag__buzhash_init(dag_chunker_t *c) {
  (void)c;
  return TR_ECHUNKER;
}
size_t dag__buzhash_cut(const dag_chunker_t *c, const uint8_t *buf,
                        size_t len, bool eof) {
  (void)c, (void)buf, (void)eof;
  return len;
}
