/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KF_TYPE_SEND_FILES (kf_send_files_get_type ())
G_DECLARE_FINAL_TYPE (KfSendFiles, kf_send_files, KF, SEND_FILES, AdwBin)

/* Called with the files and folders of one drop (element-type GFile,
 * at least one); returns whether it took them. */
typedef gboolean (*KfFilesDroppedFunc) (GPtrArray *files,
                                        gpointer   user_data);

GtkDropTarget *kf_send_files_drop_target_new (KfFilesDroppedFunc  dropped,
                                              gpointer            user_data);

guint      kf_send_files_add         (KfSendFiles  *self,
                                      GFile       **files,
                                      guint         n_files);
void       kf_send_files_set         (KfSendFiles  *self,
                                      GFile       **files,
                                      guint         n_files);
void       kf_send_files_clear       (KfSendFiles  *self);
guint      kf_send_files_get_n_items (KfSendFiles  *self);
GPtrArray *kf_send_files_dup_files   (KfSendFiles  *self);
char      *kf_send_files_format_sending (KfSendFiles *self,
                                         const char  *who);
gboolean   kf_send_files_is_counted  (KfSendFiles  *self,
                                      guint        *n_files,
                                      guint64      *size);
void       kf_send_files_choose      (KfSendFiles  *self,
                                      gboolean      folders);

G_END_DECLS
