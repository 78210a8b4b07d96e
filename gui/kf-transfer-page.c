/* kf-transfer-page.c: progress of a transfer (bytes, percent, rate, time left) and Cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-transfer-page.h"

struct _KfTransferPage
{
  AdwBin          parent_instance;

  AdwStatusPage  *status_page;
  GtkProgressBar *progress_bar;
  GtkLabel       *bytes_label;
  GtkLabel       *rate_label;
};

G_DEFINE_FINAL_TYPE (KfTransferPage, kf_transfer_page, ADW_TYPE_BIN)

static void
kf_transfer_page_class_init (KfTransferPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-transfer-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, bytes_label);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, rate_label);
}

static void
kf_transfer_page_init (KfTransferPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/*
 * kf_transfer_page_begin:
 *
 * Starts a new session on the page: @title says who and what, the
 * description the current step; the progress is reset.
 */
void
kf_transfer_page_begin (KfTransferPage *self,
                        gboolean        sending,
                        const char     *title,
                        const char     *description)
{
  g_return_if_fail (KF_IS_TRANSFER_PAGE (self));

  adw_status_page_set_icon_name (self->status_page,
                                 sending ? "document-send-symbolic"
                                         : "folder-download-symbolic");
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->bytes_label, "");
  gtk_label_set_text (self->rate_label, "");
}

/* Says which step of the session is under way, below the title. */
void
kf_transfer_page_set_step (KfTransferPage *self,
                           const char     *step)
{
  g_return_if_fail (KF_IS_TRANSFER_PAGE (self));

  adw_status_page_set_description (self->status_page, step);
}

/* Shows @done of @total bytes moved at @bytes_per_second. */
void
kf_transfer_page_set_progress (KfTransferPage *self,
                               guint64         done,
                               guint64         total,
                               double          bytes_per_second)
{
  g_autofree char *bytes = NULL;
  g_autofree char *rate = NULL;

  g_return_if_fail (KF_IS_TRANSFER_PAGE (self));

  bytes = kf_gui_format_progress (done, total);
  rate = kf_gui_format_rate (done, total, bytes_per_second);
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 total > 0 ? (double) MIN (done, total) / total : 0.0);
  gtk_label_set_text (self->bytes_label, bytes);
  gtk_label_set_text (self->rate_label, rate);
  adw_status_page_set_description (self->status_page, _("Transferring the encrypted file"));
}
