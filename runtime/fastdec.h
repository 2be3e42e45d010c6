/* fastdec.h: the schema-specialised decoder of return lines (issue 6).
 *
 * One pass over the line's bytes, no document tree: the keys of the
 * policy's input paths are looked up in a key tree built once per input
 * record, and only the values under those paths are decoded, straight
 * into the slots.  It accepts a line only when the general decoder
 * (json-c, decode.c) would accept it with the very same record; on any
 * fault, or anything unusual (an escape in a key or a value, a duplicate
 * key on a path, an integer at the edge of 64 bits), it declines and the
 * general decoder decodes the line, so every bad_input message stays the
 * general decoder's.
 */
#ifndef RPOL_FASTDEC_H
#define RPOL_FASTDEC_H

#include <stddef.h>
#include "internal.h"

struct fastdec;

/* The key tree of every policy of p into *out: 0 done, -1 out of
 * memory, 1 the policies' paths do not fit it (a path that is a field in
 * one policy of a bundle and an object in another): then every line takes
 * the general decoder. */
int fastdec_new(const rpol_policy *p, struct fastdec **out);
void fastdec_free(rpol_runtime *rt, struct fastdec *fd);

/* Decodes one line into in, as rpol_input_decode would: 1 done (in->ok
 * set, the record complete); 0 declined (in is left half-written: decode
 * the line with the general decoder, which starts from scratch); -1 out
 * of memory (the input's store could not grow). */
int fastdec_decode(struct fastdec *fd, rpol_input *in, const char *json,
                   size_t len);

/* Whether two inputs hold the same decoded record (route, id, every
 * field's state and value); why says the first difference.  For the
 * differential tests of the two decoders. */
int fastdec_same(const rpol_input *a, const rpol_input *b, char *why,
                 size_t cap);

#endif
