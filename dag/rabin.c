/*
 * rabin.c — placeholder until the rabin chunker lands: refuses the spec.
 */
#include "chunker.h"

int dag__rabin_init(dag_chunker_t *c, size_t min, size_t avg, size_t max);
size_t dag__rabin_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                      bool eof);

int dag__rabin_init(dag_chunker_t *c, size_t min, size_t avg, size_t max) {
  (void)c, (void)min, (void)avg, (void)max;
  return TR_ECHUNKER;
}
size_t dag__rabin_cut(const dag_chunker_t *c, const uint8_t *buf, size_t len,
                      bool eof) {
  (void)c, (void)buf, (void)eof;
  return len;
}
