/* kf-send-files.c: the files and folders to send: a list, their sizes, Add Files…,
 * Add Folder…
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-send-files.h"

/* Deeper than this, a folder is not counted further (the engine has its own limit). */
#define SCAN_MAX_DEPTH 256

/* What one chosen item holds, counted off the main loop. */
typedef struct
{
  gboolean  is_folder;
  guint     files;
  guint     skipped;   /* symbolic links, devices, sockets: the engine skips them */
  guint64   bytes;
  char     *error;     /* the item could not be read */
} ItemScan;

struct _KfSendFiles
{
  AdwBin                parent_instance;

  GtkListBox           *file_list;
  GtkLabel             *summary_label;
  GtkLabel             *warning_label;

  GListStore           *files;     /* of GFile, in the order chosen */
  GHashTable           *scans;     /* GFile → ItemScan, once counted */
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
};

enum {
  CHANGED,
  FILES_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KfSendFiles, kf_send_files, ADW_TYPE_BIN)

static void
item_scan_free (ItemScan *scan)
{
  g_free (scan->error);
  g_free (scan);
}

/* Counts the regular files and bytes under @folder, not following links. */
static void
scan_folder (GFile        *folder,
             ItemScan     *scan,
             guint         depth,
             GCancellable *cancellable)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;
  GFile *child;

  if (depth > SCAN_MAX_DEPTH)
    return;
  children = g_file_enumerate_children (folder, G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                        G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, NULL);
  if (children == NULL)
    return;
  while (g_file_enumerator_iterate (children, &info, &child, cancellable, NULL) && info != NULL)
    switch (g_file_info_get_file_type (info))
      {
      case G_FILE_TYPE_REGULAR:
        scan->files++;
        scan->bytes += g_file_info_get_size (info);
        break;
      case G_FILE_TYPE_DIRECTORY:
        scan_folder (child, scan, depth + 1, cancellable);
        break;
      case G_FILE_TYPE_UNKNOWN:
      case G_FILE_TYPE_SYMBOLIC_LINK:
      case G_FILE_TYPE_SPECIAL:
      case G_FILE_TYPE_SHORTCUT:
      case G_FILE_TYPE_MOUNTABLE:
      default:
        scan->skipped++;
        break;
      }
}

/* In a worker thread: what the chosen item (a file or a folder) holds. */
static void
scan_item (GTask        *task,
           gpointer      source,
           gpointer      task_data,
           GCancellable *cancellable)
{
  GFile *file = task_data;
  ItemScan *scan = g_new0 (ItemScan, 1);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            cancellable, &error);
  if (info == NULL)
    scan->error = g_strdup (error->message);
  else if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      scan->is_folder = TRUE;
      scan_folder (file, scan, 0, cancellable);
    }
  else
    {
      scan->files = 1;
      scan->bytes = g_file_info_get_size (info);
    }
  g_task_return_pointer (task, scan, (GDestroyNotify) item_scan_free);
}

/* Returns what the row of an item says under its name. */
static char *
describe_scan (const ItemScan *scan)
{
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;

  if (scan == NULL)
    return g_strdup (_("Counting…"));
  if (scan->error != NULL)
    return g_strdup (scan->error);
  size = g_format_size (scan->bytes);
  if (!scan->is_folder)
    return g_steal_pointer (&size);
  /* Translators: a folder's contents: "Folder: 24 files, 3.1 MB" */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Folder: %u file, %s",
                                       "Folder: %u files, %s", scan->files),
                          scan->files, size);
  if (scan->skipped == 0)
    return g_steal_pointer (&text);
  /* Translators: the folder's contents, then how many links or special files it skips */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%s; %u link or special file is left out",
                                       "%s; %u links or special files are left out",
                                       scan->skipped),
                          text, scan->skipped);
}

/* Says how many files and bytes go, once every item is counted. */
static void
update_summary (KfSendFiles *self)
{
  g_autofree char *size = NULL;
  g_autofree char *text = NULL;
  guint64 bytes = 0;
  guint files = 0;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->files));

  if (!kf_send_files_is_counted (self, &files, &bytes) || n == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->summary_label), FALSE);
      return;
    }
  size = g_format_size (bytes);
  /* Translators: what all the chosen items hold: "In all: 27 files, 12.4 MB" */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "In all: %u file, %s",
                                       "In all: %u files, %s", files),
                          files, size);
  gtk_label_set_text (self->summary_label, text);
  /* One file alone: its row already says its size. */
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), n > 1 || files != 1);
}

static GtkWidget *
find_row (KfSendFiles *self,
          GFile       *file)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->file_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (g_object_get_data (G_OBJECT (child), "kf-file") == file)
      return child;
  return NULL;
}

static void
show_scan (KfSendFiles *self,
           GFile       *file)
{
  const ItemScan *scan = g_hash_table_lookup (self->scans, file);
  GtkWidget *row = find_row (self, file);
  g_autofree char *text = describe_scan (scan);

  if (row != NULL)
    {
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text);
      adw_action_row_set_icon_name (ADW_ACTION_ROW (row),
                                    scan != NULL && scan->is_folder ? "folder-symbolic"
                                                                   : "text-x-generic-symbolic");
    }
  update_summary (self);
}

static void
on_scanned (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(KfSendFiles) self = user_data;
  GFile *file = g_task_get_task_data (G_TASK (result));
  ItemScan *scan = g_task_propagate_pointer (G_TASK (result), NULL);

  if (scan == NULL || g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    {
      g_clear_pointer (&scan, item_scan_free);
      return;
    }
  g_hash_table_replace (self->scans, g_object_ref (file), scan);
  show_scan (self, file);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
start_scan (KfSendFiles *self,
            GFile       *file)
{
  g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, on_scanned, g_object_ref (self));

  g_task_set_source_tag (task, start_scan);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, scan_item);
}

static void
on_remove_clicked (GtkButton   *button,
                   KfSendFiles *self)
{
  GFile *file = g_object_get_data (G_OBJECT (button), "kf-file");
  guint position;

  if (file == NULL || !g_list_store_find_with_equal_func (self->files, file,
                                                          (GEqualFunc) g_file_equal, &position))
    return;
  g_hash_table_remove (self->scans, file);
  g_list_store_remove (self->files, position);
  gtk_widget_set_visible (GTK_WIDGET (self->warning_label), FALSE);
  update_summary (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* The remove button of @file's row: a name a screen reader can say. */
static GtkWidget *
create_remove_button (KfSendFiles *self,
                      GFile       *file,
                      const char  *name)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("list-remove-symbolic");
  g_autofree char *label = NULL;

  /* Translators: the button that takes a file or folder off the list */
  label = g_strdup_printf (_("Remove “%s”"), name);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label, -1);
  g_object_set_data_full (G_OBJECT (button), "kf-file", g_object_ref (file), g_object_unref);
  g_signal_connect_object (button, "clicked", G_CALLBACK (on_remove_clicked), self, 0);
  return button;
}

/* One chosen item: its name on one line (the whole name in the tooltip),
 * what it holds below, and a remove button. */
static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  KfSendFiles *self = user_data;
  GFile *file = item;
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *display = g_filename_display_name (name);
  g_autofree char *where = g_file_get_parse_name (file);
  g_autofree char *subtitle = describe_scan (g_hash_table_lookup (self->scans, file));
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), display);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, where);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), create_remove_button (self, file, display));
  g_object_set_data_full (G_OBJECT (row), "kf-file", g_object_ref (file), g_object_unref);
  return row;
}

/* files.add-files and files.add-folder. */
static void
add_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  kf_send_files_choose (KF_SEND_FILES (widget), g_str_equal (action_name, "files.add-folder"));
}

static void
kf_send_files_dispose (GObject *object)
{
  KfSendFiles *self = KF_SEND_FILES (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->files);
  g_clear_pointer (&self->scans, g_hash_table_unref);

  G_OBJECT_CLASS (kf_send_files_parent_class)->dispose (object);
}

static void
kf_send_files_class_init (KfSendFilesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kf_send_files_dispose;

  /**
   * KfSendFiles::changed:
   *
   * The list changed, or an item was counted.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * KfSendFiles::files-added:
   *
   * The person chose items with the file chooser.
   */
  signals[FILES_ADDED] =
    g_signal_new ("files-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-send-files.ui");
  gtk_widget_class_bind_template_child (widget_class, KfSendFiles, file_list);
  gtk_widget_class_bind_template_child (widget_class, KfSendFiles, summary_label);
  gtk_widget_class_bind_template_child (widget_class, KfSendFiles, warning_label);
  gtk_widget_class_install_action (widget_class, "files.add-files", NULL, add_activated);
  gtk_widget_class_install_action (widget_class, "files.add-folder", NULL, add_activated);
}

static void
kf_send_files_init (KfSendFiles *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->files = g_list_store_new (G_TYPE_FILE);
  self->scans = g_hash_table_new_full (g_file_hash, (GEqualFunc) g_file_equal, g_object_unref,
                                       (GDestroyNotify) item_scan_free);
  self->cancellable = g_cancellable_new ();
  gtk_list_box_bind_model (self->file_list, G_LIST_MODEL (self->files), create_row, self, NULL);

  placeholder = gtk_label_new (_("No file chosen"));
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_list_box_set_placeholder (self->file_list, placeholder);
}

/* Returns the chosen item named like @file, if any. */
static GFile *
find_same_name (KfSendFiles *self,
                GFile       *file)
{
  g_autofree char *name = g_file_get_basename (file);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->files));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GFile) other = g_list_model_get_item (G_LIST_MODEL (self->files), i);
      g_autofree char *other_name = g_file_get_basename (other);

      if (g_strcmp0 (name, other_name) == 0)
        return g_steal_pointer (&other);
    }
  return NULL;
}

/* Says why @file was not added: another item has its name. */
static void
warn_same_name (KfSendFiles *self,
                GFile       *file)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *display = g_filename_display_name (name);
  g_autofree char *text = NULL;

  /* Translators: %s is a file or folder name */
  text = g_strdup_printf (_("“%s” was not added: an item of that name is already in the "
                            "list, and the receiver could not tell them apart. Rename one "
                            "of them, or send them one after the other."), display);
  gtk_label_set_text (self->warning_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->warning_label), TRUE);
}

/*
 * kf_send_files_add:
 *
 * Adds @files to the list, each counted in the background.  The same
 * file twice is added once; a file named like one already listed is
 * left out, and the page says why (the receiver gets one folder of
 * top-level names).  Returns how many were added.
 */
guint
kf_send_files_add (KfSendFiles  *self,
                   GFile       **files,
                   guint         n_files)
{
  guint added = 0;

  g_return_val_if_fail (KF_IS_SEND_FILES (self), 0);

  gtk_widget_set_visible (GTK_WIDGET (self->warning_label), FALSE);
  for (guint i = 0; i < n_files; i++)
    {
      g_autoptr(GFile) same = find_same_name (self, files[i]);

      if (same != NULL && !g_file_equal (same, files[i]))
        warn_same_name (self, files[i]);
      if (same != NULL)
        continue;
      g_list_store_append (self->files, files[i]);
      start_scan (self, files[i]);
      added++;
    }
  update_summary (self);
  if (added > 0)
    g_signal_emit (self, signals[CHANGED], 0);
  return added;
}

typedef struct
{
  KfFilesDroppedFunc dropped;
  gpointer           user_data;
} DropHandler;

/* A drop target's ::drop: the files of a list or the one file dropped. */
static gboolean
on_files_drop (GtkDropTarget *target,
               const GValue  *value,
               double         x,
               double         y,
               DropHandler   *handler)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new ();

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
      g_ptr_array_add (files, l->data);
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE) && g_value_get_object (value) != NULL)
    g_ptr_array_add (files, g_value_get_object (value));
  if (files->len == 0)
    return FALSE;
  return handler->dropped (files, handler->user_data);
}

/*
 * kf_send_files_drop_target_new:
 * @dropped: what to do with the files and folders of a drop
 * @user_data: for @dropped; it must outlive the target (the widget the
 *   target is added to, say)
 *
 * Returns: (transfer full): a drop target that takes files and folders
 * from a file manager, as a list or one file, and hands them to
 * @dropped; a drop without a file is refused.  Add it to a widget with
 * gtk_widget_add_controller().
 */
GtkDropTarget *
kf_send_files_drop_target_new (KfFilesDroppedFunc dropped,
                               gpointer           user_data)
{
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  DropHandler *handler = g_new (DropHandler, 1);

  g_return_val_if_fail (dropped != NULL, NULL);

  handler->dropped = dropped;
  handler->user_data = user_data;
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect_data (target, "drop", G_CALLBACK (on_files_drop), handler,
                         (GClosureNotify) (void (*) (void)) g_free, 0);
  return target;
}

/* Empties the list; the counts under way are dropped. */
void
kf_send_files_clear (KfSendFiles *self)
{
  g_return_if_fail (KF_IS_SEND_FILES (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_hash_table_remove_all (self->scans);
  g_list_store_remove_all (self->files);
  gtk_widget_set_visible (GTK_WIDGET (self->warning_label), FALSE);
  update_summary (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Replaces the list with @files (a drop on a person: send these to them). */
void
kf_send_files_set (KfSendFiles  *self,
                   GFile       **files,
                   guint         n_files)
{
  g_return_if_fail (KF_IS_SEND_FILES (self));

  kf_send_files_clear (self);
  kf_send_files_add (self, files, n_files);
}

guint
kf_send_files_get_n_items (KfSendFiles *self)
{
  g_return_val_if_fail (KF_IS_SEND_FILES (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->files));
}

/* Returns (transfer full) the chosen items, in the order chosen. */
GPtrArray *
kf_send_files_dup_files (KfSendFiles *self)
{
  GPtrArray *files;
  guint n;

  g_return_val_if_fail (KF_IS_SEND_FILES (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->files));
  files = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (files, g_list_model_get_item (G_LIST_MODEL (self->files), i));
  return files;
}

/*
 * kf_send_files_format_sending:
 *
 * Returns the transfer page's title for sending the chosen items to
 * @who: "Sending “notes.txt” to Ana", or "Sending 3 items to Ana"; NULL
 * when nothing is chosen.
 */
char *
kf_send_files_format_sending (KfSendFiles *self,
                              const char  *who)
{
  g_autoptr(GFile) first = NULL;
  g_autofree char *name = NULL;
  g_autofree char *display = NULL;
  guint n;

  g_return_val_if_fail (KF_IS_SEND_FILES (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->files));
  if (n == 0)
    return NULL;
  if (n > 1)
    /* Translators: the number of files and folders, then to whom */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Sending %u item to %s",
                                         "Sending %u items to %s", n), n, who);
  first = g_list_model_get_item (G_LIST_MODEL (self->files), 0);
  name = g_file_get_basename (first);
  display = g_filename_display_name (name);
  return g_strdup_printf (_("Sending “%s” to %s"), display, who);
}

/*
 * kf_send_files_is_counted:
 *
 * Returns TRUE once every item is counted, with the number of regular
 * files and their bytes in all.
 */
gboolean
kf_send_files_is_counted (KfSendFiles *self,
                          guint       *n_files,
                          guint64     *size)
{
  guint n, files = 0;
  guint64 bytes = 0;

  g_return_val_if_fail (KF_IS_SEND_FILES (self), FALSE);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->files));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GFile) file = g_list_model_get_item (G_LIST_MODEL (self->files), i);
      const ItemScan *scan = g_hash_table_lookup (self->scans, file);

      if (scan == NULL)
        return FALSE;
      files += scan->files;
      bytes += scan->bytes;
    }
  if (n_files != NULL)
    *n_files = files;
  if (size != NULL)
    *size = bytes;
  return TRUE;
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     KfSendFiles     *self)
{
  g_autoptr(GListModel) chosen = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  if (response == GTK_RESPONSE_ACCEPT)
    chosen = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
  for (guint i = 0; chosen != NULL && i < g_list_model_get_n_items (chosen); i++)
    g_ptr_array_add (files, g_list_model_get_item (chosen, i));
  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
  if (files->len > 0 && kf_send_files_add (self, (GFile **) files->pdata, files->len) > 0)
    g_signal_emit (self, signals[FILES_ADDED], 0);
}

/*
 * kf_send_files_choose:
 *
 * Asks for files (several at once) or, when @folders, for folders, with
 * the desktop's chooser; what is chosen is added to the list.
 */
void
kf_send_files_choose (KfSendFiles *self,
                      gboolean     folders)
{
  GtkRoot *root;

  g_return_if_fail (KF_IS_SEND_FILES (self));

  if (self->chooser != NULL)
    return;
  root = gtk_widget_get_root (GTK_WIDGET (self));
  self->chooser = gtk_file_chooser_native_new (folders ? _("Choose Folders to Send")
                                                       : _("Choose Files to Send"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               folders ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                       : GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Choose"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}
