/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Main-loop helpers the tests share. */
gboolean kf_test_wake_up            (gpointer       user_data);
void     kf_test_store_result       (GObject       *source,
                                     GAsyncResult  *result,
                                     gpointer       user_data);
void     kf_test_await_pointer      (gpointer      *ptr,
                                     guint          seconds,
                                     const char    *what);
void     kf_test_iterate_until      (gboolean      *flag);
void     kf_test_drain_and_finalize (gpointer       object);

/* Files. */
typedef struct
{
  char *dir;   /* a test's own temporary folder */
  char *path;  /* a file's path below it (not created) */
} KfTestTmpFile;

void     kf_test_tmp_file_init      (KfTestTmpFile *f,
                                     const char    *tmpl,
                                     const char    *first_element,
                                     ...) G_GNUC_NULL_TERMINATED;
void     kf_test_tmp_file_clear     (KfTestTmpFile *f,
                                     gconstpointer  data);
void     kf_test_remove_tree        (const char    *path);
guint64  kf_test_resident_bytes     (const char    *path);
gboolean kf_test_on_tmpfs           (const char    *path);

G_END_DECLS
