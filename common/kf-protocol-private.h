#pragma once

#include "kf-protocol.h"

G_BEGIN_DECLS

/* The longest line has 12 words (`ev key ...`); one more is room to notice
 * a line with too many. */
#define KF_PROTOCOL_MAX_WORDS 13

gsize    kf_protocol_escape_into    (const char  *text,
                                     gsize        len,
                                     char        *out);
gboolean kf_protocol_unescape_into  (const char  *word,
                                     char        *out,
                                     GError     **error);
gboolean kf_protocol_split_in_place (char        *buf,
                                     char       **words,
                                     guint        max_words,
                                     guint       *n_words,
                                     GError     **error);

G_END_DECLS
