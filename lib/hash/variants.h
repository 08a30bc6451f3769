/* variants.h - views for query-side variant hashes (internal). */
#ifndef TAMIS_HASH_VARIANTS_H
#define TAMIS_HASH_VARIANTS_H

#include "pdq.h"

/* Sets *out to the view of `in` rotated or mirrored as `kind`
 * (a tamis_pdq_variant 0..7). EXIF orientations map onto these too. */
void tamis__view_transform(const tamis__luma_view *in, int kind,
                           tamis__luma_view *out);

/* Finds uniform borders (letterboxing, padding) and sets *out to the
 * content inside them. Returns 0, leaving *out alone, when there is no
 * border worth trimming. */
int tamis__view_trim(const tamis__luma_view *in, tamis__luma_view *out);

#endif
