/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KF_TYPE_FILE_STORE (kf_file_store_get_type ())

G_DECLARE_DERIVABLE_TYPE (KfFileStore, kf_file_store, KF, FILE_STORE, GObject)

struct _KfFileStoreClass
{
  GObjectClass parent_class;

  /* The file when none is given: $XDG_DATA_HOME/keyferry/something. */
  char *(*default_path) (void);
};

const char *kf_file_store_get_path (KfFileStore  *self);
gboolean    kf_file_store_save     (KfFileStore  *self,
                                    const char   *data,
                                    gsize         len,
                                    const char   *what,
                                    GError      **error);

G_END_DECLS
