/*
 * http1_scan.c — the HTTP/1.1 framing checks that http-parser does not make.
 *
 * Debian's http-parser 2.9.4 is built without HTTP_PARSER_STRICT, and even
 * strict it takes a bare LF as a line end.  Unchecked it accepts what RFC
 * 9112 says a server must refuse, and what a proxy in front of us may frame
 * differently (request smuggling):
 *   - a bare LF ending the request line, a header line or a chunk line, and
 *     a bare CR anywhere in them (9112 2.2);
 *   - obs-fold, a header line that starts with SP or HTAB (9112 5.2);
 *   - chunk data not followed by CRLF (it skips any two bytes), and a chunk
 *     extension running over a bare LF (9112 7.1).
 * So the bytes of the framing are checked here before the parser sees them:
 * the request line and headers, and for a chunked body its size lines, the
 * CRLF after each chunk's data and the trailer section.  The data itself
 * and a Content-Length body are not looked at.
 *
 * The scanner runs ahead of the parser over each buffer fed to it and keeps
 * its own stream position (c->scan_pos, against c->parsed, the parser's), so
 * bytes that are held back and fed again are not scanned twice.  It stops
 * where the parser must tell it what comes next: at the end of the header
 * section (chunked or not is the parser's decision, read in
 * on_headers_complete, which pauses the parser there so that no body byte
 * is parsed before it is scanned) and at the end of a chunked message.
 */
#include <string.h>

#include "http_int.h"

/* RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
 * "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA. */
const uint8_t http__tchar[256] = {
    /* 0x00-0x1f: controls */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /*  SP !  "  #  $  %  &  '  (  )  *  +  ,  -  .  / */
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
    /* 0-9, then : ; < = > ? */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    /* @ A-O */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* P-Z [ \ ] ^ _ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
    /* ` a-o */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    /* p-z { | } ~ DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
    /* 0x80-0xff: zero */
};

static bool is_hex(uint8_t b, unsigned *v) {
  if (b >= '0' && b <= '9')
    *v = b - '0';
  else if ((b | 0x20) >= 'a' && (b | 0x20) <= 'f')
    *v = (b | 0x20) - 'a' + 10;
  else
    return false;
  return true;
}

/* A field or start line byte: CRLF discipline and obs-fold.  Returns 0, 1
 * at the empty line that ends the section, or -1. */
static int line_byte(http_conn_t *c, uint8_t b, bool first_may_be_empty) {
  if (c->scan_cr) {
    if (b != '\n')
      return -1; /* bare CR */
    c->scan_cr = false;
    if (c->scan_linelen == 0) {
      /* RFC 9112 2.2: empty lines before the request line are ignored. */
      if (first_may_be_empty && c->scan_lines == 0)
        return 0;
      return 1;
    }
    c->scan_lines++;
    c->scan_linelen = 0;
    return 0;
  }
  if (b == '\r') {
    c->scan_cr = true;
    return 0;
  }
  if (b == '\n')
    return -1; /* bare LF */
  if (c->scan_linelen == 0 && (b == ' ' || b == '\t') &&
      (c->scan_lines > 0 || !first_may_be_empty))
    return -1; /* obs-fold, or whitespace before the first field */
  c->scan_linelen++;
  return 0;
}

static void lines_reset(http_conn_t *c) {
  c->scan_cr = false;
  c->scan_linelen = 0;
  c->scan_lines = 0;
}

void http__h1_scan_reset(http_conn_t *c) {
  c->scan_mode = SCAN_HEAD;
  lines_reset(c);
}

void http__h1_scan_body(http_conn_t *c, bool chunked) {
  c->scan_mode = chunked ? SCAN_CHUNK_SIZE : SCAN_OFF;
  c->scan_digits = 0;
  c->scan_left = 0;
  c->scan_cr = false;
  c->scan_ext = false;
}

/* One byte of a chunked body's framing (not its data). */
static int chunk_byte(http_conn_t *c, uint8_t b) {
  unsigned v;
  switch (c->scan_mode) {
  case SCAN_CHUNK_SIZE:
    if (c->scan_cr) {
      if (b != '\n')
        return -1;
      c->scan_cr = false;
      if (c->scan_digits == 0)
        return -1;
      if (c->scan_left == 0) {
        c->scan_mode = SCAN_TRAILER;
        lines_reset(c);
      } else {
        c->scan_mode = SCAN_CHUNK_DATA;
      }
      return 0;
    }
    if (b == '\r') {
      c->scan_cr = true;
      c->scan_ext = false;
    } else if (c->scan_ext || (c->scan_digits && (b == ';' || b == ' ' ||
                                                  b == '\t'))) {
      /* chunk-ext: anything visible up to the CR; never a control byte. */
      if ((b < 0x20 && b != '\t') || b == 0x7f)
        return -1;
      c->scan_ext = true;
    } else if (is_hex(b, &v)) {
      if (++c->scan_digits > 15)
        return -1; /* the parser refuses such sizes too */
      c->scan_left = c->scan_left * 16 + v;
    } else {
      return -1;
    }
    return 0;
  case SCAN_CHUNK_CR:
    if (b != '\r')
      return -1; /* chunk data not followed by CRLF */
    c->scan_mode = SCAN_CHUNK_LF;
    return 0;
  case SCAN_CHUNK_LF:
    if (b != '\n')
      return -1;
    http__h1_scan_body(c, true);
    return 0;
  default:
    return -1;
  }
}

int http__h1_scan(http_conn_t *c, const uint8_t *p, size_t n) {
  /* Skip what was scanned before (bytes held back and fed again). */
  if (c->scan_pos < c->parsed)
    c->scan_pos = c->parsed;
  uint64_t skip = c->scan_pos - c->parsed;
  if (skip >= n)
    return 0;
  size_t i = (size_t)skip;
  while (i < n) {
    int rc = 0;
    switch (c->scan_mode) {
    case SCAN_OFF:
    case SCAN_WAIT:
      c->scan_pos = c->parsed + i;
      return 0;
    case SCAN_HEAD:
      /* Inside a line only CR and LF matter: skip to the next one (what
       * line_byte would do, a byte at a time). */
      if (c->scan_linelen && !c->scan_cr) {
        const uint8_t *cr = memchr(p + i, '\r', n - i);
        size_t j = cr ? (size_t)(cr - p) : n;
        const uint8_t *lf = memchr(p + i, '\n', j - i);
        if (lf)
          j = (size_t)(lf - p);
        c->scan_linelen += (uint32_t)(j - i);
        if ((i = j) == n)
          break;
      }
      rc = line_byte(c, p[i], true);
      if (rc == 1) {
        c->scan_mode = SCAN_WAIT;
        rc = 0;
      }
      i++;
      break;
    case SCAN_TRAILER:
      rc = line_byte(c, p[i], false);
      if (rc == 1) {
        c->scan_mode = SCAN_OFF; /* the message ends here */
        rc = 0;
      }
      i++;
      break;
    case SCAN_CHUNK_DATA: {
      uint64_t take = n - i < c->scan_left ? n - i : c->scan_left;
      i += (size_t)take;
      c->scan_left -= take;
      if (c->scan_left == 0)
        c->scan_mode = SCAN_CHUNK_CR;
      break;
    }
    default:
      rc = chunk_byte(c, p[i]);
      i++;
      break;
    }
    if (rc < 0)
      return -1;
  }
  c->scan_pos = c->parsed + n;
  return 0;
}
