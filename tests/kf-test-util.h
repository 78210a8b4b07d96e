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
void     kf_test_remove_tree        (const char    *path);
guint64  kf_test_resident_bytes     (const char    *path);
gboolean kf_test_on_tmpfs           (const char    *path);

G_END_DECLS
