/* kf-result-page.c: how a session ended: both block counts, the key manager's verdict and,
 * for several files, what became of each
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-gui-util.h"
#include "kf-result-files.h"
#include "kf-result-page.h"
#include "kf-transfer.h"

struct _KfResultPage
{
  AdwBin         parent_instance;

  AdwStatusPage *status_page;
  GtkWidget     *counts_group;
  AdwActionRow  *sender_row;
  AdwActionRow  *receiver_row;
  AdwActionRow  *verdict_row;
  GtkWidget     *open_box;
  GtkWidget     *open_file_button;
  GtkWidget     *back_button;
  KfResultFiles *result_files;

  KfOutcome     *outcome;
  GFile         *folder;       /* a tree's: where it was accepted into */
  GFile         *next_folder;  /* set at accept, for the next outcome */
  gboolean       tree;         /* the outcome's: several files or folders */
};

G_DEFINE_FINAL_TYPE (KfResultPage, kf_result_page, ADW_TYPE_BIN)

/* Opens @file (or its folder) with the user's default application. */
static void
show_file (KfResultPage *self,
           gboolean      folder)
{
  g_autoptr(GFile) target = NULL;
  g_autofree char *uri = NULL;
  GFile *file;

  file = self->outcome != NULL ? kf_outcome_get_file (self->outcome) : NULL;
  if (self->tree)
    target = self->folder != NULL ? g_object_ref (self->folder) : NULL;
  else if (file != NULL)
    target = folder ? g_file_get_parent (file) : g_object_ref (file);
  if (target == NULL)
    return;

  uri = g_file_get_uri (target);
  gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), uri, GDK_CURRENT_TIME);
}

/* result.open-file and result.open-folder. */
static void
open_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  show_file (KF_RESULT_PAGE (widget), g_str_equal (action_name, "result.open-folder"));
}

static void
kf_result_page_dispose (GObject *object)
{
  KfResultPage *self = KF_RESULT_PAGE (object);

  g_clear_object (&self->outcome);
  g_clear_object (&self->folder);
  g_clear_object (&self->next_folder);

  G_OBJECT_CLASS (kf_result_page_parent_class)->dispose (object);
}

/* Focus goes to Back to Start, the page's suggested action. */
static gboolean
kf_result_page_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (KF_RESULT_PAGE (widget)->back_button);
}

static void
kf_result_page_class_init (KfResultPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kf_result_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-result-page.ui");
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, counts_group);
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, sender_row);
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, receiver_row);
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, verdict_row);
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, open_box);
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, open_file_button);
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, back_button);
  gtk_widget_class_bind_template_child (widget_class, KfResultPage, result_files);
  widget_class->grab_focus = kf_result_page_grab_focus;

  gtk_widget_class_install_action (widget_class, "result.open-file", NULL, open_activated);
  gtk_widget_class_install_action (widget_class, "result.open-folder", NULL, open_activated);
}

static void
kf_result_page_init (KfResultPage *self)
{
  g_type_ensure (KF_TYPE_RESULT_FILES);
  gtk_widget_init_template (GTK_WIDGET (self));
}

/*
 * describe_failure:
 *
 * Returns the title and the plain-words explanation for an outcome that
 * has no verdict (declined, cancelled, failed).
 */
static void
describe_failure (KfOutcome   *outcome,
                  const char **title,
                  char       **description)
{
  gboolean tree = kf_outcome_get_is_tree (outcome);
  const char *message = kf_outcome_get_message (outcome);
  gboolean local = kf_outcome_get_is_local (outcome);
  gboolean sender = kf_outcome_get_is_sender (outcome);
  /* A receiver's file is saved once every record verified, before the
   * verdict: a cancel or failure after that leaves it in place. */
  gboolean saved = !sender && kf_outcome_get_file (outcome) != NULL;

  switch (kf_outcome_get_status (outcome))
    {
    case KF_OUTCOME_DECLINED:
      *title = tree ? _("Files Declined") : _("File Declined");
      if (tree)
        *description = g_strdup (sender ? _("The other person declined the files. Nothing was "
                                            "sent.")
                                        : _("You declined the files. Nothing was saved."));
      else
        *description = g_strdup (sender ? _("The other person declined the file. Nothing was "
                                            "sent.")
                                        : _("You declined the file. Nothing was saved."));
      return;
    case KF_OUTCOME_CANCELLED:
      *title = _("Transfer Cancelled");
      if (saved)
        *description = g_strdup (_("The transfer was cancelled after the whole file had "
                                   "arrived and been saved, so the key manager did not "
                                   "confirm it."));
      else
        *description = g_strdup (local ? _("You cancelled the transfer. Nothing was saved.")
                                       : _("The other person cancelled the transfer. "
                                           "Nothing was saved."));
      return;
    case KF_OUTCOME_CONFIRMED:
    case KF_OUTCOME_MISMATCH:
    case KF_OUTCOME_DIGEST_MISMATCH:
    case KF_OUTCOME_FAILED:
    default:
      *title = _("Transfer Failed");
      *description = g_strdup (message != NULL && message[0] != '\0'
                               ? message : _("The transfer stopped before it was complete."));
      return;
    }
}

/* Says which file arrived, and for the receiver in which folder it is. */
static char *
describe_confirmed (KfOutcome *outcome)
{
  GFile *file = kf_outcome_get_file (outcome);
  g_autoptr(GFile) parent = file != NULL ? g_file_get_parent (file) : NULL;
  g_autofree char *name = file != NULL ? g_file_get_basename (file) : NULL;
  g_autofree char *folder = parent != NULL ? g_file_get_basename (parent) : NULL;

  if (name == NULL)
    return g_strdup (_("The key manager confirmed the block counts: "
                       "the file arrived complete."));
  if (kf_outcome_get_is_sender (outcome) || folder == NULL)
    return g_strdup_printf (_("“%s” arrived complete: the key manager confirmed the block "
                              "counts."), name);
  /* Translators: the file's name, then its folder's */
  return g_strdup_printf (_("“%s” is in the folder “%s”. The key manager confirmed the block "
                            "counts: the file arrived complete."), name, folder);
}

/* Fills the block-count rows and the verdict row from a key manager's verdict. */
static void
show_counts (KfResultPage *self,
             KfOutcome    *outcome)
{
  g_autofree char *sender = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                             kf_outcome_get_sender_blocks (outcome));
  g_autofree char *receiver = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                               kf_outcome_get_receiver_blocks (outcome));
  KfOutcomeStatus status = kf_outcome_get_status (outcome);

  adw_action_row_set_subtitle (self->sender_row, sender);
  adw_action_row_set_subtitle (self->receiver_row, receiver);
  adw_action_row_set_subtitle (self->verdict_row,
                               status == KF_OUTCOME_CONFIRMED
                               ? _("The key manager confirmed the block counts")
                               : status == KF_OUTCOME_MISMATCH
                               ? _("The block counts do not match")
                               : _("The block counts match but the file was damaged"));
}

/* How many files (not folders) of @files have the status @status. */
static guint
count_files (GPtrArray            *files,
             KfTransferFileStatus  status)
{
  guint n = 0;

  for (guint i = 0; files != NULL && i < files->len; i++)
    {
      const KfTransferFileResult *file = files->pdata[i];

      n += !file->is_folder && file->status == status;
    }
  return n;
}

/* How many files of @files are on the receiver's disk (arrived or renamed). */
static guint
count_landed (GPtrArray *files)
{
  return count_files (files, KF_TRANSFER_FILE_ARRIVED)
         + count_files (files, KF_TRANSFER_FILE_RENAMED);
}

/* Returns the name of the folder a tree went into, for sentences. */
static char *
folder_name (KfResultPage *self)
{
  g_autofree char *name = self->folder != NULL ? g_file_get_basename (self->folder) : NULL;

  return name != NULL ? g_filename_display_name (name) : g_strdup ("");
}

/* A tree the key manager confirmed: how many files, and where. */
static char *
describe_confirmed_tree (KfResultPage *self,
                         KfOutcome    *outcome)
{
  guint files = count_landed (kf_outcome_get_files (outcome));
  g_autofree char *folder = folder_name (self);

  if (kf_outcome_get_is_sender (outcome) || self->folder == NULL)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u file arrived complete: the key manager "
                                         "confirmed the block counts.",
                                         "%u files arrived complete: the key manager "
                                         "confirmed the block counts.", files), files);
  /* Translators: the number of files, then the folder's name */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u file arrived in the folder “%s”. The key manager "
                                       "confirmed the block counts.",
                                       "%u files arrived in the folder “%s”. The key manager "
                                       "confirmed the block counts.", files), files, folder);
}

/* Why a transfer stopped, in a sentence of its own. */
static const char *
stop_reason (KfOutcome *outcome)
{
  const char *message = kf_outcome_get_message (outcome);

  if (kf_outcome_get_status (outcome) == KF_OUTCOME_CANCELLED)
    return kf_outcome_get_is_local (outcome) ? _("You cancelled the transfer.")
                                             : _("The other person cancelled the transfer.");
  return message != NULL && message[0] != '\0'
         ? message : _("The transfer stopped before it was complete.");
}

/* Several files sent, stopped half way: how many had gone whole (the
 * engine's list says which), and that the other person keeps those it
 * verified, which this side cannot know. */
static char *
describe_partial_send (KfOutcome *outcome,
                       guint      sent,
                       guint      total)
{
  g_autofree char *said = NULL;

  /* Translators: after why a transfer of several files stopped */
  said = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u of %u file was sent before the transfer stopped; "
                                       "the receiver keeps the ones it verified.",
                                       "%u of %u files were sent before the transfer stopped; "
                                       "the receiver keeps the ones it verified.", total),
                          sent, total);
  return g_strdup_printf ("%s %s", stop_reason (outcome), said);
}

/* A tree that stopped half way on the receiver's side: why, and that
 * the files already complete stay (the list says which). */
static char *
describe_partial_tree (KfResultPage *self,
                       KfOutcome    *outcome,
                       guint         landed)
{
  g_autofree char *folder = folder_name (self);
  g_autofree char *kept = NULL;
  /* Translators: after why a transfer of several files stopped */
  kept = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u file had arrived complete: it stays in “%s”, "
                                       "and the list below says which.",
                                       "%u files had arrived complete: they stay in “%s”, "
                                       "and the list below says which.", landed),
                          landed, folder);
  return g_strdup_printf ("%s %s", stop_reason (outcome), kept);
}

/* The title, icon and words for a key manager's verdict. */
static void
describe_verdict (KfResultPage  *self,
                  KfOutcome     *outcome,
                  const char   **icon,
                  const char   **title,
                  char         **description)
{
  KfOutcomeStatus status = kf_outcome_get_status (outcome);
  gboolean sender = kf_outcome_get_is_sender (outcome);

  if (status == KF_OUTCOME_CONFIRMED)
    {
      *icon = "emblem-ok-symbolic";
      if (self->tree)
        *title = sender ? _("Files Sent") : _("Files Received");
      else
        *title = sender ? _("File Sent") : _("File Received");
      *description = self->tree ? describe_confirmed_tree (self, outcome)
                                : describe_confirmed (outcome);
      return;
    }
  *icon = "dialog-warning-symbolic";
  *title = status == KF_OUTCOME_MISMATCH ? _("Block Counts Do Not Match")
                                         : _("File Damaged in Transit");
  if (sender)
    *description = g_strdup (self->tree ? _("The key manager could not confirm the transfer. "
                                            "Send the files again.")
                                        : _("The key manager could not confirm the transfer. "
                                            "Send the file again."));
  else
    *description = g_strdup (self->tree ? _("The key manager could not confirm the transfer. "
                                            "The files were saved, but do not trust them: "
                                            "delete them and ask for them again.")
                                        : _("The key manager could not confirm the transfer. "
                                            "The file was saved, but do not trust it: delete "
                                            "it and ask for it again."));
}

/* The title, icon and words for an outcome without a verdict: for
 * several files, what stays where (@landed files at the receiver). */
static void
describe_ending (KfResultPage  *self,
                 KfOutcome     *outcome,
                 guint          landed,
                 const char   **icon,
                 const char   **title,
                 char         **description)
{
  gboolean sender = kf_outcome_get_is_sender (outcome);
  GPtrArray *files = kf_outcome_get_files (outcome);
  guint sent = count_files (files, KF_TRANSFER_FILE_SENT);
  guint not_sent = count_files (files, KF_TRANSFER_FILE_INCOMPLETE);

  *icon = kf_outcome_get_status (outcome) == KF_OUTCOME_FAILED ? "dialog-error-symbolic"
                                                                 : "process-stop-symbolic";
  describe_failure (outcome, title, description);
  if (self->tree && !sender && landed > 0 && self->folder != NULL)
    {
      g_free (*description);
      *description = describe_partial_tree (self, outcome, landed);
    }
  else if (self->tree && sender && kf_outcome_get_status (outcome) != KF_OUTCOME_DECLINED
           && sent + not_sent > 0)
    {
      g_free (*description);
      *description = describe_partial_send (outcome, sent, sent + not_sent);
    }
}

/* Open File for one received file; Open Folder for it, or for a tree of
 * which some files are on the disk. */
static void
show_open_buttons (KfResultPage *self,
                   KfOutcome    *outcome,
                   guint         landed)
{
  gboolean receiver = !kf_outcome_get_is_sender (outcome);
  gboolean can_open_file, can_open_folder;

  can_open_file = !self->tree && receiver && kf_outcome_get_file (outcome) != NULL
                  && kf_outcome_get_status (outcome) == KF_OUTCOME_CONFIRMED;
  can_open_folder = self->tree ? receiver && self->folder != NULL && landed > 0
                               : can_open_file;
  gtk_widget_set_visible (self->open_box, can_open_folder);
  gtk_widget_set_visible (self->open_file_button, can_open_file);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "result.open-file", can_open_file);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "result.open-folder", can_open_folder);
}

/*
 * kf_result_page_set_outcome:
 *
 * Shows how the session ended: for a verdict both block counts and the
 * key manager's word; otherwise what went wrong.  For several files (a
 * tree, kf_outcome_get_is_tree()) the page lists what became of each: for
 * a sender stopped half way, which files had gone whole.  The receiver of a
 * confirmed file gets Open File and Open Folder; the receiver of a tree
 * gets Open Folder as soon as any of its files is on the disk.
 */
void
kf_result_page_set_outcome (KfResultPage *self,
                            KfOutcome    *outcome)
{
  g_autofree char *description = NULL;
  KfOutcomeStatus status;
  gboolean verdict, sender, listed;
  const char *title, *icon;
  guint landed;

  g_return_if_fail (KF_IS_RESULT_PAGE (self));
  g_return_if_fail (KF_IS_OUTCOME (outcome));

  g_set_object (&self->outcome, outcome);
  g_clear_object (&self->folder);
  self->folder = g_steal_pointer (&self->next_folder);
  status = kf_outcome_get_status (outcome);
  sender = kf_outcome_get_is_sender (outcome);
  verdict = status == KF_OUTCOME_CONFIRMED || status == KF_OUTCOME_MISMATCH
            || status == KF_OUTCOME_DIGEST_MISMATCH;
  self->tree = kf_outcome_get_is_tree (outcome);
  listed = self->tree && status != KF_OUTCOME_DECLINED
           && kf_result_files_show (self->result_files, kf_outcome_get_files (outcome), sender);
  if (self->tree && !sender && kf_outcome_get_file (outcome) != NULL)
    g_set_object (&self->folder, kf_outcome_get_file (outcome));
  landed = self->tree ? count_landed (kf_outcome_get_files (outcome)) : 0;

  if (verdict)
    describe_verdict (self, outcome, &icon, &title, &description);
  else
    describe_ending (self, outcome, landed, &icon, &title, &description);

  adw_status_page_set_icon_name (self->status_page, icon);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);

  gtk_widget_set_visible (self->counts_group, verdict);
  if (verdict)
    show_counts (self, outcome);
  gtk_widget_set_visible (GTK_WIDGET (self->result_files), listed);
  show_open_buttons (self, outcome, landed);
}

/*
 * kf_result_page_set_folder:
 *
 * The folder a tree was just accepted into: the next outcome's Open
 * Folder opens it, and its words name it, even when the transfer stops
 * half way (the outcome names no file then).
 */
void
kf_result_page_set_folder (KfResultPage *self,
                           GFile        *folder)
{
  g_return_if_fail (KF_IS_RESULT_PAGE (self));

  g_set_object (&self->next_folder, folder);
}

KfOutcome *
kf_result_page_get_outcome (KfResultPage *self)
{
  g_return_val_if_fail (KF_IS_RESULT_PAGE (self), NULL);
  return self->outcome;
}
