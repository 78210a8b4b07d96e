/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KF_TYPE_LINE_READER (kf_line_reader_get_type ())

G_DECLARE_FINAL_TYPE (KfLineReader, kf_line_reader, KF, LINE_READER, GObject)

KfLineReader *kf_line_reader_new                   (GInputStream         *stream,
                                                    gsize                 max_line_len);
GInputStream *kf_line_reader_get_stream            (KfLineReader         *self);
void          kf_line_reader_read_line_async       (KfLineReader         *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
char         *kf_line_reader_read_line_finish      (KfLineReader         *self,
                                                    GAsyncResult         *result,
                                                    gsize                *length,
                                                    GError              **error);
char         *kf_line_reader_read_line_nonblocking (KfLineReader         *self,
                                                    gsize                *length,
                                                    GError              **error);
gboolean      kf_line_reader_check_line            (const char           *line,
                                                    gsize                 len,
                                                    gsize                 max_line_len,
                                                    GError              **error);

G_END_DECLS
