/* kf-transfer-page.c: progress of a transfer (files, the current one, bytes, percent, rate,
 * time left) and Cancel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-rate-window.h"
#include "kf-transfer-page.h"

/* The rate is measured over this span; nothing moving for STALL_US is a stall. */
#define RATE_SPAN_US (5 * G_USEC_PER_SEC)
#define STALL_US     (5 * G_USEC_PER_SEC)

struct _KfTransferPage
{
  AdwBin          parent_instance;

  AdwStatusPage  *status_page;
  GtkProgressBar *progress_bar;
  GtkLabel       *files_label;
  GtkLabel       *current_label;
  GtkLabel       *bytes_label;
  GtkLabel       *rate_label;
  GtkWidget      *cancel_button;

  KfRateWindow   *rate;
  guint           tick_id;
  guint64         done;
  guint64         total;
  gboolean        several;  /* several files go: the page counts them */
};

G_DEFINE_FINAL_TYPE (KfTransferPage, kf_transfer_page, ADW_TYPE_BIN)

/*
 * update_rate:
 *
 * Says the rate and the time left over the last seconds, or that the
 * transfer is stalled when nothing has moved for a while; called on
 * progress and once a second between.
 */
static void
update_rate (KfTransferPage *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 idle = kf_rate_window_get_idle_us (self->rate, now);
  g_autofree char *text = NULL;
  g_autofree char *description = NULL;

  if (self->done < self->total && idle >= STALL_US)
    {
      guint seconds = (guint) (idle / G_USEC_PER_SEC);

      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Stalled: nothing has moved for %u second",
                                           "Stalled: nothing has moved for %u seconds", seconds),
                              seconds);
      adw_status_page_set_description (self->status_page,
                                       _("The transfer goes on by itself if the connection "
                                         "recovers. Cancel it to give up."));
    }
  else
    {
      text = kf_gui_format_rate (self->done, self->total,
                                 kf_rate_window_get_rate (self->rate, now));
      /* Before the first byte the step (the receiver deciding…) stands. */
      if (self->done > 0)
        adw_status_page_set_description (self->status_page,
                                         self->several ? _("Transferring the encrypted files")
                                                       : _("Transferring the encrypted file"));
    }
  gtk_label_set_text (self->rate_label, text);
  /* A screen reader on the bar hears the numbers shown beside it. */
  if (gtk_widget_get_visible (GTK_WIDGET (self->files_label)))
    description = g_strdup_printf ("%s %s. %s. %s", gtk_label_get_text (self->files_label),
                                   gtk_label_get_text (self->current_label),
                                   gtk_label_get_text (self->bytes_label), text);
  else
    description = g_strdup_printf ("%s. %s", gtk_label_get_text (self->bytes_label), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
}

static gboolean
on_tick (gpointer user_data)
{
  update_rate (user_data);
  return G_SOURCE_CONTINUE;
}

static void
kf_transfer_page_dispose (GObject *object)
{
  KfTransferPage *self = KF_TRANSFER_PAGE (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_pointer (&self->rate, kf_rate_window_free);

  G_OBJECT_CLASS (kf_transfer_page_parent_class)->dispose (object);
}

/* Focus goes to Cancel, the only thing to do while a transfer runs. */
static gboolean
kf_transfer_page_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (KF_TRANSFER_PAGE (widget)->cancel_button);
}

static void
kf_transfer_page_class_init (KfTransferPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kf_transfer_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-transfer-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, bytes_label);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, files_label);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, current_label);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, rate_label);
  gtk_widget_class_bind_template_child (widget_class, KfTransferPage, cancel_button);
  widget_class->grab_focus = kf_transfer_page_grab_focus;
}

static void
kf_transfer_page_init (KfTransferPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rate = kf_rate_window_new (RATE_SPAN_US);
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
  gtk_widget_set_visible (GTK_WIDGET (self->files_label), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->current_label), FALSE);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  kf_rate_window_reset (self->rate);
  self->done = self->total = 0;
  self->several = FALSE;
  /* Until bytes move, the bar says which step the session is in. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
}

/* Says which step of the session is under way, below the title. */
void
kf_transfer_page_set_step (KfTransferPage *self,
                           const char     *step)
{
  g_return_if_fail (KF_IS_TRANSFER_PAGE (self));

  adw_status_page_set_description (self->status_page, step);
  if (self->done == 0)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, step, -1);
}

/*
 * kf_transfer_page_set_progress:
 *
 * Shows @done of @total bytes moved.  The rate and the time left are the
 * page's own, over the last seconds (@bytes_per_second, the client's
 * average, is not used for them), and a stall is shown as one.
 */
void
kf_transfer_page_set_progress (KfTransferPage *self,
                               guint64         done,
                               guint64         total,
                               double          bytes_per_second)
{
  g_autofree char *bytes = NULL;

  g_return_if_fail (KF_IS_TRANSFER_PAGE (self));

  self->done = done;
  self->total = total;
  kf_rate_window_add (self->rate, g_get_monotonic_time (), done);
  bytes = kf_gui_format_progress (done, total);
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 total > 0 ? (double) MIN (done, total) / total : 0.0);
  gtk_label_set_text (self->bytes_label, bytes);
  update_rate (self);

  if (done >= total)
    g_clear_handle_id (&self->tick_id, g_source_remove);
  else if (self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, on_tick, self);
}

/*
 * show_files:
 *
 * For several files: "3 of 27 files done" and the file under way (its
 * path in the tree, cut in the middle, whole in the tooltip).  One file
 * alone shows none of it, as before.
 */
static void
show_files (KfTransferPage           *self,
            const KfTransferProgress *progress)
{
  g_autofree char *files = NULL;
  const char *current = progress->current_file;
  gboolean several = progress->files_total > 1;

  self->several = several;
  gtk_widget_set_visible (GTK_WIDGET (self->files_label), several);
  gtk_widget_set_visible (GTK_WIDGET (self->current_label), several && current != NULL);
  if (!several)
    return;
  /* Translators: "3 of 27 files done" */
  files = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u file done",
                                        "%u of %u files done", progress->files_total),
                           progress->files_done, progress->files_total);
  gtk_label_set_text (self->files_label, files);
  gtk_label_set_text (self->current_label, current != NULL ? current : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->current_label), current);
}

/*
 * kf_transfer_page_show_progress:
 *
 * Shows @progress: the bytes, rate and time left as
 * kf_transfer_page_set_progress() does and, when several files go, how
 * many are done and which one is under way.
 */
void
kf_transfer_page_show_progress (KfTransferPage           *self,
                                const KfTransferProgress *progress)
{
  g_return_if_fail (KF_IS_TRANSFER_PAGE (self));
  g_return_if_fail (progress != NULL);

  show_files (self, progress);
  kf_transfer_page_set_progress (self, progress->done, progress->total,
                                 progress->bytes_per_second);
}
