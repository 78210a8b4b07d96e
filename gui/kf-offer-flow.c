/* kf-offer-flow.c: asking the receiver about an offer: Accept or Decline, then
 * where to save it: a file, or the folder files and folders go in (cancelling
 * the dialog declines)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-offer-dialog.h"
#include "kf-offer-flow.h"

typedef struct
{
  KfOffer              *offer;
  GtkWindow            *parent;
  GFile                *folder;
  GtkFileChooserNative *chooser;
  gulong                cancelled_id;
  gboolean              answered;
  gboolean              blocked;     /* declined with Block Sender */
  gboolean              done;
} OfferFlow;

/* Drops the reference a signal handler held on the flow's task. */
static void
release_task (gpointer  task,
              GClosure *closure)
{
  g_object_unref (task);
}

/* Destroys a chooser once its own signal emission is over: GTK's folder
 * chooser still uses itself after its ::response handlers return. */
static gboolean
destroy_chooser (gpointer chooser)
{
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  return G_SOURCE_REMOVE;
}

static void
offer_flow_free (OfferFlow *flow)
{
  if (flow->chooser != NULL)
    {
      gtk_native_dialog_hide (GTK_NATIVE_DIALOG (flow->chooser));
      g_idle_add (destroy_chooser, g_steal_pointer (&flow->chooser));
    }
  g_clear_object (&flow->offer);
  g_clear_object (&flow->parent);
  g_clear_object (&flow->folder);
  g_free (flow);
}

/* Ends the flow once: with @destination (NULL: declined) or with @error. */
static void
finish (GTask  *task,
        GFile  *destination,
        GError *error)
{
  OfferFlow *flow = g_task_get_task_data (task);

  if (flow->done)
    {
      g_clear_error (&error);
      return;
    }
  flow->done = TRUE;
  if (flow->cancelled_id != 0)
    g_signal_handler_disconnect (g_task_get_cancellable (task), flow->cancelled_id);
  flow->cancelled_id = 0;
  if (flow->chooser != NULL)
    g_signal_handlers_disconnect_by_data (flow->chooser, task);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, destination != NULL ? g_object_ref (destination) : NULL,
                           g_object_unref);
}

static void
on_save_response (GtkNativeDialog *chooser,
                  int              response,
                  GTask           *task)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  finish (task, file, NULL);
}

/* The flow was cancelled while the save dialog was open. */
static void
on_chooser_cancelled (GCancellable *cancellable,
                      GTask        *task)
{
  OfferFlow *flow = g_task_get_task_data (task);

  if (flow->chooser != NULL)
    gtk_native_dialog_hide (GTK_NATIVE_DIALOG (flow->chooser));
  finish (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           _("The offer was withdrawn")));
}

/* The dialog asking where: for one file, the save dialog under the
 * offered name; for a tree, the folder to put what comes in. */
static GtkFileChooserNative *
new_chooser (OfferFlow *flow)
{
  GtkFileChooserNative *chooser;

  if (kf_offer_get_is_tree (flow->offer))
    return gtk_file_chooser_native_new (_("Choose Where to Save the Files"), flow->parent,
                                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Save Here"), _("_Cancel"));
  chooser = gtk_file_chooser_native_new (_("Save Incoming File"), flow->parent,
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser),
                                     kf_offer_get_file_name (flow->offer));
  return chooser;
}

/* Accept: the dialog asking where, in the download folder. */
static void
ask_destination (GTask *task)
{
  OfferFlow *flow = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  flow->chooser = new_chooser (flow);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (flow->chooser), TRUE);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (flow->chooser), flow->folder, NULL);
  g_signal_connect_data (flow->chooser, "response", G_CALLBACK (on_save_response),
                         g_object_ref (task), release_task, 0);
  if (cancellable != NULL)
    flow->cancelled_id = g_signal_connect_data (cancellable, "cancelled",
                                                G_CALLBACK (on_chooser_cancelled),
                                                g_object_ref (task),
                                                release_task, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (flow->chooser));
}

static void
on_offer_response (AdwMessageDialog *dialog,
                   const char       *response,
                   GTask            *task)
{
  OfferFlow *flow = g_task_get_task_data (task);

  flow->answered = TRUE;
  flow->blocked = g_strcmp0 (response, "block") == 0;
  if (g_strcmp0 (response, "accept") == 0
      && !g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    ask_destination (task);
  else
    finish (task, NULL, NULL);
}

/* The offer dialog went away without an answer: the flow was cancelled. */
static void
on_offer_destroyed (GtkWidget *dialog,
                    GTask     *task)
{
  OfferFlow *flow = g_task_get_task_data (task);

  if (!flow->answered)
    finish (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                             _("The offer was withdrawn")));
}

/*
 * kf_offer_flow_run_async:
 *
 * Shows @offer over @parent, saying what @contacts (nullable) say of its
 * sender; on Accept asks where to save it, starting in @folder: a file
 * under the offered name, or for a tree (files and folders) the folder to
 * create them in.  Cancelling @cancellable closes whatever is open.
 */
void
kf_offer_flow_run_async (KfOffer             *offer,
                         GtkWindow           *parent,
                         GFile               *folder,
                         KfContacts          *contacts,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GtkWidget *dialog;
  OfferFlow *flow;

  g_return_if_fail (KF_IS_OFFER (offer));
  g_return_if_fail (G_IS_FILE (folder));

  flow = g_new0 (OfferFlow, 1);
  flow->offer = g_object_ref (offer);
  flow->parent = parent != NULL ? g_object_ref (parent) : NULL;
  flow->folder = g_object_ref (folder);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_offer_flow_run_async);
  g_task_set_task_data (task, flow, (GDestroyNotify) offer_flow_free);

  dialog = kf_offer_dialog_new (parent, offer);
  if (kf_offer_get_sender_key (offer) != NULL)
    {
      g_autofree char *known = NULL;
      KfContactCheck check = kf_gui_check_contact (contacts, kf_offer_get_sender_name (offer),
                                                   kf_offer_get_sender_key (offer), &known);

      kf_offer_dialog_set_contact (KF_OFFER_DIALOG (dialog), check,
                                   kf_offer_get_sender_code (offer), known);
    }
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_offer_response),
                         g_object_ref (task), release_task, 0);
  g_signal_connect_data (dialog, "destroy", G_CALLBACK (on_offer_destroyed),
                         g_object_ref (task), release_task, 0);
  if (cancellable != NULL)
    g_signal_connect_object (cancellable, "cancelled", G_CALLBACK (gtk_window_destroy), dialog,
                             G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/*
 * kf_offer_flow_run_finish:
 *
 * Returns where to save the file (for a tree: the folder to save in), or
 * NULL: without @error when the user
 * declined (or cancelled the save dialog), with G_IO_ERROR_CANCELLED when
 * the flow was cancelled.
 */
GFile *
kf_offer_flow_run_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/*
 * kf_offer_flow_was_blocked:
 *
 * Returns: whether the offer was declined with Block Sender: the caller
 * then asks the key manager to keep this sender's identity away.
 */
gboolean
kf_offer_flow_was_blocked (GAsyncResult *result)
{
  OfferFlow *flow;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  flow = g_task_get_task_data (G_TASK (result));
  return flow != NULL && flow->blocked;
}
