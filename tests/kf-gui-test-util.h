/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef gboolean (*KfTestCondition) (gpointer data);

void       kf_gui_test_init_i18n     (void);
void       kf_gui_test_init          (int             *argc,
                                      char          ***argv);
gboolean   kf_gui_test_wait_for      (KfTestCondition  condition,
                                      gpointer         data,
                                      guint            timeout_ms);
void       kf_gui_test_settle        (guint            ms);
GtkWidget *kf_gui_test_find_window   (GType            type);
GtkWidget *kf_gui_test_find_child    (GtkWidget       *root,
                                      GType            type,
                                      guint            index);
guint      kf_gui_test_count_children (GtkWidget      *root,
                                       GType           type);
GtkWidget *kf_gui_test_find_by_id    (GtkWidget       *root,
                                      const char      *id);
GtkWidget *kf_gui_test_show_in_window (GtkWidget      *child);
void       kf_gui_test_respond       (GtkWidget       *dialog,
                                      const char      *response);
gboolean   kf_gui_test_drop_file     (GtkWidget       *widget,
                                      GFile           *file);
gboolean   kf_gui_test_drop_files    (GtkWidget       *widget,
                                      GFile          **files);
void       kf_gui_test_own_notifications (GPtrArray *summaries);
void       kf_gui_test_tolerate_unallocated_snapshot (void);
void       kf_gui_test_screenshot    (GtkWidget       *widget,
                                      const char      *name);

G_END_DECLS
