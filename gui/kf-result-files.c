/* kf-result-files.c: the files of a finished transfer: what arrived, renamed,
 * skipped or never came
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-result-files.h"
#include "kf-transfer.h"

/* More rows than this are not listed one by one: Open Folder shows them. */
#define MAX_ROWS 500

struct _KfResultFiles
{
  AdwBin        parent_instance;

  AdwPreferencesGroup *group;
  GtkListBox   *file_list;
};

G_DEFINE_FINAL_TYPE (KfResultFiles, kf_result_files, ADW_TYPE_BIN)

static void
kf_result_files_class_init (KfResultFilesClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-result-files.ui");
  gtk_widget_class_bind_template_child (widget_class, KfResultFiles, group);
  gtk_widget_class_bind_template_child (widget_class, KfResultFiles, file_list);
}

static void
kf_result_files_init (KfResultFiles *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* What a row says under the path. */
static char *
describe_file (const KfTransferFileResult *file,
               gboolean                    sender)
{
  switch (file->status)
    {
    case KF_TRANSFER_FILE_RENAMED:
      /* Translators: a received file saved under another name; %s is the name the sender gave */
      return g_strdup_printf (_("Renamed: the sender called it “%s”"),
                              file->offered_path != NULL ? file->offered_path : "");
    case KF_TRANSFER_FILE_SKIPPED:
      return g_strdup (_("Skipped by the sender: a link, a device or a file it could not "
                         "read"));
    case KF_TRANSFER_FILE_INCOMPLETE:
      return g_strdup (sender ? _("Not delivered: the transfer stopped first")
                              : _("Not received: the transfer stopped first"));
    case KF_TRANSFER_FILE_SENT:
      if (file->is_folder)
        return g_strdup (_("Folder"));
      return g_strdup (_("Sent whole before the transfer stopped; the receiver keeps it if it "
                         "verified it"));
    case KF_TRANSFER_FILE_ARRIVED:
    default:
      if (file->is_folder)
        return g_strdup (_("Folder"));
      return g_format_size (file->size);
    }
}

/* One file or folder: its path on one line (whole in the tooltip), what
 * became of it below, a warning sign when it did not simply arrive. */
static GtkWidget *
create_row (const KfTransferFileResult *file,
            gboolean                    sender)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = describe_file (file, sender);
  const char *path = file->path != NULL ? file->path : "";

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), path);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), file->is_folder ? "folder-symbolic"
                                                                      : "text-x-generic-symbolic");
  gtk_widget_set_tooltip_text (row, path);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  /* A folder carries no bytes: on a stopped sender's list it is only
   * where its files went. */
  if (file->status != KF_TRANSFER_FILE_ARRIVED
      && !(file->is_folder && file->status == KF_TRANSFER_FILE_SENT))
    {
      /* The subtitle says it in words: the sign is for the eye only. */
      GtkWidget *sign = g_object_new (GTK_TYPE_IMAGE,
                                      "icon-name", "dialog-warning-symbolic",
                                      "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                      NULL);

      gtk_widget_add_css_class (sign, "warning");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), sign);
      gtk_widget_add_css_class (row, "kf-file-problem");
    }
  return row;
}

/* Says how many arrived (or went whole) and how many did not, above
 * the list. */
static void
show_counts (KfResultFiles *self,
             GPtrArray     *files,
             gboolean       sender)
{
  guint counts[KF_TRANSFER_FILE_SENT + 1] = { 0 };
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < files->len; i++)
    {
      const KfTransferFileResult *file = files->pdata[i];

      if (!file->is_folder && file->status <= KF_TRANSFER_FILE_SENT)
        counts[file->status]++;
    }
  if (counts[KF_TRANSFER_FILE_SENT] > 0)
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u file sent whole",
                                               "%u files sent whole",
                                               counts[KF_TRANSFER_FILE_SENT]),
                            counts[KF_TRANSFER_FILE_SENT]);
  else
    g_string_append_printf (text, sender ? g_dngettext (GETTEXT_PACKAGE, "%u file delivered",
                                                        "%u files delivered",
                                                        counts[KF_TRANSFER_FILE_ARRIVED])
                                         : g_dngettext (GETTEXT_PACKAGE, "%u file arrived",
                                                        "%u files arrived",
                                                        counts[KF_TRANSFER_FILE_ARRIVED]),
                            counts[KF_TRANSFER_FILE_ARRIVED]);
  if (counts[KF_TRANSFER_FILE_RENAMED] > 0)
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, ", %u renamed", ", %u renamed",
                                               counts[KF_TRANSFER_FILE_RENAMED]),
                            counts[KF_TRANSFER_FILE_RENAMED]);
  if (counts[KF_TRANSFER_FILE_SKIPPED] > 0)
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, ", %u skipped", ", %u skipped",
                                               counts[KF_TRANSFER_FILE_SKIPPED]),
                            counts[KF_TRANSFER_FILE_SKIPPED]);
  if (counts[KF_TRANSFER_FILE_INCOMPLETE] > 0)
    g_string_append_printf (text, sender ? g_dngettext (GETTEXT_PACKAGE, ", %u not sent",
                                                        ", %u not sent",
                                                        counts[KF_TRANSFER_FILE_INCOMPLETE])
                                         : g_dngettext (GETTEXT_PACKAGE, ", %u not received",
                                                        ", %u not received",
                                                        counts[KF_TRANSFER_FILE_INCOMPLETE]),
                            counts[KF_TRANSFER_FILE_INCOMPLETE]);
  adw_preferences_group_set_description (self->group, text->str);
}

/* Adds the rows of @files that did not simply arrive (@problems) or that
 * did, while fewer than MAX_ROWS are listed; returns how many were left
 * out. */
static guint
add_rows (KfResultFiles *self,
          GPtrArray     *files,
          gboolean       sender,
          gboolean       problems,
          guint         *rows)
{
  guint left_out = 0;

  for (guint i = 0; i < files->len; i++)
    {
      const KfTransferFileResult *file = files->pdata[i];

      if ((file->status != KF_TRANSFER_FILE_ARRIVED) != problems)
        continue;
      if (*rows >= MAX_ROWS)
        {
          left_out++;
          continue;
        }
      gtk_list_box_append (self->file_list, create_row (file, sender));
      (*rows)++;
    }
  return left_out;
}

static void
clear_rows (KfResultFiles *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->file_list))) != NULL)
    gtk_list_box_remove (self->file_list, child);
}

/*
 * kf_result_files_show:
 * @files: (element-type KfTransferFileResult): the outcome's files
 *
 * Lists @files (of several files or folders: a tree), those that did not
 * simply arrive (renamed, skipped, sent whole but not confirmed, not
 * received) first, at most MAX_ROWS of them, then how many more there
 * are.  Returns FALSE, and shows nothing, when @files is empty.
 */
gboolean
kf_result_files_show (KfResultFiles *self,
                      GPtrArray     *files,
                      gboolean       sender)
{
  guint rows = 0, left_out;

  g_return_val_if_fail (KF_IS_RESULT_FILES (self), FALSE);

  clear_rows (self);
  if (files == NULL || files->len == 0)
    return FALSE;

  show_counts (self, files, sender);
  left_out = add_rows (self, files, sender, TRUE, &rows);
  left_out += add_rows (self, files, sender, FALSE, &rows);
  if (left_out > 0)
    {
      g_autofree char *more = NULL;
      GtkWidget *row = adw_action_row_new ();

      /* Translators: at the end of a long list of received files */
      more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "and %u more: open the folder to see them all",
                                           "and %u more: open the folder to see them all",
                                           left_out), left_out);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), more);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
      gtk_list_box_append (self->file_list, row);
    }
  return TRUE;
}
